output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zone_ids" {
  description = "The two availability zone IDs the subnets are in, in subnet order."
  value       = local.az_ids
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone, in availability_zone_ids order."
  value       = [for az in local.az_ids : aws_subnet.private[az].id]
}

output "private_subnet_cidr_blocks" {
  description = "CIDRs of the private subnets, in availability_zone_ids order."
  value       = [for az in local.az_ids : aws_subnet.private[az].cidr_block]
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (empty unless create_public_subnets)."
  value       = [for az in local.az_ids : aws_subnet.public[az].id if var.create_public_subnets]
}

output "private_route_table_id" {
  description = "ID of the route table shared by the private subnets."
  value       = aws_route_table.private.id
}

output "gateway_endpoint_prefix_list_ids" {
  description = "Managed prefix list ID of each gateway endpoint, keyed by service (\"s3\", \"dynamodb\"), for security group egress rules."
  value       = { for service, endpoint in aws_vpc_endpoint.gateway : service => endpoint.prefix_list_id }
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group that receives the VPC's flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "interface_endpoint_services" {
  description = "Short names of the AWS services reached through this VPC's interface endpoints."
  value       = sort(keys(aws_vpc_endpoint.interface))
}
