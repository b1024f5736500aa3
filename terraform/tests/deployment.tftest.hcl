# Offline checks of the deployment against a mocked AWS provider (`make tf-check`): nothing here reaches AWS.

mock_provider "aws" {
  source = "./tests/aws"
}

run "buckets_private_encrypted_expiring" {
  command = apply

  assert {
    condition = alltrue([
      for b in aws_s3_bucket_public_access_block.this :
      b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets
    ]) && length(aws_s3_bucket_public_access_block.this) == 2
    error_message = "Both buckets must block all public access."
  }

  assert {
    condition = alltrue(flatten([
      for c in aws_s3_bucket_server_side_encryption_configuration.this : [
        for r in c.rule : [for d in r.apply_server_side_encryption_by_default : d.sse_algorithm == "AES256"]
      ]
    ])) && length(aws_s3_bucket_server_side_encryption_configuration.this) == 2
    error_message = "Both buckets must be encrypted at rest."
  }

  assert {
    condition     = alltrue([for c in aws_s3_bucket_ownership_controls.this : c.rule[0].object_ownership == "BucketOwnerEnforced"])
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this["input"].rule[0].expiration[0].days == var.input_expiry_days
    error_message = "Uploads must expire after input_expiry_days."
  }
}

run "queues_redrive_and_encryption" {
  command = apply

  assert {
    condition     = jsondecode(aws_sqs_queue.requests.redrive_policy).maxReceiveCount == 3
    error_message = "Requests must move to the dead-letter queue after 3 receives."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.requests.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dead_letter.arn
    error_message = "The request queue must redrive to its own dead-letter queue."
  }

  assert {
    condition     = aws_sqs_queue.requests.sqs_managed_sse_enabled && aws_sqs_queue.dead_letter.sqs_managed_sse_enabled
    error_message = "Every queue Terraform creates must be encrypted (SSE-SQS; the web instances' own queues get SSE-SQS by SQS's default)."
  }
}

run "instances_require_imdsv2" {
  command = apply

  assert {
    condition     = aws_launch_template.classifier.metadata_options[0].http_tokens == "required"
    error_message = "The classifier launch template must require IMDSv2."
  }

  assert {
    condition     = aws_launch_template.web.metadata_options[0].http_tokens == "required"
    error_message = "The web launch template must require IMDSv2."
  }

  assert {
    condition     = aws_launch_template.classifier.block_device_mappings[0].ebs[0].encrypted == "true" && aws_launch_template.web.block_device_mappings[0].ebs[0].encrypted == "true"
    error_message = "Root volumes must be encrypted."
  }
}

run "workers_take_no_inbound_traffic" {
  command = apply

  assert {
    condition     = aws_launch_template.classifier.network_interfaces[0].security_groups == toset([aws_security_group.classifier.id])
    error_message = "Workers run in the no-inbound security group."
  }

  assert {
    condition = !anytrue([
      for r in concat(values(aws_vpc_security_group_ingress_rule.load_balancer), [aws_vpc_security_group_ingress_rule.web_from_load_balancer]) :
      r.security_group_id == aws_security_group.classifier.id
    ])
    error_message = "Workers take no inbound traffic."
  }
}

run "user_data_uses_configuration_names" {
  command = apply

  assert {
    condition = alltrue([
      for line in [
        "REQUEST_QUEUE=${aws_sqs_queue.requests.name}",
        "DEAD_LETTER_QUEUE=${aws_sqs_queue.dead_letter.name}",
        "INPUT_BUCKET=${aws_s3_bucket.this["input"].bucket}",
        "OUTPUT_BUCKET=${aws_s3_bucket.this["output"].bucket}",
        "RESPONSE_QUEUE_PREFIX=${var.name_prefix}-responses",
        "AWS_REGION=${var.region}",
        "PORT=8081",
      ] : strcontains(base64decode(aws_launch_template.classifier.user_data), line)
    ])
    error_message = "The classifier user data must pass every worker setting by its name in docs/configuration.md."
  }

  assert {
    condition = alltrue([
      for line in [
        "REQUEST_QUEUE=${aws_sqs_queue.requests.name}",
        "RESPONSE_QUEUE_PREFIX=${var.name_prefix}-responses",
        "INPUT_BUCKET=${aws_s3_bucket.this["input"].bucket}",
        "OUTPUT_BUCKET=${aws_s3_bucket.this["output"].bucket}",
        "AWS_REGION=${var.region}",
        "PORT=8080",
        "RESULT_TIMEOUT=${jsondecode(file("../scaling-policy.json")).callers.resultTimeoutSeconds}s",
        "INSTANCE_ID=$instance_id",
      ] : strcontains(base64decode(aws_launch_template.web.user_data), line)
    ])
    error_message = "The web user data must pass every web setting by its name in docs/configuration.md, RESULT_TIMEOUT from the policy file and INSTANCE_ID from the instance."
  }

  # Web instances come and go: each creates its own response queue, so no fixed one is configured.
  assert {
    condition     = !strcontains(base64decode(aws_launch_template.web.user_data), "RESPONSE_QUEUE=")
    error_message = "The web tier must create its own per-instance response queue (no fixed RESPONSE_QUEUE)."
  }

  assert {
    condition     = !strcontains(base64decode(aws_launch_template.classifier.user_data), "MICRONAUT_ENVIRONMENTS") && !strcontains(base64decode(aws_launch_template.web.user_data), "MICRONAUT_ENVIRONMENTS")
    error_message = "On AWS no local profile: the SDK must use the instance profile."
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.classifier.user_data), "autoscaling/target-lifecycle-state")
    error_message = "A worker launched into the warm pool must not take jobs before it is InService."
  }
}

run "rejects_a_single_subnet" {
  command = plan

  variables {
    subnet_ids = ["subnet-0a1b2c3d4e5f60718"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_invalid_cidr" {
  command = plan

  variables {
    web_allowed_cidrs = ["not-a-cidr"]
  }

  expect_failures = [var.web_allowed_cidrs]
}
