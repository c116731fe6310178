# Producer account: the MSK cluster, one PrivateLink endpoint service per broker, the secret that
# tells the consumer account how to connect, and a sample producer running `swapstream produce`.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  consumer_account_ids = length(var.consumer_account_ids) > 0 ? var.consumer_account_ids : [local.account_id]
  consumer_principals  = [for id in local.consumer_account_ids : "arn:${local.partition}:iam::${id}:root"]

  # MSK's fixed client listener ports, by authentication. TLS without client authentication is
  # always on: it is what the sample producer and the Lambda event source mapping use.
  listener_ports = merge(
    { tls = 9094 },
    var.enable_sasl_scram ? { sasl_scram = 9096 } : {},
    var.enable_iam_auth ? { iam = 9098 } : {},
  )

  # Known before apply (unlike the brokers' addresses), so it can drive for_each.
  broker_ids = [for i in range(1, var.broker_count + 1) : tostring(i)]

  # Artifact paths are relative to the repository root, two levels above this stack.
  repo_root            = abspath("${path.module}/../..")
  producer_binary_path = startswith(var.producer_binary_path, "/") ? var.producer_binary_path : "${local.repo_root}/${var.producer_binary_path}"
}

# One key for everything at rest here: broker storage, logs, the shared secret, the artifacts.
module "kms" {
  source = "../modules/kms-key"

  alias       = "${var.name}-producer"
  description = "swapstream producer stack: MSK storage, logs, the shared connection secret and artifacts"
  additional_policy_documents = [
    data.aws_iam_policy_document.kms_consumer_decrypt.json,
  ]
}

# The consumer accounts decrypt the shared secret through Secrets Manager, and only that way.
data "aws_iam_policy_document" "kms_consumer_decrypt" {
  #checkov:skip=CKV_AWS_111:In a key policy "*" is the key itself; the grant is limited to the consumer accounts and to calls made through Secrets Manager.
  #checkov:skip=CKV_AWS_356:In a key policy "*" is the key itself, not every resource.
  statement {
    sid       = "ConsumerAccountsReadSharedSecret"
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.consumer_principals
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.${data.aws_partition.current.dns_suffix}"]
    }
  }
}

module "vpc" {
  source = "../modules/vpc"

  # "-producer": the consumer stack's VPC is "<name>-consumer", so both can share an account
  # (flow-log group, Name tags) without a collision.
  name                  = "${var.name}-producer"
  cidr_block            = var.vpc_cidr_block
  availability_zone_ids = var.availability_zone_ids
  # The sample producer downloads OS packages and the Kafka CLI, so it needs internet egress.
  create_public_subnets   = true
  enable_nat_gateway      = true
  gateway_endpoints       = ["s3"]
  kms_key_arn             = module.kms.key_arn
  flow_log_retention_days = var.log_retention_days
}
