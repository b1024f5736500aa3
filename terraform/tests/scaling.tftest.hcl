# The classifier Auto Scaling group, alarms and step policies carry exactly the numbers of ../scaling-policy.json
# (the file the local autoscaler and `make simulate` read). Offline: the AWS provider is mocked.

mock_provider "aws" {
  source = "./tests/aws"
}

run "group_bounds_and_metrics_come_from_the_policy_file" {
  command = apply

  assert {
    condition     = aws_autoscaling_group.classifier.min_size == jsondecode(file("../scaling-policy.json")).minCapacity
    error_message = "min_size differs from the policy file's minCapacity."
  }

  assert {
    condition     = aws_autoscaling_group.classifier.max_size == jsondecode(file("../scaling-policy.json")).maxCapacity
    error_message = "max_size differs from the policy file's maxCapacity."
  }

  assert {
    condition     = aws_autoscaling_group.classifier.min_size == 0 && aws_autoscaling_group.classifier.max_size == 20
    error_message = "The acceptance bounds are 0 and 20 workers."
  }

  assert {
    condition     = contains(aws_autoscaling_group.classifier.enabled_metrics, "GroupDesiredCapacity")
    error_message = "GroupDesiredCapacity must be enabled: the fallback scale-out alarm reads it."
  }

  assert {
    condition     = aws_autoscaling_group.classifier.vpc_zone_identifier == toset(var.subnet_ids)
    error_message = "The group must span the given subnets."
  }

  assert {
    condition     = aws_autoscaling_group.classifier.warm_pool[0].pool_state == jsondecode(file("../scaling-policy.json")).warmPool.poolState
    error_message = "The warm pool state differs from the policy file's."
  }

  assert {
    condition     = aws_autoscaling_group.classifier.default_instance_warmup == jsondecode(file("../scaling-policy.json")).instanceWarmupSeconds
    error_message = "The instance warm-up differs from the policy file's."
  }

  # Provider 5.x sends the group's default_instance_warmup on create only when it is not 0 (GetOk), but the step
  # policy's estimated_instance_warmup even when it is 0 (GetOkExists), and that one governs the instances it launches.
  assert {
    condition     = aws_autoscaling_policy.scale_out.estimated_instance_warmup == jsondecode(file("../scaling-policy.json")).instanceWarmupSeconds
    error_message = "The scale-out policy's instance warm-up differs from the policy file's."
  }
}

run "scale_out_steps_equal_the_policy_file_and_only_add_capacity" {
  command = apply

  assert {
    condition     = length(aws_autoscaling_policy.scale_out.step_adjustment) == length(jsondecode(file("../scaling-policy.json")).scaleOut.steps)
    error_message = "The scale-out policy has a different number of steps than the policy file."
  }

  # Each file step [lower, upper) -> +adjustment appears with bounds relative to the alarm threshold.
  assert {
    condition = alltrue([
      for s in jsondecode(file("../scaling-policy.json")).scaleOut.steps : anytrue([
        for a in aws_autoscaling_policy.scale_out.step_adjustment :
        a.scaling_adjustment == s.adjustment
        && tonumber(a.metric_interval_lower_bound) == s.lower - jsondecode(file("../scaling-policy.json")).scaleOut.threshold
        && (s.upper == null ? try(a.metric_interval_upper_bound, "") == null || try(a.metric_interval_upper_bound, "") == "" : try(tonumber(a.metric_interval_upper_bound), -1) == s.upper - jsondecode(file("../scaling-policy.json")).scaleOut.threshold)
      ])
    ])
    error_message = "A scale-out step differs from the policy file's."
  }

  assert {
    condition     = alltrue([for a in aws_autoscaling_policy.scale_out.step_adjustment : a.scaling_adjustment > 0])
    error_message = "A scale-out step would remove capacity."
  }

  assert {
    condition     = aws_autoscaling_policy.scale_out.adjustment_type == "ChangeInCapacity" && aws_autoscaling_policy.scale_out.policy_type == "StepScaling"
    error_message = "Scale-out must be a step policy that adds capacity (never ExactCapacity, which can lower it)."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.scale_out : a.threshold == jsondecode(file("../scaling-policy.json")).scaleOut.threshold])
    error_message = "A scale-out alarm threshold differs from the policy file's."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.scale_out : a.evaluation_periods == jsondecode(file("../scaling-policy.json")).scaleOut.evaluationPeriods && a.datapoints_to_alarm == a.evaluation_periods])
    error_message = "A scale-out alarm's evaluation periods differ from the policy file's."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.scale_out : a.alarm_actions == toset([aws_autoscaling_policy.scale_out.arn]) && a.treat_missing_data == "notBreaching"])
    error_message = "Both scale-out alarms must invoke the scale-out policy, and missing data must not add workers."
  }
}

run "primary_alarms_read_the_published_backlog_with_the_file_s_high_resolution_period" {
  command = apply

  assert {
    condition     = keys(aws_cloudwatch_metric_alarm.scale_out) == ["fallback", "primary"] && keys(aws_cloudwatch_metric_alarm.scale_in) == ["fallback", "primary"]
    error_message = "One scale-out and one scale-in alarm per metric source (primary, fallback)."
  }

  # Every metric of both primary alarms: the policy file's period (10 s: a high-resolution alarm), namespace, statistic.
  assert {
    condition = alltrue(flatten([for a in [aws_cloudwatch_metric_alarm.scale_out["primary"], aws_cloudwatch_metric_alarm.scale_in["primary"]] : [
      for q in a.metric_query : length(q.metric) == 0 ? true : (
        q.metric[0].period == jsondecode(file("../scaling-policy.json")).metric.primary.periodSeconds
        && q.metric[0].namespace == jsondecode(file("../scaling-policy.json")).metric.primary.namespace
        && q.metric[0].stat == jsondecode(file("../scaling-policy.json")).metric.statistic
      )
    ]]))
    error_message = "A primary alarm metric has another period, namespace or statistic than the policy file's metric.primary."
  }

  assert {
    condition     = alltrue([for q in aws_cloudwatch_metric_alarm.scale_out["primary"].metric_query : length(q.metric) == 0 ? true : q.metric[0].period == 10])
    error_message = "The shipped primary source is the 10 s high-resolution alarm."
  }

  assert {
    condition = jsonencode({
      for q in aws_cloudwatch_metric_alarm.scale_out["primary"].metric_query : q.id => [q.metric[0].metric_name, q.metric[0].dimensions] if length(q.metric) > 0
      }) == jsonencode({
      backlog = [jsondecode(file("../scaling-policy.json")).metric.primary.backlog, { QueueName = aws_sqs_queue.requests.name }]
      visible = [jsondecode(file("../scaling-policy.json")).metric.primary.visible, { QueueName = aws_sqs_queue.requests.name }]
      desired = [jsondecode(file("../scaling-policy.json")).metric.primary.desiredCapacity, { AutoScalingGroupName = aws_autoscaling_group.classifier.name }]
    })
    error_message = "The primary scale-out alarm must read the published backlog and visible count (per queue, no instance dimension) and the published desired capacity (per group)."
  }

  assert {
    condition = anytrue([for q in aws_cloudwatch_metric_alarm.scale_out["primary"].metric_query :
      q.return_data == true && q.expression == "IF(visible > 0, CEIL(backlog / ${jsondecode(file("../scaling-policy.json")).targetBacklogPerInstance}) - desired, 0)"
    ])
    error_message = "The primary scale-out alarm must compare the backlog per target with the desired capacity, only while messages are visible."
  }

  # Both come from one sample of the web tier and arrive together: no FILL, so a period without samples is no datapoint.
  assert {
    condition = (
      [for q in aws_cloudwatch_metric_alarm.scale_in["primary"].metric_query : q.expression if q.return_data == true] == ["backlog"]
      && [for q in aws_cloudwatch_metric_alarm.scale_in["primary"].metric_query : q.metric[0].metric_name if length(q.metric) > 0] == [jsondecode(file("../scaling-policy.json")).metric.primary.backlog]
      && aws_cloudwatch_metric_alarm.scale_in["primary"].treat_missing_data == "notBreaching"
    )
    error_message = "The primary scale-in alarm watches the published backlog; no sample (web tier down) is no reason to scale in."
  }

  # The web instances publish into the namespace, for the group, every interval the alarms are built on.
  assert {
    condition = (
      strcontains(base64decode(aws_launch_template.web.user_data), "SCALING_METRIC_ENABLED=true\n")
      && strcontains(base64decode(aws_launch_template.web.user_data), "SCALING_METRIC_NAMESPACE=${jsondecode(file("../scaling-policy.json")).metric.primary.namespace}\n")
      && strcontains(base64decode(aws_launch_template.web.user_data), "SCALING_METRIC_INTERVAL=${jsondecode(file("../scaling-policy.json")).metric.primary.publishIntervalSeconds}s\n")
      && strcontains(base64decode(aws_launch_template.web.user_data), "CLASSIFIER_GROUP_NAME=${aws_autoscaling_group.classifier.name}\n")
    )
    error_message = "The web user data must turn the publisher on with the policy file's namespace and interval and the classifier group."
  }
}

run "fallback_alarms_read_the_one_minute_sqs_metrics_only_while_nothing_is_published" {
  command = apply

  assert {
    condition = alltrue(flatten([for a in [aws_cloudwatch_metric_alarm.scale_out["fallback"], aws_cloudwatch_metric_alarm.scale_in["fallback"]] : [
      for q in a.metric_query : length(q.metric) == 0 ? true : q.metric[0].period == jsondecode(file("../scaling-policy.json")).metric.fallback.periodSeconds
    ]]))
    error_message = "A fallback alarm metric has another period than the policy file's metric.fallback."
  }

  assert {
    condition = jsonencode({
      for q in aws_cloudwatch_metric_alarm.scale_out["fallback"].metric_query : q.id => [q.metric[0].namespace, q.metric[0].metric_name, q.metric[0].stat] if length(q.metric) > 0
      }) == jsonencode({
      visible   = [jsondecode(file("../scaling-policy.json")).metric.fallback.namespace, jsondecode(file("../scaling-policy.json")).metric.fallback.visible, jsondecode(file("../scaling-policy.json")).metric.statistic]
      inflight  = [jsondecode(file("../scaling-policy.json")).metric.fallback.namespace, jsondecode(file("../scaling-policy.json")).metric.fallback.inFlight, jsondecode(file("../scaling-policy.json")).metric.statistic]
      desired   = ["AWS/AutoScaling", "GroupDesiredCapacity", jsondecode(file("../scaling-policy.json")).metric.statistic]
      published = [jsondecode(file("../scaling-policy.json")).metric.primary.namespace, jsondecode(file("../scaling-policy.json")).metric.primary.backlog, "SampleCount"]
    })
    error_message = "The fallback scale-out alarm must read SQS's visible and in-flight counts, the group's desired capacity and how many backlog samples were published."
  }

  assert {
    condition = anytrue([for q in aws_cloudwatch_metric_alarm.scale_out["fallback"].metric_query :
      q.return_data == true && q.expression == "IF(FILL(published, 0) > 0, 0, IF(visible > 0, CEIL((visible + inflight) / ${jsondecode(file("../scaling-policy.json")).targetBacklogPerInstance}) - FILL(desired, 0), 0))"
    ])
    error_message = "The fallback scale-out alarm must act as the one-minute alarm did, and only in periods without a published sample."
  }

  assert {
    condition = (
      [for q in aws_cloudwatch_metric_alarm.scale_in["fallback"].metric_query : q.expression if q.return_data == true] == ["IF(FILL(published, 0) > 0, 1, visible + inflight)"]
      && aws_cloudwatch_metric_alarm.scale_in["fallback"].treat_missing_data == "breaching"
    )
    error_message = "The fallback scale-in alarm must never breach while the web tier publishes (a stale one-minute zero would undo the primary's scale-out); an idle queue that stops reporting is empty."
  }

  assert {
    condition     = contains(aws_autoscaling_group.classifier.enabled_metrics, "GroupDesiredCapacity")
    error_message = "GroupDesiredCapacity must be enabled: the fallback scale-out alarm reads it."
  }
}

run "scale_in_only_when_nothing_is_visible_or_in_flight_for_the_window" {
  command = apply

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.scale_in : a.evaluation_periods == jsondecode(file("../scaling-policy.json")).scaleIn.evaluationPeriods && a.datapoints_to_alarm == jsondecode(file("../scaling-policy.json")).scaleIn.evaluationPeriods])
    error_message = "A scale-in window differs from the policy file's."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.scale_in : a.comparison_operator == "LessThanOrEqualToThreshold" && a.threshold == 0])
    error_message = "Scale-in must require an empty backlog."
  }

  assert {
    condition     = alltrue([for a in aws_autoscaling_policy.scale_in.step_adjustment : a.scaling_adjustment == jsondecode(file("../scaling-policy.json")).minCapacity])
    error_message = "Scale-in must return to the policy file's minCapacity."
  }

  assert {
    condition     = aws_autoscaling_policy.scale_in.adjustment_type == "ExactCapacity"
    error_message = "Scale-in sets the exact minimum."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.scale_in : a.alarm_actions == toset([aws_autoscaling_policy.scale_in.arn])])
    error_message = "Both scale-in alarms must invoke the scale-in policy."
  }
}

run "max_workers_can_be_lowered_for_the_vcpu_quota" {
  command = plan

  variables {
    classifier_max_size = 5
  }

  assert {
    condition     = aws_autoscaling_group.classifier.max_size == 5 && aws_autoscaling_group.classifier.min_size == jsondecode(file("../scaling-policy.json")).minCapacity
    error_message = "classifier_max_size must replace the policy's maxCapacity as the group's maximum."
  }
}

run "rejects_a_zero_maximum" {
  command = plan

  variables {
    classifier_max_size = 0
  }

  expect_failures = [var.classifier_max_size]
}
