# Offline checks of the deployment against a mocked AWS provider (`make tf-check`): nothing here reaches AWS.

mock_provider "aws" {
  mock_data "aws_subnet" {
    defaults = {
      vpc_id = "vpc-0a1b2c3d4e5f60718"
    }
  }
  mock_data "aws_ami" {
    defaults = {
      id = "ami-0a1b2c3d4e5f60718"
    }
  }
  # The scaling alarms (scaling.tf) validate their actions as ARNs; no account id in this fake one.
  mock_resource "aws_autoscaling_policy" {
    defaults = {
      arn = "arn:aws:autoscaling:us-east-1::scalingPolicy:mock"
    }
  }
}

variables {
  subnet_ids        = ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]
  web_allowed_cidrs = ["203.0.113.0/24"]
}

run "iam_has_no_wildcards" {
  command = apply

  # No action anywhere contains a wildcard.
  assert {
    condition = alltrue(flatten([
      for p in [aws_iam_role_policy.web.policy, aws_iam_role_policy.classifier.policy, aws_iam_role.web.assume_role_policy, aws_iam_role.classifier.assume_role_policy] : [
        for s in jsondecode(p).Statement : [for a in s.Action : !strcontains(a, "*")]
      ]
    ]))
    error_message = "An IAM action contains a wildcard."
  }

  # Resource "*" appears only in the one statement AWS requires it for: ecr:GetAuthorizationToken, region-bound.
  assert {
    condition = alltrue(flatten([
      for p in [aws_iam_role_policy.web.policy, aws_iam_role_policy.classifier.policy] : [
        for s in jsondecode(p).Statement : [
          for r in s.Resource : r != "*" || try(length(s.Action) == 1 && s.Action[0] == "ecr:GetAuthorizationToken" && s.Condition.StringEquals["aws:RequestedRegion"] == var.region, false)
        ]
      ]
    ]))
    error_message = "Resource \"*\" is granted for something other than ecr:GetAuthorizationToken."
  }

  assert {
    condition = alltrue([
      for p in [aws_iam_role_policy.web.policy, aws_iam_role_policy.classifier.policy] :
      length([for s in jsondecode(p).Statement : s if contains(s.Resource, "*")]) == 1
    ])
    error_message = "Each tier must have exactly one statement with Resource \"*\" (the ECR login token)."
  }

  # Any other resource pattern is an object key pattern inside this deployment's own buckets.
  assert {
    condition = alltrue(flatten([
      for p in [aws_iam_role_policy.web.policy, aws_iam_role_policy.classifier.policy] : [
        for s in jsondecode(p).Statement : [
          for r in s.Resource : r == "*" || !strcontains(r, "*") || startswith(r, "${aws_s3_bucket.this["input"].arn}/uploads/") || startswith(r, "${aws_s3_bucket.this["output"].arn}/")
        ]
      ]
    ]))
    error_message = "A resource pattern reaches outside this deployment's buckets."
  }

  # Each tier pulls only its own image.
  assert {
    condition = (
      contains(flatten([for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s.Resource if contains(s.Action, "ecr:BatchGetImage")]), aws_ecr_repository.web.arn)
      && !contains(flatten([for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s.Resource]), aws_ecr_repository.classifier.arn)
      && !contains(flatten([for s in jsondecode(aws_iam_role_policy.classifier.policy).Statement : s.Resource]), aws_ecr_repository.web.arn)
    )
    error_message = "A tier may pull the other tier's image."
  }

  # The web tier never creates or deletes queues (its response queue comes from Terraform).
  assert {
    condition     = !contains(flatten([for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s.Action]), "sqs:CreateQueue")
    error_message = "The web tier must not need sqs:CreateQueue on AWS."
  }

  assert {
    condition     = jsondecode(aws_iam_role.web.assume_role_policy).Statement[0].Principal.Service == "ec2.amazonaws.com"
    error_message = "Only EC2 may assume the web role."
  }
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
    condition     = alltrue(concat([aws_sqs_queue.requests.sqs_managed_sse_enabled, aws_sqs_queue.dead_letter.sqs_managed_sse_enabled], aws_sqs_queue.responses[*].sqs_managed_sse_enabled))
    error_message = "Every queue must be encrypted (SSE-SQS)."
  }

  assert {
    condition     = length(aws_sqs_queue.responses) == var.web_host_count
    error_message = "One fixed response queue per web host."
  }
}

run "instances_require_imdsv2" {
  command = apply

  assert {
    condition     = aws_launch_template.classifier.metadata_options[0].http_tokens == "required"
    error_message = "The classifier launch template must require IMDSv2."
  }

  assert {
    condition     = alltrue([for h in aws_instance.web : h.metadata_options[0].http_tokens == "required"])
    error_message = "The web host must require IMDSv2."
  }

  assert {
    condition     = aws_launch_template.classifier.block_device_mappings[0].ebs[0].encrypted == "true" && alltrue([for h in aws_instance.web : h.root_block_device[0].encrypted])
    error_message = "Root volumes must be encrypted."
  }
}

run "network_exposure" {
  command = apply

  assert {
    condition = alltrue([
      for r in aws_vpc_security_group_ingress_rule.web_http :
      r.security_group_id == aws_security_group.web.id && r.from_port == var.web_port && r.to_port == var.web_port && contains(var.web_allowed_cidrs, r.cidr_ipv4)
    ]) && length(aws_vpc_security_group_ingress_rule.web_http) == length(var.web_allowed_cidrs)
    error_message = "The web port must be open only to web_allowed_cidrs."
  }

  assert {
    condition     = !contains([for r in aws_vpc_security_group_ingress_rule.web_http : r.security_group_id], aws_security_group.classifier.id)
    error_message = "Workers take no inbound traffic."
  }

  assert {
    condition     = aws_launch_template.classifier.network_interfaces[0].security_groups == toset([aws_security_group.classifier.id])
    error_message = "Workers run in the no-inbound security group."
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
        "RESPONSE_QUEUE=${aws_sqs_queue.responses[0].name}",
        "RESPONSE_QUEUE_PREFIX=${var.name_prefix}-responses",
        "INPUT_BUCKET=${aws_s3_bucket.this["input"].bucket}",
        "OUTPUT_BUCKET=${aws_s3_bucket.this["output"].bucket}",
        "AWS_REGION=${var.region}",
        "PORT=8080",
      ] : strcontains(aws_instance.web[0].user_data, line)
    ])
    error_message = "The web user data must pass every web setting by its name in docs/configuration.md, with its fixed response queue."
  }

  assert {
    condition     = !strcontains(base64decode(aws_launch_template.classifier.user_data), "MICRONAUT_ENVIRONMENTS") && !strcontains(aws_instance.web[0].user_data, "MICRONAUT_ENVIRONMENTS")
    error_message = "On AWS no local profile: the SDK must use the instance profile."
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.classifier.user_data), "${aws_ecr_repository.classifier.repository_url}:${var.classifier_image_tag}")
    error_message = "Workers must run the classifier image from this deployment's repository."
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.classifier.user_data), "autoscaling/target-lifecycle-state")
    error_message = "A worker launched into the warm pool must not take jobs before it is InService."
  }
}

run "rejects_empty_subnets" {
  command = plan

  variables {
    subnet_ids = []
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
