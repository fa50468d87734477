# Model of terraform-google-modules/network/google 5.x-18.x (Palisade's own
# summary, not the module's code): the subnets and the firewall rules.

# Each subnet a map of strings: subnet_name, subnet_ip, subnet_region,
# subnet_private_access ("true" / "false"), subnet_flow_logs ("true" /
# "false"), purpose.
variable "subnets" {
  default = []
}

# 18.x: one region for every subnet, ahead of each subnet's own.
variable "subnets_region" {
  default = null
}

# The older list of rules: name, direction (INGRESS when not given),
# disabled, ranges (the sources of an INGRESS rule), source_tags,
# source_service_accounts, allow and deny (protocol, ports).
variable "firewall_rules" {
  default = []
}

variable "ingress_rules" {
  default = []
}

variable "egress_rules" {
  default = []
}

locals {
  rules = [
    for f in var.firewall_rules : {
      name                    = f.name
      direction               = coalesce(lookup(f, "direction", null), "INGRESS")
      disabled                = lookup(f, "disabled", null)
      ranges                  = lookup(f, "ranges", null)
      source_tags             = lookup(f, "source_tags", null)
      source_service_accounts = lookup(f, "source_service_accounts", null)
      allow                   = lookup(f, "allow", [])
      deny                    = lookup(f, "deny", [])
    }
  ]
}

module "subnets" {
  source         = "./modules/subnets"
  subnets        = var.subnets
  subnets_region = var.subnets_region
}

module "firewall_rules" {
  source        = "./modules/firewall-rules"
  rules         = local.rules
  ingress_rules = var.ingress_rules
  egress_rules  = var.egress_rules
}
