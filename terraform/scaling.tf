# The classifier Auto Scaling group and its scaling, generated from ../scaling-policy.json: the local autoscaler
# (`make run`) and the simulator (`make simulate`) read the same file, so no threshold is written here.
#
#   scale-out: alarm on excess = IF(visible > 0, CEIL(backlog / target) - desired capacity, 0) >= threshold; the step
#              policy ADDS the step's adjustment (ChangeInCapacity, every step > 0), so a scale-out can never lower
#              capacity, even when the desired-capacity metric lags.
#   scale-in:  alarm on backlog (visible + in flight) <= 0 for scaleIn.evaluationPeriods periods; the policy sets the
#              exact capacity minCapacity. The only way down, and only when nothing is in flight.
#   sources:   two alarm pairs with these rules (metric in the policy file). Primary: the backlog, visible count and
#              desired capacity the web tier publishes every 10 s with one-second resolution (high-resolution alarms,
#              10 s periods; docs/metrics.md). Fallback: SQS's one-minute metrics and GroupDesiredCapacity, as before;
#              it acts only in periods in which no web instance published a sample (the web tier is down), so a stale
#              one-minute datapoint cannot scale in workers the primary alarm has just added.
#   warm pool: prepared instances (image pulled, worker started and warmed, gate closed) resume in ~30 s
#              (Hibernated, worker warm) or start in ~28 s (Stopped, worker started again) instead of ~83 s cold; at
#              most max_group_prepared_capacity running + prepared; scale-in returns instances to the pool (or
#              terminates them), held by the terminating hook until the worker's jobs are done.

locals {
  scaling   = jsondecode(file("${path.module}/../scaling-policy.json"))
  scale_out = local.scaling.scaleOut
  scale_in  = local.scaling.scaleIn
  primary   = local.scaling.metric.primary
  fallback  = local.scaling.metric.fallback
  target    = local.scaling.targetBacklogPerInstance

  # Variables override the file's warm pool (null: the file's value, which make simulate assumes).
  warm_pool_state             = coalesce(var.warm_pool_state, local.scaling.warmPool.poolState)
  max_group_prepared_capacity = coalesce(var.max_group_prepared_capacity, local.scaling.warmPool.maxGroupPreparedCapacity)

  # Step bounds are absolute values of the excess in the policy file; AWS wants them relative to the alarm threshold.
  scale_out_steps = [for s in local.scale_out.steps : {
    lower      = s.lower - local.scale_out.threshold
    upper      = s.upper == null ? null : s.upper - local.scale_out.threshold
    adjustment = s.adjustment
  }]

  # The drain before a scale-in, sized from the worker's MAX_JOB_TIME: its default in the worker's application.yml, the
  # one source (the user data does not set it; a test checks). A job still running that long after it started is
  # abandoned and leaves jobsInFlight (its message is redelivered after the visibility timeout), so jobsInFlight is 0
  # at most MAX_JOB_TIME after the gate closes (plus the gate's 2 s and the script's 5 s reads of the state). The
  # script waits at most MAX_JOB_TIME + 30 s; the hook's heartbeat gives it 30 s more for the completion call.
  worker_settings = yamldecode(file("${path.module}/../classifier-service/src/main/resources/application.yml"))
  # "${MAX_JOB_TIME:3m}": a whole number of s, m or h (plan fails on any other form; extend the pattern then).
  max_job_time                  = regex("^\\$\\{MAX_JOB_TIME:([0-9]+)([smh])\\}$", local.worker_settings.app.worker["max-job-time"])
  max_job_time_seconds          = tonumber(local.max_job_time[0]) * { s = 1, m = 60, h = 3600 }[local.max_job_time[1]]
  drain_timeout_seconds         = local.max_job_time_seconds + 30
  terminating_heartbeat_seconds = local.drain_timeout_seconds + 30

  queue_dimensions = { QueueName = aws_sqs_queue.requests.name }
  group_dimensions = { AutoScalingGroupName = local.classifier_group_name }

  # Per source: the metrics each alarm reads (id => metric), the expressions over them, the missing-data rule of the
  # scale-in alarm. The fallback's "published" is the number of samples the web tier published in the period.
  alarm_sources = {
    primary = {
      period  = local.primary.periodSeconds
      label   = "published by the web tier, ${local.primary.periodSeconds} s"
      backlog = "backlog"
      excess  = "IF(visible > 0, CEIL(backlog / ${local.target}) - desired, 0)"
      metrics = {
        backlog = { namespace = local.primary.namespace, name = local.primary.backlog, stat = local.scaling.metric.statistic, dimensions = local.queue_dimensions }
        visible = { namespace = local.primary.namespace, name = local.primary.visible, stat = local.scaling.metric.statistic, dimensions = local.queue_dimensions }
        desired = { namespace = local.primary.namespace, name = local.primary.desiredCapacity, stat = local.scaling.metric.statistic, dimensions = local.group_dimensions }
      }
      # No sample is no evidence of an empty queue (the web tier may be down): the fallback pair decides then.
      scale_in_missing_data = "notBreaching"
    }
    fallback = {
      period  = local.fallback.periodSeconds
      label   = "SQS one-minute metrics, only while the web tier publishes nothing"
      backlog = "IF(FILL(published, 0) > 0, 1, visible + inflight)"
      excess  = "IF(FILL(published, 0) > 0, 0, IF(visible > 0, CEIL((visible + inflight) / ${local.target}) - FILL(desired, 0), 0))"
      metrics = {
        visible   = { namespace = local.fallback.namespace, name = local.fallback.visible, stat = local.scaling.metric.statistic, dimensions = local.queue_dimensions }
        inflight  = { namespace = local.fallback.namespace, name = local.fallback.inFlight, stat = local.scaling.metric.statistic, dimensions = local.queue_dimensions }
        desired   = { namespace = "AWS/AutoScaling", name = "GroupDesiredCapacity", stat = local.scaling.metric.statistic, dimensions = local.group_dimensions }
        published = { namespace = local.primary.namespace, name = local.primary.backlog, stat = "SampleCount", dimensions = local.queue_dimensions }
      }
      # SQS stops reporting for a queue idle for hours: that is an empty queue.
      scale_in_missing_data = "breaching"
    }
  }
}

# The alarms of the one-minute SQS metrics were the only pair before the published backlog: they are the fallback now.
moved {
  from = aws_cloudwatch_metric_alarm.scale_out
  to   = aws_cloudwatch_metric_alarm.scale_out["fallback"]
}

moved {
  from = aws_cloudwatch_metric_alarm.scale_in
  to   = aws_cloudwatch_metric_alarm.scale_in["fallback"]
}

resource "aws_autoscaling_group" "classifier" {
  name                = local.classifier_group_name
  min_size            = local.scaling.minCapacity
  max_size            = coalesce(var.classifier_max_size, local.scaling.maxCapacity)
  desired_capacity    = local.scaling.minCapacity
  vpc_zone_identifier = var.subnet_ids
  # EC2 status checks here; the worker's own health is reported by the instance: it completes the launch hook only
  # when /health answers, and marks itself Unhealthy (SetInstanceHealth) when its container keeps failing (compute.tf).
  health_check_type         = "EC2"
  health_check_grace_period = 0 # the launch hook already holds an instance until its worker is healthy

  default_instance_warmup = local.scaling.instanceWarmupSeconds

  # GroupDesiredCapacity feeds the scale-out alarm; the rest is for the dashboard and the load test.
  enabled_metrics = [
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
    "GroupMinSize",
    "GroupMaxSize",
    "WarmPoolWarmedCapacity",
    "WarmPoolPendingCapacity",
    "WarmPoolTotalCapacity",
  ]
  metrics_granularity = "1Minute"

  launch_template {
    name    = aws_launch_template.classifier.name
    version = aws_launch_template.classifier.latest_version
  }

  # Without it AWS stops a warm-pool instance as soon as it launches (user data interrupted, never rerun) and puts a
  # started one InService before its worker runs. With it: Warmed:Pending:Wait until the image is pulled, and
  # Pending:Wait again when the instance leaves the pool, until the worker's /health answers. Part of the group (not a
  # separate aws_autoscaling_lifecycle_hook) so it exists before the first instance launches. No answer within the
  # heartbeat timeout: ABANDON (the instance is terminated and replaced). An instance that scale-in returns to the pool
  # (reuse_on_scale_in) is not held by this hook but by the terminating one below (AWS User Guide,
  # warm-pool-instance-lifecycle.html; docs/scaling.md#warm-workers).
  initial_lifecycle_hook {
    name                 = local.launch_hook_name
    lifecycle_transition = "autoscaling:EC2_INSTANCE_LAUNCHING"
    heartbeat_timeout    = var.lifecycle_heartbeat_timeout_seconds
    default_result       = "ABANDON"
  }

  warm_pool {
    pool_state = local.warm_pool_state
    min_size   = local.scaling.warmPool.minSize
    # Running + prepared instances at most: the pool holds this minus the running workers. Unset, AWS uses the
    # group's maximum (20 instances, 400 GiB of EBS billed while they wait).
    max_group_prepared_capacity = local.max_group_prepared_capacity

    instance_reuse_policy {
      reuse_on_scale_in = local.scaling.warmPool.reuseOnScaleIn
    }
  }

  # A new launch template version (image_tag, settings, AMI) replaces running and warm-pool instances. Launch first
  # (up to 200 %), keep every running worker until its replacement is healthy.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
      skip_matching          = true
    }
  }

  # The first warm-pool instances launch with the group and pull their image at once.
  depends_on = [aws_iam_role_policy.classifier, aws_iam_role_policy_attachment.ssm]

  lifecycle {
    # The scaling policies own the desired capacity; `terraform apply` must not reset it.
    ignore_changes = [desired_capacity]
  }
}

# Holds an instance that scale-in terminates, or returns to a Hibernated or Running warm pool (reuse_on_scale_in:
# Warmed:Pending:Wait, per AWS's warm-pool-instance-lifecycle.html), until classifier-launch has seen its worker's jobs
# in flight reach 0 (the lifecycle gate closed with the target state, so no new one starts) and completes it; an idle
# worker's instance is released at once. A separate resource, not an initial_lifecycle_hook: those are only read when
# the group is created, and this one must reach groups that already exist. No answer within the heartbeat timeout
# (the script died, or the instance is stopped or hibernated in the pool: nothing runs to answer): CONTINUE, the
# termination goes on (for a terminating hook ABANDON would too, and would skip other hooks).
resource "aws_autoscaling_lifecycle_hook" "classifier_drained" {
  name                   = local.terminating_hook_name
  autoscaling_group_name = aws_autoscaling_group.classifier.name
  lifecycle_transition   = "autoscaling:EC2_INSTANCE_TERMINATING"
  heartbeat_timeout      = local.terminating_heartbeat_seconds
  default_result         = "CONTINUE"

  lifecycle {
    precondition {
      condition     = local.terminating_heartbeat_seconds <= 7200
      error_message = "MAX_JOB_TIME (${local.max_job_time_seconds} s, classifier-service application.yml) + 60 s exceeds the 7200 s a lifecycle hook may wait; lower it."
    }
  }
}

resource "aws_autoscaling_policy" "scale_out" {
  name                      = "${var.name_prefix}-classifier-scale-out"
  autoscaling_group_name    = aws_autoscaling_group.classifier.name
  policy_type               = "StepScaling"
  adjustment_type           = local.scale_out.adjustmentType
  metric_aggregation_type   = local.scaling.metric.statistic
  estimated_instance_warmup = local.scaling.instanceWarmupSeconds

  dynamic "step_adjustment" {
    for_each = local.scale_out_steps
    content {
      metric_interval_lower_bound = step_adjustment.value.lower
      metric_interval_upper_bound = step_adjustment.value.upper
      scaling_adjustment          = step_adjustment.value.adjustment
    }
  }
}

resource "aws_autoscaling_policy" "scale_in" {
  name                    = "${var.name_prefix}-classifier-scale-in"
  autoscaling_group_name  = aws_autoscaling_group.classifier.name
  policy_type             = "StepScaling"
  adjustment_type         = local.scale_in.adjustmentType
  metric_aggregation_type = local.scaling.metric.statistic

  # Backlog <= 0 (the alarm's only breach): back to the minimum.
  step_adjustment {
    metric_interval_upper_bound = 0
    scaling_adjustment          = local.scaling.minCapacity
  }
}

resource "aws_cloudwatch_metric_alarm" "scale_out" {
  for_each = local.alarm_sources

  alarm_name          = "${var.name_prefix}-classifier-scale-out-${each.key}"
  alarm_description   = "Workers wanted for the request backlog (visible + in flight, ${local.target} per worker) exceed the desired capacity while messages wait (${each.value.label}). From scaling-policy.json."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = local.scale_out.threshold
  evaluation_periods  = local.scale_out.evaluationPeriods
  datapoints_to_alarm = local.scale_out.evaluationPeriods
  # No data (an idle queue stops reporting, no web instance published) is no reason to add workers.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_autoscaling_policy.scale_out.arn]

  metric_query {
    id          = "excess"
    label       = "Workers wanted minus desired capacity"
    expression  = each.value.excess
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.key
      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.name
        period      = each.value.period
        stat        = metric_query.value.stat
        dimensions  = metric_query.value.dimensions
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "scale_in" {
  for_each = local.alarm_sources

  alarm_name          = "${var.name_prefix}-classifier-scale-in-${each.key}"
  alarm_description   = "No request visible or in flight for the scale-in window (${each.value.label}): back to the minimum. From scaling-policy.json."
  comparison_operator = "LessThanOrEqualToThreshold"
  threshold           = 0
  evaluation_periods  = local.scale_in.evaluationPeriods
  datapoints_to_alarm = local.scale_in.evaluationPeriods
  treat_missing_data  = each.value.scale_in_missing_data
  alarm_actions       = [aws_autoscaling_policy.scale_in.arn]

  metric_query {
    id          = "empty"
    label       = "Requests visible + in flight"
    expression  = each.value.backlog
    return_data = true
  }

  dynamic "metric_query" {
    # The scale-in alarm does not need the desired capacity.
    for_each = { for id, m in each.value.metrics : id => m if id != "desired" && (each.key == "fallback" || id == "backlog") }
    content {
      id = metric_query.key
      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.name
        period      = each.value.period
        stat        = metric_query.value.stat
        dimensions  = metric_query.value.dimensions
      }
    }
  }
}
