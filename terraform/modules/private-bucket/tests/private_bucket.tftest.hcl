# The private bucket module under a mocked AWS provider: private, versioned, KMS, TLS only.

mock_provider "aws" {
  source          = "../../ci/mocks/account-a"
  override_during = plan
}

variables {
  bucket_name = "swapstream-modules-111111111111-eu-central-1"
  kms_key_arn = "arn:aws:kms:eu-central-1:111111111111:key/00000000-0000-0000-0000-00000000000a"
}

run "private_versioned_encrypted" {
  command = plan

  assert {
    condition     = output.bucket == "swapstream-modules-111111111111-eu-central-1"
    error_message = "bucket name: ${output.bucket}"
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.this.block_public_acls &&
      aws_s3_bucket_public_access_block.this.block_public_policy &&
      aws_s3_bucket_public_access_block.this.ignore_public_acls &&
      aws_s3_bucket_public_access_block.this.restrict_public_buckets &&
      one(aws_s3_bucket_ownership_controls.this.rule).object_ownership == "BucketOwnerEnforced"
    )
    error_message = "public access is not blocked everywhere, or ACLs are on"
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this.versioning_configuration).status == "Enabled"
    error_message = "versioning off"
  }

  assert {
    condition = jsonencode(one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default)) == jsonencode({
      kms_master_key_id = var.kms_key_arn
      sse_algorithm     = "aws:kms"
    })
    error_message = "default encryption is not the given KMS key"
  }

  # Every request without TLS is denied.
  assert {
    condition = jsonencode([for s in data.aws_iam_policy_document.tls_only.statement : {
      effect    = s.effect
      actions   = sort(s.actions)
      condition = [for c in s.condition : "${c.variable} ${c.test} ${join(",", c.values)}"]
      }]) == jsonencode([{
      effect    = "Deny"
      actions   = ["s3:*"]
      condition = ["aws:SecureTransport Bool false"]
    }])
    error_message = "the bucket policy is not TLS-only"
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "old versions kept 90 days by default"
  }
}

run "invalid_bucket_name" {
  command = plan

  variables {
    bucket_name = "Not_A_Bucket"
  }

  expect_failures = [var.bucket_name]
}
