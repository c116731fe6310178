# ---------------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------------

variable "region" {
  description = "AWS region of the producer account to deploy into (the consumer stack must use the same region: PrivateLink is regional)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like an AWS region, e.g. eu-central-1."
  }
}

variable "name" {
  description = "Prefix for every resource name (cluster, load balancers, secret, bucket). At most 20 characters."
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
  description = "Days to keep the MSK broker logs and VPC flow logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  }
}

# ---------------------------------------------------------------------------------------------
# Network and sharing
# ---------------------------------------------------------------------------------------------

variable "vpc_cidr_block" {
  description = "IPv4 CIDR of the producer VPC (/16 to /22). Must not overlap the consumer VPC when both are in one account."
  type        = string
  default     = "10.10.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be an IPv4 CIDR such as 10.10.0.0/16."
  }
}

variable "availability_zone_ids" {
  description = "Two availability zone IDs (e.g. [\"euc1-az1\", \"euc1-az2\"]) for the brokers and load balancers; empty picks the region's first two. The consumer VPC must use the same zone IDs."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zone_ids) == 0 || length(var.availability_zone_ids) == 2
    error_message = "availability_zone_ids must be empty or list exactly two zone IDs."
  }
}

variable "consumer_account_ids" {
  description = "AWS account IDs allowed to connect to the broker endpoint services and to read the connection secret. Empty means this account only (a one-account deployment)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.consumer_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "consumer_account_ids must be 12-digit AWS account IDs."
  }
}

# ---------------------------------------------------------------------------------------------
# MSK cluster
# ---------------------------------------------------------------------------------------------

variable "kafka_version" {
  description = "Apache Kafka version of the MSK cluster."
  type        = string
  default     = "3.6.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.([0-9]+|x)(\\.kraft)?$", var.kafka_version))
    error_message = "kafka_version must be an MSK version string such as 3.6.0 or 3.7.x."
  }
}

variable "broker_instance_type" {
  description = "MSK broker instance type. kafka.t3.small is the cheapest and fine for the sample load."
  type        = string
  default     = "kafka.t3.small"

  validation {
    condition     = startswith(var.broker_instance_type, "kafka.")
    error_message = "broker_instance_type must be an MSK instance type such as kafka.t3.small or kafka.m7g.large."
  }
}

variable "broker_count" {
  description = "Number of brokers; a multiple of the two availability zones. Each broker gets its own load balancer and endpoint service."
  type        = number
  default     = 2

  validation {
    condition     = var.broker_count >= 2 && var.broker_count <= 30 && var.broker_count % 2 == 0
    error_message = "broker_count must be an even number between 2 and 30."
  }
}

variable "broker_volume_size" {
  description = "EBS storage per broker, in GiB."
  type        = number
  default     = 10

  validation {
    condition     = var.broker_volume_size >= 1 && var.broker_volume_size <= 16384
    error_message = "broker_volume_size must be between 1 and 16384 GiB."
  }
}

variable "enable_iam_auth" {
  description = "Also open MSK's IAM-authenticated listener (port 9098), expose it through the endpoint services and grant the consumer accounts Connect, DescribeTopic/ReadData on the topic and DescribeGroup/AlterGroup on iam_consumer_group_ids in an MSK cluster policy, for `swapstream run` with SWAPSTREAM_KAFKA_SECURITY=msk-iam (the consumer's ECS service). The Lambda event source mapping cannot use it: it reaches the brokers as a self-managed Kafka source."
  type        = bool
  default     = false
}

variable "iam_consumer_group_ids" {
  description = "Kafka consumer groups the consumer accounts may join through the IAM listener (kafka-cluster:DescribeGroup and AlterGroup in the cluster policy). Used only with enable_iam_auth; the default is the consumer stack's service_consumer_group_id."
  type        = list(string)
  default     = ["swapstream-service"]

  validation {
    condition     = alltrue([for group in var.iam_consumer_group_ids : can(regex("^[a-zA-Z0-9._-]{1,200}$", group))])
    error_message = "iam_consumer_group_ids must be Kafka group IDs of letters, digits, '.', '_' and '-'."
  }
}

variable "enable_sasl_scram" {
  description = "Also open MSK's SASL/SCRAM listener (port 9096) and expose it through the endpoint services (the Lambda event source mapping can authenticate with SASL_SCRAM_512_AUTH)."
  type        = bool
  default     = false
}

variable "sasl_scram_secret_arns" {
  description = "Secrets Manager secret ARNs with SCRAM users to associate with the cluster (names must start with AmazonMSK_ and use a customer managed KMS key). Used only with enable_sasl_scram."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.sasl_scram_secret_arns : startswith(arn, "arn:")])
    error_message = "sasl_scram_secret_arns must be secret ARNs."
  }
}

# ---------------------------------------------------------------------------------------------
# Topic and sample producer
# ---------------------------------------------------------------------------------------------

variable "topic" {
  description = "Kafka topic the sample producer writes and the consumer reads."
  type        = string
  default     = "cross-account-msk-data-streaming"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,249}$", var.topic))
    error_message = "topic must be 1-249 characters of letters, digits, '.', '_' and '-'."
  }
}

variable "topic_partitions" {
  description = "Partitions of the topic. The consumer reads all of them; each partition is at most one concurrent Lambda invocation."
  type        = number
  default     = 6

  validation {
    condition     = var.topic_partitions >= 1 && var.topic_partitions <= 1000
    error_message = "topic_partitions must be between 1 and 1000."
  }
}

variable "topic_replication_factor" {
  description = "Replication factor of the topic (at most broker_count)."
  type        = number
  default     = 2

  validation {
    condition     = var.topic_replication_factor >= 1
    error_message = "topic_replication_factor must be at least 1."
  }
}

variable "create_topic" {
  description = "Create the topic from the sample producer's user data with the Kafka CLI (downloaded from kafka_cli_archive_url). Set false to create it yourself (see terraform/README.md)."
  type        = bool
  default     = true
}

variable "kafka_cli_archive_url" {
  description = "HTTPS URL of an Apache Kafka binary .tgz whose bin/kafka-topics.sh creates the topic. Fetched by the producer instance through the NAT gateway."
  type        = string
  default     = "https://archive.apache.org/dist/kafka/3.6.0/kafka_2.13-3.6.0.tgz"

  validation {
    condition     = startswith(var.kafka_cli_archive_url, "https://")
    error_message = "kafka_cli_archive_url must be an https:// URL."
  }
}

variable "enable_sample_producer" {
  description = "Run the sample producer: an arm64 EC2 instance (private subnet, SSM access, no SSH key) running `swapstream produce` as a systemd unit."
  type        = bool
  default     = true
}

variable "producer_instance_type" {
  description = "Instance type of the sample producer; must be an arm64 (Graviton) type because the binary is built for linux-arm64."
  type        = string
  default     = "t4g.small"

  validation {
    condition     = can(regex("^[a-z]+[0-9]+g[a-z]*\\.[a-z0-9]+$", var.producer_instance_type))
    error_message = "producer_instance_type must be a Graviton (arm64) type such as t4g.small or c7g.large."
  }
}

variable "producer_binary_path" {
  description = "The linux-arm64 swapstream binary that scripts/package.sh builds: relative to the repository root, or absolute."
  type        = string
  default     = "dist/bin/swapstream-linux-arm64"
}

variable "producer_devices" {
  description = "Number of simulated devices (`swapstream produce --devices`)."
  type        = number
  default     = 10

  validation {
    condition     = var.producer_devices >= 1
    error_message = "producer_devices must be at least 1."
  }
}

variable "producer_rate" {
  description = "Records per second the sample producer sends (`swapstream produce --rate`)."
  type        = number
  default     = 10

  validation {
    condition     = var.producer_rate > 0
    error_message = "producer_rate must be positive."
  }
}

variable "producer_count" {
  description = "Stop after this many records (`swapstream produce --count`); 0 produces until the instance is stopped."
  type        = number
  default     = 0

  validation {
    condition     = var.producer_count >= 0 && floor(var.producer_count) == var.producer_count
    error_message = "producer_count must be a whole number, 0 for unbounded."
  }
}
