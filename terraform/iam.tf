# One role and instance profile per tier, each allowed only the calls its code (or its host's scripts) makes, only on
# its own resources.
#
# Wildcards: in this file's policies no action is a wildcard and no resource is "*", with one documented exception:
# ecr:GetAuthorizationToken (the `docker login` to ECR) supports no resource-level permissions, so AWS requires
# Resource "*" for it. It only returns a registry login token (which still needs the per-repository pull permissions
# below to read any image), and it is narrowed here by a condition to this deployment's region.
# Resource patterns (tests/iam.tftest.hcl holds each to its place): S3 object keys inside this deployment's own buckets
# (uploads/*, *.json: keys are ids generated per request); log streams inside the tier's own log group (stream names
# are instance ids); and the per-instance response queues, <name_prefix>-responses-* in this account and region (each
# web instance creates its own, named by its EC2 instance id, so the names are not known in advance).
# Shell access: both roles also carry AWS's managed AmazonSSMManagedInstanceCore (SSM Session Manager instead of SSH).
# That AWS-maintained policy grants the SSM agent's calls (ssm:UpdateInstanceInformation, ssmmessages:*, ...) on
# Resource "*", since those APIs have no resource to scope to; it is the only managed policy attached
# (tests/iam.tftest.hcl asserts it).

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

  ecr_pull_actions       = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
  log_actions            = ["logs:CreateLogStream", "logs:PutLogEvents"]
  ssm_managed_policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"

  web_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        # SqsJobQueue sends requests; the health check and QueueDepths read the queue depth.
        Sid      = "SendRequests"
        Effect   = "Allow"
        Action   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]
        Resource = [aws_sqs_queue.requests.arn]
      },
      {
        # QueueDepths (GET /api/v1/status, /prometheus) reads how many requests failed into the dead-letter queue;
        # DeadLetterWatcher receives them and hides each it reported (ChangeMessageVisibility). It never deletes one:
        # they stay for a redrive (docs/reliability.md).
        Sid      = "WatchDeadLetters"
        Effect   = "Allow"
        Action   = ["sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
        Resource = [aws_sqs_queue.dead_letter.arn]
      },
      {
        # ResponseQueue creates <prefix>-<instance id> at start and deletes it at shutdown; ResponsePoller receives
        # answers on it and deletes them. DeadLetterWatcher answers a dead-lettered request's caller on the response
        # queue it names, which may be another web instance's.
        Sid    = "OwnResponseQueue"
        Effect = "Allow"
        Action = ["sqs:CreateQueue", "sqs:DeleteMessage", "sqs:DeleteQueue", "sqs:GetQueueUrl", "sqs:ReceiveMessage",
        "sqs:SendMessage"]
        Resource = [local.response_queue_arn_pattern]
      },
      {
        # S3ImageStore stores uploads, checks one exists (HeadObject needs s3:GetObject), deletes one when queueing fails.
        Sid      = "WriteUploads"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
        Resource = ["${local.input_bucket_arn}/uploads/*"]
      },
      {
        # The asynchronous API reads results; DeadLetterWatcher stores a dead-lettered request's failure (only where
        # no result exists: a conditional PutObject).
        Sid      = "ReadResultsWriteDeadLetterFailures"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["${local.output_bucket_arn}/*.json"]
      },
      {
        # S3IdempotencyStore: an Idempotency-Key's record is idempotency/<hash>.json (read and conditionally written
        # under the statement above); a request that fails to queue deletes its record so a retry can go ahead.
        Sid      = "ReleaseIdempotencyKeys"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject"]
        Resource = ["${local.output_bucket_arn}/idempotency/*"]
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
      {
        # Docker's awslogs driver: one stream per instance in the tier's log group.
        Sid      = "WriteWebLogs"
        Effect   = "Allow"
        Action   = local.log_actions
        Resource = ["${aws_cloudwatch_log_group.web.arn}:log-stream:*"]
      },
      {
        # ScalingMetricPublisher: the backlog the primary scaling alarms read (scaling.tf). PutMetricData has no
        # resource-level permissions; the condition key limits it to the policy file's namespace.
        Sid       = "PublishScalingMetrics"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = ["*"]
        Condition = { StringEquals = { "cloudwatch:namespace" = local.primary.namespace } }
      },
      {
        # ScalingMetricPublisher reads the classifier group's desired capacity (the group's own metric is one-minute
        # only). Describe calls have no resource-level permissions: read-only, every group of the account.
        Sid      = "ReadClassifierGroup"
        Effect   = "Allow"
        Action   = ["autoscaling:DescribeAutoScalingGroups"]
        Resource = ["*"]
      },
      local.ecr_auth_token_statement,
    ], local.read_api_keys_statements)
  }

  # The web host reads the API keys at boot (templates/web.sh.tftpl); SecureString with the AWS managed key aws/ssm,
  # which the account's principals may use through SSM without a kms:Decrypt grant of their own.
  read_api_keys_statements = [for p in aws_ssm_parameter.api_keys : {
    Sid      = "ReadApiKeys"
    Effect   = "Allow"
    Action   = ["ssm:GetParameter"]
    Resource = [p.arn]
  }]

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
        # JobProcessor answers on the request's replyTo: one of the web instances' response queues.
        Sid      = "AnswerWebInstances"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [local.response_queue_arn_pattern]
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
      {
        Sid      = "WriteClassifierLogs"
        Effect   = "Allow"
        Action   = local.log_actions
        Resource = ["${aws_cloudwatch_log_group.classifier.arn}:log-stream:*"]
      },
      local.ecr_auth_token_statement,
    ]
  }
}

# Calls on the tier's own Auto Scaling group, in a policy of their own: the group's ARN exists only once the group does,
# and the group waits for the main policy (its first instances pull their image at once).
locals {
  web_group_policy = {
    Version = "2012-10-17"
    Statement = [{
      # web-unhealthy (templates/web.sh.tftpl): the instance reports itself when its service keeps failing.
      Sid      = "ReportOwnHealth"
      Effect   = "Allow"
      Action   = ["autoscaling:SetInstanceHealth"]
      Resource = [aws_autoscaling_group.web.arn]
    }]
  }

  classifier_group_policy = {
    Version = "2012-10-17"
    Statement = [{
      # classifier-launch completes the launch lifecycle hook (CONTINUE or ABANDON, retried until this policy
      # exists) and the terminating one once its worker is drained (CONTINUE; no heartbeat: the hook's timeout covers
      # the longest drain, scaling.tf); classifier-unhealthy reports a worker that keeps failing
      # (templates/classifier.sh.tftpl). Any hook of this group, and only this group.
      Sid      = "CompleteOwnLifecycleActionsAndReportHealth"
      Effect   = "Allow"
      Action   = ["autoscaling:CompleteLifecycleAction", "autoscaling:SetInstanceHealth"]
      Resource = [aws_autoscaling_group.classifier.arn]
    }]
  }
}

resource "aws_iam_role" "web" {
  name_prefix        = "${var.name_prefix}-web-"
  description        = "Web instances of ${var.name_prefix}: send requests, own a response queue, store uploads, pull their image."
  assume_role_policy = jsonencode(local.ec2_assume_role_policy)
}

resource "aws_iam_role_policy" "web" {
  name   = "web-least-privilege"
  role   = aws_iam_role.web.id
  policy = jsonencode(local.web_policy)
}

resource "aws_iam_role_policy" "web_group" {
  name   = "web-own-group"
  role   = aws_iam_role.web.id
  policy = jsonencode(local.web_group_policy)
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

resource "aws_iam_role_policy" "classifier_group" {
  name   = "classifier-own-group"
  role   = aws_iam_role.classifier.id
  policy = jsonencode(local.classifier_group_policy)
}

resource "aws_iam_instance_profile" "classifier" {
  name_prefix = "${var.name_prefix}-classifier-"
  role        = aws_iam_role.classifier.name
}

# SSM Session Manager (`aws ssm start-session --target <instance id>`) instead of SSH: no key pair, no inbound port.
resource "aws_iam_role_policy_attachment" "ssm" {
  for_each   = { web = aws_iam_role.web.name, classifier = aws_iam_role.classifier.name }
  role       = each.value
  policy_arn = local.ssm_managed_policy_arn
}
