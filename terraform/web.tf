# The web tier: an Application Load Balancer in front of a web Auto Scaling group spread over the given subnets' zones.
#
# - Listeners: HTTP 80 forwards to the web instances; with certificate_arn, HTTPS 443 forwards and HTTP 80 redirects.
# - idle_timeout from scaling-policy.json (callers.loadBalancerIdleTimeoutSeconds): a caller's connection stays open
#   longer than the web tier waits for an answer (RESULT_TIMEOUT = callers.resultTimeoutSeconds), so a slow answer
#   arrives as the web tier's own 504, not as a load balancer timeout.
# - Health: the target group checks /health; the group uses ELB health checks, so an instance whose container is down
#   (and systemd could not restart it) is replaced. /health also reports the queue and buckets: while SQS or S3 do not
#   answer every target is unhealthy, the load balancer then routes to all of them (fail open), and the grace period
#   plus unhealthy threshold keep the group from replacing instances during a short outage.
# - Response queues: each instance creates <RESPONSE_QUEUE_PREFIX>-<its EC2 instance id> at start and deletes it when
#   its container stops (scale-in, instance refresh, terminate: the OS shutdown stops the container). Only an instance
#   that dies without a shutdown leaves its queue behind; such a queue costs nothing (nothing polls it, it holds
#   answers for 60 s at most) and docs/deploy-aws.md gives the command that deletes queues of instances that no longer
#   run. `terraform destroy` stops the instances first, so their queues go with them.

locals {
  web_image = "${aws_ecr_repository.web.repository_url}:${var.image_tag}"
  https     = var.certificate_arn != ""
}

resource "aws_lb" "web" {
  name               = "${var.name_prefix}-web"
  load_balancer_type = "application"
  internal           = false
  subnets            = var.subnet_ids
  security_groups    = [aws_security_group.load_balancer.id]
  idle_timeout       = local.callers.loadBalancerIdleTimeoutSeconds

  drop_invalid_header_fields = true

  lifecycle {
    precondition {
      condition     = length(local.subnet_zones) >= 2
      error_message = "subnet_ids must span at least two availability zones (an Application Load Balancer needs two)."
    }
    precondition {
      condition     = length(local.vpc_ids) == 1
      error_message = "subnet_ids must all belong to one VPC."
    }
    precondition {
      condition     = local.callers.loadBalancerIdleTimeoutSeconds > local.result_timeout_seconds
      error_message = "scaling-policy.json: callers.loadBalancerIdleTimeoutSeconds must exceed callers.resultTimeoutSeconds."
    }
  }
}

resource "aws_lb_target_group" "web" {
  name                 = "${var.name_prefix}-web"
  port                 = var.web_port
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = local.vpc_id
  deregistration_delay = local.result_timeout_seconds # callers already waiting get their answer before the instance stops

  health_check {
    # Liveness, not readiness: the group replaces instances that fail this check, and replacing web instances cannot
    # end an SQS or S3 outage (PublicHealthController). /health (readiness) stays for operators and make run.
    path                = "/health/liveness"
    port                = "traffic-port"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 4
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"

  dynamic "default_action" {
    for_each = local.https ? [] : [1]
    content {
      type             = "forward"
      target_group_arn = aws_lb_target_group.web.arn
    }
  }

  dynamic "default_action" {
    for_each = local.https ? [1] : []
    content {
      type = "redirect"
      redirect {
        protocol    = "HTTPS"
        port        = "443"
        status_code = "HTTP_301"
      }
    }
  }
}

resource "aws_lb_listener" "https" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.web.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
}

resource "aws_launch_template" "web" {
  name_prefix            = "${var.name_prefix}-web-"
  description            = "Web instance: Docker running the web-service image ${var.image_tag}"
  image_id               = local.ami_id
  instance_type          = var.web_instance_type
  update_default_version = true

  iam_instance_profile {
    name = aws_iam_instance_profile.web.name
  }

  network_interfaces {
    associate_public_ip_address = var.assign_public_ip
    security_groups             = [aws_security_group.web.id]
    delete_on_termination       = true
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1          # the container uses host networking
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size_gb
      encrypted             = true
      delete_on_termination = true
    }
  }

  user_data = base64encode(templatefile("${path.module}/templates/web.sh.tftpl", merge(local.common_environment, {
    PORT           = var.web_port
    RESULT_TIMEOUT = "${local.result_timeout_seconds}s"
    MAX_PENDING    = var.max_pending
    # The backlog the primary scaling alarms read (scaling.tf, scaling-policy.json's metric.primary).
    SCALING_METRIC_NAMESPACE = local.primary.namespace
    SCALING_METRIC_INTERVAL  = "${local.primary.publishIntervalSeconds}s"
    CLASSIFIER_GROUP_NAME    = local.classifier_group_name
    image                    = local.web_image
    registry                 = local.registry
    log_group                = aws_cloudwatch_log_group.web.name
    # docs/security.md: the host reads the keys from this parameter into a file only the container's user can read.
    api_keys_parameter = var.api_keys_enabled ? aws_ssm_parameter.api_keys[0].name : ""
  })))

  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "${var.name_prefix}-web"
      Tier = "web"
    }
  }

  tag_specifications {
    resource_type = "volume"
    tags = {
      Name = "${var.name_prefix}-web"
      Tier = "web"
    }
  }
}

resource "aws_autoscaling_group" "web" {
  name                      = local.web_group_name
  min_size                  = var.web_min_size
  max_size                  = var.web_max_size
  desired_capacity          = var.web_min_size
  vpc_zone_identifier       = var.subnet_ids
  target_group_arns         = [aws_lb_target_group.web.arn]
  health_check_type         = "ELB"
  health_check_grace_period = 300 # Docker install and image pull before the first health check counts

  enabled_metrics     = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupTotalInstances"]
  metrics_granularity = "1Minute"

  launch_template {
    name    = aws_launch_template.web.name
    version = aws_launch_template.web.latest_version
  }

  # A new launch template version (a new image_tag, settings, AMI) replaces the instances: launch first, then stop
  # the old one, so the web tier never drops below web_min_size healthy instances.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
      instance_warmup        = "120"
      skip_matching          = true
    }
  }

  # The instance profile must carry its permissions before the first instance starts.
  depends_on = [aws_iam_role_policy.web, aws_iam_role_policy_attachment.ssm]

  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

# The API keys (docs/security.md), written through the write-only value_wo: Terraform sends them to SSM when the
# parameter is created or api_keys_version changes and keeps them in neither the state nor the plan.
resource "aws_ssm_parameter" "api_keys" {
  count            = var.api_keys_enabled ? 1 : 0
  name             = "/${var.name_prefix}/api-keys"
  description      = "API keys the web tier accepts, comma-separated (docs/security.md)"
  type             = "SecureString"
  value_wo         = join(",", var.api_keys)
  value_wo_version = var.api_keys_version
}
