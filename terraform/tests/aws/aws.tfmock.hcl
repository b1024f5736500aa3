# The mocked AWS provider every test file uses (`mock_provider "aws" { source = "./tests/aws" }`): nothing here reaches
# AWS. Fake ids only; no account id in any ARN (the repository hygiene test forbids 12-digit ones).

mock_data "aws_subnet" {
  defaults = {
    vpc_id            = "vpc-0a1b2c3d4e5f60718"
    availability_zone = "us-east-1a"
  }
}

mock_data "aws_ami" {
  defaults = {
    id = "ami-0a1b2c3d4e5f60718"
  }
}

# The shipped classifier type (c6i.large): 4 GiB, hibernation supported.
mock_data "aws_ec2_instance_type" {
  defaults = {
    memory_size           = 4096
    hibernation_supported = true
  }
}

# The alarms validate their actions as ARNs.
mock_resource "aws_autoscaling_policy" {
  defaults = {
    arn = "arn:aws:autoscaling:us-east-1::scalingPolicy:mock"
  }
}

# Distinct ARNs per group and log group, so a grant on the wrong one shows.
override_resource {
  target = aws_autoscaling_group.web
  values = {
    arn = "arn:aws:autoscaling:us-east-1::autoScalingGroup:0a1b2c3d-web:autoScalingGroupName/image-recognition-web"
  }
}

override_resource {
  target = aws_autoscaling_group.classifier
  values = {
    arn = "arn:aws:autoscaling:us-east-1::autoScalingGroup:0a1b2c3d-classifier:autoScalingGroupName/image-recognition-classifier"
  }
}

override_resource {
  target = aws_cloudwatch_log_group.web
  values = {
    arn = "arn:aws:logs:us-east-1::log-group:/image-recognition/web"
  }
}

override_resource {
  target = aws_cloudwatch_log_group.classifier
  values = {
    arn = "arn:aws:logs:us-east-1::log-group:/image-recognition/classifier"
  }
}

# The second given subnet lies in another zone (the load balancer needs two).
override_data {
  target = data.aws_subnet.selected["subnet-0a1b2c3d4e5f60719"]
  values = {
    vpc_id            = "vpc-0a1b2c3d4e5f60718"
    availability_zone = "us-east-1b"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:us-east-1::loadbalancer/app/mock/0a1b2c3d4e5f6071"
    arn_suffix = "app/mock/0a1b2c3d4e5f6071"
    dns_name   = "mock-web-0123456789.us-east-1.elb.amazonaws.com"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:us-east-1::targetgroup/mock/0a1b2c3d4e5f6071"
    arn_suffix = "targetgroup/mock/0a1b2c3d4e5f6071"
  }
}
