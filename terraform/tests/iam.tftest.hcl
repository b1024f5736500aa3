# Least privilege, scanned over every policy document in the plan: no wildcard action anywhere, Resource "*" only for
# the one statement AWS requires it for (ecr:GetAuthorizationToken, region-bound), every other pattern inside this
# deployment's own buckets, log groups or per-instance response queues; the only managed policy is the SSM agent's.

mock_provider "aws" {
  source = "./tests/aws"
}


run "iam_has_no_wildcards_beyond_the_documented_one" {
  command = apply

  assert {
    condition = alltrue(flatten([
      for p in [
        aws_iam_role_policy.web.policy, aws_iam_role_policy.web_group.policy, aws_iam_role_policy.classifier.policy,
        aws_iam_role_policy.classifier_group.policy, aws_iam_role.web.assume_role_policy, aws_iam_role.classifier.assume_role_policy,
        ] : [
        for s in jsondecode(p).Statement : [for a in s.Action : !strcontains(a, "*")]
      ]
    ]))
    error_message = "An IAM action contains a wildcard."
  }

  # Resource "*" appears only in the statements AWS requires it for (no resource-level permissions): the region-bound
  # ecr:GetAuthorizationToken in both tiers; in the web tier only, cloudwatch:PutMetricData limited to the policy
  # file's namespace and the read-only autoscaling:DescribeAutoScalingGroups (ScalingMetricPublisher).
  assert {
    condition = alltrue(flatten([
      for p in [aws_iam_role_policy.web.policy, aws_iam_role_policy.web_group.policy, aws_iam_role_policy.classifier.policy, aws_iam_role_policy.classifier_group.policy] : [
        for s in jsondecode(p).Statement : [
          for r in s.Resource : r != "*" || try(length(s.Action) == 1 && s.Action[0] == "ecr:GetAuthorizationToken" && s.Condition.StringEquals["aws:RequestedRegion"] == var.region, false)
          || (p == aws_iam_role_policy.web.policy && try(length(s.Action) == 1 && s.Action[0] == "cloudwatch:PutMetricData" && length(s.Condition) == 1 && s.Condition.StringEquals["cloudwatch:namespace"] == jsondecode(file("../scaling-policy.json")).metric.primary.namespace, false))
          || (p == aws_iam_role_policy.web.policy && try(length(s.Action) == 1 && s.Action[0] == "autoscaling:DescribeAutoScalingGroups", false))
        ]
      ]
    ]))
    error_message = "Resource \"*\" is granted for something other than ecr:GetAuthorizationToken, or (web tier) PutMetricData into the policy file's namespace and DescribeAutoScalingGroups."
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s if contains(s.Resource, "*")]) == 3 && length([for s in jsondecode(aws_iam_role_policy.classifier.policy).Statement : s if contains(s.Resource, "*")]) == 1
    error_message = "Statements with Resource \"*\": the ECR login token in each tier, and in the web tier PutMetricData (one namespace) and DescribeAutoScalingGroups."
  }

  assert {
    condition = alltrue([
      for p in [aws_iam_role_policy.web_group.policy, aws_iam_role_policy.classifier.policy, aws_iam_role_policy.classifier_group.policy] :
      alltrue([for s in jsondecode(p).Statement : alltrue([for a in s.Action : !startswith(a, "cloudwatch:")])])
    ])
    error_message = "Only the web role may put metrics (cloudwatch:PutMetricData)."
  }

  # Any other resource pattern stays inside this deployment: object keys in its buckets, streams in its log groups,
  # the per-instance response queues <name_prefix>-responses-* in this region.
  assert {
    condition = alltrue(flatten([
      for p in [aws_iam_role_policy.web.policy, aws_iam_role_policy.web_group.policy, aws_iam_role_policy.classifier.policy, aws_iam_role_policy.classifier_group.policy] : [
        for s in jsondecode(p).Statement : [
          for r in s.Resource : r == "*" || !strcontains(r, "*") || anytrue([
            startswith(r, "${aws_s3_bucket.this["input"].arn}/uploads/"),
            startswith(r, "${aws_s3_bucket.this["output"].arn}/"),
            r == "${aws_cloudwatch_log_group.web.arn}:log-stream:*",
            r == "${aws_cloudwatch_log_group.classifier.arn}:log-stream:*",
            can(regex("^arn:aws:sqs:${var.region}:[^:*]+:${var.name_prefix}-responses-\\*$", r)),
          ])
        ]
      ]
    ]))
    error_message = "A resource pattern reaches outside this deployment's buckets, log groups and response queues."
  }

  # The web tier deletes objects only where it writes them: uploads, and Idempotency-Key records (never results).
  assert {
    condition = sort(flatten([
      for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s.Resource if contains(s.Action, "s3:DeleteObject")
    ])) == sort(["${aws_s3_bucket.this["input"].arn}/uploads/*", "${aws_s3_bucket.this["output"].arn}/idempotency/*"])
    error_message = "The web tier may delete uploads and Idempotency-Key records only."
  }

  # The web tier creates and deletes only queues under its prefix; workers answer only there.
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.web.policy).Statement :
      alltrue([for r in s.Resource : endswith(r, ":${var.name_prefix}-responses-*")]) if contains(s.Action, "sqs:CreateQueue") || contains(s.Action, "sqs:DeleteQueue")
    ]) && length([for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s if contains(s.Action, "sqs:CreateQueue")]) == 1
    error_message = "The web tier may create and delete only its response queues (<name_prefix>-responses-*)."
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

  # Each tier writes only to its own log group.
  assert {
    condition = (
      flatten([for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s.Resource if contains(s.Action, "logs:PutLogEvents")]) == ["${aws_cloudwatch_log_group.web.arn}:log-stream:*"]
      && flatten([for s in jsondecode(aws_iam_role_policy.classifier.policy).Statement : s.Resource if contains(s.Action, "logs:PutLogEvents")]) == ["${aws_cloudwatch_log_group.classifier.arn}:log-stream:*"]
    )
    error_message = "Each tier may write only to its own log group."
  }

  # Lifecycle actions and instance health only on the tier's own group.
  assert {
    condition = (
      flatten([for s in jsondecode(aws_iam_role_policy.classifier_group.policy).Statement : s.Resource]) == [aws_autoscaling_group.classifier.arn]
      && flatten([for s in jsondecode(aws_iam_role_policy.web_group.policy).Statement : s.Resource]) == [aws_autoscaling_group.web.arn]
      && contains(flatten([for s in jsondecode(aws_iam_role_policy.classifier_group.policy).Statement : s.Action]), "autoscaling:CompleteLifecycleAction")
    )
    error_message = "Lifecycle actions and instance health must be scoped to the tier's own Auto Scaling group."
  }

  # The classifier completes both its hooks (launch, terminating) with these two calls on its own group and nothing
  # else of Auto Scaling: no heartbeat (the terminating hook's timeout covers the drain), no call on other groups.
  assert {
    condition = (
      sort(flatten([for s in jsondecode(aws_iam_role_policy.classifier_group.policy).Statement : s.Action])) == tolist(["autoscaling:CompleteLifecycleAction", "autoscaling:SetInstanceHealth"])
      && alltrue([for s in jsondecode(aws_iam_role_policy.classifier_group.policy).Statement : s.Effect == "Allow" && !can(s.Condition)])
      && length([for a in flatten([for s in jsondecode(aws_iam_role_policy.classifier.policy).Statement : s.Action]) : a if startswith(a, "autoscaling:")]) == 0
      && aws_autoscaling_lifecycle_hook.classifier_drained.autoscaling_group_name == aws_autoscaling_group.classifier.name
    )
    error_message = "The classifier may complete lifecycle actions and report health only on its own group (the terminating hook's group), nothing more."
  }

  # The one managed policy: SSM Session Manager's, on both roles.
  assert {
    condition = (
      length(aws_iam_role_policy_attachment.ssm) == 2
      && alltrue([for a in aws_iam_role_policy_attachment.ssm : a.policy_arn == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"])
      && toset([for a in aws_iam_role_policy_attachment.ssm : a.role]) == toset([aws_iam_role.web.name, aws_iam_role.classifier.name])
    )
    error_message = "Both roles carry AmazonSSMManagedInstanceCore (Session Manager) and nothing else managed."
  }

  assert {
    condition     = jsondecode(aws_iam_role.web.assume_role_policy).Statement[0].Principal.Service == "ec2.amazonaws.com" && jsondecode(aws_iam_role.classifier.assume_role_policy).Statement[0].Principal.Service == "ec2.amazonaws.com"
    error_message = "Only EC2 may assume the roles."
  }
}
