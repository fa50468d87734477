# Model of terraform-aws-modules/vpc/aws 4.x-6.x (Palisade's own summary,
# not the module's code). Subnets, routes, gateways and endpoints are left
# out; so are the dedicated network ACLs other than the public and private
# ones.

variable "create_vpc" {
  type    = bool
  default = true
}

variable "putin_khuylo" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = ""
}

variable "cidr" {
  type    = string
  default = "10.0.0.0/16"
}

variable "enable_flow_log" {
  type    = bool
  default = false
}

# manage_default_security_group, manage_default_network_acl and
# map_public_ip_on_launch: their defaults depend on the release (model.toml).

# Rules of the default security group: none unless given.
variable "default_security_group_ingress" {
  type    = list(map(string))
  default = []
}

variable "default_security_group_egress" {
  type    = list(map(string))
  default = []
}

# Inbound rules of the default network ACL. The module's default lets
# everything in, exactly as AWS's own default ACL does; the model leaves it
# unknown on purpose, so a call that keeps it is judged like a plain aws_vpc
# (not reported) rather than flagged for a state that turning the module's
# management off would leave unchanged. Rules the caller writes are checked.
variable "default_network_acl_ingress" {
  type = list(map(string))
}

variable "public_subnets" {
  type    = list(string)
  default = []
}

variable "public_subnet_ipv6_prefixes" {
  type    = list(string)
  default = []
}

# map_public_ip_on_launch applies to the public subnets only.

variable "azs" {
  type    = list(string)
  default = []
}

variable "one_nat_gateway_per_az" {
  type    = bool
  default = false
}

variable "public_dedicated_network_acl" {
  type    = bool
  default = false
}

variable "public_inbound_acl_rules" {
  type = list(map(string))
  default = [
    { rule_number = 100, rule_action = "allow", from_port = 0, to_port = 0, protocol = "-1", cidr_block = "0.0.0.0/0" },
  ]
}

variable "private_subnets" {
  type    = list(string)
  default = []
}

variable "private_subnet_ipv6_prefixes" {
  type    = list(string)
  default = []
}

# An IPv6-only private subnet has no IPv4 CIDR block.
variable "private_subnet_ipv6_native" {
  type    = bool
  default = false
}

variable "private_dedicated_network_acl" {
  type    = bool
  default = false
}

variable "private_inbound_acl_rules" {
  type = list(map(string))
  default = [
    { rule_number = 100, rule_action = "allow", from_port = 0, to_port = 0, protocol = "-1", cidr_block = "0.0.0.0/0" },
  ]
}

locals {
  create_vpc = var.create_vpc && var.putin_khuylo

  len_public_subnets = max(length(var.public_subnets), length(var.public_subnet_ipv6_prefixes))
  # The module creates no public subnet when one NAT gateway per zone is
  # asked for and there are fewer public subnets than zones.
  public_subnet_count = local.create_vpc && (!var.one_nat_gateway_per_az || local.len_public_subnets >= length(var.azs)) ? local.len_public_subnets : 0

  public_acl  = local.create_vpc && var.public_dedicated_network_acl && max(length(var.public_subnets), length(var.public_subnet_ipv6_prefixes)) > 0
  private_acl = local.create_vpc && var.private_dedicated_network_acl && max(length(var.private_subnets), length(var.private_subnet_ipv6_prefixes)) > 0
}

resource "aws_vpc" "this" {
  count = local.create_vpc ? 1 : 0

  cidr_block = var.cidr
}

resource "aws_flow_log" "this" {
  count = local.create_vpc && var.enable_flow_log ? 1 : 0

  vpc_id = aws_vpc.this[0].id
}

resource "aws_default_security_group" "this" {
  count = local.create_vpc && var.manage_default_security_group ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  # A rule map holds comma-separated lists; a missing port is 0 and a
  # missing protocol "-1" (every protocol).
  dynamic "ingress" {
    for_each = var.default_security_group_ingress
    content {
      self             = lookup(ingress.value, "self", null)
      cidr_blocks      = compact(split(",", lookup(ingress.value, "cidr_blocks", "")))
      ipv6_cidr_blocks = compact(split(",", lookup(ingress.value, "ipv6_cidr_blocks", "")))
      security_groups  = compact(split(",", lookup(ingress.value, "security_groups", "")))
      from_port        = lookup(ingress.value, "from_port", 0)
      to_port          = lookup(ingress.value, "to_port", 0)
      protocol         = lookup(ingress.value, "protocol", "-1")
    }
  }

  dynamic "egress" {
    for_each = var.default_security_group_egress
    content {
      self             = lookup(egress.value, "self", null)
      cidr_blocks      = compact(split(",", lookup(egress.value, "cidr_blocks", "")))
      ipv6_cidr_blocks = compact(split(",", lookup(egress.value, "ipv6_cidr_blocks", "")))
      security_groups  = compact(split(",", lookup(egress.value, "security_groups", "")))
      from_port        = lookup(egress.value, "from_port", 0)
      to_port          = lookup(egress.value, "to_port", 0)
      protocol         = lookup(egress.value, "protocol", "-1")
    }
  }
}

resource "aws_default_network_acl" "this" {
  count = local.create_vpc && var.manage_default_network_acl ? 1 : 0

  default_network_acl_id = aws_vpc.this[0].default_network_acl_id

  dynamic "ingress" {
    for_each = var.default_network_acl_ingress
    content {
      rule_no         = ingress.value.rule_no
      action          = ingress.value.action
      from_port       = ingress.value.from_port
      to_port         = ingress.value.to_port
      protocol        = ingress.value.protocol
      cidr_block      = lookup(ingress.value, "cidr_block", null)
      ipv6_cidr_block = lookup(ingress.value, "ipv6_cidr_block", null)
    }
  }
}

resource "aws_subnet" "public" {
  count = local.public_subnet_count

  vpc_id                  = aws_vpc.this[0].id
  map_public_ip_on_launch = var.map_public_ip_on_launch
}

resource "aws_network_acl" "public" {
  count = local.public_acl ? 1 : 0

  vpc_id = aws_vpc.this[0].id
}

resource "aws_network_acl_rule" "public_inbound" {
  count = local.public_acl ? length(var.public_inbound_acl_rules) : 0

  network_acl_id  = aws_network_acl.public[0].id
  egress          = false
  rule_number     = var.public_inbound_acl_rules[count.index]["rule_number"]
  rule_action     = var.public_inbound_acl_rules[count.index]["rule_action"]
  from_port       = lookup(var.public_inbound_acl_rules[count.index], "from_port", null)
  to_port         = lookup(var.public_inbound_acl_rules[count.index], "to_port", null)
  protocol        = var.public_inbound_acl_rules[count.index]["protocol"]
  cidr_block      = lookup(var.public_inbound_acl_rules[count.index], "cidr_block", null)
  ipv6_cidr_block = lookup(var.public_inbound_acl_rules[count.index], "ipv6_cidr_block", null)
}

resource "aws_network_acl" "private" {
  count = local.private_acl ? 1 : 0

  vpc_id = aws_vpc.this[0].id
}

resource "aws_network_acl_rule" "private_inbound" {
  count = local.private_acl ? length(var.private_inbound_acl_rules) : 0

  network_acl_id  = aws_network_acl.private[0].id
  egress          = false
  rule_number     = var.private_inbound_acl_rules[count.index]["rule_number"]
  rule_action     = var.private_inbound_acl_rules[count.index]["rule_action"]
  from_port       = lookup(var.private_inbound_acl_rules[count.index], "from_port", null)
  to_port         = lookup(var.private_inbound_acl_rules[count.index], "to_port", null)
  protocol        = var.private_inbound_acl_rules[count.index]["protocol"]
  cidr_block      = lookup(var.private_inbound_acl_rules[count.index], "cidr_block", null)
  ipv6_cidr_block = lookup(var.private_inbound_acl_rules[count.index], "ipv6_cidr_block", null)
}

# The outputs callers most often read, so that what they hand on is known to
# come from the VPC; the model's other outputs are unknown.
output "vpc_id" {
  value = try(aws_vpc.this[0].id, null)
}

output "vpc_arn" {
  value = try(aws_vpc.this[0].arn, null)
}

output "vpc_cidr_block" {
  value = try(aws_vpc.this[0].cidr_block, null)
}

# The VPC's default security group, whether or not the module manages it.
output "default_security_group_id" {
  value = try(aws_vpc.this[0].default_security_group_id, null)
}

# The private subnets' IPv4 blocks, which callers put in security group
# rules: the CIDRs the caller gave, once each subnet exists.
output "private_subnets_cidr_blocks" {
  value = local.create_vpc && !var.private_subnet_ipv6_native ? compact(var.private_subnets) : []
}
