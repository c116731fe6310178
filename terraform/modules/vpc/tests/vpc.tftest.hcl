# The shared VPC module under a mocked AWS provider: names, zones, endpoints, flow logs.

mock_provider "aws" {
  source          = "../../ci/mocks/account-a"
  override_during = plan
}

variables {
  name        = "swapstream-producer"
  cidr_block  = "10.10.0.0/16"
  kms_key_arn = "arn:aws:kms:eu-central-1:111111111111:key/00000000-0000-0000-0000-00000000000a"
}

run "flow_logs_are_named_after_the_vpc" {
  command = plan

  assert {
    condition     = output.flow_log_group_name == "/vpc/swapstream-producer/flow-logs"
    error_message = "flow-log group: ${output.flow_log_group_name}"
  }

  assert {
    condition = (
      aws_flow_log.this.traffic_type == "ALL" &&
      aws_cloudwatch_log_group.flow_logs.kms_key_id == var.kms_key_arn &&
      aws_cloudwatch_log_group.flow_logs.retention_in_days == 365
    )
    error_message = "flow logs: all traffic, KMS-encrypted, kept 365 days"
  }
}

# The longest name the module accepts still gives IAM a valid role name prefix (38 characters).
run "longest_name_fits_iam" {
  command = plan

  variables {
    name = "a234567890123456789012345678901"
  }

  assert {
    condition     = length(aws_iam_role.flow_logs.name_prefix) <= 38
    error_message = "flow-log role prefix ${aws_iam_role.flow_logs.name_prefix} is longer than IAM allows"
  }
}

run "zones_default_to_the_first_two_by_name_as_zone_ids" {
  command = plan

  assert {
    condition     = jsonencode(output.availability_zone_ids) == jsonencode(["euc1-az2", "euc1-az3"])
    error_message = "zones: ${jsonencode(output.availability_zone_ids)}"
  }
}

run "explicit_zones_and_endpoints" {
  command = plan

  variables {
    availability_zone_ids = ["euc1-az3", "euc1-az1"]
    gateway_endpoints     = ["s3", "dynamodb"]
    interface_endpoints   = ["sts", "lambda"]
  }

  assert {
    condition = (
      jsonencode(output.availability_zone_ids) == jsonencode(["euc1-az3", "euc1-az1"]) &&
      aws_subnet.private["euc1-az3"].cidr_block == "10.10.0.0/20" &&
      aws_subnet.private["euc1-az1"].cidr_block == "10.10.16.0/20"
    )
    error_message = "subnets follow the given zone IDs in order"
  }

  assert {
    condition     = jsonencode(output.interface_endpoint_services) == jsonencode(["lambda", "sts"])
    error_message = "interface endpoints: ${jsonencode(output.interface_endpoint_services)}"
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled])
    error_message = "interface endpoints resolve the services' own names"
  }

  # No NAT, no public subnets unless asked.
  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_subnet.public) == 0
    error_message = "NAT gateway or public subnets by default"
  }
}

run "nat_needs_public_subnets" {
  command = plan

  variables {
    enable_nat_gateway = true
  }

  expect_failures = [aws_nat_gateway.this]
}
