# The module's subnets (Palisade's own summary, not the module's code): one
# per entry of `subnets`, keyed "<region>/<name>" (the region is
# `subnets_region` when given, 18.x).

variable "subnets" {
  default = []
}

variable "subnets_region" {
  default = null
}

locals {
  subnets = {
    for s in var.subnets :
    "${var.subnets_region != null ? var.subnets_region : s.subnet_region}/${s.subnet_name}" => s
  }
}

resource "google_compute_subnetwork" "subnetwork" {
  for_each      = local.subnets
  name          = each.value.subnet_name
  ip_cidr_range = each.value.subnet_ip
  region        = var.subnets_region != null ? var.subnets_region : each.value.subnet_region
  purpose       = lookup(each.value, "purpose", null)

  # A string, "true" or "false" (the provider reads it as a bool); off when left out.
  private_ip_google_access = lookup(each.value, "subnet_private_access", "false")

  # A flow log only with subnet_flow_logs = "true" (its settings are not modelled).
  dynamic "log_config" {
    for_each = tobool(coalesce(lookup(each.value, "subnet_flow_logs", null), "false")) ? ["on"] : []
    content {}
  }
}
