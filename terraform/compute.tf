# The classifier launch template (its Auto Scaling group is in scaling.tf; the web tier is in web.tf).
# Both tiers run Amazon Linux 2023 with Docker, log in to ECR with the instance profile, pull their image (one
# immutable tag, var.image_tag) and run it under systemd with the configuration as environment variables named exactly
# as in docs/configuration.md (`make tf-check` compares them). Container output goes to CloudWatch Logs (Docker's
# awslogs driver, one log group per tier); shell access is SSM Session Manager (no SSH, no key pair).
# No MICRONAUT_ENVIRONMENTS: on AWS the SDK uses the default credential chain (the instance profile, over IMDSv2).
# JAVA_TOOL_OPTIONS=-XX:+ExitOnOutOfMemoryError: a JVM out of memory exits and systemd starts a fresh one.

locals {
  classifier_image = "${aws_ecr_repository.classifier.repository_url}:${var.image_tag}"
  jvm_options      = "-XX:+ExitOnOutOfMemoryError"

  # Settings both tiers share (service "both" in docs/configuration.md).
  common_environment = {
    REQUEST_QUEUE         = aws_sqs_queue.requests.name
    DEAD_LETTER_QUEUE     = aws_sqs_queue.dead_letter.name
    INPUT_BUCKET          = aws_s3_bucket.this["input"].bucket
    OUTPUT_BUCKET         = aws_s3_bucket.this["output"].bucket
    RESPONSE_QUEUE_PREFIX = local.response_queue_prefix
    AWS_REGION            = var.region
    jvm_options           = local.jvm_options
  }
}

resource "aws_launch_template" "classifier" {
  name_prefix            = "${var.name_prefix}-classifier-"
  description            = "Classifier worker: Docker running the classifier-service image ${var.image_tag}"
  image_id               = local.ami_id
  instance_type          = var.classifier_instance_type
  update_default_version = true

  iam_instance_profile {
    name = aws_iam_instance_profile.classifier.name
  }

  network_interfaces {
    associate_public_ip_address = var.assign_public_ip
    security_groups             = [aws_security_group.classifier.id]
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

  user_data = base64encode(templatefile("${path.module}/templates/classifier.sh.tftpl", merge(local.common_environment, {
    PORT             = var.classifier_health_port
    WORKER_THREADS   = var.worker_threads
    INTRA_OP_THREADS = var.intra_op_threads
    image            = local.classifier_image
    registry         = local.registry
    log_group        = aws_cloudwatch_log_group.classifier.name
    group_name       = local.classifier_group_name
    hook_name        = local.launch_hook_name
  })))

  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "${var.name_prefix}-classifier"
      Tier = "classifier"
    }
  }

  tag_specifications {
    resource_type = "volume"
    tags = {
      Name = "${var.name_prefix}-classifier"
      Tier = "classifier"
    }
  }
}
