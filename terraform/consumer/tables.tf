# Results: one item per device and batch window, as the reference Lambda writes them.
resource "aws_dynamodb_table" "averages" {
  name         = "${var.name}-averages"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "device_id"
  range_key    = "window_start"

  attribute {
    name = "device_id"
    type = "N"
  }

  attribute {
    name = "window_start"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = module.kms.key_arn
  }

  deletion_protection_enabled = var.table_deletion_protection
}

# Records the module rejected, keyed by where they came from, so a retried batch overwrites
# rather than duplicates. The host also writes topic, partition, reason, value (B), module and
# rejected_at; only key attributes are declared.
resource "aws_dynamodb_table" "dead_letter" {
  name         = "${var.name}-dead-letter"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "source"
  range_key    = "offset"

  attribute {
    name = "source"
    type = "S"
  }

  attribute {
    name = "offset"
    type = "N"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = module.kms.key_arn
  }

  deletion_protection_enabled = var.table_deletion_protection
}
