variable "alias" {
  description = "Alias of the key, without the \"alias/\" prefix."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,200}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias may contain letters, digits, '/', '_' and '-', and must not start with \"aws/\"."
  }
}

variable "description" {
  description = "What the key protects, shown in the KMS console."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Days KMS waits before deleting the key after a destroy (7-30); data encrypted under it is unreadable afterwards."
  type        = number
  default     = 7

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "additional_policy_documents" {
  description = "Extra key policy documents (JSON, e.g. from aws_iam_policy_document) merged into the base policy, such as cross-account decrypt grants."
  type        = list(string)
  default     = []
}
