# ---------------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------------

variable "region" {
  description = "AWS region of the consumer account to deploy into; the same region as the producer stack (PrivateLink is regional)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like an AWS region, e.g. eu-central-1."
  }
}

variable "name" {
  description = "Prefix for every resource name (function, tables, bucket, roles). At most 20 characters."
  type        = string
  default     = "swapstream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name))
    error_message = "name must be 2-20 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource (merged over Project and Stack)."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Days to keep the function's, the service's and the VPC flow logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  }
}

# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------

variable "vpc_cidr_block" {
  description = "IPv4 CIDR of the consumer VPC (/16 to /22). Must not overlap the producer VPC when both are in one account."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be an IPv4 CIDR such as 10.20.0.0/16."
  }
}

variable "availability_zone_ids" {
  description = "Two availability zone IDs for the subnets; use the producer stack's availability_zone_ids output (endpoints can only be placed in zones where the broker endpoint services exist). Empty picks the region's first two."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zone_ids) == 0 || length(var.availability_zone_ids) == 2
    error_message = "availability_zone_ids must be empty or list exactly two zone IDs."
  }
}

variable "enable_nat_gateway" {
  description = "Add public subnets and a NAT gateway. Not needed for the Lambda (VPC endpoints cover every AWS API it and its event source mapping use); needed for the ECS service if its image is outside ECR."
  type        = bool
  default     = false
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface VPC endpoints. The Kafka event source mapping in a VPC needs lambda and sts; the stack adds secretsmanager when a Kafka auth secret is set, and ecr.api, ecr.dkr and logs for the ECS service."
  type        = set(string)
  default     = ["lambda", "sts"]
}

# ---------------------------------------------------------------------------------------------
# Kafka source
# ---------------------------------------------------------------------------------------------

variable "kafka_connection_secret_arn" {
  description = "Full ARN of the producer stack's shared connection secret (its kafka_connection_secret_arn output). The identity running Terraform needs secretsmanager:GetSecretValue on it and kms:Decrypt on the producer's key."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.kafka_connection_secret_arn))
    error_message = "kafka_connection_secret_arn must be a full Secrets Manager secret ARN."
  }
}

variable "kafka_topic" {
  description = "Kafka topic to consume (every partition of it)."
  type        = string
  default     = "cross-account-msk-data-streaming"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,249}$", var.kafka_topic))
    error_message = "kafka_topic must be 1-249 characters of letters, digits, '.', '_' and '-'."
  }
}

variable "kafka_listener" {
  description = "Broker listener to connect to: \"tls\" (TLS, no client authentication, port 9094) or \"sasl-scram\" (SASL/SCRAM over TLS, port 9096; needs kafka_sasl_scram_secret_arn)."
  type        = string
  default     = "tls"

  validation {
    condition     = contains(["tls", "sasl-scram"], var.kafka_listener)
    error_message = "kafka_listener must be \"tls\" or \"sasl-scram\"."
  }
}

variable "kafka_sasl_scram_secret_arn" {
  description = "ARN of a secret in this account and region with {\"username\", \"password\"} for SASL/SCRAM-SHA-512 (SASL_SCRAM_512_AUTH for the event source mapping, the username/password for the ECS service). Empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.kafka_sasl_scram_secret_arn == "" || startswith(var.kafka_sasl_scram_secret_arn, "arn:")
    error_message = "kafka_sasl_scram_secret_arn must be empty or a secret ARN."
  }
}

variable "kafka_client_certificate_secret_arn" {
  description = "ARN of a secret with a client certificate and key for mutual TLS (CLIENT_CERTIFICATE_TLS_AUTH for the event source mapping). Empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.kafka_client_certificate_secret_arn == "" || startswith(var.kafka_client_certificate_secret_arn, "arn:")
    error_message = "kafka_client_certificate_secret_arn must be empty or a secret ARN."
  }
}

variable "kafka_server_root_ca_secret_arn" {
  description = "ARN of a secret with the root CA of the brokers' certificates (SERVER_ROOT_CA_CERTIFICATE), only for brokers with private-CA certificates. MSK's are publicly trusted: leave empty."
  type        = string
  default     = ""

  validation {
    condition     = var.kafka_server_root_ca_secret_arn == "" || startswith(var.kafka_server_root_ca_secret_arn, "arn:")
    error_message = "kafka_server_root_ca_secret_arn must be empty or a secret ARN."
  }
}

variable "kafka_secrets_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the Kafka authentication secrets above, if it is a customer managed key; the function and service get kms:Decrypt on it. Empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.kafka_secrets_kms_key_arn == "" || startswith(var.kafka_secrets_kms_key_arn, "arn:")
    error_message = "kafka_secrets_kms_key_arn must be empty or a KMS key ARN."
  }
}

variable "consumer_group_id" {
  description = "Kafka consumer group of the Lambda event source mapping."
  type        = string
  default     = "swapstream"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,200}$", var.consumer_group_id))
    error_message = "consumer_group_id must be 1-200 characters of letters, digits, '.', '_' and '-'."
  }
}

variable "starting_position" {
  description = "Where the event source mapping starts in a partition without a committed offset: TRIM_HORIZON (oldest record) or LATEST."
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "batch_size" {
  description = "Most records the event source mapping puts in one invocation (1-10000)."
  type        = number
  default     = 100

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "Seconds the event source mapping waits to fill a batch before invoking (0-300)."
  type        = number
  default     = 1

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300
    error_message = "maximum_batching_window_in_seconds must be between 0 and 300."
  }
}

# ---------------------------------------------------------------------------------------------
# Lambda
# ---------------------------------------------------------------------------------------------

variable "lambda_zip_path" {
  description = "The arm64 Lambda package that scripts/package.sh builds with cargo-lambda: relative to the repository root, or absolute."
  type        = string
  default     = "dist/lambda/bootstrap.zip"
}

variable "lambda_memory_mb" {
  description = "Memory of the function in MB (CPU scales with it)."
  type        = number
  default     = 512

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be between 128 and 10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Function timeout in seconds: time to run the module and write one batch, including DynamoDB retries."
  type        = number
  default     = 60

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 900
    error_message = "lambda_timeout_seconds must be between 1 and 900."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) the function. Keep it at least the topic's partition count: each partition is at most one invocation at a time. -1 for no reservation."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_reserved_concurrency == -1 || var.lambda_reserved_concurrency >= 1
    error_message = "lambda_reserved_concurrency must be -1 or at least 1."
  }
}

variable "log_filter" {
  description = "The host's tracing filter (SWAPSTREAM_LOG), e.g. \"info\" or \"swapstream=debug,info\"."
  type        = string
  default     = "info"

  validation {
    condition     = length(var.log_filter) > 0
    error_message = "log_filter must not be empty."
  }
}

variable "write_concurrency" {
  description = "Concurrent DynamoDB BatchWriteItem requests per batch (SWAPSTREAM_WRITE_CONCURRENCY)."
  type        = number
  default     = 4

  validation {
    condition     = var.write_concurrency >= 1 && var.write_concurrency <= 64
    error_message = "write_concurrency must be between 1 and 64."
  }
}

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

variable "table_deletion_protection" {
  description = "Turn on DynamoDB deletion protection for both tables (turn it off and apply before terraform destroy)."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------
# Analytics module
# ---------------------------------------------------------------------------------------------

variable "default_module_path" {
  description = "The module Terraform uploads as the first live module (scripts/package.sh builds it): relative to the repository root, or absolute. Later modules are published with `swapstream module push`."
  type        = string
  default     = "dist/modules/average.wasm"
}

variable "module_prefix" {
  description = "Key prefix in the module bucket that the host may read; it must end with \"/\"."
  type        = string
  default     = "modules/"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*/$", var.module_prefix))
    error_message = "module_prefix must be a non-empty S3 key prefix ending with \"/\", such as modules/."
  }
}

variable "module_file_name" {
  description = "Object name (under module_prefix) of the live module the host loads and polls."
  type        = string
  default     = "analytics.wasm"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+$", var.module_file_name))
    error_message = "module_file_name must be a single S3 key segment such as analytics.wasm."
  }
}

variable "pin_module_sha256" {
  description = "Pass a sha256 pin to the host (SWAPSTREAM_MODULE_SHA256): it then loads only a module with exactly that hash. false lets any module pushed to the key go live at the next poll."
  type        = bool
  default     = true
}

variable "module_sha256" {
  description = "Hex sha256 to pin when pin_module_sha256 is true. Empty pins the default module's hash (filesha256 of default_module_path); set it to the hash `swapstream module push` printed to roll a pushed module out."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([0-9a-f]{64})?$", var.module_sha256))
    error_message = "module_sha256 must be empty or 64 lowercase hex digits."
  }
}

variable "module_poll_interval" {
  description = "How often the host checks the module object for a new version (SWAPSTREAM_MODULE_POLL_INTERVAL, humantime such as 30s or 5m)."
  type        = string
  default     = "30s"

  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)$", var.module_poll_interval))
    error_message = "module_poll_interval must be a number with a unit ms, s, m or h, e.g. 30s."
  }
}

variable "module_config" {
  description = "Configuration passed to the module (SWAPSTREAM_MODULE_CONFIG as k=v,k2=v2). Keys and values may not contain ',' or '='."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.module_config : can(regex("^[^,=]+$", k)) && can(regex("^[^,=]*$", v))])
    error_message = "module_config keys and values may not contain ',' or '=' (and keys may not be empty)."
  }
}

variable "lineage_attribute" {
  description = "Item attribute that records the module's name@version (SWAPSTREAM_LINEAGE_ATTRIBUTE); empty turns lineage off."
  type        = string
  default     = "module"
}

variable "module_version_retention_days" {
  description = "Days the module bucket keeps an overwritten module version."
  type        = number
  default     = 90

  validation {
    condition     = var.module_version_retention_days >= 1
    error_message = "module_version_retention_days must be at least 1."
  }
}

variable "module_bucket_force_destroy" {
  description = "Let terraform destroy delete the module bucket with every module version in it. Set true only to tear down."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------
# Optional ECS Fargate service (`swapstream run`)
# ---------------------------------------------------------------------------------------------

variable "service_enabled" {
  description = "Also run `swapstream run` as an ECS Fargate service (its own consumer group) next to the Lambda."
  type        = bool
  default     = false
}

variable "service_image" {
  description = "Container image URI for the service (linux/arm64, ENTRYPOINT the swapstream binary). Required when service_enabled; this project builds no image."
  type        = string
  default     = ""
}

variable "service_command" {
  description = "Arguments after the image's entrypoint."
  type        = list(string)
  default     = ["run"]
}

variable "service_desired_count" {
  description = "Number of service tasks; at most the topic's partition count does useful work."
  type        = number
  default     = 1

  validation {
    condition     = var.service_desired_count >= 0
    error_message = "service_desired_count must not be negative."
  }
}

variable "service_cpu" {
  description = "Fargate CPU units per task (256, 512, 1024, 2048, 4096...)."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.service_cpu)
    error_message = "service_cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "service_memory_mb" {
  description = "Fargate memory per task in MiB; must be valid for service_cpu."
  type        = number
  default     = 1024

  validation {
    condition     = var.service_memory_mb >= 512 && var.service_memory_mb <= 122880
    error_message = "service_memory_mb must be between 512 and 122880."
  }
}

variable "service_consumer_group_id" {
  description = "Kafka consumer group of the service (SWAPSTREAM_GROUP). Distinct from the Lambda's, so each reads every partition."
  type        = string
  default     = "swapstream-service"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,200}$", var.service_consumer_group_id))
    error_message = "service_consumer_group_id must be 1-200 characters of letters, digits, '.', '_' and '-'."
  }
}

variable "service_batch_max_records" {
  description = "Most records per batch in the service (SWAPSTREAM_BATCH_MAX_RECORDS), like the event source mapping's batch size."
  type        = number
  default     = 500

  validation {
    condition     = var.service_batch_max_records >= 1
    error_message = "service_batch_max_records must be at least 1."
  }
}

variable "service_batch_max_bytes" {
  description = "Most key and value bytes per batch in the service (SWAPSTREAM_BATCH_MAX_BYTES), 1 KiB to 256 MiB as the host accepts."
  type        = number
  default     = 1048576

  validation {
    condition     = var.service_batch_max_bytes >= 1024 && var.service_batch_max_bytes <= 268435456
    error_message = "service_batch_max_bytes must be between 1024 (1 KiB) and 268435456 (256 MiB), the range swapstream run accepts."
  }
}

variable "service_batch_max_wait" {
  description = "Longest the service waits to fill a batch (SWAPSTREAM_BATCH_MAX_WAIT, humantime such as 1s or 500ms), like the batching window."
  type        = string
  default     = "1s"

  validation {
    condition     = can(regex("^[0-9]+(ms|s|m)$", var.service_batch_max_wait))
    error_message = "service_batch_max_wait must be a number with a unit ms, s or m, e.g. 1s."
  }
}

variable "service_metrics_port" {
  description = "Port of the service's /metrics and /healthz (SWAPSTREAM_METRICS_ADDR), open to the VPC for scraping."
  type        = number
  default     = 9100

  validation {
    condition     = var.service_metrics_port >= 1024 && var.service_metrics_port <= 65535
    error_message = "service_metrics_port must be between 1024 and 65535."
  }
}
