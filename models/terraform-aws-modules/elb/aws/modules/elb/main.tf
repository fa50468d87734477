# The load balancer of terraform-aws-modules/elb/aws (Palisade's model).

variable "create_elb" {
  type = bool
}

variable "name" {
  type = string
}

variable "internal" {
  type = bool
}

variable "listener" {
  type = list(map(string))
}

# One map; an empty map means no access logs block at all.
variable "access_logs" {
  type = map(string)
}

resource "aws_elb" "this" {
  count = var.create_elb ? 1 : 0

  name     = var.name
  internal = var.internal

  dynamic "listener" {
    for_each = var.listener
    content {
      instance_port      = listener.value.instance_port
      instance_protocol  = listener.value.instance_protocol
      lb_port            = listener.value.lb_port
      lb_protocol        = listener.value.lb_protocol
      ssl_certificate_id = lookup(listener.value, "ssl_certificate_id", null)
    }
  }

  dynamic "access_logs" {
    for_each = length(keys(var.access_logs)) == 0 ? [] : [var.access_logs]
    content {
      bucket        = access_logs.value.bucket
      bucket_prefix = lookup(access_logs.value, "bucket_prefix", null)
      interval      = lookup(access_logs.value, "interval", null)
      enabled       = lookup(access_logs.value, "enabled", true)
    }
  }
}
