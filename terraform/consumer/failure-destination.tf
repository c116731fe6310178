# Where the event source mapping puts invocations that failed for good. The host itself never
# fails an invocation over a record: records the module rejects, and whole batches the module
# fails on, go to the dead-letter table (SWAPSTREAM_DEAD_LETTER_TABLE) and the partition moves
# on. An invocation fails only when the host cannot write the batch (DynamoDB refusing writes for
# longer than its retries, the function timing out); the mapping retries it and, once it gives up
# (see esm_maximum_retry_attempts), sends a record of the batch here:
#
# * S3 (the default): the whole invocation, records included, one object per failed batch, so
#   nothing has to be read back from Kafka, whose retention may have dropped it by then.
# * SQS: metadata only (topic, partition, offsets), to replay from Kafka while it still holds them.

locals {
  on_failure_destination_arn = (
    var.on_failure_destination == "s3"
    ? module.failed_batches[0].arn
    : aws_sqs_queue.failed_batches[0].arn
  )
}

module "failed_batches" {
  source = "../modules/private-bucket"
  count  = var.on_failure_destination == "s3" ? 1 : 0

  bucket_name                       = "${var.name}-failed-${local.account_id}-${local.region}"
  kms_key_arn                       = module.kms.key_arn
  noncurrent_version_retention_days = var.module_version_retention_days
  force_destroy                     = var.module_bucket_force_destroy
}

resource "aws_sqs_queue" "failed_batches" {
  count = var.on_failure_destination == "sqs" ? 1 : 0

  name                              = "${var.name}-failed-batches"
  kms_master_key_id                 = module.kms.key_arn
  kms_data_key_reuse_period_seconds = 3600
  # The longest SQS keeps a message: the metadata is useless once Kafka has dropped the records.
  message_retention_seconds = 1209600
}

# The function's role delivers to the destination (the event source mapping uses it).
data "aws_iam_policy_document" "on_failure_destination" {
  dynamic "statement" {
    for_each = var.on_failure_destination == "s3" ? [module.failed_batches[0].arn] : []

    content {
      sid       = "WriteFailedBatches"
      actions   = ["s3:PutObject"]
      resources = ["${statement.value}/*"]
    }
  }

  dynamic "statement" {
    for_each = var.on_failure_destination == "s3" ? [module.failed_batches[0].arn] : []

    content {
      sid       = "ListFailedBatches"
      actions   = ["s3:ListBucket"]
      resources = [statement.value]
    }
  }

  # The bucket's objects are encrypted with the stack key: kms:GenerateDataKey through S3 is in
  # DecryptModulesAndTables already.

  dynamic "statement" {
    for_each = var.on_failure_destination == "sqs" ? [aws_sqs_queue.failed_batches[0].arn] : []

    content {
      sid       = "SendFailedBatches"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.on_failure_destination == "sqs" ? [module.kms.key_arn] : []

    content {
      sid       = "EncryptFailedBatchMessages"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${local.region}.${local.dns_suffix}"]
      }
    }
  }
}
