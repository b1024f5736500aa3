# Request queue with its dead-letter queue. The response queues are not here: each web instance creates its own
# (<RESPONSE_QUEUE_PREFIX>-<EC2 instance id>) at start and deletes it when it stops (web-service's ResponseQueue), since
# web instances come and go with their Auto Scaling group; see iam.tf for the grant and web.tf for orphans.
# All queues are encrypted with SQS-managed keys (SSE-SQS: no KMS permissions needed).

# A dead-lettered request is kept as long as its upload (input_expiry_days, one variable for both): SQS counts a
# message's retention from when it was first sent, after its upload was stored, and S3 expires an object no sooner than
# its days, so a request that can still be redriven always has its image (docs/reliability.md).
resource "aws_sqs_queue" "dead_letter" {
  name                      = local.dead_letter_queue_name
  message_retention_seconds = var.input_expiry_days * 86400
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "requests" {
  name                       = local.request_queue_name
  visibility_timeout_seconds = var.request_visibility_timeout_seconds
  message_retention_seconds  = 86400 # a day; callers give up after RESULT_TIMEOUT anyway
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# Only the request queue may use the dead-letter queue.
resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.requests.arn]
  })
}
