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
  description = "Subnets of the load balancer and both Auto Scaling groups: at least two, in at least two availability zones (an Application Load Balancer needs two), all in one VPC, with a route to the internet (public subnets of the default VPC work)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must list at least two subnet ids (subnet-...), in two availability zones: the load balancer needs two."
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
  description = "EC2 instance type of the web instances (x86_64: the images are linux/amd64)."
  type        = string
  default     = "t3.small"
}

variable "classifier_instance_type" {
  description = "EC2 instance type of a classifier worker (x86_64: the image bundles libtorch for linux-x86_64)."
  type        = string
  default     = "c6i.large"
}

variable "web_min_size" {
  description = "Fewest web instances behind the load balancer (at least 1)."
  type        = number
  default     = 1

  validation {
    condition     = var.web_min_size >= 1
    error_message = "web_min_size must be at least 1: the load balancer needs a target."
  }
}

variable "web_max_size" {
  description = "Most web instances (an instance refresh launches up to this many while it replaces them). Each holds up to MAX_PENDING waiting callers."
  type        = number
  default     = 2

  validation {
    condition     = var.web_max_size >= var.web_min_size && var.web_max_size <= 10
    error_message = "web_max_size must be between web_min_size and 10."
  }
}

variable "web_port" {
  description = "HTTP port of the web tier on its host (PORT); reachable only from the load balancer."
  type        = number
  default     = 8080
}

variable "classifier_health_port" {
  description = "Port of the classifier's /health endpoint inside its host (PORT). Not reachable from outside: workers take no inbound traffic."
  type        = number
  default     = 8081
}

variable "web_allowed_cidrs" {
  description = "CIDR blocks allowed to reach the load balancer (HTTP 80, and HTTPS 443 with certificate_arn). No default: pass your own address (e.g. 203.0.113.7/32); 0.0.0.0/0 opens the service to the internet and is accepted only when given explicitly."
  type        = list(string)

  validation {
    condition     = length(var.web_allowed_cidrs) > 0 && alltrue([for c in var.web_allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "web_allowed_cidrs must be a non-empty list of valid IPv4 CIDR blocks."
  }
}

variable "image_tag" {
  description = "Tag of both images in their ECR repositories: one immutable tag, e.g. the git commit `make deploy` pushed. Both launch templates name it; a new tag rolls out by instance refresh."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a Docker tag (letters, digits, _ . -; at most 128) and not the moving tag latest: use an immutable one such as the git commit."
  }
}

variable "certificate_arn" {
  description = "ACM certificate ARN for HTTPS on the load balancer (443; port 80 then redirects to it). Empty: HTTP only on port 80."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be empty or an ACM certificate ARN (arn:aws:acm:...)."
  }
}

variable "classifier_max_size" {
  description = "Most classifier workers. Null: the policy file's maxCapacity (20). Lower it when the account's EC2 vCPU quota cannot hold that many (the deploy's MAX_WORKERS); the scaling steps stay those of scaling-policy.json, capped at this maximum."
  type        = number
  default     = null

  validation {
    condition     = var.classifier_max_size == null || try(var.classifier_max_size >= 1 && var.classifier_max_size <= 20 && floor(var.classifier_max_size) == var.classifier_max_size, false)
    error_message = "classifier_max_size must be null or a whole number between 1 and 20."
  }
}

variable "max_group_prepared_capacity" {
  description = "Warm pool: most instances running plus prepared (image pulled, worker warmed). The pool holds this minus the running workers, so at most this many launches of a scale-out from 0 come from the pool; the others boot cold. Each pooled instance bills its EBS volume (root_volume_size_gb). Null: scaling-policy.json warmPool.maxGroupPreparedCapacity (4, chosen with make simulate: docs/decisions/0014-warm-workers-and-scale-in-window.md). AWS's own default would be the group's maximum (20 instances, 400 GiB)."
  type        = number
  default     = null

  validation {
    condition     = var.max_group_prepared_capacity == null || try(var.max_group_prepared_capacity >= 0 && var.max_group_prepared_capacity <= 20 && floor(var.max_group_prepared_capacity) == var.max_group_prepared_capacity, false)
    error_message = "max_group_prepared_capacity must be null or a whole number between 0 and the group's maximum of 20."
  }
}

variable "warm_pool_state" {
  description = "State of the warm pool's prepared instances: Stopped (EBS billed; the worker starts again, cold JVM, when an instance leaves the pool) or Hibernated (RAM saved to the encrypted root volume; the warmed worker resumes with it; needs an instance type that supports hibernation and a root volume for its RAM, checked at plan). Null: scaling-policy.json warmPool.poolState (Hibernated)."
  type        = string
  default     = null

  validation {
    condition     = var.warm_pool_state == null || contains(["Stopped", "Hibernated"], coalesce(var.warm_pool_state, "-"))
    error_message = "warm_pool_state must be null, Stopped or Hibernated."
  }
}

variable "lifecycle_heartbeat_timeout_seconds" {
  description = "How long a launching worker may take to pull its image and report healthy before the launch lifecycle hook gives up and abandons it (the instance is terminated and replaced)."
  type        = number
  default     = 600

  validation {
    condition     = var.lifecycle_heartbeat_timeout_seconds >= 30 && var.lifecycle_heartbeat_timeout_seconds <= 7200
    error_message = "lifecycle_heartbeat_timeout_seconds must be between 30 and 7200 (AWS limits)."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the containers' logs (one log group per tier)."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when the dead-letter alarm fires (e.g. an SNS topic you subscribed to). Empty: the alarm shows on the dashboard and in the console only."
  type        = list(string)
  default     = []
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
  description = "Days uploaded images are kept in the input bucket, and the dead-letter queue's retention: a request can be redriven for this long and its image is still there (at most 14, SQS's longest retention)."
  type        = number
  default     = 4

  validation {
    condition     = var.input_expiry_days >= 1 && var.input_expiry_days <= 14 && floor(var.input_expiry_days) == var.input_expiry_days
    error_message = "input_expiry_days must be a whole number of days from 1 to 14 (it is also the dead-letter queue's retention)."
  }
}

variable "output_expiry_days" {
  description = "Days after which result documents are deleted from the output bucket."
  type        = number
  default     = 30
}

variable "api_keys_enabled" {
  description = "Require an API key on the API (docs/security.md). On by default: the load balancer is reachable from web_allowed_cidrs, and the API must not be open to them. The keys live in an SSM SecureString parameter written from api_keys."
  type        = bool
  default     = true
}

variable "api_keys" {
  description = "The API keys the web tier accepts, each at least 16 characters (e.g. `openssl rand -hex 32`). Ephemeral and written through the parameter's write-only value: never stored in the Terraform state or plan. Needed when the parameter is created and whenever api_keys_version changes; make deploy passes the keys in terraform/api-keys.txt."
  type        = list(string)
  default     = []
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = alltrue([for key in var.api_keys : length(key) >= 16])
    error_message = "Every API key needs at least 16 characters (openssl rand -hex 32)."
  }
}

variable "api_keys_version" {
  description = "Raise it to write a new api_keys value into the parameter (a write-only value is sent only when this number changes); the web hosts read the parameter at boot, so follow with an instance refresh."
  type        = number
  default     = 1
}

variable "max_pending" {
  description = "Waiting callers per web host before it answers 503 (MAX_PENDING)."
  type        = number
  default     = 1000
}

variable "worker_threads" {
  description = "Inference threads of a classifier worker, one Predictor each (WORKER_THREADS); 0 = one per vCPU of the instance (make bench: one single-threaded predictor per core is fastest)."
  type        = number
  default     = 0
}

variable "intra_op_threads" {
  description = "PyTorch intra-op threads per inference on a worker (INTRA_OP_THREADS)."
  type        = number
  default     = 1
}

variable "root_volume_size_gb" {
  description = "Encrypted gp3 root volume size of every instance, in GiB (Docker images and the unpacked libtorch live here). With warm_pool_state Hibernated the classifier's volume also holds its RAM: at least the instance type's memory plus 10 GiB (checked at plan)."
  type        = number
  default     = 20
}
