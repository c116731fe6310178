# Both stacks in one account (account A), the common test setup: the producer applied, then the
# consumer planned against the connection secret the producer wrote. Everything both create in
# the account must have its own name.

mock_provider "aws" {
  source = "../mocks/account-a"
}

variables {
  region = "eu-central-1"
}

run "producer" {
  module {
    source = "../../producer"
  }

  variables {
    producer_binary_path = "terraform/ci/fixtures/swapstream-linux-arm64"
    # One account: the consumer is this account.
    consumer_account_ids = []
    enable_iam_auth      = true
  }

  # The connection secret, exactly as the consumer run below reads it.
  assert {
    condition = jsonencode(jsondecode(output.kafka_connection)) == jsonencode(jsondecode(<<-JSON
      {
        "b-1": {
          "endpoint_url": "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com",
          "broker_port": 9094,
          "ports": {
            "iam": 9098,
            "tls": 9094
          },
          "service_name": "com.amazonaws.vpce.eu-central-1.vpce-svc-0123456789abcdef0",
          "zone_ids": [
            "euc1-az2",
            "euc1-az3"
          ],
          "cluster_arn": "arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
        },
        "b-2": {
          "endpoint_url": "b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com",
          "broker_port": 9094,
          "ports": {
            "iam": 9098,
            "tls": 9094
          },
          "service_name": "com.amazonaws.vpce.eu-central-1.vpce-svc-0123456789abcdef0",
          "zone_ids": [
            "euc1-az2",
            "euc1-az3"
          ],
          "cluster_arn": "arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
        }
      }
      JSON
    ))
    error_message = "the producer's connection secret changed: update the consumer run's copy"
  }
}

run "consumer" {
  command = plan

  module {
    source = "../../consumer"
  }

  variables {
    kafka_connection_secret_arn = run.producer.kafka_connection_secret_arn
    lambda_zip_path             = "terraform/ci/fixtures/bootstrap.zip"
    default_module_path         = "terraform/ci/fixtures/average.wasm"
    service_enabled             = true
    service_image               = "111111111111.dkr.ecr.eu-central-1.amazonaws.com/swapstream:1.0.0"
    service_kafka_listener      = "msk-iam"
  }

  # What the producer run wrote into the secret (its run checks that it is exactly this): a test
  # cannot pass one run's output into another's data source, so it is spelled out here.
  override_data {
    target = data.aws_secretsmanager_secret_version.kafka_connection
    values = {
      secret_string = <<-JSON
      {
        "b-1": {
          "endpoint_url": "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com",
          "broker_port": 9094,
          "ports": {
            "iam": 9098,
            "tls": 9094
          },
          "service_name": "com.amazonaws.vpce.eu-central-1.vpce-svc-0123456789abcdef0",
          "zone_ids": [
            "euc1-az2",
            "euc1-az3"
          ],
          "cluster_arn": "arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
        },
        "b-2": {
          "endpoint_url": "b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com",
          "broker_port": 9094,
          "ports": {
            "iam": 9098,
            "tls": 9094
          },
          "service_name": "com.amazonaws.vpce.eu-central-1.vpce-svc-0123456789abcdef0",
          "zone_ids": [
            "euc1-az2",
            "euc1-az3"
          ],
          "cluster_arn": "arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
        }
      }
      JSON
    }
  }

  assert {
    condition     = output.vpc_flow_log_group_name != run.producer.vpc_flow_log_group_name
    error_message = "both stacks' VPC flow logs go to ${output.vpc_flow_log_group_name}: the second apply fails on the name"
  }

  assert {
    condition     = jsonencode(output.availability_zone_ids) == jsonencode(run.producer.availability_zone_ids)
    error_message = "the consumer's zones ${jsonencode(output.availability_zone_ids)} are not the producer's ${jsonencode(run.producer.availability_zone_ids)}"
  }

  # The function reads every broker by its advertised name on the TLS listener.
  assert {
    condition     = output.kafka_bootstrap_servers == join(",", [for id in sort(keys(jsondecode(run.producer.kafka_connection))) : "${jsondecode(run.producer.kafka_connection)[id].endpoint_url}:9094"])
    error_message = "bootstrap servers: ${output.kafka_bootstrap_servers}"
  }
}
