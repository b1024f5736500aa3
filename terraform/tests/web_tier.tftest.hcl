# The web tier: an Application Load Balancer in front of a web Auto Scaling group, reachable only as
# web_allowed_cidrs -> load balancer -> web instances; timeouts from scaling-policy.json's callers section.

mock_provider "aws" {
  source = "./tests/aws"
}

# Shared test variables: tests/terraform.tfvars; this file differs in:
variables {
  web_allowed_cidrs = ["203.0.113.0/24", "198.51.100.7/32"]
}

run "http_load_balancer_in_front_of_a_web_group" {
  command = apply

  assert {
    condition     = aws_lb.web.load_balancer_type == "application" && !aws_lb.web.internal && aws_lb.web.subnets == toset(var.subnet_ids)
    error_message = "The web tier needs an internet-facing Application Load Balancer in the given subnets."
  }

  assert {
    condition     = length(aws_lb_listener.https) == 0 && aws_lb_listener.http.port == 80 && aws_lb_listener.http.protocol == "HTTP"
    error_message = "Without certificate_arn: one HTTP listener on port 80, no HTTPS."
  }

  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "forward" && aws_lb_listener.http.default_action[0].target_group_arn == aws_lb_target_group.web.arn
    error_message = "Without certificate_arn the HTTP listener forwards to the web instances."
  }

  assert {
    condition     = startswith(output.web_url, "http://") && strcontains(output.web_url, aws_lb.web.dns_name)
    error_message = "web_url must be the load balancer's http:// URL."
  }

  # Health: the target group checks /health on the web port; the group replaces instances the load balancer finds unhealthy.
  assert {
    condition = (
      aws_lb_target_group.web.health_check[0].path == "/health/liveness" && aws_lb_target_group.web.health_check[0].matcher == "200"
      && aws_lb_target_group.web.port == var.web_port && aws_lb_target_group.web.health_check[0].port == "traffic-port"
    )
    error_message = "The target group must check /health on the web port and expect 200."
  }

  assert {
    condition = (
      aws_autoscaling_group.web.health_check_type == "ELB" && aws_autoscaling_group.web.target_group_arns == toset([aws_lb_target_group.web.arn])
      && aws_autoscaling_group.web.min_size >= 1 && aws_autoscaling_group.web.vpc_zone_identifier == toset(var.subnet_ids) && length(var.subnet_ids) >= 2
    )
    error_message = "The web group: at least one instance, in the target group, over the given subnets, replaced on ELB health."
  }

  # Timeouts: the load balancer keeps a caller's connection open longer than the web tier waits for an answer.
  assert {
    condition = (
      aws_lb.web.idle_timeout == jsondecode(file("../scaling-policy.json")).callers.loadBalancerIdleTimeoutSeconds
      && aws_lb.web.idle_timeout > tonumber(regex("RESULT_TIMEOUT=([0-9]+)s", base64decode(aws_launch_template.web.user_data))[0])
      && tonumber(regex("RESULT_TIMEOUT=([0-9]+)s", base64decode(aws_launch_template.web.user_data))[0]) == jsondecode(file("../scaling-policy.json")).callers.resultTimeoutSeconds
    )
    error_message = "idle_timeout must be the policy's loadBalancerIdleTimeoutSeconds and exceed the web tier's RESULT_TIMEOUT (the policy's resultTimeoutSeconds)."
  }

  # Security group chain: allowed CIDR blocks -> load balancer (80) -> web port.
  assert {
    condition = (
      length(aws_vpc_security_group_ingress_rule.load_balancer) == length(var.web_allowed_cidrs)
      && alltrue([for r in aws_vpc_security_group_ingress_rule.load_balancer :
        r.security_group_id == aws_security_group.load_balancer.id && r.from_port == 80 && r.to_port == 80 && contains(var.web_allowed_cidrs, r.cidr_ipv4)
      ])
    )
    error_message = "The load balancer must be reachable only from web_allowed_cidrs, on port 80 without a certificate."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.web_from_load_balancer.security_group_id == aws_security_group.web.id
      && aws_vpc_security_group_ingress_rule.web_from_load_balancer.referenced_security_group_id == aws_security_group.load_balancer.id
      && aws_vpc_security_group_ingress_rule.web_from_load_balancer.cidr_ipv4 == null
      && aws_vpc_security_group_ingress_rule.web_from_load_balancer.from_port == var.web_port
      && aws_vpc_security_group_ingress_rule.web_from_load_balancer.to_port == var.web_port
      && !anytrue([for r in aws_vpc_security_group_ingress_rule.load_balancer : r.security_group_id == aws_security_group.web.id])
    )
    error_message = "The web port must be reachable only from the load balancer's security group."
  }

  assert {
    condition = (
      aws_vpc_security_group_egress_rule.load_balancer_to_web.referenced_security_group_id == aws_security_group.web.id
      && aws_vpc_security_group_egress_rule.load_balancer_to_web.from_port == var.web_port
      && aws_lb.web.security_groups == toset([aws_security_group.load_balancer.id])
      && aws_launch_template.web.network_interfaces[0].security_groups == toset([aws_security_group.web.id])
    )
    error_message = "The load balancer talks only to the web security group, and the web instances run in it."
  }
}

run "https_with_a_certificate_and_http_redirects" {
  command = apply

  variables {
    certificate_arn = "arn:aws:acm:us-east-1::certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
  }

  assert {
    condition = (
      length(aws_lb_listener.https) == 1 && aws_lb_listener.https[0].port == 443 && aws_lb_listener.https[0].protocol == "HTTPS"
      && aws_lb_listener.https[0].certificate_arn == var.certificate_arn
      && aws_lb_listener.https[0].default_action[0].type == "forward" && aws_lb_listener.https[0].default_action[0].target_group_arn == aws_lb_target_group.web.arn
    )
    error_message = "With certificate_arn: an HTTPS listener on 443 with that certificate forwards to the web instances."
  }

  assert {
    condition = (
      aws_lb_listener.http.default_action[0].type == "redirect"
      && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" && aws_lb_listener.http.default_action[0].redirect[0].port == "443"
    )
    error_message = "With certificate_arn, HTTP redirects to HTTPS."
  }

  assert {
    condition     = startswith(output.web_url, "https://")
    error_message = "web_url must be https:// when certificate_arn is set."
  }

  assert {
    condition = (
      length(aws_vpc_security_group_ingress_rule.load_balancer) == 2 * length(var.web_allowed_cidrs)
      && toset([for r in aws_vpc_security_group_ingress_rule.load_balancer : r.from_port]) == toset([80, 443])
      && alltrue([for r in aws_vpc_security_group_ingress_rule.load_balancer : contains(var.web_allowed_cidrs, r.cidr_ipv4)])
    )
    error_message = "With certificate_arn the load balancer takes 80 and 443 from web_allowed_cidrs only."
  }
}

run "rejects_subnets_in_one_zone" {
  command = plan

  override_data {
    target = data.aws_subnet.selected["subnet-0a1b2c3d4e5f60719"]
    values = {
      vpc_id            = "vpc-0a1b2c3d4e5f60718"
      availability_zone = "us-east-1a"
    }
  }

  expect_failures = [aws_lb.web]
}

run "rejects_a_malformed_certificate_arn" {
  command = plan

  variables {
    certificate_arn = "my-certificate"
  }

  expect_failures = [var.certificate_arn]
}
