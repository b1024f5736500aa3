# One role and instance profile per tier, each allowed only the calls its code makes, only on its own resources.
#
# Wildcards: no action is a wildcard and no resource is "*", with one documented exception: ecr:GetAuthorizationToken
# (the `docker login` to ECR) supports no resource-level permissions, so AWS requires Resource "*" for it. It only
# returns a registry login token (which still needs the per-repository pull permissions below to read any image), and
# it is narrowed here by a condition to this deployment's region. tests/iam.tftest.hcl asserts it is the only "*".
# S3 object ARNs name key patterns inside this deployment's own buckets (uploads/*, *.json): object keys are ids
# generated per request, so a key pattern is the narrowest possible grant.

locals {
  input_bucket_arn  = aws_s3_bucket.this["input"].arn
  output_bucket_arn = aws_s3_bucket.this["output"].arn

  ec2_assume_role_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Ec2AssumesRole"
      Effect    = "Allow"
      Action    = ["sts:AssumeRole"]
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  }

  ecr_auth_token_statement = {
    Sid       = "EcrAuthTokenRequiresStar"
    Effect    = "Allow"
    Action    = ["ecr:GetAuthorizationToken"]
    Resource  = ["*"]
    Condition = { StringEquals = { "aws:RequestedRegion" = var.region } }
  }

  ecr_pull_actions = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]

  web_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # SqsJobQueue sends requests; the health check and QueueDepths read the queue depth.
        Sid      = "SendRequests"
        Effect   = "Allow"
        Action   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]
        Resource = [aws_sqs_queue.requests.arn]
      },
      {
        # QueueDepths (GET /api/v1/status, /prometheus) reads how many requests failed into the dead-letter queue.
        Sid      = "ReadDeadLetterDepth"
        Effect   = "Allow"
        Action   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
        Resource = [aws_sqs_queue.dead_letter.arn]
      },
      {
        # ResponsePoller receives answers on the host's fixed response queue and deletes them.
        Sid      = "ReceiveOwnResponses"
        Effect   = "Allow"
        Action   = ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
        Resource = aws_sqs_queue.responses[*].arn
      },
      {
        # S3ImageStore stores uploads, checks one exists (HeadObject needs s3:GetObject), deletes one when queueing fails.
        Sid      = "WriteUploads"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
        Resource = ["${local.input_bucket_arn}/uploads/*"]
      },
      {
        Sid      = "ReadResults"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.output_bucket_arn}/*.json"]
      },
      {
        # HeadBucket in the health check.
        Sid      = "HeadBuckets"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [local.input_bucket_arn, local.output_bucket_arn]
      },
      {
        Sid      = "PullWebImage"
        Effect   = "Allow"
        Action   = local.ecr_pull_actions
        Resource = [aws_ecr_repository.web.arn]
      },
      local.ecr_auth_token_statement,
    ]
  }

  classifier_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # RequestPoller long-polls, extends visibility of slow jobs, deletes done ones; health reads the depth.
        Sid    = "ConsumeRequests"
        Effect = "Allow"
        Action = [
          "sqs:ChangeMessageVisibility",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:GetQueueUrl",
          "sqs:ReceiveMessage",
        ]
        Resource = [aws_sqs_queue.requests.arn]
      },
      {
        # JobProcessor answers on the request's replyTo: one of the web hosts' response queues.
        Sid      = "AnswerWebHosts"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = aws_sqs_queue.responses[*].arn
      },
      {
        # JobProcessor reads the upload, and deletes one it cannot decode.
        Sid      = "ReadUploads"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject", "s3:GetObject"]
        Resource = ["${local.input_bucket_arn}/uploads/*"]
      },
      {
        Sid      = "WriteResults"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["${local.output_bucket_arn}/*.json"]
      },
      {
        Sid      = "HeadBuckets"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [local.input_bucket_arn, local.output_bucket_arn]
      },
      {
        Sid      = "PullClassifierImage"
        Effect   = "Allow"
        Action   = local.ecr_pull_actions
        Resource = [aws_ecr_repository.classifier.arn]
      },
      local.ecr_auth_token_statement,
    ]
  }
}

resource "aws_iam_role" "web" {
  name_prefix        = "${var.name_prefix}-web-"
  description        = "Web host of ${var.name_prefix}: send requests, read its responses, store uploads, pull its image."
  assume_role_policy = jsonencode(local.ec2_assume_role_policy)
}

resource "aws_iam_role_policy" "web" {
  name   = "web-least-privilege"
  role   = aws_iam_role.web.id
  policy = jsonencode(local.web_policy)
}

resource "aws_iam_instance_profile" "web" {
  name_prefix = "${var.name_prefix}-web-"
  role        = aws_iam_role.web.name
}

resource "aws_iam_role" "classifier" {
  name_prefix        = "${var.name_prefix}-classifier-"
  description        = "Classifier workers of ${var.name_prefix}: consume requests, read uploads, write results, answer, pull their image."
  assume_role_policy = jsonencode(local.ec2_assume_role_policy)
}

resource "aws_iam_role_policy" "classifier" {
  name   = "classifier-least-privilege"
  role   = aws_iam_role.classifier.id
  policy = jsonencode(local.classifier_policy)
}

resource "aws_iam_instance_profile" "classifier" {
  name_prefix = "${var.name_prefix}-classifier-"
  role        = aws_iam_role.classifier.name
}
