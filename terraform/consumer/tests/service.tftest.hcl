# The optional ECS service of the consumer stack under a mocked AWS provider (account B): its
# task (image, health check, JSON logs, listener), its IAM for MSK IAM authentication, its
# alarm and metric filters, its task count and autoscaling. Plans only.

mock_provider "aws" {
  source          = "../ci/mocks/account-b"
  override_during = plan
}

# The producer's connection secret: two brokers behind endpoint services in zones euc1-az2 and
# euc1-az3 (zone IDs of the producer's pick; account B maps its zone names differently).
override_data {
  target = data.aws_secretsmanager_secret_version.kafka_connection
  values = {
    secret_string = <<-JSON
      {
        "b-1": {
          "endpoint_url": "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com",
          "broker_port": 9094,
          "ports": {"tls": 9094, "sasl_scram": 9096, "iam": 9098},
          "service_name": "com.amazonaws.vpce.eu-central-1.vpce-svc-0000000000000001b",
          "zone_ids": ["euc1-az2", "euc1-az3"],
          "cluster_arn": "arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
        },
        "b-2": {
          "endpoint_url": "b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com",
          "broker_port": 9094,
          "ports": {"tls": 9094, "sasl_scram": 9096, "iam": 9098},
          "service_name": "com.amazonaws.vpce.eu-central-1.vpce-svc-0000000000000002b",
          "zone_ids": ["euc1-az2", "euc1-az3"],
          "cluster_arn": "arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
        }
      }
    JSON
  }
}

variables {
  service_enabled             = true
  service_image               = "222222222222.dkr.ecr.eu-central-1.amazonaws.com/swapstream:1.0.0"
  region                      = "eu-central-1"
  kafka_connection_secret_arn = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:swapstream/kafka-connection-AbCdEf"
  lambda_zip_path             = "terraform/ci/fixtures/bootstrap.zip"
  default_module_path         = "terraform/ci/fixtures/average.wasm"
}


run "service_task" {
  command = plan

  assert {
    condition = jsonencode({
      image       = jsondecode(aws_ecs_task_definition.service[0].container_definitions)[0].image
      command     = jsondecode(aws_ecs_task_definition.service[0].container_definitions)[0].command
      healthCheck = jsondecode(aws_ecs_task_definition.service[0].container_definitions)[0].healthCheck
      readOnly    = jsondecode(aws_ecs_task_definition.service[0].container_definitions)[0].readonlyRootFilesystem
      ports       = jsondecode(aws_ecs_task_definition.service[0].container_definitions)[0].portMappings
      }) == jsonencode({
      image   = "222222222222.dkr.ecr.eu-central-1.amazonaws.com/swapstream:1.0.0"
      command = ["run"]
      healthCheck = {
        command     = ["CMD", "curl", "--fail", "--silent", "--show-error", "--max-time", "4", "--output", "/dev/null", "http://127.0.0.1:9100/healthz"]
        interval    = 30
        timeout     = 5
        retries     = 10
        startPeriod = 120
      }
      readOnly = true
      ports    = [{ containerPort = 9100, protocol = "tcp" }]
    })
    error_message = "the service container changed"
  }

  # JSON logs (the metric filters read them), metrics for the VPC, TLS brokers by default.
  assert {
    condition = jsonencode({
      for e in jsondecode(aws_ecs_task_definition.service[0].container_definitions)[0].environment : e.name => e.value
      if contains(["SWAPSTREAM_LOG_FORMAT", "SWAPSTREAM_METRICS_ADDR", "SWAPSTREAM_KAFKA_SECURITY", "SWAPSTREAM_BROKERS", "SWAPSTREAM_GROUP"], e.name)
      }) == jsonencode({
      SWAPSTREAM_BROKERS        = "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9094,b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9094"
      SWAPSTREAM_GROUP          = "swapstream-service"
      SWAPSTREAM_KAFKA_SECURITY = "tls"
      SWAPSTREAM_LOG_FORMAT     = "json"
      SWAPSTREAM_METRICS_ADDR   = "0.0.0.0:9100"
    })
    error_message = "the service's environment changed"
  }

  assert {
    condition     = one(aws_ecs_task_definition.service[0].runtime_platform).cpu_architecture == "ARM64"
    error_message = "ARM64 by default"
  }

  # TLS: no kafka-cluster permissions at all.
  assert {
    condition     = length(data.aws_iam_policy_document.service_kafka_iam) == 0
    error_message = "kafka-cluster permissions without msk-iam"
  }

  # Without autoscaling, App Auto Scaling holds the count at service_desired_count.
  assert {
    condition = (
      aws_appautoscaling_target.service[0].min_capacity == 1 &&
      aws_appautoscaling_target.service[0].max_capacity == 1 &&
      aws_appautoscaling_target.service[0].resource_id == "service/swapstream/swapstream-service" &&
      length(aws_appautoscaling_policy.service_batch_fill) == 0
    )
    error_message = "the task count without autoscaling"
  }
}

run "service_alarm_and_metric_filters" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.service_stalled[0].metric_name == "BatchRetries" &&
      aws_cloudwatch_metric_alarm.service_stalled[0].namespace == "Swapstream" &&
      aws_cloudwatch_metric_alarm.service_stalled[0].period == 60 &&
      aws_cloudwatch_metric_alarm.service_stalled[0].evaluation_periods == 5 &&
      aws_cloudwatch_metric_alarm.service_stalled[0].datapoints_to_alarm == 5 &&
      aws_cloudwatch_metric_alarm.service_stalled[0].comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.service_stalled[0].threshold == 1
    )
    error_message = "the service-stalled alarm changed"
  }

  assert {
    condition = jsonencode({
      for key, filter in aws_cloudwatch_log_metric_filter.host : key => {
        pattern = filter.pattern
        metric  = one(filter.metric_transformation).name
        value   = one(filter.metric_transformation).value
      } if filter.log_group_name == "/ecs/swapstream-service"
      }) == jsonencode({
      "service/BatchRetries"           = { pattern = "{ $.message = \"batch not written; retrying it\" }", metric = "BatchRetries", value = "1" }
      "service/BatchesResumed"         = { pattern = "{ $.message = \"batches are written again; resuming consumption\" }", metric = "BatchesResumed", value = "1" }
      "service/DeadLettersWritten"     = { pattern = "{ $.message = \"batch done\" }", metric = "DeadLettersWritten", value = "$.rejected" }
      "service/ItemsWritten"           = { pattern = "{ $.message = \"batch done\" }", metric = "ItemsWritten", value = "$.items" }
      "service/ModuleVersionsRefused"  = { pattern = "{ $.message = \"new module version refused; the running version stays\" }", metric = "ModuleVersionsRefused", value = "1" }
      "service/RecordsProcessed"       = { pattern = "{ $.message = \"batch done\" }", metric = "RecordsProcessed", value = "$.records" }
      "service/ServiceRecordsPerBatch" = { pattern = "{ $.message = \"batch done\" }", metric = "ServiceRecordsPerBatch", value = "$.records" }
    })
    error_message = "the service's log metric filters changed"
  }
}

run "msk_iam" {
  command = plan

  variables {
    service_kafka_listener = "msk-iam"
  }

  # The function stays on TLS; the service connects to the IAM listener.
  assert {
    condition = (
      one(aws_lambda_event_source_mapping.kafka.self_managed_event_source).endpoints.KAFKA_BOOTSTRAP_SERVERS == "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9094,b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9094" &&
      local.service_environment.SWAPSTREAM_BROKERS == "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9098,b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9098" &&
      local.service_environment.SWAPSTREAM_KAFKA_SECURITY == "msk-iam"
    )
    error_message = "listeners: the function on TLS, the service on IAM"
  }

  # Both ports are open to the endpoints.
  assert {
    condition     = jsonencode(sort(local.kafka_ports)) == jsonencode(["9094", "9098"])
    error_message = "kafka ports: ${jsonencode(local.kafka_ports)}"
  }

  # Exactly what `swapstream run` does on the cluster, on the producer's cluster, topic and group.
  assert {
    condition = jsonencode({
      for s in data.aws_iam_policy_document.service_kafka_iam[0].statement : s.sid => {
        actions = sort(s.actions), resources = sort(s.resources)
      }
      }) == jsonencode({
      KafkaConnect = {
        actions   = ["kafka-cluster:Connect"]
        resources = ["arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"]
      }
      KafkaReadTopic = {
        actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
        resources = ["arn:aws:kafka:eu-central-1:111111111111:topic/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2/cross-account-msk-data-streaming"]
      }
      KafkaUseServiceGroup = {
        actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
        resources = ["arn:aws:kafka:eu-central-1:111111111111:group/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2/swapstream-service"]
      }
    })
    error_message = "the task role's kafka-cluster grants"
  }

  # The function's role gets none: its mapping cannot use IAM.
  assert {
    condition = alltrue([
      for s in concat(
        data.aws_iam_policy_document.lambda.statement,
        data.aws_iam_policy_document.data_access.statement,
        data.aws_iam_policy_document.on_failure_destination.statement,
        data.aws_iam_policy_document.kafka_auth_secrets.statement,
        data.aws_iam_policy_document.lambda_vpc_access.statement,
      ) : alltrue([for a in s.actions : !startswith(a, "kafka-cluster:")])
    ])
    error_message = "the function's role holds kafka-cluster permissions"
  }
}

run "msk_iam_without_the_listener_is_refused" {
  command = plan

  variables {
    service_kafka_listener = "msk-iam"
  }

  override_data {
    target = data.aws_secretsmanager_secret_version.kafka_connection
    values = {
      secret_string = "{\"b-1\":{\"endpoint_url\":\"b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com\",\"broker_port\":9094,\"ports\":{\"tls\":9094},\"service_name\":\"com.amazonaws.vpce.eu-central-1.vpce-svc-0000000000000001b\",\"zone_ids\":[\"euc1-az2\",\"euc1-az3\"],\"cluster_arn\":\"arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2\"}}"
    }
  }

  expect_failures = [aws_ecs_task_definition.service]
}

run "autoscaling_on_batch_fill" {
  command = plan

  variables {
    service_autoscaling      = { min_tasks = 1, max_tasks = 6 }
    service_cpu_architecture = "X86_64"
  }

  assert {
    condition = (
      aws_appautoscaling_target.service[0].min_capacity == 1 &&
      aws_appautoscaling_target.service[0].max_capacity == 6
    )
    error_message = "autoscaling bounds"
  }

  assert {
    condition = jsonencode({
      target = one(aws_appautoscaling_policy.service_batch_fill[0].target_tracking_scaling_policy_configuration).target_value
      metric = one(one(aws_appautoscaling_policy.service_batch_fill[0].target_tracking_scaling_policy_configuration).customized_metric_specification)
      }) == jsonencode({
      target = 400
      metric = { dimensions = [], metric_name = "ServiceRecordsPerBatch", metrics = [], namespace = "Swapstream", statistic = "Average", unit = "Count" }
    })
    error_message = "target tracking: 80% of 500 records per batch"
  }

  assert {
    condition     = one(aws_ecs_task_definition.service[0].runtime_platform).cpu_architecture == "X86_64"
    error_message = "service_cpu_architecture"
  }
}

run "ecr_repository" {
  command = plan

  variables {
    create_ecr_repository = true
  }

  assert {
    condition = (
      aws_ecr_repository.service[0].name == "swapstream" &&
      aws_ecr_repository.service[0].image_tag_mutability == "IMMUTABLE" &&
      one(aws_ecr_repository.service[0].image_scanning_configuration).scan_on_push &&
      one(aws_ecr_repository.service[0].encryption_configuration).kms_key == module.kms.key_arn
    )
    error_message = "the repository: immutable tags, scanned, encrypted with the stack key"
  }
}
