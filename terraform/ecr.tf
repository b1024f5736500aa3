# One repository per image. The deploy pushes both images with one immutable tag (the git commit, var.image_tag); the
# hosts pull that tag at boot. IMMUTABLE: a tag, once pushed, always names the same image, so a launch template that
# names it always starts the same code, and a new tag reaches running hosts only by instance refresh (scaling.tf, web.tf).

locals {
  repositories = {
    web        = "${var.name_prefix}/web-service"
    classifier = "${var.name_prefix}/classifier-service"
  }
}

resource "aws_ecr_repository" "web" {
  name                 = local.repositories.web
  image_tag_mutability = "IMMUTABLE"
  force_delete         = true # `make destroy` removes pushed images too

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_repository" "classifier" {
  name                 = local.repositories.classifier
  image_tag_mutability = "IMMUTABLE"
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
      description  = "Keep the 5 newest images (the running tag and a few to roll back to)"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 5
      }
      action = { type = "expire" }
    }]
  })
}
