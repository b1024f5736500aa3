# A dead-lettered request can be redriven for as long as it is kept, and its upload is kept at least as long
# (docs/reliability.md): input_expiry_days sets both the input bucket's expiry and the dead-letter queue's retention.
# The web tier may report dead letters (receive, hide, store the failure, answer the caller) but never delete one.

mock_provider "aws" {
  source = "./tests/aws"
}

run "uploads_outlive_dead_letters_by_default" {
  command = apply

  assert {
    condition     = aws_sqs_queue.dead_letter.message_retention_seconds <= aws_s3_bucket_lifecycle_configuration.this["input"].rule[0].expiration[0].days * 86400
    error_message = "A dead-lettered request must not outlive its upload."
  }

  assert {
    condition     = aws_sqs_queue.dead_letter.message_retention_seconds == var.input_expiry_days * 86400 && var.input_expiry_days >= 4
    error_message = "By default a dead letter is kept (and can be redriven) for at least 4 days, as long as its upload."
  }
}

run "one_setting_moves_both" {
  command = apply

  variables {
    input_expiry_days = 14
  }

  assert {
    condition = (
      aws_sqs_queue.dead_letter.message_retention_seconds == 1209600
      && aws_s3_bucket_lifecycle_configuration.this["input"].rule[0].expiration[0].days == 14
    )
    error_message = "input_expiry_days must set the dead-letter retention and the upload expiry together."
  }
}

run "retention_beyond_what_sqs_keeps_is_refused" {
  command = plan

  variables {
    input_expiry_days = 15
  }

  expect_failures = [var.input_expiry_days]
}

run "the_web_tier_reports_dead_letters_but_never_deletes_them" {
  command = apply

  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s
      if contains(s.Resource, aws_sqs_queue.dead_letter.arn) && contains(s.Action, "sqs:ReceiveMessage") && contains(s.Action, "sqs:ChangeMessageVisibility")
    ]) == 1
    error_message = "The web tier's dead-letter watcher needs to receive and hide dead letters."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.web.policy).Statement :
      !contains(s.Resource, aws_sqs_queue.dead_letter.arn) || (!contains(s.Action, "sqs:DeleteMessage") && !contains(s.Action, "sqs:PurgeQueue"))
    ])
    error_message = "The web tier must not delete dead letters: they stay for a redrive."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s
      if contains(s.Action, "s3:PutObject") && contains(s.Resource, "${aws_s3_bucket.this["output"].arn}/*.json")
    ]) == 1
    error_message = "The web tier's dead-letter watcher stores the failure as the request's result."
  }
}
