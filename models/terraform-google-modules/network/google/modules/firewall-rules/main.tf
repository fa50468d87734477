# The module's firewall rules (Palisade's own summary, not the module's
# code): `rules` (the root module's `firewall_rules`) or, when there are
# none, `ingress_rules` and `egress_rules`.

variable "rules" {
  default = []
}

variable "ingress_rules" {
  default = []
}

variable "egress_rules" {
  default = []
}

locals {
  ingress = { for r in var.ingress_rules : r.name => merge(r, { direction = "INGRESS" }) }
  egress  = { for r in var.egress_rules : r.name => merge(r, { direction = "EGRESS" }) }
}

resource "google_compute_firewall" "rules" {
  for_each                = { for r in var.rules : r.name => r }
  name                    = each.value.name
  direction               = each.value.direction
  disabled                = each.value.disabled
  source_ranges           = each.value.direction == "INGRESS" ? each.value.ranges : null
  destination_ranges      = each.value.direction == "EGRESS" ? each.value.ranges : null
  source_tags             = each.value.source_tags
  source_service_accounts = each.value.source_service_accounts

  dynamic "allow" {
    for_each = each.value.allow
    content {
      protocol = allow.value.protocol
      ports    = lookup(allow.value, "ports", null)
    }
  }

  dynamic "deny" {
    for_each = each.value.deny
    content {
      protocol = deny.value.protocol
      ports    = lookup(deny.value, "ports", null)
    }
  }
}

resource "google_compute_firewall" "rules_ingress_egress" {
  for_each                = length(var.rules) > 0 ? {} : merge(local.ingress, local.egress)
  name                    = each.value.name
  direction               = each.value.direction
  disabled                = lookup(each.value, "disabled", null)
  source_ranges           = lookup(each.value, "source_ranges", null)
  destination_ranges      = lookup(each.value, "destination_ranges", null)
  source_tags             = lookup(each.value, "source_tags", null)
  source_service_accounts = lookup(each.value, "source_service_accounts", null)

  dynamic "allow" {
    for_each = lookup(each.value, "allow", [])
    content {
      protocol = allow.value.protocol
      ports    = lookup(allow.value, "ports", null)
    }
  }

  dynamic "deny" {
    for_each = lookup(each.value, "deny", [])
    content {
      protocol = deny.value.protocol
      ports    = lookup(deny.value, "ports", null)
    }
  }
}
