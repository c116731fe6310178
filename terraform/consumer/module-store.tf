# Where analytics modules live. The host loads s3://<bucket>/<module_prefix><module_file_name>
# and polls it; `swapstream module push FILE s3://<bucket>/<key>` publishes a new version.
module "module_store" {
  source = "../modules/private-bucket"

  bucket_name                       = "${var.name}-modules-${local.account_id}-${local.region}"
  kms_key_arn                       = module.kms.key_arn
  noncurrent_version_retention_days = var.module_version_retention_days
  force_destroy                     = var.module_bucket_force_destroy
}

# The first live module. Terraform only seeds the key: after that, modules are published with
# `swapstream module push`, and a later apply must not put the seed back over a pushed module.
# So every attribute that would re-upload the object is ignored once it exists; a new key
# (module_prefix, module_file_name) still replaces it, seeding the new key.
resource "aws_s3_object" "default_module" {
  bucket = module.module_store.bucket
  key    = local.module_key
  source = local.default_module_path
  # Recorded in the state at upload and kept there (ignore_changes): the pin's default.
  source_hash  = filesha256(local.default_module_path)
  content_type = "application/wasm"
  kms_key_id   = module.kms.key_arn
  # S3 stores the object's SHA-256, as `swapstream module push` does for later versions.
  checksum_algorithm = "SHA256"

  lifecycle {
    ignore_changes = [
      source,
      source_hash,
      etag,
      content_type,
      kms_key_id,
      server_side_encryption,
      bucket_key_enabled,
      checksum_algorithm,
      metadata,
      storage_class,
      cache_control,
      content_disposition,
      content_encoding,
      content_language,
      website_redirect,
    ]
  }
}
