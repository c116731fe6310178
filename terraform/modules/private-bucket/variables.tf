variable "bucket_name" {
  description = "Globally unique name of the bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of lowercase letters, digits, '.' and '-'."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the objects by default."
  type        = string
}

variable "noncurrent_version_retention_days" {
  description = "Days to keep an overwritten object version before it expires (the window in which an old version can still be copied back)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the bucket with all object versions in it. Leave false unless tearing down."
  type        = bool
  default     = false
}
