# Instances that always become workers: the launch lifecycle hook completed from the instance, a bounded warm pool
# that reuses instances, restarts and self-reported health, and a rollout by immutable tag and instance refresh.

mock_provider "aws" {
  source = "./tests/aws"
}

run "launch_hook_holds_each_worker_until_it_is_ready" {
  command = apply

  assert {
    condition = anytrue([for h in aws_autoscaling_group.classifier.initial_lifecycle_hook :
      h.lifecycle_transition == "autoscaling:EC2_INSTANCE_LAUNCHING" && h.default_result == "ABANDON"
      && h.heartbeat_timeout == var.lifecycle_heartbeat_timeout_seconds
    ])
    error_message = "The classifier group needs a launch lifecycle hook that abandons an instance that never reports ready."
  }

  # The instance completes exactly that hook of exactly this group.
  assert {
    condition = alltrue([for h in aws_autoscaling_group.classifier.initial_lifecycle_hook : alltrue([
      for fragment in [
        "aws autoscaling complete-lifecycle-action",
        "--auto-scaling-group-name \"${aws_autoscaling_group.classifier.name}\" --lifecycle-hook-name \"$1\"",
        "complete_action \"${h.name}\" \"$1\"",
        "autoscaling/target-lifecycle-state",
      ] : strcontains(base64decode(aws_launch_template.classifier.user_data), fragment)
    ])])
    error_message = "The worker's user data must complete the group's launch hook by its names."
  }

  # CONTINUE only after the image is pulled and the started worker answers /health (in the warm pool too: model loaded
  # and warmed before the instance is stopped); ABANDON on failure.
  assert {
    condition = can(regex(
      "(?s)classifier-pull; then\\n[^\\n]*\\n\\s+abandon\\nfi.*systemctl start classifier.service[^\\n]*\\n.*curl -fsS[^\\n]*/health.*if ! healthy; then\\n[^\\n]*\\n\\s+abandon\\nfi\\ncomplete CONTINUE\\n",
      base64decode(aws_launch_template.classifier.user_data)
    ))
    error_message = "The worker must CONTINUE only after its image is pulled and its /health answers, and ABANDON otherwise."
  }

  # The worker also runs in the warm pool, so its lifecycle gate must keep it from taking jobs until InService.
  assert {
    condition     = can(regex("(?m)^LIFECYCLE_GATE=imds$", base64decode(aws_launch_template.classifier.user_data)))
    error_message = "The worker must run with LIFECYCLE_GATE=imds: it starts while the instance is Warmed:*."
  }

  # The worker starts only from the launch script, which runs on every boot (warm-pool instances are stopped and
  # started again; user data runs once).
  assert {
    condition = (
      strcontains(base64decode(aws_launch_template.classifier.user_data), "systemctl enable classifier-launch.service")
      && !strcontains(base64decode(aws_launch_template.classifier.user_data), "systemctl enable classifier.service")
    )
    error_message = "The launch script must run on every boot and be the only thing that starts the worker."
  }
}

# Scale-in (termination, or reuse_on_scale_in back into the pool) waits for the worker's jobs: an
# EC2_INSTANCE_TERMINATING hook on this group, sized from the worker's MAX_JOB_TIME, that the instance completes.
run "terminating_hook_holds_scale_in_until_the_worker_is_drained" {
  command = apply

  assert {
    condition = (
      aws_autoscaling_lifecycle_hook.classifier_drained.autoscaling_group_name == aws_autoscaling_group.classifier.name
      && aws_autoscaling_lifecycle_hook.classifier_drained.lifecycle_transition == "autoscaling:EC2_INSTANCE_TERMINATING"
      && aws_autoscaling_lifecycle_hook.classifier_drained.default_result == "CONTINUE"
      && aws_autoscaling_lifecycle_hook.classifier_drained.name != one(aws_autoscaling_group.classifier.initial_lifecycle_hook).name
    )
    error_message = "The classifier group needs its own EC2_INSTANCE_TERMINATING hook whose timeout lets the termination go on (CONTINUE)."
  }

  # MAX_JOB_TIME is the worker's default in application.yml (3m today); the hook must outlast the script's drain,
  # which must outlast a job: a job is abandoned by the worker after MAX_JOB_TIME.
  assert {
    condition = (
      local.max_job_time_seconds == 180
      && local.drain_timeout_seconds > local.max_job_time_seconds
      && aws_autoscaling_lifecycle_hook.classifier_drained.heartbeat_timeout > local.drain_timeout_seconds
      && aws_autoscaling_lifecycle_hook.classifier_drained.heartbeat_timeout <= 7200
    )
    error_message = "The terminating hook's heartbeat must exceed the script's drain bound, which must exceed MAX_JOB_TIME (application.yml)."
  }

  # The hook is sized from the worker's default only while the user data leaves MAX_JOB_TIME unset.
  assert {
    condition     = !strcontains(base64decode(aws_launch_template.classifier.user_data), "MAX_JOB_TIME=")
    error_message = "The user data sets MAX_JOB_TIME: size the terminating hook (scaling.tf) from that value instead of application.yml's default."
  }

  # The instance completes that hook by its name, after the drain bounded by the rendered timeout.
  assert {
    condition = alltrue([for fragment in [
      "complete_action \"${aws_autoscaling_lifecycle_hook.classifier_drained.name}\" CONTINUE",
      "local reads=$(( ${local.drain_timeout_seconds} / 5 ))",
      "\"jobsInFlight\":0[,}]",
    ] : strcontains(base64decode(aws_launch_template.classifier.user_data), fragment)])
    error_message = "The worker's user data must complete the terminating hook by its name after waiting (bounded) for jobsInFlight 0."
  }
}

run "warm_pool_is_bounded_and_reuses_instances" {
  command = apply

  assert {
    condition     = aws_autoscaling_group.classifier.warm_pool[0].max_group_prepared_capacity == jsondecode(file("../scaling-policy.json")).warmPool.maxGroupPreparedCapacity && aws_autoscaling_group.classifier.warm_pool[0].max_group_prepared_capacity <= 4
    error_message = "max_group_prepared_capacity must default to scaling-policy.json's warmPool.maxGroupPreparedCapacity (what make simulate assumes), at most 4 (AWS's default is the group's maximum of 20)."
  }

  assert {
    condition     = aws_autoscaling_group.classifier.warm_pool[0].instance_reuse_policy[0].reuse_on_scale_in == true
    error_message = "Scale-in must return instances to the warm pool."
  }

  assert {
    condition     = contains(aws_autoscaling_group.classifier.enabled_metrics, "WarmPoolWarmedCapacity")
    error_message = "The warm pool size must be reported (dashboard)."
  }
}

run "warm_pool_size_is_a_variable" {
  command = plan

  variables {
    max_group_prepared_capacity = 2
  }

  assert {
    condition     = aws_autoscaling_group.classifier.warm_pool[0].max_group_prepared_capacity == 2
    error_message = "max_group_prepared_capacity must follow its variable."
  }
}

# The shipped state: Hibernated, so every instance launches with hibernation enabled and an encrypted root volume
# that holds its RAM (the mocked c6i.large: 4 GiB, hibernation supported).
run "hibernated_pool_launches_hibernation_ready_instances" {
  command = apply

  assert {
    condition     = aws_autoscaling_group.classifier.warm_pool[0].pool_state == "Hibernated" && jsondecode(file("../scaling-policy.json")).warmPool.poolState == "Hibernated"
    error_message = "The warm pool's state must default to scaling-policy.json's warmPool.poolState (Hibernated)."
  }

  assert {
    condition     = aws_launch_template.classifier.hibernation_options[0].configured == true
    error_message = "A Hibernated warm pool needs instances launched with hibernation enabled."
  }

  assert {
    condition = alltrue([for b in aws_launch_template.classifier.block_device_mappings :
      b.ebs[0].encrypted == "true" && b.ebs[0].volume_size >= 4 + 10
    ])
    error_message = "Hibernation needs an encrypted root volume that holds the RAM (4 GiB) plus the instance's own data (10 GiB)."
  }
}

run "stopped_pool_is_a_choice" {
  command = plan

  variables {
    warm_pool_state = "Stopped"
  }

  assert {
    condition     = aws_autoscaling_group.classifier.warm_pool[0].pool_state == "Stopped" && aws_launch_template.classifier.hibernation_options[0].configured == false
    error_message = "warm_pool_state Stopped: a stopped pool, instances launched without hibernation."
  }
}

run "rejects_an_unknown_pool_state" {
  command = plan

  variables {
    warm_pool_state = "Running"
  }

  expect_failures = [var.warm_pool_state]
}

run "hibernated_needs_an_instance_type_that_supports_it" {
  command = plan

  variables {
    classifier_instance_type = "c7a.large"
  }

  override_data {
    target = data.aws_ec2_instance_type.classifier
    values = {
      memory_size           = 4096
      hibernation_supported = false
    }
  }

  expect_failures = [aws_launch_template.classifier]
}

run "stopped_pool_takes_any_instance_type" {
  command = plan

  variables {
    classifier_instance_type = "c7a.large"
    warm_pool_state          = "Stopped"
  }

  override_data {
    target = data.aws_ec2_instance_type.classifier
    values = {
      memory_size           = 4096
      hibernation_supported = false
    }
  }

  assert {
    condition     = aws_launch_template.classifier.hibernation_options[0].configured == false
    error_message = "A Stopped pool must not need hibernation."
  }
}

run "hibernated_needs_a_root_volume_for_the_ram" {
  command = plan

  variables {
    classifier_instance_type = "c6i.2xlarge"
  }

  # 16 GiB of RAM + 10 GiB: the default 20 GiB volume is too small.
  override_data {
    target = data.aws_ec2_instance_type.classifier
    values = {
      memory_size           = 16384
      hibernation_supported = true
    }
  }

  expect_failures = [aws_launch_template.classifier]
}

run "failing_containers_are_restarted_then_replaced" {
  command = apply

  assert {
    condition = alltrue([for ud in [base64decode(aws_launch_template.classifier.user_data), base64decode(aws_launch_template.web.user_data)] : alltrue([
      for fragment in [
        "Restart=always",
        "StartLimitBurst=5",
        "aws autoscaling set-instance-health",
        "--health-status Unhealthy",
        "JAVA_TOOL_OPTIONS=-XX:+ExitOnOutOfMemoryError",
      ] : strcontains(ud, fragment)
    ])])
    error_message = "Both tiers: containers restarted by systemd, JVMs exit on OutOfMemoryError, an instance that keeps failing marks itself Unhealthy."
  }

  assert {
    condition = (
      strcontains(base64decode(aws_launch_template.classifier.user_data), "OnFailure=classifier-unhealthy.service")
      && strcontains(base64decode(aws_launch_template.web.user_data), "OnFailure=web-unhealthy.service")
      && strcontains(base64decode(aws_launch_template.classifier.user_data), "systemctl restart classifier.service")
    )
    error_message = "A service that exhausts its restarts must trigger the Unhealthy report; a hung worker is restarted by the watchdog."
  }
}

run "one_immutable_tag_rolled_out_by_instance_refresh" {
  command = apply

  assert {
    condition = (
      strcontains(base64decode(aws_launch_template.classifier.user_data), "${aws_ecr_repository.classifier.repository_url}:${var.image_tag}")
      && strcontains(base64decode(aws_launch_template.web.user_data), "${aws_ecr_repository.web.repository_url}:${var.image_tag}")
      && !strcontains(base64decode(aws_launch_template.classifier.user_data), ":latest")
      && !strcontains(base64decode(aws_launch_template.web.user_data), ":latest")
    )
    error_message = "Both launch templates must run their image at image_tag."
  }

  assert {
    condition     = aws_ecr_repository.web.image_tag_mutability == "IMMUTABLE" && aws_ecr_repository.classifier.image_tag_mutability == "IMMUTABLE"
    error_message = "Image tags must be immutable: a tag always names the same image."
  }

  assert {
    condition = alltrue([for g in [aws_autoscaling_group.classifier, aws_autoscaling_group.web] :
      length(g.instance_refresh) == 1 && g.instance_refresh[0].strategy == "Rolling"
      && g.instance_refresh[0].preferences[0].min_healthy_percentage == 100
    ])
    error_message = "Both groups need an instance refresh that keeps every healthy instance until its replacement is ready."
  }

  # The groups follow the newest launch template version, so a new image_tag changes them and starts the refresh.
  assert {
    condition = (
      aws_autoscaling_group.classifier.launch_template[0].version == tostring(aws_launch_template.classifier.latest_version)
      && aws_autoscaling_group.web.launch_template[0].version == tostring(aws_launch_template.web.latest_version)
    )
    error_message = "Both groups must use their launch template's latest version."
  }
}

run "rejects_the_moving_latest_tag" {
  command = plan

  variables {
    image_tag = "latest"
  }

  expect_failures = [var.image_tag]
}
