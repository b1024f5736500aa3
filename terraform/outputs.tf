output "web_url" {
  description = "Base URL of the (first) web host: POST images to <web_url>/classify; pass it to `make load-test URL=...`."
  value       = "http://${aws_instance.web[0].public_dns}:${var.web_port}"
}

output "web_urls" {
  description = "Base URLs of every web host."
  value       = [for h in aws_instance.web : "http://${h.public_dns}:${var.web_port}"]
}

output "request_queue_url" {
  description = "URL of the request queue (REQUEST_QUEUE)."
  value       = aws_sqs_queue.requests.url
}

output "dead_letter_queue_url" {
  description = "URL of the request queue's dead-letter queue (DEAD_LETTER_QUEUE): requests that failed 3 receives."
  value       = aws_sqs_queue.dead_letter.url
}

output "response_queue_urls" {
  description = "URLs of the web hosts' fixed response queues (RESPONSE_QUEUE), one per host."
  value       = aws_sqs_queue.responses[*].url
}

output "input_bucket" {
  description = "Name of the input bucket for uploads (INPUT_BUCKET)."
  value       = aws_s3_bucket.this["input"].bucket
}

output "output_bucket" {
  description = "Name of the output bucket for result documents (OUTPUT_BUCKET)."
  value       = aws_s3_bucket.this["output"].bucket
}

output "web_repository_url" {
  description = "ECR repository URL of the web-service image (`make images` pushes here)."
  value       = aws_ecr_repository.web.repository_url
}

output "classifier_repository_url" {
  description = "ECR repository URL of the classifier-service image (`make images` pushes here)."
  value       = aws_ecr_repository.classifier.repository_url
}

output "region" {
  description = "Region everything was created in."
  value       = var.region
}
