# Outputs read by the deploy script and the docs (../notes: the deploy contract). After the targeted apply of the ECR
# repositories (step 1 of the deploy) only web_repository_url, classifier_repository_url and region are known;
# tests/targeted_apply.tftest.hcl checks exactly that step.

output "region" {
  description = "Region everything was created in."
  value       = var.region
  # An output that depends on nothing targeted is not written by a targeted apply; this one must be, after step 1.
  depends_on = [aws_ecr_repository.web]
}

output "web_repository_url" {
  description = "ECR repository URL of the web-service image (the deploy pushes <url>:<image_tag> here)."
  value       = aws_ecr_repository.web.repository_url
}

output "classifier_repository_url" {
  description = "ECR repository URL of the classifier-service image (the deploy pushes <url>:<image_tag> here)."
  value       = aws_ecr_repository.classifier.repository_url
}

output "web_url" {
  description = "Base URL of the web tier (the load balancer; https:// when certificate_arn is set): POST images to <web_url>/classify."
  value       = "${local.https ? "https" : "http"}://${aws_lb.web.dns_name}"
}

output "request_queue_url" {
  description = "URL of the request queue (REQUEST_QUEUE); the load test's --queue-url."
  value       = aws_sqs_queue.requests.url
}

output "dead_letter_queue_url" {
  description = "URL of the request queue's dead-letter queue (DEAD_LETTER_QUEUE): requests that failed max_receive_count receives."
  value       = aws_sqs_queue.dead_letter.url
}

output "classifier_asg_name" {
  description = "Name of the classifier workers' Auto Scaling group; the load test's --asg-name."
  value       = aws_autoscaling_group.classifier.name
}

output "web_asg_name" {
  description = "Name of the web tier's Auto Scaling group."
  value       = aws_autoscaling_group.web.name
}

output "dashboard_url" {
  description = "CloudWatch dashboard: queue visible and in flight, dead letters, workers desired/in service/warm, load balancer latency and 5xx."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards:name=${aws_cloudwatch_dashboard.overview.dashboard_name}"
}

output "client_timeout_seconds" {
  description = "How long a client (the load test) should wait for an answer: scaling-policy.json callers.clientTimeoutSeconds, above the web tier's RESULT_TIMEOUT."
  value       = local.callers.clientTimeoutSeconds
}

output "result_timeout_seconds" {
  description = "The web tier's RESULT_TIMEOUT in seconds (scaling-policy.json callers.resultTimeoutSeconds)."
  value       = local.result_timeout_seconds
}

output "input_bucket" {
  description = "Name of the input bucket for uploads (INPUT_BUCKET)."
  value       = aws_s3_bucket.this["input"].bucket
}

output "output_bucket" {
  description = "Name of the output bucket for result documents (OUTPUT_BUCKET)."
  value       = aws_s3_bucket.this["output"].bucket
}

output "log_groups" {
  description = "CloudWatch Logs groups of the containers' output, one stream per EC2 instance id."
  value       = { web = aws_cloudwatch_log_group.web.name, classifier = aws_cloudwatch_log_group.classifier.name }
}

output "response_queue_prefix" {
  description = "Name prefix of the web instances' response queues: each names its own <prefix>-<EC2 instance id> and deletes it when it stops; `make cleanup-queues` deletes those of instances that died without stopping."
  value       = local.response_queue_prefix
}
