# What the consumer stack needs to connect, keyed by broker ("b-1", ...): the broker's advertised
# name (which its TLS certificate matches), its ports and the endpoint service in front of it.
# `endpoint_url`, `broker_port` (TLS) and `service_name` keep the reference deployment's shape;
# `zone_ids` are the availability zone IDs the endpoint service is in (zone IDs, not names: names
# differ between accounts), where the consumer must place its endpoints; `cluster_arn` is what
# the consumer's IAM policies name for MSK IAM authentication.
locals {
  kafka_connection = {
    for id in local.broker_ids : "b-${id}" => {
      endpoint_url = local.brokers[id].endpoint
      broker_port  = local.listener_ports.tls
      ports        = local.listener_ports
      service_name = module.broker_endpoint_service[id].service_name
      zone_ids     = module.vpc.availability_zone_ids
      cluster_arn  = aws_msk_cluster.this.arn
    }
  }
}

resource "aws_secretsmanager_secret" "kafka_connection" {
  #checkov:skip=CKV2_AWS_57:Holds broker names, ports and endpoint-service names, not a credential; it changes only when this stack is applied, so there is nothing to rotate.
  name                    = "${var.name}/kafka-connection"
  description             = "swapstream: MSK broker names, ports and PrivateLink endpoint services, shared with the consumer accounts"
  kms_key_id              = module.kms.key_arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "kafka_connection" {
  secret_id     = aws_secretsmanager_secret.kafka_connection.id
  secret_string = jsonencode(local.kafka_connection)
}

data "aws_iam_policy_document" "kafka_connection_secret" {
  statement {
    sid       = "ConsumerAccountsRead"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.kafka_connection.arn]

    principals {
      type        = "AWS"
      identifiers = local.consumer_principals
    }
  }
}

resource "aws_secretsmanager_secret_policy" "kafka_connection" {
  secret_arn          = aws_secretsmanager_secret.kafka_connection.arn
  policy              = data.aws_iam_policy_document.kafka_connection_secret.json
  block_public_policy = true
}
