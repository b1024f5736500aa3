# Step 1 of the deploy (deploy contract): a targeted apply of the ECR repositories, before any image exists. After it,
# the deploy reads web_repository_url and classifier_repository_url (and may read region). A targeted apply writes no
# output that depends on nothing targeted: before outputs.tf's depends_on, `region` was null here (and
# `terraform output -raw region` failed with "Output not found"), which stopped `make deploy` at step 2.

mock_provider "aws" {
  source = "./tests/aws"
}

run "ecr_repositories_first" {
  command = apply

  plan_options {
    target = [aws_ecr_repository.web, aws_ecr_repository.classifier, aws_ecr_lifecycle_policy.keep_recent]
  }

  assert {
    condition     = output.web_repository_url != null && output.web_repository_url != ""
    error_message = "web_repository_url is not known after the targeted apply of the ECR repositories."
  }

  assert {
    condition     = output.classifier_repository_url != null && output.classifier_repository_url != ""
    error_message = "classifier_repository_url is not known after the targeted apply of the ECR repositories."
  }

  # A literal, not var.region: Terraform 1.11.4 panics evaluating a variable in an assertion after a targeted apply.
  assert {
    condition     = output.region == "us-east-1"
    error_message = "region is not known after the targeted apply of the ECR repositories."
  }

  # Nothing else was created: the images do not exist yet, so no instance may start.
  assert {
    condition     = output.web_url == null && output.classifier_asg_name == null
    error_message = "The targeted apply created more than the ECR repositories."
  }
}

run "everything_else_after_the_images" {
  command = apply

  assert {
    condition = alltrue([for v in [
      output.web_url, output.request_queue_url, output.dead_letter_queue_url, output.classifier_asg_name,
      output.web_asg_name, output.web_repository_url, output.classifier_repository_url, output.dashboard_url, output.region,
    ] : v != null && v != ""])
    error_message = "An output of the deploy contract is empty after the full apply."
  }

  assert {
    condition     = output.client_timeout_seconds == jsondecode(file("../scaling-policy.json")).callers.clientTimeoutSeconds
    error_message = "client_timeout_seconds must come from the policy file's callers.clientTimeoutSeconds."
  }

  assert {
    condition     = startswith(output.web_url, "http://") && strcontains(output.dashboard_url, "#dashboards:name=${var.name_prefix}-overview")
    error_message = "web_url must be the load balancer's http:// URL without a certificate, dashboard_url the overview."
  }
}
