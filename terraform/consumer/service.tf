# Optional: the same host as a long-running consumer (`swapstream run`) on ECS Fargate, with its
# own consumer group, writing to the same tables and loading modules from the same bucket.
# Off by default; the image is deploy/container/Dockerfile (ENTRYPOINT the swapstream binary),
# built for service_cpu_architecture and pushed to a registry the task can pull from.

locals {
  service_count = var.service_enabled ? 1 : 0

  service_environment = merge(local.host_environment, {
    SWAPSTREAM_BROKERS           = local.service_bootstrap_servers
    SWAPSTREAM_TOPICS            = var.kafka_topic
    SWAPSTREAM_GROUP             = var.service_consumer_group_id
    SWAPSTREAM_KAFKA_SECURITY    = local.service_listener
    SWAPSTREAM_METRICS_ADDR      = "0.0.0.0:${var.service_metrics_port}"
    SWAPSTREAM_BATCH_MAX_RECORDS = tostring(var.service_batch_max_records)
    SWAPSTREAM_BATCH_MAX_BYTES   = tostring(var.service_batch_max_bytes)
    SWAPSTREAM_BATCH_MAX_WAIT    = var.service_batch_max_wait
  })

  # ECS reads one JSON key of a Secrets Manager secret with "<arn>:<key>::".
  service_secrets = local.service_listener == "sasl-scram" ? [
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

# What the task itself does: the same data access as the function and, with MSK IAM
# authentication, exactly what `swapstream run` does on the cluster.
resource "aws_iam_role" "service_task" {
  count = local.service_count

  name_prefix        = "${var.name}-task-"
  description        = "swapstream service task: tables, modules and, with msk-iam, the Kafka topic and group"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

# `swapstream run` through the IAM listener: connect, read the topic, commit the group's offsets.
# The producer's cluster policy grants the same to this account (enable_iam_auth).
data "aws_iam_policy_document" "service_kafka_iam" {
  count = local.service_uses_msk_iam ? 1 : 0

  statement {
    sid       = "KafkaConnect"
    actions   = ["kafka-cluster:Connect"]
    resources = [local.kafka_cluster_arn]
  }

  statement {
    sid       = "KafkaReadTopic"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = [local.kafka_topic_arn]
  }

  statement {
    sid       = "KafkaUseServiceGroup"
    actions   = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"]
    resources = [local.kafka_group_arn]
  }
}

data "aws_iam_policy_document" "service_task" {
  source_policy_documents = concat(
    [data.aws_iam_policy_document.data_access.json],
    data.aws_iam_policy_document.service_kafka_iam[*].json,
  )
}

resource "aws_iam_role_policy" "service_task" {
  count = local.service_count

  name   = "swapstream"
  role   = aws_iam_role.service_task[0].id
  policy = data.aws_iam_policy_document.service_task.json
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
    cpu_architecture        = var.service_cpu_architecture
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
      # /healthz answers 503 while a batch cannot be written (and until the first assignment), and
      # a restart does not cure a sink outage: ECS replaces a task only after `retries` failures
      # in a row, service_health_check_interval_seconds apart, so that it rides out short ones.
      # curl is in the image for this (deploy/container/Dockerfile).
      healthCheck = {
        command     = ["CMD", "curl", "--fail", "--silent", "--show-error", "--max-time", "4", "--output", "/dev/null", "http://127.0.0.1:${var.service_metrics_port}/healthz"]
        interval    = var.service_health_check_interval_seconds
        timeout     = 5
        retries     = var.service_health_check_retries
        startPeriod = 120
      }
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
      error_message = "service_enabled needs service_image: deploy/container/Dockerfile built for service_cpu_architecture and pushed to a registry (terraform/README.md, \"The ECS service\")."
    }

    precondition {
      condition     = length(local.service_port_missing) == 0
      error_message = "The connection secret has no port for the service's \"${local.service_listener}\" listener on ${join(", ", local.service_port_missing)}; enable the listener in the producer stack (enable_sasl_scram or enable_iam_auth) and apply it first."
    }

    precondition {
      condition     = local.service_listener != "sasl-scram" || var.kafka_sasl_scram_secret_arn != ""
      error_message = "The service's \"sasl-scram\" listener needs kafka_sasl_scram_secret_arn."
    }

    precondition {
      condition     = !local.service_uses_msk_iam || local.kafka_cluster_arn != null
      error_message = "msk-iam needs the cluster ARN in the connection secret: apply the producer stack of this version (it writes cluster_arn) first."
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

  lifecycle {
    # Application Auto Scaling owns the count (below): without service_autoscaling it holds it
    # at service_desired_count, so changing that variable still changes the count.
    ignore_changes = [desired_count]
  }
}

# ---------------------------------------------------------------------------------------------
# Task count
# ---------------------------------------------------------------------------------------------

# Always registered: with service_autoscaling between its bounds, otherwise pinned to
# service_desired_count (min = max), which App Auto Scaling applies at once.
resource "aws_appautoscaling_target" "service" {
  count = local.service_count

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.service[0].name}/${aws_ecs_service.service[0].name}"
  min_capacity       = var.service_autoscaling == null ? var.service_desired_count : var.service_autoscaling.min_tasks
  max_capacity       = var.service_autoscaling == null ? var.service_desired_count : var.service_autoscaling.max_tasks
}

# Scale on the backlog the consumer account can see. The lag itself is not in this account's
# CloudWatch: swapstream_consumer_lag is on the service's Prometheus /metrics only, and MSK's
# MaxOffsetLag for the group is in the producer account. What is here is the size of the batches
# the service writes (the "batch done" log line's `records`): a service that keeps up writes
# small batches closed by service_batch_max_wait; one that is behind finds records waiting and
# fills every batch to service_batch_max_records. Target tracking on the average fill adds tasks
# while batches come out full and removes them once they are small again (each task then holds
# fewer partitions, so fewer records per batch).
resource "aws_appautoscaling_policy" "service_batch_fill" {
  count = var.service_enabled && var.service_autoscaling != null ? 1 : 0

  name               = "${var.name}-service-batch-fill"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.service[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.service[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.service_batch_max_records * var.service_autoscaling.target_batch_fill_percent / 100
    scale_out_cooldown = 60
    # Scaling in rebalances the group (every partition pauses briefly): not too often.
    scale_in_cooldown = 600

    customized_metric_specification {
      namespace   = var.metrics_namespace
      metric_name = "ServiceRecordsPerBatch"
      statistic   = "Average"
      unit        = "Count"
    }
  }

  depends_on = [aws_cloudwatch_log_metric_filter.host]
}
