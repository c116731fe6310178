# The producer in account A, the consumer in account B: the producer grants account B its
# endpoint services, secret and (with MSK IAM) topic and group; the consumer, whose account maps
# zone names to other zone IDs, still lands in the producer's zones.

mock_provider "aws" {
  alias  = "producer_account"
  source = "../mocks/account-a"
}

mock_provider "aws" {
  alias  = "consumer_account"
  source = "../mocks/account-b"
}

variables {
  region = "eu-central-1"
}

run "producer" {
  providers = {
    aws = aws.producer_account
  }

  module {
    source = "../../producer"
  }

  variables {
    producer_binary_path = "terraform/ci/fixtures/swapstream-linux-arm64"
    consumer_account_ids = ["222222222222"]
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

  assert {
    condition     = jsonencode(output.availability_zone_ids) == jsonencode(["euc1-az2", "euc1-az3"])
    error_message = "producer zones: ${jsonencode(output.availability_zone_ids)}"
  }
}

run "consumer" {
  command = plan

  providers = {
    aws = aws.consumer_account
  }

  module {
    source = "../../consumer"
  }

  variables {
    kafka_connection_secret_arn = run.producer.kafka_connection_secret_arn
    lambda_zip_path             = "terraform/ci/fixtures/bootstrap.zip"
    default_module_path         = "terraform/ci/fixtures/average.wasm"
    service_enabled             = true
    service_image               = "222222222222.dkr.ecr.eu-central-1.amazonaws.com/swapstream:1.0.0"
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

  # Account B's first two zone names are euc1-az1 and euc1-az2; the producer's endpoint services
  # are in euc1-az2 and euc1-az3. The consumer must follow the zone IDs, not its zone names.
  assert {
    condition     = jsonencode(output.availability_zone_ids) == jsonencode(run.producer.availability_zone_ids)
    error_message = "the consumer's zones ${jsonencode(output.availability_zone_ids)} are not the producer's ${jsonencode(run.producer.availability_zone_ids)}"
  }

  # The service's role names the producer's cluster, topic and group: what the cluster policy
  # grants account B.
  assert {
    condition = jsonencode(sort(flatten([for s in data.aws_iam_policy_document.service_kafka_iam[0].statement : tolist(s.resources)]))) == jsonencode(sort([
      run.producer.msk_cluster_arn,
      "${replace(run.producer.msk_cluster_arn, ":cluster/", ":topic/")}/${run.producer.topic}",
      "${replace(run.producer.msk_cluster_arn, ":cluster/", ":group/")}/swapstream-service",
    ]))
    error_message = "the service's kafka-cluster resources are not the producer's cluster, topic and group"
  }

  # Each account has its own buckets, keys and names.
  assert {
    condition     = output.module_bucket == "swapstream-modules-222222222222-eu-central-1"
    error_message = "module bucket: ${output.module_bucket}"
  }
}
