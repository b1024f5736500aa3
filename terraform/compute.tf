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

# Hibernation prerequisites (EC2 User Guide, "Prerequisites for EC2 instance hibernation"): an instance type that
# supports it (C6i, M6i, C5, M5, T3... , not bare metal, RAM up to 150 GiB), an AMI that does (AL2023 from 2023.09.20:
# main.tf picks the latest), hibernation enabled at launch (hibernation_options), and an encrypted EBS root volume
# large enough for the RAM on top of what the instance stores. The instance type's facts come from EC2 itself.
data "aws_ec2_instance_type" "classifier" {
  instance_type = var.classifier_instance_type
}

locals {
  hibernated = local.warm_pool_state == "Hibernated"
  # What the root volume holds besides the RAM: the OS, Docker, the classifier image and the unpacked libtorch.
  root_volume_base_gb = 10
  hibernation_min_gb  = ceil(data.aws_ec2_instance_type.classifier.memory_size / 1024) + local.root_volume_base_gb
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

  # A Hibernated warm pool needs every instance launched with hibernation enabled (it cannot be turned on later).
  hibernation_options {
    configured = local.hibernated
  }

  # Encrypted always (hibernation requires it; the RAM written to it holds the worker's credentials and images).
  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size_gb
      encrypted             = true
      delete_on_termination = true
    }
  }

  lifecycle {
    precondition {
      condition     = !local.hibernated || data.aws_ec2_instance_type.classifier.hibernation_supported
      error_message = "warm_pool_state Hibernated: classifier_instance_type ${var.classifier_instance_type} does not support hibernation (e.g. c6i.large, m6i.large, c5.large do); choose one that does or warm_pool_state = \"Stopped\"."
    }
    precondition {
      condition     = !local.hibernated || var.root_volume_size_gb >= local.hibernation_min_gb
      error_message = "warm_pool_state Hibernated: root_volume_size_gb must hold the instance's RAM plus ${local.root_volume_base_gb} GiB: at least ${local.hibernation_min_gb} GiB for ${var.classifier_instance_type}."
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
    # The terminating hook (scaling.tf) and how long the script waits for the worker's drain before completing it.
    terminating_hook_name = local.terminating_hook_name
    drain_timeout_seconds = local.drain_timeout_seconds
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
