# Least privilege for the host, shared by the function and the service task: write the two
# tables, read modules under the module prefix, decrypt what those are encrypted with.
data "aws_iam_policy_document" "data_access" {
  statement {
    sid = "WriteResultTables"
    # The host writes items and dead letters with BatchWriteItem only, and reads each table's
    # key schema with DescribeTable at start (to merge duplicate keys, and to fail early).
    actions = [
      "dynamodb:BatchWriteItem",
      "dynamodb:DescribeTable",
    ]
    resources = [
      aws_dynamodb_table.averages.arn,
      aws_dynamodb_table.dead_letter.arn,
    ]
  }

  statement {
    sid = "ReadModules"
    # GetObject also authorises HeadObject, which the host uses to poll the ETag.
    actions   = ["s3:GetObject"]
    resources = ["${module.module_store.arn}/${var.module_prefix}*"]
  }

  statement {
    sid = "ListModulePrefix"
    # Only so a missing module is a 404 (clear error) rather than a 403.
    actions   = ["s3:ListBucket"]
    resources = [module.module_store.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.module_prefix}*"]
    }
  }

  statement {
    sid       = "DecryptModulesAndTables"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.kms.key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values = [
        "s3.${local.region}.${local.dns_suffix}",
        "dynamodb.${local.region}.${local.dns_suffix}",
      ]
    }
  }
}

locals {
  kafka_auth_secret_arns = compact([
    var.kafka_sasl_scram_secret_arn,
    var.kafka_client_certificate_secret_arn,
    var.kafka_server_root_ca_secret_arn,
  ])
  # Attached only when there is something to read.
  kafka_auth_policy_documents = (
    length(local.kafka_auth_secret_arns) > 0 || var.kafka_secrets_kms_key_arn != ""
    ? [data.aws_iam_policy_document.kafka_auth_secrets.json]
    : []
  )
}

# Reading the Kafka authentication secrets: the event source mapping reads them with the
# function's role, the ECS agent with the task execution role.
data "aws_iam_policy_document" "kafka_auth_secrets" {
  dynamic "statement" {
    for_each = length(local.kafka_auth_secret_arns) > 0 ? [local.kafka_auth_secret_arns] : []

    content {
      sid       = "ReadKafkaAuthSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = var.kafka_secrets_kms_key_arn != "" ? [var.kafka_secrets_kms_key_arn] : []

    content {
      sid       = "DecryptKafkaAuthSecrets"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.${local.dns_suffix}"]
      }
    }
  }
}
