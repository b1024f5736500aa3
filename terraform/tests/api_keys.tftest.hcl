# API keys on AWS (docs/security.md): on by default, kept in an SSM SecureString parameter written through the
# write-only value (never in the state), read by the web host at boot into a file only the container's user can
# read, mounted read-only and named by API_KEYS_FILE; the web role may read exactly that parameter.

mock_provider "aws" {
  source = "./tests/aws"
}

run "keys_on_by_default_in_a_secure_string_the_web_host_mounts" {
  command = apply

  assert {
    condition     = length(aws_ssm_parameter.api_keys) == 1 && aws_ssm_parameter.api_keys[0].type == "SecureString"
    error_message = "API keys must be on by default, in an SSM SecureString parameter."
  }

  # Write-only (value_wo) keeps the keys out of state and plan; the mock provider invents a `value` for every
  # computed attribute, so what is absent from the state can only be checked against real AWS. Here: the parameter is
  # written through value_wo, versioned by api_keys_version.
  assert {
    condition     = aws_ssm_parameter.api_keys[0].value_wo == null && aws_ssm_parameter.api_keys[0].value_wo_version == var.api_keys_version
    error_message = "The keys must reach SSM only through the write-only value, versioned by api_keys_version."
  }

  assert {
    condition = alltrue([for fragment in [
      "--name \"${aws_ssm_parameter.api_keys[0].name}\" --with-decryption",
      "chown 65532:65532 /etc/image-recognition/secrets/api-keys",
      "chmod 0400 /etc/image-recognition/secrets/api-keys",
      "API_KEYS_FILE=/run/secrets/api-keys",
      "--volume /etc/image-recognition/secrets/api-keys:/run/secrets/api-keys:ro",
    ] : strcontains(base64decode(aws_launch_template.web.user_data), fragment)])
    error_message = "The web host must read the parameter into a file only uid 65532 can read, mount it read-only and name it in API_KEYS_FILE."
  }

  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.web.policy).Statement : s
      if s.Action == ["ssm:GetParameter"] && s.Resource == [aws_ssm_parameter.api_keys[0].arn]
    ]) == 1
    error_message = "The web role must be allowed ssm:GetParameter on the keys parameter, and on nothing else."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.classifier.policy).Statement : !contains(s.Action, "ssm:GetParameter")
    ])
    error_message = "Workers never need the API keys."
  }
}

run "keys_off_when_asked" {
  command = apply

  variables {
    api_keys_enabled = false
    api_keys         = []
  }

  assert {
    condition     = length(aws_ssm_parameter.api_keys) == 0
    error_message = "With api_keys_enabled = false no parameter is created."
  }

  assert {
    condition = !strcontains(base64decode(aws_launch_template.web.user_data), "API_KEYS_FILE") && !strcontains(
    base64decode(aws_launch_template.web.user_data), "ssm get-parameter")
    error_message = "With keys off the web host reads no parameter and sets no API_KEYS_FILE."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.web.policy).Statement : !contains(s.Action, "ssm:GetParameter")])
    error_message = "With keys off the web role reads no parameter."
  }
}

run "short_keys_are_refused" {
  command = plan

  variables {
    api_keys = ["too-short"]
  }

  expect_failures = [var.api_keys]
}
