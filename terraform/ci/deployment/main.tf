# Test root for deploying both stacks together (scripts/check-terraform.sh runs `terraform test`
# here): tests/*.tftest.hcl apply the producer stack and plan the consumer stack against what the
# producer wrote, under a mocked AWS provider, in one account and across two. It declares nothing
# itself; each run block names the stack it runs.
terraform {
  required_version = ">= 1.7.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}
