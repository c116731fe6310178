# Static analysis only (scripts/check-terraform.sh): turns on every optional part of the stacks
# so checkov also sees the resources that are off by default. Never applied; the account ID in
# the ARNs is AWS's documentation placeholder.

# producer
enable_iam_auth        = true
enable_sasl_scram      = true
sasl_scram_secret_arns = ["arn:aws:secretsmanager:eu-central-1:123456789012:secret:AmazonMSK_ci"]

# consumer
enable_nat_gateway                  = true
kafka_listener                      = "sasl-scram"
kafka_sasl_scram_secret_arn         = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:scram"
kafka_client_certificate_secret_arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:client-cert"
kafka_secrets_kms_key_arn           = "arn:aws:kms:eu-central-1:123456789012:key/ci"
service_enabled                     = true
service_image                       = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/swapstream:ci"
on_failure_destination              = "sqs"
esm_provisioned_pollers             = { minimum_pollers = 1, maximum_pollers = 4 }
service_kafka_listener              = "msk-iam"
service_autoscaling                 = { min_tasks = 1, max_tasks = 6 }
create_alarm_topic                  = true
create_ecr_repository               = true
