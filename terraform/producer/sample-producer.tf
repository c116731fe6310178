# The sample producer: an arm64 instance in a private subnet that downloads the swapstream binary
# from S3, creates the topic and runs `swapstream produce` under systemd. Reach it with SSM
# Session Manager; it has no SSH key and no public address.

module "artifacts" {
  source = "../modules/private-bucket"
  count  = var.enable_sample_producer ? 1 : 0

  bucket_name = "${var.name}-artifacts-${local.account_id}-${local.region}"
  kms_key_arn = module.kms.key_arn
  # Holds only a binary that scripts/package.sh rebuilds, so teardown may empty it.
  force_destroy = true
}

resource "aws_s3_object" "producer_binary" {
  count = var.enable_sample_producer ? 1 : 0

  bucket      = module.artifacts[0].bucket
  key         = "bin/swapstream-linux-arm64"
  source      = local.producer_binary_path
  source_hash = filesha256(local.producer_binary_path)
  kms_key_id  = module.kms.key_arn
}

data "aws_ssm_parameter" "al2023_arm64" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
}

resource "aws_security_group" "producer" {
  count = var.enable_sample_producer ? 1 : 0

  name_prefix = "${var.name}-producer-"
  description = "Sample producer: no inbound; Kafka TLS to the brokers and HTTPS out"
  vpc_id      = module.vpc.vpc_id

  egress {
    description = "Kafka TLS listener of the brokers"
    protocol    = "tcp"
    from_port   = local.listener_ports.tls
    to_port     = local.listener_ports.tls
    cidr_blocks = [module.vpc.vpc_cidr_block]
  }

  egress {
    description = "HTTPS to SSM, S3, the OS package mirrors and the Kafka CLI download (via NAT)"
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = { Name = "${var.name}-producer" }

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "producer_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.${data.aws_partition.current.dns_suffix}"]
    }
  }
}

resource "aws_iam_role" "producer" {
  count = var.enable_sample_producer ? 1 : 0

  name_prefix        = "${var.name}-producer-"
  assume_role_policy = data.aws_iam_policy_document.producer_assume.json
}

# Session Manager access instead of SSH.
resource "aws_iam_role_policy_attachment" "producer_ssm" {
  count = var.enable_sample_producer ? 1 : 0

  role       = aws_iam_role.producer[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "producer" {
  count = var.enable_sample_producer ? 1 : 0

  statement {
    sid       = "DownloadBinary"
    actions   = ["s3:GetObject"]
    resources = ["${module.artifacts[0].arn}/${aws_s3_object.producer_binary[0].key}"]
  }

  statement {
    sid       = "DecryptBinary"
    actions   = ["kms:Decrypt"]
    resources = [module.kms.key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.${data.aws_partition.current.dns_suffix}"]
    }
  }
}

resource "aws_iam_role_policy" "producer" {
  count = var.enable_sample_producer ? 1 : 0

  name   = "download-swapstream"
  role   = aws_iam_role.producer[0].id
  policy = data.aws_iam_policy_document.producer[0].json
}

resource "aws_iam_instance_profile" "producer" {
  count = var.enable_sample_producer ? 1 : 0

  name_prefix = "${var.name}-producer-"
  role        = aws_iam_role.producer[0].name
}

resource "aws_instance" "producer" {
  count = var.enable_sample_producer ? 1 : 0

  ami                         = data.aws_ssm_parameter.al2023_arm64.insecure_value
  instance_type               = var.producer_instance_type
  subnet_id                   = module.vpc.private_subnet_ids[0]
  vpc_security_group_ids      = [aws_security_group.producer[0].id]
  iam_instance_profile        = aws_iam_instance_profile.producer[0].name
  associate_public_ip_address = false
  monitoring                  = true
  ebs_optimized               = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 10
    encrypted   = true
    kms_key_id  = module.kms.key_arn
  }

  # A new binary (new sha256) or new settings replace the instance, so it always runs what
  # the stack says.
  user_data_replace_on_change = true
  user_data = templatefile("${path.module}/templates/producer-user-data.sh.tftpl", {
    region                = local.region
    bucket                = module.artifacts[0].bucket
    key                   = aws_s3_object.producer_binary[0].key
    binary_sha256         = filesha256(local.producer_binary_path)
    brokers               = aws_msk_cluster.this.bootstrap_brokers_tls
    topic                 = var.topic
    create_topic          = var.create_topic
    kafka_cli_archive_url = var.kafka_cli_archive_url
    partitions            = var.topic_partitions
    replication_factor    = var.topic_replication_factor
    devices               = var.producer_devices
    rate                  = var.producer_rate
    record_count          = var.producer_count
  })

  tags = { Name = "${var.name}-producer" }

  # The binary must be in S3 and the NAT gateway up before the first boot runs the user data.
  depends_on = [
    aws_iam_role_policy.producer,
    aws_iam_role_policy_attachment.producer_ssm,
    module.vpc,
  ]

  lifecycle {
    # A newer AMI release alone should not replace a running producer.
    ignore_changes = [ami]

    precondition {
      condition     = var.topic_replication_factor <= var.broker_count
      error_message = "topic_replication_factor cannot exceed broker_count."
    }
  }
}
