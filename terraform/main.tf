# Shared lookups and names. Resources live in files by concern: queues.tf, storage.tf, ecr.tf, iam.tf, security.tf,
# web.tf (load balancer and web Auto Scaling group), compute.tf (classifier launch template), scaling.tf (classifier
# Auto Scaling group and its scaling), monitoring.tf (logs, dashboard, alarm).

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

# Every given subnet: the VPC they share, and their zones (the load balancer needs two).
data "aws_subnet" "selected" {
  for_each = toset(var.subnet_ids)
  id       = each.value
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
  ami_id       = var.ami_id != null ? var.ami_id : data.aws_ami.al2023[0].id
  vpc_id       = data.aws_subnet.selected[var.subnet_ids[0]].vpc_id
  vpc_ids      = toset([for s in data.aws_subnet.selected : s.vpc_id])
  subnet_zones = toset([for s in data.aws_subnet.selected : s.availability_zone])
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition

  # What callers wait (scaling-policy.json "callers"): one source for RESULT_TIMEOUT, the client timeout and the load
  # balancer's idle timeout.
  callers                = jsondecode(file("${path.module}/../scaling-policy.json")).callers
  result_timeout_seconds = local.callers.resultTimeoutSeconds

  # Queue names: the same words the services read from REQUEST_QUEUE, DEAD_LETTER_QUEUE, RESPONSE_QUEUE_PREFIX.
  request_queue_name     = "${var.name_prefix}-requests"
  dead_letter_queue_name = "${var.name_prefix}-requests-dlq"
  response_queue_prefix  = "${var.name_prefix}-responses"
  # Each web instance creates <prefix>-<EC2 instance id> at start and deletes it at shutdown (web-service's
  # ResponseQueue); the IAM grants of both tiers name exactly this pattern.
  response_queue_arn_pattern = "arn:${local.partition}:sqs:${var.region}:${local.account_id}:${local.response_queue_prefix}-*"

  # Fixed group names: the instances' user data names their group (lifecycle actions, instance health), which a
  # generated name would turn into a dependency cycle.
  classifier_group_name = "${var.name_prefix}-classifier"
  web_group_name        = "${var.name_prefix}-web"
  launch_hook_name      = "worker-ready"
  terminating_hook_name = "worker-drained"

  # Registry host of both repositories, for `docker login` on the hosts.
  registry = split("/", aws_ecr_repository.web.repository_url)[0]
}
