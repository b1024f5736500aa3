# Shared lookups and names. Resources live in files by concern: queues.tf, storage.tf, ecr.tf, iam.tf, security.tf,
# compute.tf (and scaling.tf for the classifier Auto Scaling group).

data "aws_partition" "current" {}

# The VPC is the one the given subnets belong to.
data "aws_subnet" "first" {
  id = var.subnet_ids[0]
}

data "aws_ami" "al2023" {
  count       = var.ami_id == null ? 1 : 0
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

locals {
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ami.al2023[0].id
  vpc_id = data.aws_subnet.first.vpc_id

  # Queue names: the same words the services read from REQUEST_QUEUE, DEAD_LETTER_QUEUE, RESPONSE_QUEUE_PREFIX.
  request_queue_name     = "${var.name_prefix}-requests"
  dead_letter_queue_name = "${var.name_prefix}-requests-dlq"
  response_queue_prefix  = "${var.name_prefix}-responses"

  # Registry host of both repositories, for `docker login` on the hosts.
  registry = split("/", aws_ecr_repository.web.repository_url)[0]
}
