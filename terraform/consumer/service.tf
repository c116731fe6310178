# Optional: the same host as a long-running consumer (`swapstream run`) on ECS Fargate, with its
# own consumer group, writing to the same tables and loading modules from the same bucket.
# Off by default; needs a linux/arm64 image whose entrypoint is the swapstream binary.

locals {
  service_count = var.service_enabled ? 1 : 0

  service_environment = merge(local.host_environment, {
    SWAPSTREAM_BROKERS           = local.bootstrap_servers
    SWAPSTREAM_TOPICS            = var.kafka_topic
    SWAPSTREAM_GROUP             = var.service_consumer_group_id
    SWAPSTREAM_KAFKA_SECURITY    = var.kafka_listener
    SWAPSTREAM_METRICS_ADDR      = "0.0.0.0:${var.service_metrics_port}"
    SWAPSTREAM_BATCH_MAX_RECORDS = tostring(var.service_batch_max_records)
    SWAPSTREAM_BATCH_MAX_BYTES   = tostring(var.service_batch_max_bytes)
    SWAPSTREAM_BATCH_MAX_WAIT    = var.service_batch_max_wait
  })

  # ECS reads one JSON key of a Secrets Manager secret with "<arn>:<key>::".
  service_secrets = var.kafka_listener == "sasl-scram" ? [
    { name = "SWAPSTREAM_KAFKA_SASL_USERNAME", valueFrom = "${var.kafka_sasl_scram_secret_arn}:username::" },
    { name = "SWAPSTREAM_KAFKA_SASL_PASSWORD", valueFrom = "${var.kafka_sasl_scram_secret_arn}:password::" },
  ] : []
}

resource "aws_cloudwatch_log_group" "service" {
  count = local.service_count

  name              = "/ecs/${var.name}-service"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.kms.key_arn
}

resource "aws_ecs_cluster" "service" {
  count = local.service_count

  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.${local.dns_suffix}"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# What the task itself does: the same data access as the function.
resource "aws_iam_role" "service_task" {
  count = local.service_count

  name_prefix        = "${var.name}-task-"
  description        = "swapstream service task: tables and modules"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy" "service_task" {
  count = local.service_count

  name   = "swapstream"
  role   = aws_iam_role.service_task[0].id
  policy = data.aws_iam_policy_document.data_access.json
}

# What ECS does to start the task: pull the image, ship logs, resolve the SASL secret.
resource "aws_iam_role" "service_execution" {
  count = local.service_count

  name_prefix        = "${var.name}-exec-"
  description        = "swapstream service task execution: image pull, logs, secrets"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "service_execution" {
  count = local.service_count

  role       = aws_iam_role.service_execution[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "service_execution_secrets" {
  count = var.service_enabled && length(local.kafka_auth_policy_documents) > 0 ? 1 : 0

  name   = "kafka-auth-secrets"
  role   = aws_iam_role.service_execution[0].id
  policy = data.aws_iam_policy_document.kafka_auth_secrets.json
}

resource "aws_ecs_task_definition" "service" {
  count = local.service_count

  family                   = "${var.name}-service"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.service_cpu
  memory                   = var.service_memory_mb
  task_role_arn            = aws_iam_role.service_task[0].arn
  execution_role_arn       = aws_iam_role.service_execution[0].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  # The precompiled-module cache; everything else in the container is read-only.
  volume {
    name = "module-cache"
  }

  container_definitions = jsonencode([
    {
      name                   = "swapstream"
      image                  = var.service_image
      command                = var.service_command
      essential              = true
      readonlyRootFilesystem = true
      # The host drains and commits on SIGTERM; give it time before SIGKILL.
      stopTimeout  = 60
      portMappings = [{ containerPort = var.service_metrics_port, protocol = "tcp" }]
      environment  = [for name in sort(keys(local.service_environment)) : { name = name, value = local.service_environment[name] }]
      secrets      = local.service_secrets
      mountPoints  = [{ sourceVolume = "module-cache", containerPath = "/tmp/swapstream-cache", readOnly = false }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.service[0].name
          awslogs-region        = local.region
          awslogs-stream-prefix = "swapstream"
        }
      }
    },
  ])

  lifecycle {
    precondition {
      condition     = var.service_image != ""
      error_message = "service_enabled needs service_image (a linux/arm64 image whose entrypoint is swapstream)."
    }
  }
}

resource "aws_security_group" "service_metrics" {
  count = local.service_count

  name_prefix = "${var.name}-service-metrics-"
  description = "swapstream service: /metrics and /healthz from inside the VPC"
  vpc_id      = module.vpc.vpc_id

  ingress {
    description = "Prometheus scrapes and health checks from the VPC"
    protocol    = "tcp"
    from_port   = var.service_metrics_port
    to_port     = var.service_metrics_port
    cidr_blocks = [module.vpc.vpc_cidr_block]
  }

  tags = { Name = "${var.name}-service-metrics" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_ecs_service" "service" {
  count = local.service_count

  name             = "${var.name}-service"
  cluster          = aws_ecs_cluster.service[0].id
  task_definition  = aws_ecs_task_definition.service[0].arn
  desired_count    = var.service_desired_count
  launch_type      = "FARGATE"
  platform_version = "LATEST"
  propagate_tags   = "SERVICE"

  network_configuration {
    subnets          = module.vpc.private_subnet_ids
    security_groups  = [aws_security_group.kafka_client.id, aws_security_group.service_metrics[0].id]
    assign_public_ip = false
  }

  depends_on = [
    aws_iam_role_policy.service_task,
    aws_route53_record.kafka_broker,
    module.vpc,
  ]
}
