# Optional: a private ECR repository for the service's image (deploy/container/Dockerfile), so
# the walkthrough needs no registry outside this account. The tasks pull it through the ECR
# interface endpoints and the S3 gateway endpoint, without a NAT gateway.
resource "aws_ecr_repository" "service" {
  count = var.create_ecr_repository ? 1 : 0

  name = var.name
  # A tag names one image for good: rolling back is pointing service_image at the older tag.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.module_bucket_force_destroy

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = module.kms.key_arn
  }
}

# Untagged layers and all but the newest tagged images go after a while.
resource "aws_ecr_lifecycle_policy" "service" {
  count = var.create_ecr_repository ? 1 : 0

  repository = aws_ecr_repository.service[0].name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after 7 days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.ecr_images_to_keep} images"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.ecr_images_to_keep }
        action       = { type = "expire" }
      },
    ]
  })
}
