# Operations: the containers' logs in CloudWatch Logs (one log group per tier, Docker's awslogs driver, one stream per
# instance id), a dashboard of the numbers that matter while the system scales, and an alarm on the dead-letter queue.

resource "aws_cloudwatch_log_group" "web" {
  name              = "/${var.name_prefix}/web"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "classifier" {
  name              = "/${var.name_prefix}/classifier"
  retention_in_days = var.log_retention_days
}

# A request lands in the dead-letter queue when a worker refused it or after max_receive_count failed receives (it
# crashed a worker or ran past MAX_JOB_TIME). Any is worth a look (`make` prints the queue URL; the web tier's
# /api/v1/status shows the depth too). The web tier's dead-letter watcher hides each message it reported
# (DEAD_LETTER_HOLD), so the alarm counts visible and hidden ones together.
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name_prefix}-dead-letters"
  alarm_description   = "Requests in the dead-letter queue ${aws_sqs_queue.dead_letter.name}: refused by a worker, or failed ${var.max_receive_count} receives."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = 0
  treat_missing_data  = "notBreaching" # an idle queue stops reporting: nothing there
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  metric_query {
    id          = "dead_letters"
    expression  = "visible + hidden"
    label       = "dead letters (visible and held)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { visible = "ApproximateNumberOfMessagesVisible", hidden = "ApproximateNumberOfMessagesNotVisible" }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/SQS"
        metric_name = metric_query.value
        dimensions  = { QueueName = aws_sqs_queue.dead_letter.name }
        stat        = "Maximum"
        period      = 60
      }
    }
  }
}

locals {
  dashboard_name = "${var.name_prefix}-overview"
  sqs_queue_metrics = [
    ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.requests.name, { label = "visible" }],
    ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", aws_sqs_queue.requests.name, { label = "in flight" }],
  ]
  dashboard_widgets = [
    {
      title   = "Request queue: visible and in flight"
      metrics = local.sqs_queue_metrics
      stat    = "Maximum"
    },
    {
      title = "Dead-letter queue depth"
      metrics = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.dead_letter.name, { label = "visible" }],
        ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", aws_sqs_queue.dead_letter.name, { label = "held (reported)" }],
      ]
      stat = "Maximum"
    },
    {
      title = "Workers: desired, in service, warm pool"
      metrics = [
        ["AWS/AutoScaling", "GroupDesiredCapacity", "AutoScalingGroupName", aws_autoscaling_group.classifier.name, { label = "desired" }],
        ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", aws_autoscaling_group.classifier.name, { label = "in service" }],
        ["AWS/AutoScaling", "WarmPoolWarmedCapacity", "AutoScalingGroupName", aws_autoscaling_group.classifier.name, { label = "warm pool (ready)" }],
      ]
      stat = "Maximum"
    },
    {
      title = "Load balancer latency (target response time)"
      metrics = [
        ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", aws_lb.web.arn_suffix, { stat = "p50", label = "p50" }],
        ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", aws_lb.web.arn_suffix, { stat = "p99", label = "p99" }],
      ]
      stat = "p50"
    },
    {
      title = "Load balancer 5xx"
      metrics = [
        ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", aws_lb.web.arn_suffix, { label = "from the load balancer" }],
        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", aws_lb.web.arn_suffix, { label = "from the web tier (503, 504)" }],
      ]
      stat = "Sum"
    },
    {
      title = "Web instances: in service and healthy"
      metrics = [
        ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", aws_autoscaling_group.web.name, { label = "in service" }],
        ["AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", aws_lb_target_group.web.arn_suffix, "LoadBalancer", aws_lb.web.arn_suffix, { label = "healthy targets" }],
      ]
      stat = "Minimum"
    },
  ]
}

resource "aws_cloudwatch_dashboard" "overview" {
  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({
    widgets = [for i, w in local.dashboard_widgets : {
      type   = "metric"
      x      = (i % 2) * 12
      y      = floor(i / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = w.title
        metrics = w.metrics
        stat    = w.stat
        period  = 60
        region  = var.region
        view    = "timeSeries"
        stacked = false
      }
    }]
  })
}
