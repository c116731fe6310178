# Consumer account: PrivateLink endpoints to the producer's brokers, a private hosted zone that
# gives them their real names, the swapstream Lambda with its Kafka event source mapping, the
# result and dead-letter tables, the module bucket and, optionally, the ECS service.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

# Written by the producer stack and shared by resource policy; read at plan time, so the
# number of brokers (and endpoints) is known before apply.
data "aws_secretsmanager_secret_version" "kafka_connection" {
  secret_id = var.kafka_connection_secret_arn
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  dns_suffix = data.aws_partition.current.dns_suffix

  # Broker names, ports and endpoint services: not a credential, so plan output may show them.
  kafka_connection = nonsensitive(jsondecode(data.aws_secretsmanager_secret_version.kafka_connection.secret_string))

  listener_key = var.kafka_listener == "sasl-scram" ? "sasl_scram" : "tls"
  kafka_brokers = {
    for id, broker in local.kafka_connection : id => {
      host = broker.endpoint_url
      # Secrets written by the reference deployment have only the TLS `broker_port`.
      port         = try(broker.ports[local.listener_key], local.listener_key == "tls" ? broker.broker_port : null)
      service_name = broker.service_name
    }
  }
  kafka_broker_ids  = sort(keys(local.kafka_brokers))
  kafka_ports       = toset([for broker in local.kafka_brokers : broker.port])
  bootstrap_servers = join(",", [for id in local.kafka_broker_ids : "${local.kafka_brokers[id].host}:${local.kafka_brokers[id].port}"])

  # All brokers of a cluster share the domain after their first label (b-1.<cluster>...).
  first_broker_labels = split(".", local.kafka_brokers[local.kafka_broker_ids[0]].host)
  broker_domain       = join(".", slice(local.first_broker_labels, 1, length(local.first_broker_labels)))

  # Artifact paths are relative to the repository root, two levels above this stack.
  repo_root           = abspath("${path.root}/../..")
  lambda_zip_path     = startswith(var.lambda_zip_path, "/") ? var.lambda_zip_path : "${local.repo_root}/${var.lambda_zip_path}"
  default_module_path = startswith(var.default_module_path, "/") ? var.default_module_path : "${local.repo_root}/${var.default_module_path}"

  module_key      = "${var.module_prefix}${var.module_file_name}"
  module_location = "s3://${module.module_store.bucket}/${local.module_key}"
  module_sha256   = var.module_sha256 != "" ? var.module_sha256 : filesha256(local.default_module_path)
  module_config   = join(",", [for key in sort(keys(var.module_config)) : "${key}=${var.module_config[key]}"])

  # The pipeline settings both front doors read (the host's configuration table in README.md).
  host_environment = merge(
    {
      SWAPSTREAM_TABLE                = aws_dynamodb_table.averages.name
      SWAPSTREAM_DEAD_LETTER_TABLE    = aws_dynamodb_table.dead_letter.name
      SWAPSTREAM_MODULE               = local.module_location
      SWAPSTREAM_MODULE_POLL_INTERVAL = var.module_poll_interval
      SWAPSTREAM_CACHE_DIR            = "/tmp/swapstream-cache"
      SWAPSTREAM_LINEAGE_ATTRIBUTE    = var.lineage_attribute
      SWAPSTREAM_LOG                  = var.log_filter
      SWAPSTREAM_LOG_FORMAT           = "json"
      SWAPSTREAM_WRITE_CONCURRENCY    = tostring(var.write_concurrency)
    },
    # Without a pin, whatever `swapstream module push` writes to the key goes live at the next poll.
    var.pin_module_sha256 ? { SWAPSTREAM_MODULE_SHA256 = local.module_sha256 } : {},
    length(var.module_config) > 0 ? { SWAPSTREAM_MODULE_CONFIG = local.module_config } : {},
  )
}

# One key for everything at rest here: tables, modules, logs, the function's environment.
module "kms" {
  source = "../modules/kms-key"

  alias       = "${var.name}-consumer"
  description = "swapstream consumer stack: tables, modules, logs and function environment"
}

module "vpc" {
  source = "../modules/vpc"

  name                  = var.name
  cidr_block            = var.vpc_cidr_block
  availability_zone_ids = var.availability_zone_ids
  create_public_subnets = var.enable_nat_gateway
  enable_nat_gateway    = var.enable_nat_gateway
  # DynamoDB and S3 through free gateway endpoints; the rest through interface endpoints.
  gateway_endpoints = ["s3", "dynamodb"]
  interface_endpoints = setunion(
    var.interface_endpoint_services,
    length(local.kafka_auth_secret_arns) > 0 ? ["secretsmanager"] : [],
    var.service_enabled ? ["ecr.api", "ecr.dkr", "logs"] : [],
  )
  kms_key_arn             = module.kms.key_arn
  flow_log_retention_days = var.log_retention_days
}
