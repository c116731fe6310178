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

  # Listener names as the host and these variables spell them -> keys of the secret's `ports`.
  listener_keys    = { "tls" = "tls", "sasl-scram" = "sasl_scram", "msk-iam" = "iam" }
  service_listener = var.service_kafka_listener != "" ? var.service_kafka_listener : var.kafka_listener
  kafka_brokers = {
    for id, broker in local.kafka_connection : id => {
      host = broker.endpoint_url
      # The event source mapping's and the service's listener port; null when the producer does
      # not expose it (the preconditions on the mapping and the task definition then say so).
      # Secrets written by the reference deployment have only the TLS `broker_port`.
      port         = try(broker.ports[local.listener_keys[var.kafka_listener]], var.kafka_listener == "tls" ? broker.broker_port : null)
      service_port = try(broker.ports[local.listener_keys[local.service_listener]], local.service_listener == "tls" ? broker.broker_port : null)
      service_name = broker.service_name
      # Older secrets carry neither: the zones then come from availability_zone_ids alone.
      zone_ids    = try(tolist(broker.zone_ids), null)
      cluster_arn = try(broker.cluster_arn, null)
    }
  }
  kafka_broker_ids = sort(keys(local.kafka_brokers))
  # Null-safe on purpose: a listener the producer does not expose must reach the preconditions
  # that explain it, not fail earlier on a null port in a set or a template.
  esm_port_missing     = [for id in local.kafka_broker_ids : id if local.kafka_brokers[id].port == null]
  service_port_missing = [for id in local.kafka_broker_ids : id if local.kafka_brokers[id].service_port == null]
  kafka_ports = toset([
    for port in concat(
      [for broker in local.kafka_brokers : broker.port],
      var.service_enabled ? [for broker in local.kafka_brokers : broker.service_port] : [],
    ) : tostring(port) if port != null
  ])
  bootstrap_servers = join(",", [
    for id in local.kafka_broker_ids : "${local.kafka_brokers[id].host}:${local.kafka_brokers[id].port}"
    if local.kafka_brokers[id].port != null
  ])
  service_bootstrap_servers = join(",", [
    for id in local.kafka_broker_ids : "${local.kafka_brokers[id].host}:${local.kafka_brokers[id].service_port}"
    if local.kafka_brokers[id].service_port != null
  ])

  # Zone IDs (the same in every account; zone names are not) where the producer's endpoint
  # services are, so the consumer's subnets and endpoints land in the same zones. An explicit
  # availability_zone_ids wins; the VPC module's own pick is the last resort.
  producer_zone_ids = distinct(flatten([
    for id in local.kafka_broker_ids : local.kafka_brokers[id].zone_ids == null ? [] : local.kafka_brokers[id].zone_ids
  ]))
  producer_zone_pair    = length(local.producer_zone_ids) >= 2 ? slice(local.producer_zone_ids, 0, 2) : []
  availability_zone_ids = length(var.availability_zone_ids) > 0 ? var.availability_zone_ids : local.producer_zone_pair

  # MSK IAM resources of the service: the cluster, the topic, the service's consumer group.
  kafka_cluster_arn    = try(local.kafka_brokers[local.kafka_broker_ids[0]].cluster_arn, null)
  kafka_topic_arn      = local.kafka_cluster_arn == null ? null : "${replace(local.kafka_cluster_arn, ":cluster/", ":topic/")}/${var.kafka_topic}"
  kafka_group_arn      = local.kafka_cluster_arn == null ? null : "${replace(local.kafka_cluster_arn, ":cluster/", ":group/")}/${var.service_consumer_group_id}"
  service_uses_msk_iam = var.service_enabled && local.service_listener == "msk-iam"

  # All brokers of a cluster share the domain after their first label (b-1.<cluster>...).
  first_broker_labels = split(".", local.kafka_brokers[local.kafka_broker_ids[0]].host)
  broker_domain       = join(".", slice(local.first_broker_labels, 1, length(local.first_broker_labels)))

  # Artifact paths are relative to the repository root, two levels above this stack.
  repo_root           = abspath("${path.module}/../..")
  lambda_zip_path     = startswith(var.lambda_zip_path, "/") ? var.lambda_zip_path : "${local.repo_root}/${var.lambda_zip_path}"
  default_module_path = startswith(var.default_module_path, "/") ? var.default_module_path : "${local.repo_root}/${var.default_module_path}"

  module_key      = "${var.module_prefix}${var.module_file_name}"
  module_location = "s3://${module.module_store.bucket}/${local.module_key}"
  # The pin: an explicit module_sha256, else the hash of what Terraform uploaded when it seeded
  # the key (source_hash as recorded in the state at upload; ignore_changes keeps it there). Never
  # the hash of today's local file, which a rebuild changes while the object stays.
  module_sha256 = var.module_sha256 != "" ? var.module_sha256 : aws_s3_object.default_module.source_hash
  module_config = join(",", [for key in sort(keys(var.module_config)) : "${key}=${var.module_config[key]}"])

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

  alias                       = "${var.name}-consumer"
  description                 = "swapstream consumer stack: tables, modules, logs, function environment, failed batches and alarm notifications"
  additional_policy_documents = var.create_alarm_topic ? [data.aws_iam_policy_document.kms_cloudwatch_alarms.json] : []
}

module "vpc" {
  source = "../modules/vpc"

  # "-consumer": the producer stack's VPC is "<name>-producer", so both can share an account.
  name                  = "${var.name}-consumer"
  cidr_block            = var.vpc_cidr_block
  availability_zone_ids = local.availability_zone_ids
  create_public_subnets = var.enable_nat_gateway
  enable_nat_gateway    = var.enable_nat_gateway
  # DynamoDB and S3 through free gateway endpoints; the rest through interface endpoints.
  gateway_endpoints = ["s3", "dynamodb"]
  interface_endpoints = setunion(
    var.interface_endpoint_services,
    length(local.kafka_auth_secret_arns) > 0 ? ["secretsmanager"] : [],
    var.service_enabled ? ["ecr.api", "ecr.dkr", "logs"] : [],
    # The event source mapping's pollers reach an SQS on-failure destination from this VPC.
    var.on_failure_destination == "sqs" ? ["sqs"] : [],
  )
  kms_key_arn             = module.kms.key_arn
  flow_log_retention_days = var.log_retention_days
}
