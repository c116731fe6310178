# The producer's brokers, reachable in this VPC under their own names: one interface endpoint
# per broker endpoint service, and a private hosted zone whose records point each broker name at
# its endpoint. Clients connect with TLS to the real names, so certificate checks pass.

resource "aws_security_group" "kafka_endpoints" {
  name_prefix = "${var.name}-kafka-endpoints-"
  description = "PrivateLink endpoints of the Kafka brokers: Kafka from inside the VPC"
  vpc_id      = module.vpc.vpc_id

  dynamic "ingress" {
    for_each = local.kafka_ports

    content {
      description = "Kafka port ${ingress.value} from the VPC"
      protocol    = "tcp"
      from_port   = ingress.value
      to_port     = ingress.value
      cidr_blocks = [module.vpc.vpc_cidr_block]
    }
  }

  tags = { Name = "${var.name}-kafka-endpoints" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_endpoint" "kafka_broker" {
  for_each = local.kafka_brokers

  vpc_id             = module.vpc.vpc_id
  service_name       = each.value.service_name
  vpc_endpoint_type  = "Interface"
  subnet_ids         = module.vpc.private_subnet_ids
  security_group_ids = [aws_security_group.kafka_endpoints.id]
  # The endpoint services have no private DNS name; the hosted zone below provides the names.
  private_dns_enabled = false

  tags = { Name = "${var.name}-kafka-${each.key}" }

  lifecycle {
    precondition {
      condition     = each.value.zone_ids == null || length(setsubtract(module.vpc.availability_zone_ids, coalesce(each.value.zone_ids, ["-"]))) == 0
      error_message = "The consumer VPC's zones ${jsonencode(module.vpc.availability_zone_ids)} are not all zones of broker ${each.key}'s endpoint service (${jsonencode(coalesce(each.value.zone_ids, ["-"]))}). Set availability_zone_ids to the producer stack's availability_zone_ids output, or leave it empty to take them from the connection secret."
    }
  }
}

# Scoped to the cluster's own domain rather than kafka.<region>.amazonaws.com, so other MSK
# clusters this VPC may use still resolve normally.
resource "aws_route53_zone" "kafka" {
  name    = local.broker_domain
  comment = "swapstream: producer MSK brokers via PrivateLink"

  vpc {
    vpc_id = module.vpc.vpc_id
  }
}

resource "aws_route53_record" "kafka_broker" {
  for_each = local.kafka_brokers

  zone_id = aws_route53_zone.kafka.zone_id
  name    = each.value.host
  type    = "A"

  alias {
    name                   = aws_vpc_endpoint.kafka_broker[each.key].dns_entry[0].dns_name
    zone_id                = aws_vpc_endpoint.kafka_broker[each.key].dns_entry[0].hosted_zone_id
    evaluate_target_health = false
  }
}

# The Kafka clients: the function, its event source mapping's pollers and the service tasks.
# Outbound only: Kafka to the broker endpoints, HTTPS to the interface endpoints and to S3 and
# DynamoDB through their gateway endpoints.
resource "aws_security_group" "kafka_client" {
  name_prefix = "${var.name}-kafka-client-"
  description = "swapstream function, event source mapping and service: Kafka and AWS APIs out"
  vpc_id      = module.vpc.vpc_id

  dynamic "egress" {
    for_each = local.kafka_ports

    content {
      description = "Kafka port ${egress.value} to the broker endpoints"
      protocol    = "tcp"
      from_port   = egress.value
      to_port     = egress.value
      cidr_blocks = [module.vpc.vpc_cidr_block]
    }
  }

  egress {
    description = "HTTPS to the interface VPC endpoints (Lambda, STS, Secrets Manager, ...)"
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = [module.vpc.vpc_cidr_block]
  }

  egress {
    description     = "HTTPS to S3 and DynamoDB through their gateway endpoints"
    protocol        = "tcp"
    from_port       = 443
    to_port         = 443
    prefix_list_ids = values(module.vpc.gateway_endpoint_prefix_list_ids)
  }

  tags = { Name = "${var.name}-kafka-client" }

  lifecycle {
    create_before_destroy = true
  }
}
