# One broker behind its own NLB and endpoint service, under a mocked AWS provider.

mock_provider "aws" {
  source          = "../../ci/mocks/account-a"
  override_during = plan
}

variables {
  name               = "swapstream-b1"
  vpc_id             = "vpc-0123456789abcdef0"
  subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  target_ip          = "10.10.0.10"
  ports              = [9094, 9098]
  allowed_principals = ["arn:aws:iam::222222222222:root"]
}

run "one_listener_per_port_unchanged" {
  command = plan

  assert {
    condition = (
      jsonencode(sort(keys(aws_lb_listener.this))) == jsonencode(["9094", "9098"]) &&
      alltrue([for port, listener in aws_lb_listener.this : listener.protocol == "TCP" && tostring(listener.port) == port]) &&
      alltrue([for port, group in aws_lb_target_group.this : group.port == tonumber(port) && group.target_type == "ip"]) &&
      alltrue([for attachment in aws_lb_target_group_attachment.this : attachment.target_id == "10.10.0.10"])
    )
    error_message = "each port is forwarded, unchanged, as TCP to the broker's IP"
  }

  assert {
    condition = (
      aws_lb.this.internal &&
      aws_lb.this.load_balancer_type == "network" &&
      aws_lb.this.enable_cross_zone_load_balancing
    )
    error_message = "an internal, cross-zone NLB"
  }

  assert {
    condition = (
      jsonencode(aws_vpc_endpoint_service.this.allowed_principals) == jsonencode(["arn:aws:iam::222222222222:root"]) &&
      !aws_vpc_endpoint_service.this.acceptance_required
    )
    error_message = "only the allowed principals connect"
  }
}

run "nobody_allowed_is_refused" {
  command = plan

  variables {
    allowed_principals = []
  }

  expect_failures = [var.allowed_principals]
}
