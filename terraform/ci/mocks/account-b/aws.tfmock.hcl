# Account B (the consumer's in a two-account deployment) as terraform test sees
# it: fixed identity, region and zones, and computed values shaped like AWS's, so names, ARNs and
# policies are known at plan time (override_during = plan in the test files).

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "222222222222"
    arn        = "arn:aws:iam::222222222222:user/terraform"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-central-1"
  }
}

# Names map to zone IDs per account: in this account a, b, c are az1, az2, az3: another mapping than account A's.
mock_data "aws_availability_zones" {
  defaults = {
    names    = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    zone_ids = ["euc1-az1", "euc1-az2", "euc1-az3"]
  }
}

mock_data "aws_vpc_endpoint_service" {
  defaults = {
    service_name = "com.amazonaws.eu-central-1.mock"
  }
}

mock_data "aws_ssm_parameter" {
  defaults = {
    insecure_value = "ami-0123456789abcdef0"
  }
}

mock_data "aws_msk_broker_nodes" {
  defaults = {
    node_info_list = [
      {
        broker_id             = 1
        client_vpc_ip_address = "10.10.0.10"
        endpoints             = ["b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com"]
      },
      {
        broker_id             = 2
        client_vpc_ip_address = "10.10.16.10"
        endpoints             = ["b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com"]
      },
    ]
  }
}

mock_resource "aws_msk_cluster" {
  defaults = {
    arn                   = "arn:aws:kafka:eu-central-1:222222222222:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
    bootstrap_brokers_tls = "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9094,b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com:9094"
  }
}

mock_resource "aws_vpc_endpoint_service" {
  defaults = {
    service_name = "com.amazonaws.vpce.eu-central-1.vpce-svc-0123456789abcdef0"
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:eu-central-1:222222222222:secret:swapstream/kafka-connection-AbCdEf"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn = "arn:aws:kms:eu-central-1:222222222222:key/00000000-0000-0000-0000-00000000000b"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::mock-bucket"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-central-1:222222222222:swapstream-failed-batches"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-central-1:222222222222:swapstream-alarms"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-central-1:222222222222:log-group:mock"
  }
}

# Policy documents are plain data sources: the mock cannot render them, but resources check that
# a policy is JSON. Tests assert on the documents' statements instead.
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"none:null\",\"Resource\":\"*\"}]}"
  }
}

# Computed ARNs that other resources validate as ARNs.
mock_resource "aws_lb" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:eu-central-1:222222222222:loadbalancer/net/mock/0123456789abcdef"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:eu-central-1:222222222222:targetgroup/mock/0123456789abcdef"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::222222222222:role/mock"
  }
}

mock_resource "aws_iam_instance_profile" {
  defaults = {
    arn = "arn:aws:iam::222222222222:instance-profile/mock"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn = "arn:aws:lambda:eu-central-1:222222222222:function:swapstream"
  }
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    arn = "arn:aws:dynamodb:eu-central-1:222222222222:table/mock"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:eu-central-1:222222222222:cluster/swapstream"
  }
}

mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn = "arn:aws:ecs:eu-central-1:222222222222:task-definition/swapstream-service:1"
  }
}

mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = {
    arn = "arn:aws:cloudwatch:eu-central-1:222222222222:alarm:mock"
  }
}

# An interface endpoint's DNS names: the regional one first, as AWS lists them.
mock_resource "aws_vpc_endpoint" {
  defaults = {
    dns_entry = [
      {
        dns_name       = "vpce-0123456789abcdef0-abcdefgh.vpce-svc-0123456789abcdef0.eu-central-1.vpce.amazonaws.com"
        hosted_zone_id = "Z273ZU8SZ5RJPC"
      },
    ]
  }
}
