variable "region" {
  description = "AWS region for every resource (also passed to the services as AWS_REGION)."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (queues, bucket prefixes, repositories, roles). Lower case letters, digits and hyphens."
  type        = string
  default     = "image-recognition"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,23}$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters: lower case letters, digits and hyphens, starting with a letter (it becomes part of S3 bucket names)."
  }
}

variable "tags" {
  description = "Extra tags applied to every resource (merged with Project and ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "subnet_ids" {
  description = "Subnets for the web host(s) and the classifier Auto Scaling group; all in one VPC, with a route to the internet (public subnets of the default VPC work: `make deploy` looks them up when SUBNET_IDS is not set)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must list at least one subnet id (subnet-...)."
  }
}

variable "assign_public_ip" {
  description = "Give the instances a public IPv4 address. Needed in public subnets without a NAT gateway (the default VPC), so hosts can reach ECR, SQS and S3."
  type        = bool
  default     = true
}

variable "ami_id" {
  description = "AMI for both tiers. Null picks the latest Amazon Linux 2023 x86_64 AMI (Docker from its repositories). The classifier image is linux/amd64 only."
  type        = string
  default     = null
}

variable "web_instance_type" {
  description = "EC2 instance type of the web host(s)."
  type        = string
  default     = "t3.small"
}

variable "classifier_instance_type" {
  description = "EC2 instance type of a classifier worker (x86_64: the image bundles libtorch for linux-x86_64)."
  type        = string
  default     = "c6i.large"
}

variable "web_host_count" {
  description = "Number of web hosts. Each gets its own fixed response queue (RESPONSE_QUEUE), so answers reach the host that queued the request."
  type        = number
  default     = 1

  validation {
    condition     = var.web_host_count >= 1 && var.web_host_count <= 5
    error_message = "web_host_count must be between 1 and 5."
  }
}

variable "web_port" {
  description = "HTTP port of the web tier on its host (PORT)."
  type        = number
  default     = 8080
}

variable "classifier_health_port" {
  description = "Port of the classifier's /health endpoint inside its host (PORT). Not reachable from outside: workers take no inbound traffic."
  type        = number
  default     = 8081
}

variable "web_allowed_cidrs" {
  description = "CIDR blocks allowed to reach the web port. `make deploy` passes your current public IP as a /32; set it explicitly for anything else. 0.0.0.0/0 opens the service to the internet."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.web_allowed_cidrs) > 0 && alltrue([for c in var.web_allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "web_allowed_cidrs must be a non-empty list of valid IPv4 CIDR blocks."
  }
}

variable "web_image_tag" {
  description = "Tag of the web-service image in its ECR repository (what `make images` pushed)."
  type        = string
  default     = "latest"
}

variable "classifier_image_tag" {
  description = "Tag of the classifier-service image in its ECR repository (what `make images` pushed)."
  type        = string
  default     = "latest"
}

variable "request_visibility_timeout_seconds" {
  description = "Visibility timeout of the request queue; the worker extends it for slow jobs."
  type        = number
  default     = 30
}

variable "max_receive_count" {
  description = "Receives of a request before SQS moves it to the dead-letter queue."
  type        = number
  default     = 3
}

variable "input_expiry_days" {
  description = "Days after which uploaded images are deleted from the input bucket."
  type        = number
  default     = 1
}

variable "output_expiry_days" {
  description = "Days after which result documents are deleted from the output bucket."
  type        = number
  default     = 30
}

variable "result_timeout" {
  description = "How long the web tier waits for an answer (RESULT_TIMEOUT, Micronaut duration such as 60s)."
  type        = string
  default     = "60s"
}

variable "max_pending" {
  description = "Waiting callers per web host before it answers 503 (MAX_PENDING)."
  type        = number
  default     = 1000
}

variable "worker_threads" {
  description = "Inference threads of a classifier worker, one Predictor each (WORKER_THREADS); match the instance's vCPUs (make bench: 2 x 1 intra-op is fastest on 2 vCPUs)."
  type        = number
  default     = 2
}

variable "intra_op_threads" {
  description = "PyTorch intra-op threads per inference on a worker (INTRA_OP_THREADS)."
  type        = number
  default     = 1
}

variable "root_volume_size_gb" {
  description = "Encrypted gp3 root volume size of every instance, in GiB (Docker images and the unpacked libtorch live here)."
  type        = number
  default     = 20
}
