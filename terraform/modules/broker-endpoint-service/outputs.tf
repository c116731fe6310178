output "service_name" {
  description = "Name of the VPC endpoint service (com.amazonaws.vpce.REGION.vpce-svc-...), what a consumer endpoint connects to."
  value       = aws_vpc_endpoint_service.this.service_name
}

output "service_id" {
  description = "ID of the VPC endpoint service."
  value       = aws_vpc_endpoint_service.this.id
}

output "load_balancer_arn" {
  description = "ARN of the broker's network load balancer."
  value       = aws_lb.this.arn
}
