output "lambda_function_name" {
  description = "Name of the swapstream Lambda function."
  value       = aws_lambda_function.swapstream.function_name
}

output "lambda_log_group" {
  description = "CloudWatch log group of the function (JSON lines from the host)."
  value       = aws_cloudwatch_log_group.lambda.name
}

output "event_source_mapping_uuid" {
  description = "UUID of the Kafka event source mapping (for `aws lambda get-event-source-mapping`)."
  value       = aws_lambda_event_source_mapping.kafka.uuid
}

output "table_name" {
  description = "DynamoDB table with one item per device and window (device_id N, window_start S)."
  value       = aws_dynamodb_table.averages.name
}

output "dead_letter_table_name" {
  description = "DynamoDB table with the records the module rejected (source S = \"topic/partition\", offset N)."
  value       = aws_dynamodb_table.dead_letter.name
}

output "module_bucket" {
  description = "Bucket that holds the analytics modules."
  value       = module.module_store.bucket
}

output "module_location" {
  description = "The live module's location as the host reads it (SWAPSTREAM_MODULE); the target of `swapstream module push`."
  value       = local.module_location
}

output "module_sha256" {
  description = "The sha256 the host is pinned to, or null when pin_module_sha256 is false."
  value       = var.pin_module_sha256 ? local.module_sha256 : null
}

output "kafka_bootstrap_servers" {
  description = "Bootstrap servers (broker names and ports) as clients in this VPC use them."
  value       = local.bootstrap_servers
}

output "kafka_hosted_zone_id" {
  description = "ID of the private hosted zone that maps the broker names to their endpoints."
  value       = aws_route53_zone.kafka.zone_id
}

output "service_name" {
  description = "Name of the ECS service, or null when service_enabled is false."
  value       = one(aws_ecs_service.service[*].name)
}

output "service_log_group" {
  description = "CloudWatch log group of the ECS service (JSON lines from the host), or null when service_enabled is false."
  value       = one(aws_cloudwatch_log_group.service[*].name)
}

output "availability_zone_ids" {
  description = "Zone IDs of the consumer's subnets and broker endpoints (the producer's, from the connection secret, unless availability_zone_ids is set)."
  value       = module.vpc.availability_zone_ids
}

output "vpc_flow_log_group_name" {
  description = "CloudWatch log group of the consumer VPC's flow logs."
  value       = module.vpc.flow_log_group_name
}

output "on_failure_destination_arn" {
  description = "ARN of the event source mapping's on-failure destination (the failed-batches bucket or queue)."
  value       = local.on_failure_destination_arn
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (subscribe your on-call to it), or null when there is none."
  value       = local.alarm_topic_arn == "" ? null : local.alarm_topic_arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard with the pipeline's metrics and alarms."
  value       = aws_cloudwatch_dashboard.swapstream.dashboard_name
}

output "host_log_metrics" {
  description = "The metrics taken from the host's log lines (namespace metrics_namespace), with the log pattern and value of each: the contract between the host's logs and the alarms."
  value       = { for metric, filter in local.host_log_metrics : metric => { pattern = filter.pattern, value = filter.value } }
}

output "repository_url" {
  description = "URL of the service image's ECR repository (push deploy/container/Dockerfile's image there, then set service_image = \"<url>:<tag>\"), or null when create_ecr_repository is false."
  value       = one(aws_ecr_repository.service[*].repository_url)
}
