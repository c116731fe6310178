variable "name" {
  description = "Prefix for the names and Name tags of everything this module creates; unique among the VPCs of one account and region, because the flow-log group is named /vpc/<name>/flow-logs."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC, between /16 and /22. Each subnet gets 1/16 of it (a /20 for a /16)."
  type        = string

  validation {
    condition = (
      can(cidrhost(var.cidr_block, 0)) &&
      try(tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 22, false)
    )
    error_message = "cidr_block must be an IPv4 CIDR with a prefix length between /16 and /22."
  }
}

variable "availability_zone_ids" {
  description = "Exactly two availability zone IDs (e.g. [\"euc1-az2\", \"euc1-az3\"]) for the subnets; empty picks the region's first two. Zone IDs, not names, because names are shuffled per account and PrivateLink only works in zones both accounts share."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zone_ids) == 0 || length(var.availability_zone_ids) == 2
    error_message = "availability_zone_ids must be empty or list exactly two zone IDs."
  }
}

variable "create_public_subnets" {
  description = "Create a public subnet per zone and an internet gateway (needed only for a NAT gateway)."
  type        = bool
  default     = false
}

variable "enable_nat_gateway" {
  description = "Give the private subnets internet egress through one NAT gateway (requires create_public_subnets). One gateway, not one per zone: a cost choice for a demo; losing its zone loses egress, not the private traffic."
  type        = bool
  default     = false
}

variable "gateway_endpoints" {
  description = "Gateway VPC endpoints to route from the private subnets (free): any of \"s3\" and \"dynamodb\"."
  type        = set(string)
  default     = ["s3", "dynamodb"]

  validation {
    condition     = alltrue([for s in var.gateway_endpoints : contains(["s3", "dynamodb"], s)])
    error_message = "gateway_endpoints may only contain \"s3\" and \"dynamodb\"."
  }
}

variable "interface_endpoints" {
  description = "Short AWS service names (e.g. \"sts\", \"lambda\", \"secretsmanager\") to reach through interface VPC endpoints with private DNS, so the private subnets need no NAT for them."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoints entries are short service names such as \"sts\" or \"ecr.api\"."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow-log log group (its policy must allow CloudWatch Logs)."
  type        = string
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  }
}
