# Model of terraform-aws-modules/ec2-instance/aws 3.x-6.x (Palisade's own
# summary, not the module's code). Inputs whose default depends on the
# release are declared from model.toml.

variable "create" {
  type    = bool
  default = true
}

# 3.5.0 and later: the module creates nothing when this is false.
variable "putin_khuylo" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = ""
}

variable "ami" {
  type    = string
  default = null
}

variable "instance_type" {
  type    = string
  default = null
}

# 5.x and later: the instance is `aws_instance.ignore_ami[0]` when set.
variable "ignore_ami_changes" {
  type    = bool
  default = false
}

# 3.1.0 and later: a spot instance request instead of an instance (not modelled).
variable "create_spot_instance" {
  type    = bool
  default = false
}

# null: the subnet's own setting decides.
variable "associate_public_ip_address" {
  type    = bool
  default = null
}

variable "subnet_id" {
  type    = string
  default = null
}

# null in early releases, [] in 5.x and 6.x: both leave the instance in the
# VPC's default group, unless 6.x creates one (create_security_group).
variable "vpc_security_group_ids" {
  type    = list(string)
  default = null
}

# 3.x-5.x: a list of maps; 6.x: a map of objects (device index as key).
variable "network_interface" {
  type    = any
  default = null
}

# 3.x-5.x: a map, empty by default; 6.x: an object, null by default.
variable "launch_template" {
  type    = any
  default = null
}

variable "user_data" {
  type    = string
  default = null
}

variable "user_data_base64" {
  type    = string
  default = null
}

variable "iam_instance_profile" {
  type    = string
  default = null
}

# 4.2.0 and later: the module creates a role and an instance profile.
variable "create_iam_instance_profile" {
  type    = bool
  default = false
}

# null (false in some releases): either way no detailed monitoring.
variable "monitoring" {
  type    = bool
  default = null
}

# The missing keys get model_http_tokens_when_unset (model.toml): "optional"
# before 6.0.0, "required" since.
variable "metadata_options" {
  type    = any
  default = {}
}

# 3.x-5.x: a list of maps (volume_size, volume_type…); 6.x: one object
# (size, type…). Both name `encrypted` and `kms_key_id` alike.
variable "root_block_device" {
  type    = any
  default = null
}

# 3.x-5.x only (6.0.0 replaced it with `ebs_volumes`, not modelled).
variable "ebs_block_device" {
  type    = any
  default = []
}

locals {
  create = var.create && var.putin_khuylo

  root_block_devices = var.root_block_device == null ? [] : try(tolist(var.root_block_device), [var.root_block_device])

  # 6.x: the group the module creates is added to the caller's.
  create_security_group  = var.create && var.create_security_group && var.network_interface == null
  vpc_security_group_ids = local.create_security_group ? concat(coalesce(var.vpc_security_group_ids, []), [aws_security_group.this[0].id]) : var.vpc_security_group_ids

  iam_instance_profile = var.create_iam_instance_profile ? aws_iam_instance_profile.this[0].name : var.iam_instance_profile
}

resource "aws_instance" "this" {
  count = local.create && !var.ignore_ami_changes && !var.create_spot_instance ? 1 : 0

  ami           = var.ami
  instance_type = var.instance_type

  associate_public_ip_address = var.associate_public_ip_address
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = local.vpc_security_group_ids

  user_data        = var.user_data
  user_data_base64 = var.user_data_base64

  iam_instance_profile = local.iam_instance_profile
  monitoring           = var.monitoring

  dynamic "metadata_options" {
    for_each = var.metadata_options != null ? [var.metadata_options] : []
    content {
      http_endpoint = coalesce(lookup(metadata_options.value, "http_endpoint", null), "enabled")
      http_tokens   = coalesce(lookup(metadata_options.value, "http_tokens", null), var.model_http_tokens_when_unset)
    }
  }

  dynamic "root_block_device" {
    for_each = local.root_block_devices
    content {
      encrypted  = lookup(root_block_device.value, "encrypted", null)
      kms_key_id = lookup(root_block_device.value, "kms_key_id", null)
    }
  }

  dynamic "ebs_block_device" {
    for_each = var.ebs_block_device == null ? [] : var.ebs_block_device
    content {
      device_name = ebs_block_device.value.device_name
      encrypted   = lookup(ebs_block_device.value, "encrypted", null)
      kms_key_id  = lookup(ebs_block_device.value, "kms_key_id", null)
      snapshot_id = lookup(ebs_block_device.value, "snapshot_id", null)
    }
  }

  dynamic "network_interface" {
    for_each = var.network_interface == null ? [] : var.network_interface
    content {
      device_index         = lookup(network_interface.value, "device_index", network_interface.key)
      network_interface_id = lookup(network_interface.value, "network_interface_id", null)
    }
  }

  dynamic "launch_template" {
    for_each = try(length(var.launch_template) > 0, false) ? [var.launch_template] : []
    content {
      id      = lookup(launch_template.value, "id", null)
      name    = lookup(launch_template.value, "name", null)
      version = lookup(launch_template.value, "version", null)
    }
  }
}

# The same instance when the module is told to ignore AMI changes.
resource "aws_instance" "ignore_ami" {
  count = local.create && var.ignore_ami_changes && !var.create_spot_instance ? 1 : 0

  ami           = var.ami
  instance_type = var.instance_type

  associate_public_ip_address = var.associate_public_ip_address
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = local.vpc_security_group_ids

  user_data        = var.user_data
  user_data_base64 = var.user_data_base64

  iam_instance_profile = local.iam_instance_profile
  monitoring           = var.monitoring

  dynamic "metadata_options" {
    for_each = var.metadata_options != null ? [var.metadata_options] : []
    content {
      http_endpoint = coalesce(lookup(metadata_options.value, "http_endpoint", null), "enabled")
      http_tokens   = coalesce(lookup(metadata_options.value, "http_tokens", null), var.model_http_tokens_when_unset)
    }
  }

  dynamic "root_block_device" {
    for_each = local.root_block_devices
    content {
      encrypted  = lookup(root_block_device.value, "encrypted", null)
      kms_key_id = lookup(root_block_device.value, "kms_key_id", null)
    }
  }

  dynamic "ebs_block_device" {
    for_each = var.ebs_block_device == null ? [] : var.ebs_block_device
    content {
      device_name = ebs_block_device.value.device_name
      encrypted   = lookup(ebs_block_device.value, "encrypted", null)
      kms_key_id  = lookup(ebs_block_device.value, "kms_key_id", null)
      snapshot_id = lookup(ebs_block_device.value, "snapshot_id", null)
    }
  }

  dynamic "network_interface" {
    for_each = var.network_interface == null ? [] : var.network_interface
    content {
      device_index         = lookup(network_interface.value, "device_index", network_interface.key)
      network_interface_id = lookup(network_interface.value, "network_interface_id", null)
    }
  }

  dynamic "launch_template" {
    for_each = try(length(var.launch_template) > 0, false) ? [var.launch_template] : []
    content {
      id      = lookup(launch_template.value, "id", null)
      name    = lookup(launch_template.value, "name", null)
      version = lookup(launch_template.value, "version", null)
    }
  }
}

# 4.2.0 and later, with create_iam_instance_profile: the profile's name is
# generated (a name prefix), so the instance's profile is known to exist
# but not by name. Its role is not modelled.
resource "aws_iam_instance_profile" "this" {
  count = var.create && var.create_iam_instance_profile ? 1 : 0
}

# 6.x: the group the module creates for the instance. Its outbound rules
# (all traffic by default) are not modelled.
resource "aws_security_group" "this" {
  count = local.create_security_group ? 1 : 0
}

# 6.x: the inbound rules of that group, none by default. A rule without
# ip_protocol is TCP; a rule naming one port of a range gets it for both.
variable "security_group_ingress_rules" {
  type    = any
  default = null
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = local.create_security_group && var.security_group_ingress_rules != null ? var.security_group_ingress_rules : {}

  security_group_id            = aws_security_group.this[0].id
  cidr_ipv4                    = lookup(each.value, "cidr_ipv4", null)
  cidr_ipv6                    = lookup(each.value, "cidr_ipv6", null)
  prefix_list_id               = lookup(each.value, "prefix_list_id", null)
  referenced_security_group_id = lookup(each.value, "referenced_security_group_id", null)
  ip_protocol                  = coalesce(lookup(each.value, "ip_protocol", null), "tcp")
  from_port                    = try(coalesce(lookup(each.value, "from_port", null), lookup(each.value, "to_port", null)), null)
  to_port                      = try(coalesce(lookup(each.value, "to_port", null), lookup(each.value, "from_port", null)), null)
}
