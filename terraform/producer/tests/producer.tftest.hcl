# The producer stack under a mocked AWS provider (no credentials, no AWS calls): what it would
# create, by name, listener and policy. Plans, except where a value is read from the cluster
# once it exists (the brokers' names, so the secret's content): there a mocked apply.

mock_provider "aws" {
  source          = "../ci/mocks/account-a"
  override_during = plan
}

# For applies: values generated during the apply, as a real one learns them (generated during
# the plan as well, they would change between plan and apply).
mock_provider "aws" {
  alias  = "applied"
  source = "../ci/mocks/account-a"
}

variables {
  region               = "eu-central-1"
  producer_binary_path = "terraform/ci/fixtures/swapstream-linux-arm64"
  consumer_account_ids = ["222222222222"]
}

run "defaults" {
  # The secret's broker names come from the cluster after it is created: apply (mocked).
  command = apply

  providers = {
    aws = aws.applied
  }

  # Its VPC is named for the stack, so the consumer's VPC in the same account cannot collide.
  assert {
    condition     = output.vpc_flow_log_group_name == "/vpc/swapstream-producer/flow-logs"
    error_message = "flow-log group: ${output.vpc_flow_log_group_name}"
  }

  assert {
    condition     = aws_cloudwatch_log_group.msk.name == "/aws/msk/swapstream"
    error_message = "MSK log group: ${aws_cloudwatch_log_group.msk.name}"
  }

  assert {
    condition     = aws_secretsmanager_secret.kafka_connection.name == "swapstream/kafka-connection"
    error_message = "secret name: ${aws_secretsmanager_secret.kafka_connection.name}"
  }

  # TLS only by default: no IAM or SCRAM listener, no cluster policy.
  assert {
    condition     = jsonencode(local.listener_ports) == jsonencode({ tls = 9094 })
    error_message = "listeners: ${jsonencode(local.listener_ports)}"
  }

  assert {
    condition     = length(aws_msk_cluster_policy.consumers) == 0
    error_message = "no cluster policy without enable_iam_auth"
  }

  # The secret tells the consumer each broker's name, ports, endpoint service, zone IDs and the
  # cluster ARN.
  assert {
    condition = jsonencode(jsondecode(output.kafka_connection)["b-1"]) == jsonencode({
      endpoint_url = "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com"
      broker_port  = 9094
      ports        = { tls = 9094 }
      service_name = "com.amazonaws.vpce.eu-central-1.vpce-svc-0123456789abcdef0"
      zone_ids     = ["euc1-az2", "euc1-az3"]
      cluster_arn  = "arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
    })
    error_message = "b-1 in the secret: ${nonsensitive(jsonencode(jsondecode(output.kafka_connection)["b-1"]))}"
  }

  # The zones are zone IDs (the same in every account), picked by the producer.
  assert {
    condition     = jsonencode(output.availability_zone_ids) == jsonencode(["euc1-az2", "euc1-az3"])
    error_message = "zones: ${jsonencode(output.availability_zone_ids)}"
  }

  # Only the consumer accounts may connect to the brokers' endpoint services and read the secret.
  assert {
    condition     = module.broker_endpoint_service["1"].service_name == "com.amazonaws.vpce.eu-central-1.vpce-svc-0123456789abcdef0"
    error_message = "endpoint service of broker 1"
  }

  assert {
    condition     = jsonencode(local.consumer_principals) == jsonencode(["arn:aws:iam::222222222222:root"])
    error_message = "consumer principals: ${jsonencode(local.consumer_principals)}"
  }

  assert {
    condition = jsonencode([for s in data.aws_iam_policy_document.kafka_connection_secret.statement : {
      actions    = sort(s.actions)
      principals = sort(one(s.principals).identifiers)
      }]) == jsonencode([{
      actions    = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
      principals = ["arn:aws:iam::222222222222:root"]
    }])
    error_message = "the connection secret's policy grants more than reading it to the consumer account"
  }
}

run "iam_auth_grants_the_consumer_account_its_topic_and_group" {
  command = plan

  variables {
    enable_iam_auth        = true
    iam_consumer_group_ids = ["swapstream-service"]
  }

  assert {
    condition     = jsonencode(local.listener_ports) == jsonencode({ tls = 9094, iam = 9098 })
    error_message = "listeners: ${jsonencode(local.listener_ports)}"
  }

  assert {
    condition     = length(aws_msk_cluster_policy.consumers) == 1
    error_message = "enable_iam_auth with another consumer account needs the cluster policy"
  }

  assert {
    condition = jsonencode({
      for s in data.aws_iam_policy_document.msk_cluster.statement : s.sid => {
        actions    = sort(s.actions)
        resources  = sort(s.resources)
        principals = sort(one(s.principals).identifiers)
      }
      }) == jsonencode({
      ConsumerAccountsConnect = {
        actions    = ["kafka-cluster:Connect"]
        resources  = ["arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"]
        principals = ["arn:aws:iam::222222222222:root"]
      }
      ConsumerAccountsReadTopic = {
        actions    = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
        resources  = ["arn:aws:kafka:eu-central-1:111111111111:topic/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2/cross-account-msk-data-streaming"]
        principals = ["arn:aws:iam::222222222222:root"]
      }
      ConsumerAccountsUseTheirGroups = {
        actions    = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
        resources  = ["arn:aws:kafka:eu-central-1:111111111111:group/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2/swapstream-service"]
        principals = ["arn:aws:iam::222222222222:root"]
      }
    })
    error_message = "the MSK cluster policy is not exactly connect + read the topic + use the service's group"
  }

  # The endpoint services expose the IAM listener too.
  assert {
    condition     = jsonencode(local.listener_ports) == jsonencode(local.kafka_connection["b-2"].ports)
    error_message = "ports in the secret: ${jsonencode(local.kafka_connection["b-2"].ports)}"
  }
}

run "iam_auth_in_one_account_needs_no_cluster_policy" {
  command = plan

  variables {
    enable_iam_auth      = true
    consumer_account_ids = []
  }

  assert {
    condition     = length(aws_msk_cluster_policy.consumers) == 0
    error_message = "the account's own roles need only their IAM policies"
  }
}

run "sample_producer_verifies_the_binary_it_runs" {
  command = plan

  assert {
    condition     = strcontains(aws_instance.producer[0].user_data, "13b3b28882fbf3899c2361cfcfd3c1e757bf0dee4ce77680232fba434b0cdb6f  /tmp/swapstream.download")
    error_message = "the user data does not check the uploaded binary's sha256"
  }

  assert {
    condition     = aws_instance.producer[0].metadata_options[0].http_tokens == "required"
    error_message = "IMDSv2 only"
  }
}
