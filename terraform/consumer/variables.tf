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
  description = "Two availability zone IDs for the subnets (endpoints can only be placed in zones where the broker endpoint services exist). Empty takes them from the connection secret (the producer's zone IDs: zone names differ between accounts, IDs do not); a secret without them falls back to the region's first two."
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
  description = "Broker listener of the Lambda event source mapping (and of the service unless service_kafka_listener is set): \"tls\" (TLS, no client authentication, port 9094) or \"sasl-scram\" (SASL/SCRAM over TLS, port 9096; needs kafka_sasl_scram_secret_arn). MSK IAM is not possible here: the mapping reaches the brokers as a self-managed Kafka source, which has no IAM authentication."
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

variable "on_failure_destination" {
  description = "Where the event source mapping records invocations that failed for good (the host could not write a batch): \"s3\" (a bucket of this stack, each failed batch with its records) or \"sqs\" (a queue of this stack, metadata only: topic, partition, offsets). Records the module rejects go to the dead-letter table instead."
  type        = string
  default     = "s3"

  validation {
    condition     = contains(["s3", "sqs"], var.on_failure_destination)
    error_message = "on_failure_destination must be \"s3\" or \"sqs\"."
  }
}

variable "esm_provisioned_pollers" {
  description = "Provisioned mode for the event source mapping: {minimum_pollers, maximum_pollers} kept ready (billed per poller-hour), which also enables the retry controls esm_maximum_retry_attempts, esm_maximum_record_age_seconds and esm_bisect_batch_on_function_error. null (the default) is on-demand mode."
  type = object({
    minimum_pollers = number
    maximum_pollers = number
  })
  default = null

  validation {
    condition = var.esm_provisioned_pollers == null || try(
      var.esm_provisioned_pollers.minimum_pollers >= 1 && var.esm_provisioned_pollers.minimum_pollers <= 200 &&
      var.esm_provisioned_pollers.maximum_pollers >= var.esm_provisioned_pollers.minimum_pollers &&
      var.esm_provisioned_pollers.maximum_pollers <= 2000,
      false
    )
    error_message = "esm_provisioned_pollers needs 1 <= minimum_pollers <= 200 and minimum_pollers <= maximum_pollers <= 2000."
  }
}

variable "esm_maximum_retry_attempts" {
  description = "Provisioned mode only: retries of a failed invocation before its batch goes to the on-failure destination (0-10000; -1 retries until the records expire, which Lambda caps at 10 when a destination is set, as here)."
  type        = number
  default     = 10

  validation {
    condition     = var.esm_maximum_retry_attempts >= -1 && var.esm_maximum_retry_attempts <= 10000
    error_message = "esm_maximum_retry_attempts must be between -1 and 10000."
  }
}

variable "esm_maximum_record_age_seconds" {
  description = "Provisioned mode only: records older than this go to the on-failure destination instead of the function (60-604800; -1 for no limit)."
  type        = number
  default     = -1

  validation {
    condition     = var.esm_maximum_record_age_seconds == -1 || (var.esm_maximum_record_age_seconds >= 60 && var.esm_maximum_record_age_seconds <= 604800)
    error_message = "esm_maximum_record_age_seconds must be -1 or between 60 and 604800."
  }
}

variable "esm_bisect_batch_on_function_error" {
  description = "Provisioned mode only: split a failed batch in two and retry each half. Off by default: the host fails a batch only when DynamoDB refuses it, which smaller batches do not cure."
  type        = bool
  default     = false
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
  description = "Let terraform destroy delete the module bucket with every module version in it, and likewise the failed-batches bucket and the ECR repository with their contents. Set true only to tear down."
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

variable "create_ecr_repository" {
  description = "Create a private ECR repository <name> (immutable tags, scan on push, encrypted with the stack key) to push deploy/container/Dockerfile's image to; its URL is the repository_url output. Independent of service_enabled, so the image can be pushed before the service starts."
  type        = bool
  default     = false
}

variable "ecr_images_to_keep" {
  description = "Images the ECR repository keeps (the newest ones); older ones expire, so keep enough to roll back to."
  type        = number
  default     = 20

  validation {
    condition     = var.ecr_images_to_keep >= 1
    error_message = "ecr_images_to_keep must be at least 1."
  }
}

variable "service_image" {
  description = "Container image URI for the service: deploy/container/Dockerfile built for service_cpu_architecture and pushed to a registry (ECR in this account needs no NAT). Required when service_enabled."
  type        = string
  default     = ""
}

variable "service_command" {
  description = "Arguments after the image's entrypoint."
  type        = list(string)
  default     = ["run"]
}

variable "service_desired_count" {
  description = "Number of service tasks when service_autoscaling is null; at most the topic's partition count does useful work."
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

variable "service_kafka_listener" {
  description = "Broker listener of the service when it differs from kafka_listener: \"tls\", \"sasl-scram\" or \"msk-iam\" (MSK IAM through port 9098: the task role gets kafka-cluster:Connect, DescribeTopic and ReadData on the topic, DescribeGroup and AlterGroup on service_consumer_group_id; the producer needs enable_iam_auth). Empty uses kafka_listener."
  type        = string
  default     = ""

  validation {
    condition     = contains(["", "tls", "sasl-scram", "msk-iam"], var.service_kafka_listener)
    error_message = "service_kafka_listener must be empty, \"tls\", \"sasl-scram\" or \"msk-iam\"."
  }
}

variable "service_cpu_architecture" {
  description = "CPU architecture of the service's tasks and image: ARM64 (Graviton, cheaper per vCPU) or X86_64."
  type        = string
  default     = "ARM64"

  validation {
    condition     = contains(["ARM64", "X86_64"], var.service_cpu_architecture)
    error_message = "service_cpu_architecture must be ARM64 or X86_64."
  }
}

variable "service_health_check_interval_seconds" {
  description = "Seconds between the container health checks on /healthz (5-300). A task is replaced after service_health_check_retries failures in a row."
  type        = number
  default     = 30

  validation {
    condition     = var.service_health_check_interval_seconds >= 5 && var.service_health_check_interval_seconds <= 300
    error_message = "service_health_check_interval_seconds must be between 5 and 300."
  }
}

variable "service_health_check_retries" {
  description = "Failed /healthz checks in a row before ECS replaces a task (1-10). /healthz also fails while DynamoDB refuses writes, which a restart does not cure: interval x retries (default 5 minutes) is the outage a task rides out before it is replaced."
  type        = number
  default     = 10

  validation {
    condition     = var.service_health_check_retries >= 1 && var.service_health_check_retries <= 10
    error_message = "service_health_check_retries must be between 1 and 10."
  }
}

variable "service_autoscaling" {
  description = "Scale the service between min_tasks and max_tasks (at most the topic's partition count does useful work), tracking records per batch at target_batch_fill_percent of service_batch_max_records: full batches mean records are waiting. null keeps service_desired_count tasks."
  type = object({
    min_tasks                 = number
    max_tasks                 = number
    target_batch_fill_percent = optional(number, 80)
  })
  default = null

  validation {
    condition = var.service_autoscaling == null || try(
      var.service_autoscaling.min_tasks >= 1 &&
      var.service_autoscaling.max_tasks >= var.service_autoscaling.min_tasks &&
      var.service_autoscaling.target_batch_fill_percent > 0 && var.service_autoscaling.target_batch_fill_percent <= 100,
      false
    )
    error_message = "service_autoscaling needs 1 <= min_tasks <= max_tasks and 0 < target_batch_fill_percent <= 100."
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

# ---------------------------------------------------------------------------------------------
# Alarms and dashboard
# ---------------------------------------------------------------------------------------------

variable "metrics_namespace" {
  description = "CloudWatch namespace of the metrics taken from the host's log lines (DeadLettersWritten, ModuleVersionsRefused, BatchRetries, ...)."
  type        = string
  default     = "Swapstream"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 letters, digits or . _ / # : - and must not start with AWS/."
  }
}

variable "create_alarm_topic" {
  description = "Create an SNS topic <name>-alarms (encrypted with the stack key) for the alarms; subscribe to it after apply. false sends them to alarm_sns_topic_arn instead."
  type        = bool
  default     = true
}

variable "alarm_sns_topic_arn" {
  description = "ARN of an existing SNS topic for the alarms and their recovery, used when create_alarm_topic is false. Empty with create_alarm_topic = false: the alarms only change state (console, dashboard)."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_sns_topic_arn == "" || startswith(var.alarm_sns_topic_arn, "arn:")
    error_message = "alarm_sns_topic_arn must be empty or an SNS topic ARN."
  }
}

variable "alarm_offset_lag_threshold" {
  description = "Records the event source mapping may be behind the topic (OffsetLag, maximum over partitions) before the offset-lag alarm fires."
  type        = number
  default     = 10000

  validation {
    condition     = var.alarm_offset_lag_threshold >= 1
    error_message = "alarm_offset_lag_threshold must be at least 1."
  }
}

variable "alarm_offset_lag_minutes" {
  description = "Minutes in a row OffsetLag must exceed alarm_offset_lag_threshold before the alarm fires (1-60), so a burst the mapping catches up with does not page."
  type        = number
  default     = 15

  validation {
    condition     = var.alarm_offset_lag_minutes >= 1 && var.alarm_offset_lag_minutes <= 60
    error_message = "alarm_offset_lag_minutes must be between 1 and 60."
  }
}

variable "alarm_dead_letters_threshold" {
  description = "Dead letters (records the module rejected, or every record of a batch it failed) in five minutes, function and service together, above which the dead-letters alarm fires. 0: any dead letter."
  type        = number
  default     = 0

  validation {
    condition     = var.alarm_dead_letters_threshold >= 0
    error_message = "alarm_dead_letters_threshold must not be negative."
  }
}

variable "alarm_service_stall_minutes" {
  description = "Service mode: minutes in a row with an unwritten batch being retried (its partitions paused) before the service-stalled alarm fires (1-60)."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_service_stall_minutes >= 1 && var.alarm_service_stall_minutes <= 60
    error_message = "alarm_service_stall_minutes must be between 1 and 60."
  }
}
