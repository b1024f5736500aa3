# Request queue with its dead-letter queue, and one fixed response queue per web host (RESPONSE_QUEUE), so the web
# tier needs no sqs:CreateQueue. All queues are encrypted with SQS-managed keys (SSE-SQS: no KMS permissions needed).

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

# One per web host: <RESPONSE_QUEUE_PREFIX>-web-<n>. Answers are useless once their caller has given up, so they are
# kept for the minimum of 60 s (as the per-instance queues the web tier creates locally).
resource "aws_sqs_queue" "responses" {
  count                     = var.web_host_count
  name                      = "${local.response_queue_prefix}-web-${count.index + 1}"
  message_retention_seconds = 60
  receive_wait_time_seconds = 20
  sqs_managed_sse_enabled   = true
}
