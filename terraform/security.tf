# Web: its port from the configured CIDR blocks only. Workers: no inbound at all.
# Egress for both: HTTPS only (ECR, SQS, S3, the Amazon Linux package mirrors). DNS to the VPC resolver, NTP and the
# instance metadata service are link-local/VPC services that security groups do not filter.

resource "aws_security_group" "web" {
  name_prefix = "${var.name_prefix}-web-"
  description = "Web tier: HTTP on the web port from the allowed CIDR blocks"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "web_http" {
  for_each          = toset(var.web_allowed_cidrs)
  security_group_id = aws_security_group.web.id
  description       = "Web API from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = var.web_port
  to_port           = var.web_port
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "web_https" {
  security_group_id = aws_security_group.web.id
  description       = "HTTPS to AWS APIs, ECR and package mirrors"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "classifier" {
  name_prefix = "${var.name_prefix}-classifier-"
  description = "Classifier workers: no inbound traffic"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "classifier_https" {
  security_group_id = aws_security_group.classifier.id
  description       = "HTTPS to AWS APIs, ECR and package mirrors"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}
