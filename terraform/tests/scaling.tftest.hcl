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
    error_message = "GroupDesiredCapacity must be enabled: the scale-out alarm reads it."
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
    condition     = aws_cloudwatch_metric_alarm.scale_out.threshold == jsondecode(file("../scaling-policy.json")).scaleOut.threshold
    error_message = "The scale-out alarm threshold differs from the policy file's."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.scale_out.evaluation_periods == jsondecode(file("../scaling-policy.json")).scaleOut.evaluationPeriods
    error_message = "The scale-out alarm's evaluation periods differ from the policy file's."
  }

  assert {
    condition     = alltrue([for q in aws_cloudwatch_metric_alarm.scale_out.metric_query : try(q.metric[0].period, null) == null || try(q.metric[0].period, null) == jsondecode(file("../scaling-policy.json")).metric.periodSeconds])
    error_message = "A scale-out alarm metric has another period than the policy file's."
  }

  assert {
    condition = toset([for q in aws_cloudwatch_metric_alarm.scale_out.metric_query : q.metric[0].metric_name if try(q.metric[0].metric_name, null) != null]) == toset([
      jsondecode(file("../scaling-policy.json")).metric.visible,
      jsondecode(file("../scaling-policy.json")).metric.inFlight,
      "GroupDesiredCapacity",
    ])
    error_message = "The scale-out alarm must read visible, in-flight and the group's desired capacity."
  }

  assert {
    condition = anytrue([for q in aws_cloudwatch_metric_alarm.scale_out.metric_query :
      q.return_data == true && q.expression == "IF(visible > 0, CEIL((visible + inflight) / ${jsondecode(file("../scaling-policy.json")).targetBacklogPerInstance}) - FILL(desired, 0), 0)"
    ])
    error_message = "The scale-out alarm must compare the backlog (visible + in flight) per target with the desired capacity, only while messages are visible."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.scale_out.alarm_actions == toset([aws_autoscaling_policy.scale_out.arn])
    error_message = "The scale-out alarm must invoke the scale-out policy."
  }
}

run "scale_in_only_when_nothing_is_visible_or_in_flight_for_the_window" {
  command = apply

  assert {
    condition     = aws_cloudwatch_metric_alarm.scale_in.evaluation_periods == jsondecode(file("../scaling-policy.json")).scaleIn.evaluationPeriods && aws_cloudwatch_metric_alarm.scale_in.datapoints_to_alarm == jsondecode(file("../scaling-policy.json")).scaleIn.evaluationPeriods
    error_message = "The scale-in window differs from the policy file's."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.scale_in.comparison_operator == "LessThanOrEqualToThreshold" && aws_cloudwatch_metric_alarm.scale_in.threshold == 0
    error_message = "Scale-in must require an empty backlog."
  }

  assert {
    condition     = anytrue([for q in aws_cloudwatch_metric_alarm.scale_in.metric_query : q.return_data == true && q.expression == "visible + inflight"])
    error_message = "Scale-in must look at visible + in-flight messages."
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
    condition     = aws_cloudwatch_metric_alarm.scale_in.alarm_actions == toset([aws_autoscaling_policy.scale_in.arn])
    error_message = "The scale-in alarm must invoke the scale-in policy."
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
