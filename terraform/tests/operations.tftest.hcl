# Operating the deployment: logs in CloudWatch Logs, shell through SSM (no SSH), a dashboard, an alarm on dead letters.

mock_provider "aws" {
  source = "./tests/aws"
}

run "container_logs_go_to_one_log_group_per_tier" {
  command = apply

  assert {
    condition = (
      aws_cloudwatch_log_group.web.retention_in_days == var.log_retention_days
      && aws_cloudwatch_log_group.classifier.retention_in_days == var.log_retention_days
      && aws_cloudwatch_log_group.web.name != aws_cloudwatch_log_group.classifier.name
    )
    error_message = "Each tier needs its own log group with log_retention_days."
  }

  assert {
    condition = alltrue([for pair in [
      [base64decode(aws_launch_template.web.user_data), aws_cloudwatch_log_group.web.name],
      [base64decode(aws_launch_template.classifier.user_data), aws_cloudwatch_log_group.classifier.name],
      ] : strcontains(pair[0], "--log-driver awslogs") && strcontains(pair[0], "--log-opt awslogs-group=${pair[1]}") && strcontains(pair[0], "--log-opt awslogs-region=${var.region}")
    ])
    error_message = "Both containers must log to their tier's log group with Docker's awslogs driver."
  }
}

run "retention_is_a_variable" {
  command = plan

  variables {
    log_retention_days = 30
  }

  assert {
    condition     = aws_cloudwatch_log_group.web.retention_in_days == 30 && aws_cloudwatch_log_group.classifier.retention_in_days == 30
    error_message = "Retention must follow log_retention_days."
  }
}

run "shell_through_ssm_not_ssh" {
  command = apply

  assert {
    condition     = aws_launch_template.web.key_name == null && aws_launch_template.classifier.key_name == null
    error_message = "No key pair: shell access is SSM Session Manager."
  }

  assert {
    condition = !anytrue([
      for r in concat(values(aws_vpc_security_group_ingress_rule.load_balancer), [aws_vpc_security_group_ingress_rule.web_from_load_balancer]) :
      r.from_port <= 22 && r.to_port >= 22
    ])
    error_message = "No SSH ingress anywhere."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.ssm) == 2 && alltrue([for a in aws_iam_role_policy_attachment.ssm : endswith(a.policy_arn, ":policy/AmazonSSMManagedInstanceCore")])
    error_message = "Both roles need AmazonSSMManagedInstanceCore for Session Manager."
  }
}

run "dashboard_shows_queue_workers_warm_pool_and_load_balancer" {
  command = apply

  assert {
    condition = alltrue([
      for wanted in [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.requests.name],
        ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", aws_sqs_queue.requests.name],
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.dead_letter.name],
        ["AWS/AutoScaling", "GroupDesiredCapacity", "AutoScalingGroupName", aws_autoscaling_group.classifier.name],
        ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", aws_autoscaling_group.classifier.name],
        ["AWS/AutoScaling", "WarmPoolWarmedCapacity", "AutoScalingGroupName", aws_autoscaling_group.classifier.name],
        ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", aws_lb.web.arn_suffix],
        ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", aws_lb.web.arn_suffix],
        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", aws_lb.web.arn_suffix],
        ] : anytrue(flatten([
          for w in jsondecode(aws_cloudwatch_dashboard.overview.dashboard_body).widgets : [
            for m in w.properties.metrics : slice(m, 0, 4) == wanted
          ]
      ]))
    ])
    error_message = "The dashboard must show the request queue (visible, in flight), dead letters, desired/in-service workers, the warm pool, load balancer latency and 5xx."
  }

  assert {
    condition     = alltrue([for w in jsondecode(aws_cloudwatch_dashboard.overview.dashboard_body).widgets : w.properties.region == var.region])
    error_message = "Every dashboard widget must read this deployment's region."
  }
}

run "alarm_on_dead_letters" {
  command = apply

  # Visible and held (not visible) together: the web tier's dead-letter watcher hides each message it reported.
  assert {
    condition = (
      length([for q in aws_cloudwatch_metric_alarm.dead_letters.metric_query : q if q.return_data == true && q.expression == "visible + hidden"]) == 1
      && toset(flatten([for q in aws_cloudwatch_metric_alarm.dead_letters.metric_query : [for m in q.metric : "${q.id}=${m.namespace}/${m.metric_name}/${m.dimensions["QueueName"]}"]])) == toset([
        "visible=AWS/SQS/ApproximateNumberOfMessagesVisible/${aws_sqs_queue.dead_letter.name}",
        "hidden=AWS/SQS/ApproximateNumberOfMessagesNotVisible/${aws_sqs_queue.dead_letter.name}",
      ])
      && aws_cloudwatch_metric_alarm.dead_letters.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.dead_letters.threshold == 0
    )
    error_message = "An alarm must fire when the dead-letter queue holds anything, visible or held by the watcher."
  }
}
