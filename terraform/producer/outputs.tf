output "kafka_connection_secret_arn" {
  description = "ARN of the shared connection secret: set it as kafka_connection_secret_arn in the consumer stack."
  value       = aws_secretsmanager_secret.kafka_connection.arn
}

output "kms_key_arn" {
  description = "ARN of the producer stack's KMS key (the consumer's deploying identity needs kms:Decrypt on it to read the secret)."
  value       = module.kms.key_arn
}

output "availability_zone_ids" {
  description = "Zone IDs of the brokers and load balancers: set the same availability_zone_ids in the consumer stack."
  value       = module.vpc.availability_zone_ids
}

output "msk_cluster_arn" {
  description = "ARN of the MSK cluster."
  value       = aws_msk_cluster.this.arn
}

output "bootstrap_brokers_tls" {
  description = "TLS bootstrap servers (host:port,...) for clients inside the producer VPC."
  value       = aws_msk_cluster.this.bootstrap_brokers_tls
}

output "endpoint_service_names" {
  description = "VPC endpoint service name of each broker, keyed by broker ID."
  value       = { for id, service in module.broker_endpoint_service : id => service.service_name }
}

output "topic" {
  description = "Kafka topic the sample producer writes."
  value       = var.topic
}

output "producer_instance_id" {
  description = "Instance ID of the sample producer (for `aws ssm start-session --target`), or null when disabled."
  value       = one(aws_instance.producer[*].id)
}

output "artifact_bucket" {
  description = "Bucket holding the producer's swapstream binary, or null when the sample producer is disabled."
  value       = one(module.artifacts[*].bucket)
}

output "kafka_connection" {
  description = "The connection secret's value, the JSON the consumer stack reads: per broker its advertised name, ports by listener, endpoint service, the service's zone IDs and the cluster ARN (connection metadata, not a credential)."
  value       = aws_secretsmanager_secret_version.kafka_connection.secret_string
  sensitive   = true
}

output "vpc_flow_log_group_name" {
  description = "CloudWatch log group of the producer VPC's flow logs."
  value       = module.vpc.flow_log_group_name
}
