# Alarms and one dashboard. Lambda's own metrics (OffsetLag, Errors, Throttles) come from AWS/Lambda;
# everything the host knows (dead letters, refused module versions, stalled partitions) comes
# from CloudWatch Logs metric filters on the host's JSON log lines, the same way for the function
# and for the service: no agent, no embedded metric format. The host logs JSON in both
# (SWAPSTREAM_LOG_FORMAT=json in local.host_environment): the message in $.message, the event's
# fields at the top level.

locals {
  # THE CONTRACT BETWEEN THE HOST'S LOGS AND THE ALARMS (terraform/README.md, "Alarms"): the
  # messages and fields below are what the host logs. Rename one in the host and the metric stops
  # counting, and its alarm goes blind.
  #   metric name => pattern, metric value, the log groups it applies to.
  host_log_metrics = {
    # Every batch written: "batch done" with records (in), items (written), rejected (dead letters).
    RecordsProcessed   = { pattern = "{ $.message = \"batch done\" }", value = "$.records", service_only = false }
    ItemsWritten       = { pattern = "{ $.message = \"batch done\" }", value = "$.items", service_only = false }
    DeadLettersWritten = { pattern = "{ $.message = \"batch done\" }", value = "$.rejected", service_only = false }
    # A new module version that failed validation (reason: sha256_mismatch, canary_trap, ...).
    ModuleVersionsRefused = { pattern = "{ $.message = \"new module version refused; the running version stays\" }", value = "1", service_only = false }
    # Service mode: a batch that cannot be written is retried and its partitions are paused...
    BatchRetries = { pattern = "{ $.message = \"batch not written; retrying it\" }", value = "1", service_only = true }
    # ... until writing works again.
    BatchesResumed = { pattern = "{ $.message = \"batches are written again; resuming consumption\" }", value = "1", service_only = true }
    # Service mode: records per batch (its Average drives autoscaling; see service.tf).
    ServiceRecordsPerBatch = { pattern = "{ $.message = \"batch done\" }", value = "$.records", service_only = true }
  }

  host_log_groups = merge(
    { lambda = aws_cloudwatch_log_group.lambda.name },
    var.service_enabled ? { service = aws_cloudwatch_log_group.service[0].name } : {},
  )
  host_log_metric_filters = {
    for pair in setproduct(keys(local.host_log_groups), keys(local.host_log_metrics)) :
    "${pair[0]}/${pair[1]}" => merge(local.host_log_metrics[pair[1]], { metric = pair[1], log_group = local.host_log_groups[pair[0]] })
    if pair[0] == "service" || !local.host_log_metrics[pair[1]].service_only
  }

  alarm_topic_arn = var.create_alarm_topic ? aws_sns_topic.alarms[0].arn : var.alarm_sns_topic_arn
  alarm_actions   = local.alarm_topic_arn == "" ? [] : [local.alarm_topic_arn]
}

resource "aws_cloudwatch_log_metric_filter" "host" {
  for_each = local.host_log_metric_filters

  name           = "${var.name}-${replace(each.key, "/", "-")}"
  log_group_name = each.value.log_group
  pattern        = each.value.pattern

  metric_transformation {
    namespace = var.metrics_namespace
    name      = each.value.metric
    value     = each.value.value
    unit      = "Count"
  }
}

# ---------------------------------------------------------------------------------------------
# Where alarms go
# ---------------------------------------------------------------------------------------------

resource "aws_sns_topic" "alarms" {
  count = var.create_alarm_topic ? 1 : 0

  name              = "${var.name}-alarms"
  display_name      = "swapstream alarms"
  kms_master_key_id = module.kms.key_arn
}

# CloudWatch publishes alarm notifications to the encrypted topic with the stack key.
data "aws_iam_policy_document" "kms_cloudwatch_alarms" {
  #checkov:skip=CKV_AWS_109:In a key policy "*" is the key itself; the grant is to the CloudWatch service only and only for encrypting alarm notifications.
  #checkov:skip=CKV_AWS_111:In a key policy "*" is the key itself; the grant is to the CloudWatch service only and only for encrypting alarm notifications.
  #checkov:skip=CKV_AWS_356:In a key policy "*" is the key itself, not every resource.
  statement {
    sid       = "CloudWatchAlarmsPublishToEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.${local.dns_suffix}"]
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Alarms (what each means and what to do: terraform/README.md, "Alarms")
# ---------------------------------------------------------------------------------------------

# The mapping falls behind the topic: records wait longer and longer.
resource "aws_cloudwatch_metric_alarm" "offset_lag" {
  alarm_name          = "${var.name}-offset-lag"
  alarm_description   = "The event source mapping is more than ${var.alarm_offset_lag_threshold} records behind the topic for ${var.alarm_offset_lag_minutes} minutes. See terraform/README.md, Alarms."
  namespace           = "AWS/Lambda"
  metric_name         = "OffsetLag"
  dimensions          = { FunctionName = aws_lambda_function.swapstream.function_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.alarm_offset_lag_minutes
  datapoints_to_alarm = var.alarm_offset_lag_minutes
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_offset_lag_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Invocations fail: the host could not write a batch (or timed out); the mapping retries it.
resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "${var.name}-lambda-errors"
  alarm_description   = "The swapstream function failed invocations in 2 of the last 3 five-minute periods: batches are retried and their partitions do not advance. See terraform/README.md, Alarms."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.swapstream.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Invocations are throttled: the reserved concurrency is below what the partitions need.
resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "${var.name}-lambda-throttles"
  alarm_description   = "The swapstream function was throttled in 2 of the last 3 five-minute periods: lambda_reserved_concurrency (or the account's quota) is below the topic's partition count. See terraform/README.md, Alarms."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.swapstream.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# The module rejects records (or fails whole batches): they land in the dead-letter table.
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-dead-letters"
  alarm_description   = "More than ${var.alarm_dead_letters_threshold} records went to the dead-letter table ${aws_dynamodb_table.dead_letter.name} in five minutes (function and service together). See terraform/README.md, Alarms."
  namespace           = var.metrics_namespace
  metric_name         = "DeadLettersWritten"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_dead_letters_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# A published module version failed validation; the running version stays.
resource "aws_cloudwatch_metric_alarm" "module_refused" {
  alarm_name          = "${var.name}-module-refused"
  alarm_description   = "A module version published to ${local.module_location} was refused (sha256 pin, contract, canary); hosts keep running the previous version. See terraform/README.md, Alarms."
  namespace           = var.metrics_namespace
  metric_name         = "ModuleVersionsRefused"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Service mode: a batch has failed to be written in every minute for a while; the service has
# paused its partitions until the write succeeds.
resource "aws_cloudwatch_metric_alarm" "service_stalled" {
  count = local.service_count

  alarm_name          = "${var.name}-service-stalled"
  alarm_description   = "The swapstream service has retried an unwritten batch in each of the last ${var.alarm_service_stall_minutes} minutes: its partitions are paused. See terraform/README.md, Alarms."
  namespace           = var.metrics_namespace
  metric_name         = "BatchRetries"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = var.alarm_service_stall_minutes
  datapoints_to_alarm = var.alarm_service_stall_minutes
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------

locals {
  function_name = aws_lambda_function.swapstream.function_name
  dashboard_alarms = concat(
    [
      aws_cloudwatch_metric_alarm.offset_lag.arn,
      aws_cloudwatch_metric_alarm.lambda_errors.arn,
      aws_cloudwatch_metric_alarm.lambda_throttles.arn,
      aws_cloudwatch_metric_alarm.dead_letters.arn,
      aws_cloudwatch_metric_alarm.module_refused.arn,
    ],
    aws_cloudwatch_metric_alarm.service_stalled[*].arn,
  )
  dashboard_widgets = concat(
    [
      {
        type       = "alarm", x = 0, y = 0, width = 24, height = 3
        properties = { title = "Alarms", alarms = local.dashboard_alarms }
      },
      {
        type = "metric", x = 0, y = 3, width = 12, height = 6
        properties = {
          title   = "Event source mapping: offset lag (records)", region = local.region, view = "timeSeries"
          metrics = [["AWS/Lambda", "OffsetLag", "FunctionName", local.function_name, { stat = "Maximum" }]]
        }
      },
      {
        type = "metric", x = 12, y = 3, width = 12, height = 6
        properties = {
          title = "Function: invocations, errors, throttles", region = local.region, view = "timeSeries", stat = "Sum"
          metrics = [
            ["AWS/Lambda", "Invocations", "FunctionName", local.function_name],
            ["AWS/Lambda", "Errors", "FunctionName", local.function_name],
            ["AWS/Lambda", "Throttles", "FunctionName", local.function_name],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 9, width = 12, height = 6
        properties = {
          title = "Records in, items written, dead letters (function and service)", region = local.region, view = "timeSeries", stat = "Sum"
          metrics = [
            [var.metrics_namespace, "RecordsProcessed"],
            [var.metrics_namespace, "ItemsWritten"],
            [var.metrics_namespace, "DeadLettersWritten"],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 9, width = 12, height = 6
        properties = {
          title = "Function duration (ms) and concurrency", region = local.region, view = "timeSeries"
          metrics = [
            ["AWS/Lambda", "Duration", "FunctionName", local.function_name, { stat = "p99" }],
            ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", local.function_name, { stat = "Maximum", yAxis = "right" }],
          ]
        }
      },
      {
        type = "log", x = 0, y = 15, width = 24, height = 6
        properties = {
          title  = "Refused module versions and batches not written (latest first)"
          region = local.region
          view   = "table"
          query  = "SOURCE ${join(" | SOURCE ", [for group in values(local.host_log_groups) : "'${group}'"])} | fields @timestamp, @log, message, reason, sha256, error | filter message in [\"new module version refused; the running version stays\", \"batch not written; retrying it\", \"batch not written\"] | sort @timestamp desc | limit 50"
        }
      },
    ],
    # A for over a literal list, rather than a conditional, so the two tuples need not unify.
    [for widget in [
      {
        type = "metric", x = 0, y = 21, width = 12, height = 6
        properties = {
          title = "Service: batch retries and resumptions", region = local.region, view = "timeSeries", stat = "Sum"
          metrics = [
            [var.metrics_namespace, "BatchRetries"],
            [var.metrics_namespace, "BatchesResumed"],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 21, width = 12, height = 6
        properties = {
          title = "Service: running tasks and records per batch", region = local.region, view = "timeSeries"
          metrics = [
            ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", var.name, "ServiceName", "${var.name}-service", { stat = "Maximum" }],
            [var.metrics_namespace, "ServiceRecordsPerBatch", { stat = "Average", yAxis = "right" }],
          ]
        }
      },
    ] : widget if var.service_enabled],
  )
}

resource "aws_cloudwatch_dashboard" "swapstream" {
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
