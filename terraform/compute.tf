# The web host(s) and the classifier launch template (the Auto Scaling group using it is in scaling.tf).
# Both run Amazon Linux 2023 with Docker, log in to ECR with the instance profile, pull their image and run it with the
# configuration as environment variables named exactly as in docs/configuration.md.
# No MICRONAUT_ENVIRONMENTS: on AWS the SDK uses the default credential chain (the instance profile, over IMDSv2).

locals {
  web_image        = "${aws_ecr_repository.web.repository_url}:${var.web_image_tag}"
  classifier_image = "${aws_ecr_repository.classifier.repository_url}:${var.classifier_image_tag}"

  # Settings both tiers share (service "both" in docs/configuration.md).
  common_environment = {
    REQUEST_QUEUE         = aws_sqs_queue.requests.name
    DEAD_LETTER_QUEUE     = aws_sqs_queue.dead_letter.name
    INPUT_BUCKET          = aws_s3_bucket.this["input"].bucket
    OUTPUT_BUCKET         = aws_s3_bucket.this["output"].bucket
    RESPONSE_QUEUE_PREFIX = local.response_queue_prefix
    AWS_REGION            = var.region
  }
}

resource "aws_instance" "web" {
  count                       = var.web_host_count
  ami                         = local.ami_id
  instance_type               = var.web_instance_type
  subnet_id                   = var.subnet_ids[count.index % length(var.subnet_ids)]
  vpc_security_group_ids      = [aws_security_group.web.id]
  iam_instance_profile        = aws_iam_instance_profile.web.name
  associate_public_ip_address = var.assign_public_ip
  user_data_replace_on_change = true

  user_data = templatefile("${path.module}/templates/web.sh.tftpl", merge(local.common_environment, {
    PORT           = var.web_port
    RESPONSE_QUEUE = aws_sqs_queue.responses[count.index].name
    INSTANCE_ID    = "web-${count.index + 1}"
    RESULT_TIMEOUT = var.result_timeout
    MAX_PENDING    = var.max_pending
    image          = local.web_image
    registry       = local.registry
  }))

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1          # the container uses host networking
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = var.root_volume_size_gb
    encrypted   = true
  }

  tags = {
    Name = "${var.name_prefix}-web-${count.index + 1}"
    Tier = "web"
  }

  lifecycle {
    # A newer Amazon Linux release must not replace the running web host on the next apply.
    ignore_changes = [ami]
  }
}

resource "aws_launch_template" "classifier" {
  name_prefix            = "${var.name_prefix}-classifier-"
  description            = "Classifier worker: Docker running the classifier-service image"
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
