# A VPC with two private subnets (and optionally two public ones) in two availability zones,
# flow logs, a locked-down default security group and the VPC endpoints the caller asks for.
# Both stacks use it; they differ only in whether they need internet egress.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the fallback when availability_zone_ids is empty reads this, and it takes the first two zones by name; a zone AWS adds later gets a later name, so the pick does not change. Setting availability_zone_ids pins exact zones.
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  az_ids = length(var.availability_zone_ids) > 0 ? var.availability_zone_ids : slice(data.aws_availability_zones.available.zone_ids, 0, 2)

  # Private subnets take the first sixteenths of the range, public ones start half-way, so
  # adding a zone later does not renumber anything.
  private_subnets = { for i, az in local.az_ids : az => cidrsubnet(var.cidr_block, 4, i) }
  public_subnets  = var.create_public_subnets ? { for i, az in local.az_ids : az => cidrsubnet(var.cidr_block, 4, i + 8) } : {}
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr_block
  # Route 53 private hosted zones and interface endpoints with private DNS need both.
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = var.name }
}

# Take every rule away from the default security group so nothing lands in it by accident.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-default-deny" }
}

# ---------------------------------------------------------------------------------------------
# Subnets and routing
# ---------------------------------------------------------------------------------------------

resource "aws_subnet" "private" {
  for_each = local.private_subnets

  vpc_id                  = aws_vpc.this.id
  availability_zone_id    = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false

  tags = { Name = "${var.name}-private-${each.key}" }
}

resource "aws_subnet" "public" {
  for_each = local.public_subnets

  vpc_id               = aws_vpc.this.id
  availability_zone_id = each.key
  cidr_block           = each.value
  # Only the NAT gateway lives here, and it has its own Elastic IP.
  map_public_ip_on_launch = false

  tags = { Name = "${var.name}-public-${each.key}" }
}

resource "aws_internet_gateway" "this" {
  count = var.create_public_subnets ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = { Name = var.name }
}

resource "aws_route_table" "public" {
  count = var.create_public_subnets ? 1 : 0

  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this[0].id
  }

  tags = { Name = "${var.name}-public" }
}

resource "aws_route_table_association" "public" {
  for_each = aws_subnet.public

  subnet_id      = each.value.id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_eip" "nat" {
  count = var.enable_nat_gateway ? 1 : 0

  domain = "vpc"

  tags = { Name = "${var.name}-nat" }
}

resource "aws_nat_gateway" "this" {
  count = var.enable_nat_gateway ? 1 : 0

  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[local.az_ids[0]].id

  tags = { Name = var.name }

  depends_on = [aws_internet_gateway.this]

  lifecycle {
    precondition {
      condition     = var.create_public_subnets
      error_message = "enable_nat_gateway needs create_public_subnets = true."
    }
  }
}

# One private route table for both zones: there is at most one NAT gateway to point at.
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  dynamic "route" {
    for_each = aws_nat_gateway.this

    content {
      cidr_block     = "0.0.0.0/0"
      nat_gateway_id = route.value.id
    }
  }

  tags = { Name = "${var.name}-private" }
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private.id
}

# ---------------------------------------------------------------------------------------------
# VPC endpoints: AWS APIs without a NAT gateway
# ---------------------------------------------------------------------------------------------

data "aws_vpc_endpoint_service" "gateway" {
  for_each = var.gateway_endpoints

  service      = each.key
  service_type = "Gateway"
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = var.gateway_endpoints

  vpc_id            = aws_vpc.this.id
  service_name      = data.aws_vpc_endpoint_service.gateway[each.key].service_name
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]

  tags = { Name = "${var.name}-${each.key}" }
}

data "aws_vpc_endpoint_service" "interface" {
  for_each = var.interface_endpoints

  service      = each.key
  service_type = "Interface"
}

resource "aws_security_group" "interface_endpoints" {
  count = length(var.interface_endpoints) > 0 ? 1 : 0

  name_prefix = "${var.name}-aws-endpoints-"
  description = "Interface VPC endpoints for AWS APIs: HTTPS from inside the VPC only"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "HTTPS from the VPC"
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = [aws_vpc.this.cidr_block]
  }

  tags = { Name = "${var.name}-aws-endpoints" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.interface_endpoints

  vpc_id              = aws_vpc.this.id
  service_name        = data.aws_vpc_endpoint_service.interface[each.key].service_name
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for az in local.az_ids : aws_subnet.private[az].id]
  security_group_ids  = [aws_security_group.interface_endpoints[0].id]

  tags = { Name = "${var.name}-${each.key}" }
}

# ---------------------------------------------------------------------------------------------
# Flow logs
# ---------------------------------------------------------------------------------------------

# Named after the VPC: two VPCs of one account (the producer's and the consumer's stack, say)
# must have different names, and then their flow logs do too.
resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/vpc/${var.name}/flow-logs"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.${data.aws_partition.current.dns_suffix}"]
    }

    # Confused-deputy guard: only flow logs of this account may use the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  # IAM allows a name_prefix of at most 38 characters: 31 for the name and "-flow-".
  name_prefix        = "${var.name}-flow-"
  description        = "VPC flow logs of ${var.name}: write to its log group"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.flow_logs.arn

  tags = { Name = var.name }
}
