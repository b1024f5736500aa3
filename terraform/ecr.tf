# One repository per image. `make images` pushes to them with Jib; the hosts pull from them at boot.

locals {
  repositories = {
    web        = "${var.name_prefix}/web-service"
    classifier = "${var.name_prefix}/classifier-service"
  }
}

resource "aws_ecr_repository" "web" {
  name                 = local.repositories.web
  image_tag_mutability = "MUTABLE" # `latest` moves with each `make images`
  force_delete         = true      # `make destroy` removes pushed images too

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_repository" "classifier" {
  name                 = local.repositories.classifier
  image_tag_mutability = "MUTABLE"
  force_delete         = true

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

# Keep storage (and cost) bounded: only the newest images stay.
resource "aws_ecr_lifecycle_policy" "keep_recent" {
  for_each   = { web = aws_ecr_repository.web.name, classifier = aws_ecr_repository.classifier.name }
  repository = each.value

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 5 newest images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 5
      }
      action = { type = "expire" }
    }]
  })
}
