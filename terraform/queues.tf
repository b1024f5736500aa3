# Request queue with its dead-letter queue. The response queues are not here: each web instance creates its own
# (<RESPONSE_QUEUE_PREFIX>-<EC2 instance id>) at start and deletes it when it stops (web-service's ResponseQueue), since
# web instances come and go with their Auto Scaling group; see iam.tf for the grant and web.tf for orphans.
# All queues are encrypted with SQS-managed keys (SSE-SQS: no KMS permissions needed).

resource "aws_sqs_queue" "dead_letter" {
  name                      = local.dead_letter_queue_name
  message_retention_seconds = 1209600 # 14 days, the maximum: time to inspect failed requests
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
