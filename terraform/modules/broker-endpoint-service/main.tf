# One broker behind its own network load balancer and VPC endpoint service. One per broker,
# not one for the cluster: Kafka clients must reach each broker by its own advertised name, so
# every broker needs its own address in the consumer VPC, on its unchanged port.

locals {
  # for_each takes strings; the ports arrive as numbers.
  ports = toset([for port in var.ports : tostring(port)])
}

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:This NLB has only TCP listeners (TLS is end to end with the broker) and NLBs write access logs for TLS listeners only.
  #checkov:skip=CKV_AWS_150:Deletion protection would make terraform destroy of the demo stacks fail; the load balancer holds no state and is recreated by apply.
  name               = var.name
  load_balancer_type = "network"
  internal           = true
  subnets            = var.subnet_ids
  ip_address_type    = "ipv4"
  # The broker sits in one zone; endpoints in the other zone reach it only across zones.
  enable_cross_zone_load_balancing = true
}

resource "aws_lb_target_group" "this" {
  for_each = local.ports

  name        = "${var.name}-${each.key}"
  port        = each.key
  protocol    = "TCP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    enabled  = true
    protocol = "TCP"
  }
}

resource "aws_lb_target_group_attachment" "this" {
  for_each = local.ports

  target_group_arn = aws_lb_target_group.this[each.key].arn
  target_id        = var.target_ip
  port             = each.key
}

resource "aws_lb_listener" "this" {
  for_each = local.ports

  load_balancer_arn = aws_lb.this.arn
  # TCP pass-through: the client's TLS session ends at the broker, whose certificate matches
  # the broker name the consumer resolves through its private hosted zone.
  protocol = "TCP"
  port     = each.key

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }
}

resource "aws_vpc_endpoint_service" "this" {
  #checkov:skip=CKV_AWS_123:Only allowed_principals can connect at all; manual acceptance would add an out-of-band step between the two applies without narrowing who gets in.
  acceptance_required        = false
  network_load_balancer_arns = [aws_lb.this.arn]
  allowed_principals         = var.allowed_principals

  tags = { Name = var.name }
}
