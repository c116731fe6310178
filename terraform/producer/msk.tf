resource "aws_cloudwatch_log_group" "msk" {
  name              = "/aws/msk/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms.key_arn
}

# Clients reach the brokers from inside this VPC only: the sample producer directly, consumer
# accounts through the per-broker load balancers (whose private addresses are in this VPC).
resource "aws_security_group" "msk" {
  name_prefix = "${var.name}-msk-"
  description = "MSK brokers: Kafka client listeners from inside the VPC"
  vpc_id      = module.vpc.vpc_id

  dynamic "ingress" {
    for_each = local.listener_ports

    content {
      description = "Kafka ${ingress.key} listener from the VPC"
      protocol    = "tcp"
      from_port   = ingress.value
      to_port     = ingress.value
      cidr_blocks = [module.vpc.vpc_cidr_block]
    }
  }

  tags = { Name = "${var.name}-msk" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_msk_cluster" "this" {
  cluster_name           = var.name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = var.broker_count

  broker_node_group_info {
    instance_type   = var.broker_instance_type
    client_subnets  = module.vpc.private_subnet_ids
    security_groups = [aws_security_group.msk.id]

    storage_info {
      ebs_storage_info {
        volume_size = var.broker_volume_size
      }
    }
  }

  client_authentication {
    # TLS without client certificates, as in the reference deployment: the network (PrivateLink
    # allowed principals + security groups) decides who connects. SCRAM/IAM add authentication.
    unauthenticated = true

    sasl {
      iam   = var.enable_iam_auth
      scram = var.enable_sasl_scram
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = module.kms.key_arn

    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.msk.name
      }
    }
  }
}

resource "aws_msk_scram_secret_association" "this" {
  count = var.enable_sasl_scram && length(var.sasl_scram_secret_arns) > 0 ? 1 : 0

  cluster_arn     = aws_msk_cluster.this.arn
  secret_arn_list = var.sasl_scram_secret_arns
}

# The brokers' client addresses and advertised names, known once the cluster exists.
data "aws_msk_broker_nodes" "this" {
  cluster_arn = aws_msk_cluster.this.arn
}

locals {
  brokers = {
    for node in data.aws_msk_broker_nodes.this.node_info_list : format("%d", node.broker_id) => {
      ip       = node.client_vpc_ip_address
      endpoint = tolist(node.endpoints)[0]
    }
  }
}

# ---------------------------------------------------------------------------------------------
# MSK IAM authentication for the consumer accounts
# ---------------------------------------------------------------------------------------------

locals {
  # Kafka resources in IAM: topic/<cluster name>/<cluster uuid>/<topic>, and the same for groups.
  msk_topic_arn        = "${replace(aws_msk_cluster.this.arn, ":cluster/", ":topic/")}/${var.topic}"
  msk_group_arn_prefix = replace(aws_msk_cluster.this.arn, ":cluster/", ":group/")
  # Accounts other than this one need the cluster policy; this account's own roles only need
  # their IAM policies.
  iam_consumer_principals = [
    for id in local.consumer_account_ids : "arn:${local.partition}:iam::${id}:root" if id != local.account_id
  ]
}

# What a consumer account may do through the IAM listener: connect, read the one topic, and use
# the consumer groups it was given. The account's own IAM policies then decide which of its
# roles may (the consumer stack grants exactly these actions to its service task role).
data "aws_iam_policy_document" "msk_cluster" {
  statement {
    sid       = "ConsumerAccountsConnect"
    actions   = ["kafka-cluster:Connect"]
    resources = [aws_msk_cluster.this.arn]

    principals {
      type        = "AWS"
      identifiers = local.iam_consumer_principals
    }
  }

  statement {
    sid       = "ConsumerAccountsReadTopic"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = [local.msk_topic_arn]

    principals {
      type        = "AWS"
      identifiers = local.iam_consumer_principals
    }
  }

  statement {
    sid       = "ConsumerAccountsUseTheirGroups"
    actions   = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"]
    resources = [for group in var.iam_consumer_group_ids : "${local.msk_group_arn_prefix}/${group}"]

    principals {
      type        = "AWS"
      identifiers = local.iam_consumer_principals
    }
  }
}

resource "aws_msk_cluster_policy" "consumers" {
  count = var.enable_iam_auth && length(local.iam_consumer_principals) > 0 ? 1 : 0

  cluster_arn = aws_msk_cluster.this.arn
  policy      = data.aws_iam_policy_document.msk_cluster.json
}
