# The KMS key module under a mocked AWS provider.

mock_provider "aws" {
  source          = "../../ci/mocks/account-a"
  override_during = plan
}

variables {
  alias       = "swapstream-consumer"
  description = "test key"
}

run "rotating_key_with_alias" {
  command = plan

  assert {
    condition = (
      aws_kms_key.this.enable_key_rotation &&
      aws_kms_key.this.deletion_window_in_days == 7 &&
      aws_kms_alias.this.name == "alias/swapstream-consumer"
    )
    error_message = "rotation on, 7-day deletion window, alias/<alias>"
  }

  # The account's IAM policies govern the key; CloudWatch Logs may use it for this account's log
  # groups in this region only.
  assert {
    condition = jsonencode({
      for s in data.aws_iam_policy_document.key.statement : s.sid => {
        principals = sort(one(s.principals).identifiers)
        conditions = [for c in s.condition : "${c.variable} ${c.test} ${join(",", c.values)}"]
      }
      }) == jsonencode({
      AccountIamPolicies = { principals = ["arn:aws:iam::111111111111:root"], conditions = [] }
      CloudWatchLogsOfThisAccount = {
        principals = ["logs.eu-central-1.amazonaws.com"]
        conditions = ["kms:EncryptionContext:aws:logs:arn ArnLike arn:aws:logs:eu-central-1:111111111111:log-group:*"]
      }
    })
    error_message = "the key policy changed"
  }
}

run "additional_policy_documents_are_merged" {
  command = plan

  variables {
    additional_policy_documents = ["{\"Version\":\"2012-10-17\",\"Statement\":[]}"]
  }

  assert {
    condition     = jsonencode(data.aws_iam_policy_document.key.source_policy_documents) == jsonencode(["{\"Version\":\"2012-10-17\",\"Statement\":[]}"])
    error_message = "additional documents are not merged into the key policy"
  }
}

run "aws_aliases_are_refused" {
  command = plan

  variables {
    alias = "aws/s3"
  }

  expect_failures = [var.alias]
}
