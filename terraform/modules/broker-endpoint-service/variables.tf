variable "name" {
  description = "Name of the load balancer; target groups are named \"<name>-<port>\". At most 26 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,25}$", var.name)) && !endswith(var.name, "-")
    error_message = "name must be 1-26 letters, digits or hyphens, not starting or ending with a hyphen."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the broker lives in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the load balancer, one per availability zone the consumers connect from."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids needs at least one subnet."
  }
}

variable "target_ip" {
  description = "Private IP of the broker's client network interface (what the load balancer forwards to)."
  type        = string
}

variable "ports" {
  description = "Broker listener ports to expose unchanged (e.g. 9094 for TLS, 9096 for SASL/SCRAM, 9098 for IAM)."
  type        = set(number)

  validation {
    condition     = length(var.ports) >= 1 && alltrue([for p in var.ports : p >= 1 && p <= 65535])
    error_message = "ports must list at least one TCP port between 1 and 65535."
  }
}

variable "allowed_principals" {
  description = "IAM principal ARNs (usually consumer account roots, arn:aws:iam::ACCOUNT:root) allowed to create endpoints to this service."
  type        = list(string)

  validation {
    condition     = length(var.allowed_principals) >= 1
    error_message = "allowed_principals needs at least one principal, or nobody can connect."
  }
}
