# Model of terraform-aws-modules/eks/aws 19.x-21.x (Palisade's own summary,
# not the module's code). model_v21_inputs is declared from model.toml:
# false for 19.x and 20.x (the `cluster_` names), true for 21.x.

variable "create" {
  type    = bool
  default = true
}

variable "putin_khuylo" {
  type    = bool
  default = true
}

# 19.x and 20.x: cluster_name; 21.x: name.
variable "cluster_name" {
  type    = string
  default = ""
}

variable "name" {
  type    = string
  default = ""
}

# 19.x and 20.x: cluster_version; 21.x: kubernetes_version.
variable "cluster_version" {
  type    = string
  default = null
}

variable "kubernetes_version" {
  type    = string
  default = null
}

# The public endpoint: off unless asked for, and then open to every
# address unless the caller lists CIDRs. The private one is on.
variable "cluster_endpoint_public_access" {
  type    = bool
  default = false
}

variable "endpoint_public_access" {
  type    = bool
  default = false
}

variable "cluster_endpoint_public_access_cidrs" {
  type    = list(string)
  default = ["0.0.0.0/0"]
}

variable "endpoint_public_access_cidrs" {
  type    = list(string)
  default = ["0.0.0.0/0"]
}

variable "cluster_endpoint_private_access" {
  type    = bool
  default = true
}

variable "endpoint_private_access" {
  type    = bool
  default = true
}

# Control plane logs sent to CloudWatch.
variable "cluster_enabled_log_types" {
  type    = list(string)
  default = ["audit", "api", "authenticator"]
}

variable "enabled_log_types" {
  type    = list(string)
  default = ["audit", "api", "authenticator"]
}

# 19.x and 20.x: an object with `resources` and `provider_key_arn`; empty
# (`{}`) turns secret encryption off.
variable "cluster_encryption_config" {
  type = any
  default = {
    resources = ["secrets"]
  }
}

# 21.x: the same object, whose `resources` default to ["secrets"]; only
# null turns secret encryption off.
variable "encryption_config" {
  type    = any
  default = {}
}

# With the default, the module creates the key and uses it whatever
# `provider_key_arn` says; otherwise the caller's `provider_key_arn` is used.
variable "create_kms_key" {
  type    = bool
  default = true
}

# A local cluster on an Outpost gets no encryption configuration. 19.x and
# 20.x: empty map by default; 21.x: null by default.
variable "outpost_config" {
  type    = any
  default = null
}

# The ARN of the key the module creates (its `kms` module, not modelled):
# unknown, and never read by a policy.
variable "model_created_kms_key_arn" {
  type = string
}

# What the module would fail on (a `cluster_encryption_config` without
# `resources`): unknown.
variable "model_unknown" {
  type = any
}

locals {
  create   = var.create && var.putin_khuylo
  outposts = var.outpost_config == null ? false : length(var.outpost_config) > 0

  # The encryption object the release reads, or null when it turns
  # encryption off.
  encryption = var.model_v21_inputs ? var.encryption_config : (length(var.cluster_encryption_config) > 0 ? var.cluster_encryption_config : null)
}

resource "aws_eks_cluster" "this" {
  count = local.create ? 1 : 0

  name                      = var.model_v21_inputs ? var.name : var.cluster_name
  version                   = var.model_v21_inputs ? var.kubernetes_version : var.cluster_version
  enabled_cluster_log_types = var.model_v21_inputs ? var.enabled_log_types : var.cluster_enabled_log_types

  vpc_config {
    endpoint_private_access = var.model_v21_inputs ? var.endpoint_private_access : var.cluster_endpoint_private_access
    endpoint_public_access  = var.model_v21_inputs ? var.endpoint_public_access : var.cluster_endpoint_public_access
    public_access_cidrs     = var.model_v21_inputs ? var.endpoint_public_access_cidrs : var.cluster_endpoint_public_access_cidrs
  }

  dynamic "encryption_config" {
    for_each = local.encryption != null && !local.outposts ? [local.encryption] : []
    content {
      provider {
        key_arn = var.create_kms_key ? var.model_created_kms_key_arn : (lookup(encryption_config.value, "provider_key_arn", null) != null ? encryption_config.value.provider_key_arn : var.model_unknown)
      }
      # 21.x fills in ["secrets"]; 19.x and 20.x need it given.
      resources = lookup(encryption_config.value, "resources", null) != null ? encryption_config.value.resources : (var.model_v21_inputs ? ["secrets"] : var.model_unknown)
    }
  }
}
