# The consumer stack under a mocked AWS provider (no credentials, no AWS calls), in account B
# (terraform/ci/mocks/account-b), reading a connection secret as the producer stack writes it.
# Plans: names, the event source mapping's settings, policies, alarms, the service's task.

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
  region                      = "eu-central-1"
  kafka_connection_secret_arn = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:swapstream/kafka-connection-AbCdEf"
  lambda_zip_path             = "terraform/ci/fixtures/bootstrap.zip"
  default_module_path         = "terraform/ci/fixtures/average.wasm"
}

run "names" {
  command = plan

  # "<name>-consumer": distinct from the producer's VPC ("<name>-producer") in a shared account.
  assert {
    condition     = output.vpc_flow_log_group_name == "/vpc/swapstream-consumer/flow-logs"
    error_message = "flow-log group: ${output.vpc_flow_log_group_name}"
  }

  assert {
    condition = jsonencode([
      aws_lambda_function.swapstream.function_name,
      aws_cloudwatch_log_group.lambda.name,
      aws_dynamodb_table.averages.name,
      aws_dynamodb_table.dead_letter.name,
      module.module_store.bucket,
      module.failed_batches[0].bucket,
      aws_sns_topic.alarms[0].name,
      aws_cloudwatch_dashboard.swapstream.dashboard_name,
      ]) == jsonencode([
      "swapstream",
      "/aws/lambda/swapstream",
      "swapstream-averages",
      "swapstream-dead-letter",
      "swapstream-modules-222222222222-eu-central-1",
      "swapstream-failed-222222222222-eu-central-1",
      "swapstream-alarms",
      "swapstream",
    ])
    error_message = "a resource name changed"
  }
}

run "zones_are_the_producers_zone_ids" {
  command = plan

  # Account B's first two zone names are euc1-az1 and euc1-az2 here; the endpoint services are
  # in the producer's euc1-az2 and euc1-az3. Picking by this account's names would put a subnet
  # in a zone the endpoint services are not in.
  assert {
    condition     = jsonencode(output.availability_zone_ids) == jsonencode(["euc1-az2", "euc1-az3"])
    error_message = "consumer zones: ${jsonencode(output.availability_zone_ids)}"
  }
}

run "explicit_zones_outside_the_producers_are_refused" {
  command = plan

  variables {
    availability_zone_ids = ["euc1-az1", "euc1-az2"]
  }

  expect_failures = [aws_vpc_endpoint.kafka_broker]
}

run "event_source_mapping" {
  command = plan

  assert {
    condition = jsonencode({
      function_name     = aws_lambda_event_source_mapping.kafka.function_name
      topics            = aws_lambda_event_source_mapping.kafka.topics
      starting_position = aws_lambda_event_source_mapping.kafka.starting_position
      batch_size        = aws_lambda_event_source_mapping.kafka.batch_size
      window            = aws_lambda_event_source_mapping.kafka.maximum_batching_window_in_seconds
      group             = one(aws_lambda_event_source_mapping.kafka.self_managed_kafka_event_source_config).consumer_group_id
      brokers           = one(aws_lambda_event_source_mapping.kafka.self_managed_event_source).endpoints.KAFKA_BOOTSTRAP_SERVERS
      }) == jsonencode({
      function_name     = "arn:aws:lambda:eu-central-1:222222222222:function:swapstream"
      topics            = ["cross-account-msk-data-streaming"]
      starting_position = "TRIM_HORIZON"
      batch_size        = 100
      window            = 1
      group             = "swapstream"
      brokers           = "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9094,b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9094"
    })
    error_message = "the mapping's settings changed"
  }

  # On failure: the stack's S3 bucket, written by the function's role with PutObject only.
  assert {
    condition     = one(one(aws_lambda_event_source_mapping.kafka.destination_config).on_failure).destination_arn == module.failed_batches[0].arn
    error_message = "the on-failure destination is not the failed-batches bucket"
  }

  assert {
    condition     = length(aws_sqs_queue.failed_batches) == 0
    error_message = "no queue with the S3 destination"
  }

  assert {
    condition = jsonencode({
      for s in data.aws_iam_policy_document.on_failure_destination.statement : s.sid => {
        actions = sort(s.actions), resources = sort(s.resources)
      }
      }) == jsonencode({
      ListFailedBatches  = { actions = ["s3:ListBucket"], resources = [module.failed_batches[0].arn] }
      WriteFailedBatches = { actions = ["s3:PutObject"], resources = ["${module.failed_batches[0].arn}/*"] }
    })
    error_message = "the destination grant is not PutObject/ListBucket on the failed-batches bucket"
  }

  # On-demand mode: no pollers, no retry controls (Lambda refuses them outside provisioned mode;
  # the retry settings are then left unset, and only known once Lambda reports its defaults).
  assert {
    condition = (
      length(aws_lambda_event_source_mapping.kafka.provisioned_poller_config) == 0 &&
      aws_lambda_event_source_mapping.kafka.bisect_batch_on_function_error == null
    )
    error_message = "on-demand mode sets provisioned-mode settings"
  }

  # The function logs JSON (the alarms read it) and is pinned to the uploaded module.
  assert {
    condition     = aws_lambda_function.swapstream.environment[0].variables.SWAPSTREAM_LOG_FORMAT == "json"
    error_message = "the function must log JSON"
  }
}

run "sqs_destination_and_provisioned_mode" {
  command = plan

  variables {
    on_failure_destination             = "sqs"
    esm_provisioned_pollers            = { minimum_pollers = 1, maximum_pollers = 3 }
    esm_maximum_retry_attempts         = 5
    esm_maximum_record_age_seconds     = 3600
    esm_bisect_batch_on_function_error = true
  }

  assert {
    condition     = one(one(aws_lambda_event_source_mapping.kafka.destination_config).on_failure).destination_arn == aws_sqs_queue.failed_batches[0].arn
    error_message = "the on-failure destination is not the queue"
  }

  assert {
    condition     = aws_sqs_queue.failed_batches[0].kms_master_key_id == module.kms.key_arn && length(module.failed_batches) == 0
    error_message = "the queue is encrypted with the stack key, and there is no bucket"
  }

  assert {
    condition = jsonencode({
      for s in data.aws_iam_policy_document.on_failure_destination.statement : s.sid => {
        actions = sort(s.actions), resources = sort(s.resources)
      }
      }) == jsonencode({
      EncryptFailedBatchMessages = { actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = [module.kms.key_arn] }
      SendFailedBatches          = { actions = ["sqs:SendMessage"], resources = [aws_sqs_queue.failed_batches[0].arn] }
    })
    error_message = "the destination grant is not SendMessage on the queue (and its key through SQS)"
  }

  # The pollers reach SQS from the VPC through an interface endpoint.
  assert {
    condition     = contains(module.vpc.interface_endpoint_services, "sqs")
    error_message = "no SQS interface endpoint"
  }

  assert {
    condition = jsonencode({
      pollers = one(aws_lambda_event_source_mapping.kafka.provisioned_poller_config)
      retries = aws_lambda_event_source_mapping.kafka.maximum_retry_attempts
      age     = aws_lambda_event_source_mapping.kafka.maximum_record_age_in_seconds
      bisect  = aws_lambda_event_source_mapping.kafka.bisect_batch_on_function_error
      }) == jsonencode({
      pollers = { maximum_pollers = 3, minimum_pollers = 1 }
      retries = 5
      age     = 3600
      bisect  = true
    })
    error_message = "provisioned mode settings"
  }
}

run "alarms" {
  command = plan

  assert {
    condition = jsonencode({
      for alarm in [
        aws_cloudwatch_metric_alarm.offset_lag,
        aws_cloudwatch_metric_alarm.lambda_errors,
        aws_cloudwatch_metric_alarm.lambda_throttles,
        aws_cloudwatch_metric_alarm.dead_letters,
        aws_cloudwatch_metric_alarm.module_refused,
        ] : alarm.alarm_name => {
        metric     = "${alarm.namespace}/${alarm.metric_name}"
        dimensions = alarm.dimensions
        statistic  = alarm.statistic
        period     = alarm.period
        periods    = alarm.evaluation_periods
        threshold  = "${alarm.comparison_operator} ${alarm.threshold}"
        actions    = alarm.alarm_actions
      }
      }) == jsonencode({
      swapstream-dead-letters = {
        metric    = "Swapstream/DeadLettersWritten", dimensions = null, statistic = "Sum", period = 300, periods = 1
        threshold = "GreaterThanThreshold 0", actions = ["arn:aws:sns:eu-central-1:222222222222:swapstream-alarms"]
      }
      swapstream-lambda-errors = {
        metric    = "AWS/Lambda/Errors", dimensions = { FunctionName = "swapstream" }, statistic = "Sum", period = 300, periods = 3
        threshold = "GreaterThanOrEqualToThreshold 1", actions = ["arn:aws:sns:eu-central-1:222222222222:swapstream-alarms"]
      }
      swapstream-lambda-throttles = {
        metric    = "AWS/Lambda/Throttles", dimensions = { FunctionName = "swapstream" }, statistic = "Sum", period = 300, periods = 3
        threshold = "GreaterThanOrEqualToThreshold 1", actions = ["arn:aws:sns:eu-central-1:222222222222:swapstream-alarms"]
      }
      swapstream-module-refused = {
        metric    = "Swapstream/ModuleVersionsRefused", dimensions = null, statistic = "Sum", period = 300, periods = 1
        threshold = "GreaterThanOrEqualToThreshold 1", actions = ["arn:aws:sns:eu-central-1:222222222222:swapstream-alarms"]
      }
      swapstream-offset-lag = {
        metric    = "AWS/Lambda/OffsetLag", dimensions = { FunctionName = "swapstream" }, statistic = "Maximum", period = 60, periods = 15
        threshold = "GreaterThanThreshold 10000", actions = ["arn:aws:sns:eu-central-1:222222222222:swapstream-alarms"]
      }
    })
    error_message = "an alarm's metric, threshold or action changed"
  }

  # No service: no stall alarm, and metric filters on the function's log group only.
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.service_stalled) == 0
    error_message = "a service alarm without a service"
  }

  # The host's log lines the alarms depend on (the contract in terraform/README.md).
  assert {
    condition = jsonencode({
      for key, filter in aws_cloudwatch_log_metric_filter.host : key => {
        group   = filter.log_group_name
        pattern = filter.pattern
        metric  = "${one(filter.metric_transformation).namespace}/${one(filter.metric_transformation).name}"
        value   = one(filter.metric_transformation).value
      }
      }) == jsonencode({
      "lambda/DeadLettersWritten" = {
        group = "/aws/lambda/swapstream", pattern = "{ $.message = \"batch done\" }", metric = "Swapstream/DeadLettersWritten", value = "$.rejected"
      }
      "lambda/ItemsWritten" = {
        group = "/aws/lambda/swapstream", pattern = "{ $.message = \"batch done\" }", metric = "Swapstream/ItemsWritten", value = "$.items"
      }
      "lambda/ModuleVersionsRefused" = {
        group = "/aws/lambda/swapstream", pattern = "{ $.message = \"new module version refused; the running version stays\" }", metric = "Swapstream/ModuleVersionsRefused", value = "1"
      }
      "lambda/RecordsProcessed" = {
        group = "/aws/lambda/swapstream", pattern = "{ $.message = \"batch done\" }", metric = "Swapstream/RecordsProcessed", value = "$.records"
      }
    })
    error_message = "the function's log metric filters changed"
  }

  # CloudWatch may use the stack key to publish to the encrypted topic.
  assert {
    condition = (
      aws_sns_topic.alarms[0].kms_master_key_id == module.kms.key_arn &&
      jsonencode(one(data.aws_iam_policy_document.kms_cloudwatch_alarms.statement[0].principals).identifiers) == jsonencode(["cloudwatch.amazonaws.com"])
    )
    error_message = "the alarm topic is encrypted with the stack key, whose policy lets CloudWatch use it"
  }
}

run "alarms_to_an_existing_topic_in_another_namespace" {
  command = plan

  variables {
    create_alarm_topic         = false
    alarm_sns_topic_arn        = "arn:aws:sns:eu-central-1:222222222222:on-call"
    metrics_namespace          = "Team/Swapstream"
    alarm_offset_lag_threshold = 500
    alarm_offset_lag_minutes   = 5
  }

  assert {
    condition = (
      length(aws_sns_topic.alarms) == 0 &&
      jsonencode(aws_cloudwatch_metric_alarm.dead_letters.alarm_actions) == jsonencode(["arn:aws:sns:eu-central-1:222222222222:on-call"]) &&
      jsonencode(aws_cloudwatch_metric_alarm.dead_letters.ok_actions) == jsonencode(["arn:aws:sns:eu-central-1:222222222222:on-call"])
    )
    error_message = "alarms go to alarm_sns_topic_arn"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.dead_letters.namespace == "Team/Swapstream" &&
      one(aws_cloudwatch_log_metric_filter.host["lambda/DeadLettersWritten"].metric_transformation).namespace == "Team/Swapstream"
    )
    error_message = "metrics_namespace applies to the metric filters and the alarms"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.offset_lag.threshold == 500 &&
      aws_cloudwatch_metric_alarm.offset_lag.evaluation_periods == 5 &&
      aws_cloudwatch_metric_alarm.offset_lag.datapoints_to_alarm == 5
    )
    error_message = "offset lag threshold and minutes"
  }
}

run "missing_listener_port_reaches_the_precondition" {
  command = plan

  variables {
    kafka_listener              = "sasl-scram"
    kafka_sasl_scram_secret_arn = "arn:aws:secretsmanager:eu-central-1:222222222222:secret:scram-AbCdEf"
  }

  # A producer without its SCRAM listener: its secret has the TLS port only.
  override_data {
    target = data.aws_secretsmanager_secret_version.kafka_connection
    values = {
      secret_string = "{\"b-1\":{\"endpoint_url\":\"b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com\",\"broker_port\":9094,\"ports\":{\"tls\":9094},\"service_name\":\"com.amazonaws.vpce.eu-central-1.vpce-svc-0000000000000001b\"}}"
    }
  }

  expect_failures = [aws_lambda_event_source_mapping.kafka]
}

run "reference_deployment_secret_still_works" {
  command = plan

  # The reference deployment's secret: TLS broker_port only, no zones, no cluster ARN.
  override_data {
    target = data.aws_secretsmanager_secret_version.kafka_connection
    values = {
      secret_string = "{\"b-1\":{\"endpoint_url\":\"b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com\",\"broker_port\":9094,\"service_name\":\"com.amazonaws.vpce.eu-central-1.vpce-svc-0000000000000001b\"}}"
    }
  }

  variables {
    availability_zone_ids = ["euc1-az2", "euc1-az3"]
  }

  assert {
    condition     = local.bootstrap_servers == "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9094"
    error_message = "bootstrap servers: ${local.bootstrap_servers}"
  }
}
