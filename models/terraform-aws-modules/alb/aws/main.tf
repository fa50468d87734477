# Model of terraform-aws-modules/alb/aws 6.x-10.x (Palisade's own summary,
# not the module's code).

variable "create" {
  type    = bool
  default = true
}

# The name of the switch before 9.0.0.
variable "create_lb" {
  type    = bool
  default = true
}

variable "putin_khuylo" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = null
}

variable "load_balancer_type" {
  type    = string
  default = "application"
}

variable "internal" {
  type    = bool
  default = null
}

# drop_invalid_header_fields and enable_deletion_protection: their defaults
# depend on the release (model.toml).

# A map with `bucket`, and `enabled` (on when a bucket is given) and `prefix`.
variable "access_logs" {
  type    = any
  default = null
}

locals {
  access_logs = var.access_logs == null ? [] : (length(var.access_logs) > 0 ? [var.access_logs] : [])
}

resource "aws_lb" "this" {
  count = var.create && var.create_lb && var.putin_khuylo ? 1 : 0

  name                       = var.name
  load_balancer_type         = var.load_balancer_type
  internal                   = var.internal
  drop_invalid_header_fields = var.drop_invalid_header_fields
  enable_deletion_protection = var.enable_deletion_protection

  dynamic "access_logs" {
    for_each = local.access_logs
    content {
      bucket  = access_logs.value.bucket
      enabled = coalesce(try(access_logs.value.enabled, null), try(access_logs.value.bucket, null) != null)
      prefix  = try(access_logs.value.prefix, null)
    }
  }
}
