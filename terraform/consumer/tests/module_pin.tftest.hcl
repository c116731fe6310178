# The module pin across applies, under a mocked AWS provider (account B): the pin is the hash of
# the object Terraform uploaded, not of whatever file default_module_path holds today. Mocked
# applies, so the state carries the object from one run to the next as a real apply would.

mock_provider "aws" {
  source = "../ci/mocks/account-b"
}

# The producer's connection secret: two brokers behind endpoint services in zones euc1-az2 and
# euc1-az3 (zone IDs of the producer's pick; account B maps its zone names differently).
override_data {
  target = data.aws_secretsmanager_secret_version.kafka_connection
  values = {
    secret_string = <<-JSON
      {
        "b-1": {
          "endpoint_url": "b-1.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com",
          "broker_port": 9094,
          "ports": {"tls": 9094, "sasl_scram": 9096, "iam": 9098},
          "service_name": "com.amazonaws.vpce.eu-central-1.vpce-svc-0000000000000001b",
          "zone_ids": ["euc1-az2", "euc1-az3"],
          "cluster_arn": "arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
        },
        "b-2": {
          "endpoint_url": "b-2.swapstream.abc123.c2.kafka.eu-central-1.amazonaws.com",
          "broker_port": 9094,
          "ports": {"tls": 9094, "sasl_scram": 9096, "iam": 9098},
          "service_name": "com.amazonaws.vpce.eu-central-1.vpce-svc-0000000000000002b",
          "zone_ids": ["euc1-az2", "euc1-az3"],
          "cluster_arn": "arn:aws:kafka:eu-central-1:111111111111:cluster/swapstream/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e-2"
        }
      }
    JSON
  }
}

variables {
  region                      = "eu-central-1"
  kafka_connection_secret_arn = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:swapstream/kafka-connection-AbCdEf"
  lambda_zip_path             = "terraform/ci/fixtures/bootstrap.zip"
  default_module_path         = "terraform/ci/fixtures/average.wasm"
}


# First apply: Terraform uploads the seed module and pins its hash.
run "seed" {
  assert {
    condition     = output.module_sha256 == "444f2197a25f86f939619de6ca36d66c4ae924c06f325af5caef71cdf9eee3ef"
    error_message = "the pin is not the seed's sha256: ${output.module_sha256}"
  }

  assert {
    condition     = aws_lambda_function.swapstream.environment[0].variables.SWAPSTREAM_MODULE_SHA256 == output.module_sha256
    error_message = "the function is not pinned to the output's hash"
  }

  assert {
    condition     = aws_s3_object.default_module.checksum_algorithm == "SHA256"
    error_message = "the seed is uploaded with S3's SHA-256 checksum"
  }
}

# The module is rebuilt locally (the file at default_module_path changes) and the stack applied
# again. The object in the bucket is not replaced (ignore_changes), so the pin must not move
# either: otherwise the function would refuse the module it actually loads.
run "rebuilt_module_file_does_not_move_the_pin" {
  variables {
    default_module_path = "terraform/ci/fixtures/rebuilt.wasm"
  }

  assert {
    condition     = output.module_sha256 == run.seed.module_sha256
    error_message = "the pin followed the local file (${output.module_sha256}) instead of the uploaded object (${run.seed.module_sha256})"
  }

  assert {
    condition     = aws_s3_object.default_module.source_hash == run.seed.module_sha256
    error_message = "the object's recorded upload hash changed without an upload"
  }
}

# Rolling a pushed module out: the hash `swapstream module push` printed.
run "explicit_pin" {
  command = plan

  variables {
    module_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  }

  assert {
    condition     = aws_lambda_function.swapstream.environment[0].variables.SWAPSTREAM_MODULE_SHA256 == "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    error_message = "module_sha256 is not the pin"
  }
}

run "unpinned" {
  command = plan

  variables {
    pin_module_sha256 = false
  }

  assert {
    condition     = !contains(keys(aws_lambda_function.swapstream.environment[0].variables), "SWAPSTREAM_MODULE_SHA256") && output.module_sha256 == null
    error_message = "pin_module_sha256 = false still pins"
  }
}
