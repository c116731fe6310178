# The swapstream host in Lambda mode: the `swapstream` binary packaged as `bootstrap` for the
# provided.al2023 runtime on arm64 (scripts/package.sh), fed by a Kafka event source mapping.

resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms.key_arn
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.${local.dns_suffix}"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name_prefix        = "${var.name}-lambda-"
  description        = "swapstream Lambda function and its Kafka event source mapping"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "lambda" {
  source_policy_documents = concat(
    [
      data.aws_iam_policy_document.data_access.json,
      data.aws_iam_policy_document.on_failure_destination.json,
    ],
    local.kafka_auth_policy_documents,
  )

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:*"]
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "swapstream"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

# What the function and its event source mapping need to live in the VPC, plus X-Ray.
data "aws_iam_policy_document" "lambda_vpc_access" {
  #checkov:skip=CKV_AWS_356:Lambda checks these network-interface permissions without a resource when it attaches the function and the event source mapping to the VPC; the Describe* calls cannot be scoped at all, and X-Ray segments have no resource. AWS's AWSLambdaVPCAccessExecutionRole grants the same on "*".
  #checkov:skip=CKV_AWS_111:Same as above: the network-interface actions are checked by Lambda without a resource, so they cannot be narrowed to one.
  statement {
    sid = "VpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
      "ec2:DescribeSubnets",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "XRayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "lambda_vpc_access" {
  name   = "vpc-access"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda_vpc_access.json
}

resource "aws_lambda_function" "swapstream" {
  #checkov:skip=CKV_AWS_116:A dead-letter queue only catches asynchronous invocations; the Kafka event source mapping invokes synchronously and retries failed batches, and rejected records go to the dead-letter table.
  #checkov:skip=CKV_AWS_272:The package is built from source by cargo-lambda and not signed with AWS Signer; what changes at run time, the analytics module, is pinned by sha256 instead.
  function_name = var.name
  description   = "swapstream host: Kafka batches -> analytics module (wasm) -> DynamoDB"
  role          = aws_iam_role.lambda.arn

  filename         = local.lambda_zip_path
  source_code_hash = filebase64sha256(local.lambda_zip_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]

  memory_size                    = var.lambda_memory_mb
  timeout                        = var.lambda_timeout_seconds
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  kms_key_arn = module.kms.key_arn

  environment {
    variables = local.host_environment
  }

  # In the VPC so S3 and DynamoDB traffic stays on the gateway endpoints.
  vpc_config {
    subnet_ids         = module.vpc.private_subnet_ids
    security_group_ids = [aws_security_group.kafka_client.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    # The host already writes JSON lines (SWAPSTREAM_LOG_FORMAT=json); Text keeps them as is.
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  depends_on = [
    aws_iam_role_policy.lambda,
    aws_iam_role_policy.lambda_vpc_access,
    aws_s3_object.default_module,
  ]

  lifecycle {
    precondition {
      condition     = !var.pin_module_sha256 || local.module_sha256 != null
      error_message = "No sha256 to pin: the module object has no recorded upload hash (it was imported or created outside Terraform). Set module_sha256 to the hash of the module in the bucket, or pin_module_sha256 = false."
    }
  }
}

locals {
  # Where the event source mapping's pollers run and how they authenticate.
  event_source_access = concat(
    [for subnet_id in module.vpc.private_subnet_ids : { type = "VPC_SUBNET", uri = "subnet:${subnet_id}" }],
    [{ type = "VPC_SECURITY_GROUP", uri = "security_group:${aws_security_group.kafka_client.id}" }],
    var.kafka_sasl_scram_secret_arn != "" ? [{ type = "SASL_SCRAM_512_AUTH", uri = var.kafka_sasl_scram_secret_arn }] : [],
    var.kafka_client_certificate_secret_arn != "" ? [{ type = "CLIENT_CERTIFICATE_TLS_AUTH", uri = var.kafka_client_certificate_secret_arn }] : [],
    var.kafka_server_root_ca_secret_arn != "" ? [{ type = "SERVER_ROOT_CA_CERTIFICATE", uri = var.kafka_server_root_ca_secret_arn }] : [],
  )
}

# Self-managed Kafka source against the PrivateLink broker names: every partition of the topic
# (the reference read partition 0 only), batches of batch_size within the batching window.
resource "aws_lambda_event_source_mapping" "kafka" {
  function_name     = aws_lambda_function.swapstream.arn
  topics            = [var.kafka_topic]
  starting_position = var.starting_position

  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds

  self_managed_event_source {
    endpoints = {
      KAFKA_BOOTSTRAP_SERVERS = local.bootstrap_servers
    }
  }

  self_managed_kafka_event_source_config {
    consumer_group_id = var.consumer_group_id
  }

  dynamic "source_access_configuration" {
    for_each = local.event_source_access

    content {
      type = source_access_configuration.value.type
      uri  = source_access_configuration.value.uri
    }
  }

  # Invocations that failed for good (the host could not write the batch, retries exhausted):
  # a record of the batch goes here. Records the module rejects never fail an invocation; the
  # host writes them to the dead-letter table.
  destination_config {
    on_failure {
      destination_arn = local.on_failure_destination_arn
    }
  }

  # Provisioned mode: pollers kept ready between the two bounds, and the retry controls that
  # only this mode has. On-demand mode (the default) leaves all of them to Lambda.
  dynamic "provisioned_poller_config" {
    for_each = var.esm_provisioned_pollers == null ? [] : [var.esm_provisioned_pollers]

    content {
      minimum_pollers = provisioned_poller_config.value.minimum_pollers
      maximum_pollers = provisioned_poller_config.value.maximum_pollers
    }
  }
  maximum_retry_attempts         = var.esm_provisioned_pollers == null ? null : var.esm_maximum_retry_attempts
  maximum_record_age_in_seconds  = var.esm_provisioned_pollers == null ? null : var.esm_maximum_record_age_seconds
  bisect_batch_on_function_error = var.esm_provisioned_pollers == null ? null : var.esm_bisect_batch_on_function_error

  # The pollers must resolve and reach the brokers, and the role must allow the VPC, secret and
  # destination access, before the mapping is created.
  depends_on = [
    aws_iam_role_policy.lambda,
    aws_iam_role_policy.lambda_vpc_access,
    aws_route53_record.kafka_broker,
    module.vpc,
  ]

  lifecycle {
    precondition {
      condition     = length(local.esm_port_missing) == 0
      error_message = "The connection secret has no port for the \"${var.kafka_listener}\" listener on ${join(", ", local.esm_port_missing)}; enable the listener in the producer stack (enable_sasl_scram) and apply it first."
    }

    precondition {
      condition     = var.kafka_listener != "sasl-scram" || var.kafka_sasl_scram_secret_arn != ""
      error_message = "kafka_listener = \"sasl-scram\" needs kafka_sasl_scram_secret_arn."
    }
  }
}
