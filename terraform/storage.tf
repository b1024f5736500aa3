# Input (uploads) and output (result documents) buckets: private, encrypted (SSE-S3), owner-enforced, with expiry.
# bucket_prefix lets AWS add a unique suffix (bucket names are global); the outputs print the final names.

locals {
  buckets = {
    input  = { prefix = "${var.name_prefix}-input-", expiry_days = var.input_expiry_days }
    output = { prefix = "${var.name_prefix}-output-", expiry_days = var.output_expiry_days }
  }
}

resource "aws_s3_bucket" "this" {
  for_each      = local.buckets
  bucket_prefix = each.value.prefix
  force_destroy = true # `make destroy` removes the buckets with their (short-lived) content
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = aws_s3_bucket.this
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id

  rule {
    id     = "expire-${each.key}"
    status = "Enabled"

    filter {}

    expiration {
      days = local.buckets[each.key].expiry_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}
