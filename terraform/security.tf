# Load balancer: HTTP (and HTTPS with certificate_arn) from web_allowed_cidrs only; out only to the web instances' port.
# Web instances: their port from the load balancer's security group only, nothing else in (shell access is SSM Session
# Manager, which needs no inbound rule and no key pair). Workers: nothing in at all.
# Egress of both tiers: HTTPS only (ECR, SQS, S3, CloudWatch Logs, SSM, the Amazon Linux package mirrors). DNS to the
# VPC resolver, NTP and the instance metadata service are link-local/VPC services that security groups do not filter.

locals {
  load_balancer_ports = var.certificate_arn == "" ? { http = 80 } : { http = 80, https = 443 }
  load_balancer_ingress = {
    for pair in setproduct(keys(local.load_balancer_ports), var.web_allowed_cidrs) :
    "${pair[0]} ${pair[1]}" => { port = local.load_balancer_ports[pair[0]], cidr = pair[1] }
  }
}

resource "aws_security_group" "load_balancer" {
  name_prefix = "${var.name_prefix}-lb-"
  description = "Web load balancer: HTTP/HTTPS from the allowed CIDR blocks"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "load_balancer" {
  for_each          = local.load_balancer_ingress
  security_group_id = aws_security_group.load_balancer.id
  description       = "${upper(split(" ", each.key)[0])} from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_egress_rule" "load_balancer_to_web" {
  security_group_id            = aws_security_group.load_balancer.id
  description                  = "To the web instances' port (requests and health checks)"
  ip_protocol                  = "tcp"
  from_port                    = var.web_port
  to_port                      = var.web_port
  referenced_security_group_id = aws_security_group.web.id
}

resource "aws_security_group" "web" {
  name_prefix = "${var.name_prefix}-web-"
  description = "Web instances: the web port from the load balancer only"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "web_from_load_balancer" {
  security_group_id            = aws_security_group.web.id
  description                  = "Web API and /health from the load balancer only"
  ip_protocol                  = "tcp"
  from_port                    = var.web_port
  to_port                      = var.web_port
  referenced_security_group_id = aws_security_group.load_balancer.id
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
