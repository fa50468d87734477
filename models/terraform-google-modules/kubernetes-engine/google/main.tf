# Model of terraform-google-modules/kubernetes-engine/google 44.x, the root
# module (Palisade's own summary, not the module's code): the cluster, its
# default node pool while the module keeps it, and the node service account
# the module creates. The node pools built from `node_pools` are not
# modelled.

variable "project_id" {
  type = string
}

variable "name" {
  type = string
}

# Client certificates are not issued unless asked for.
variable "issue_client_certificate" {
  type    = bool
  default = false
}

# The legacy logging and monitoring services; the module drops them (and
# lets the component lists decide) as soon as a component list or managed
# Prometheus is given.
variable "logging_service" {
  type    = string
  default = "logging.googleapis.com/kubernetes"
}

variable "monitoring_service" {
  type    = string
  default = "monitoring.googleapis.com/kubernetes"
}

variable "logging_enabled_components" {
  type    = list(string)
  default = []
}

variable "monitoring_enabled_components" {
  type    = list(string)
  default = []
}

variable "monitoring_enable_managed_prometheus" {
  type    = bool
  default = null
}

variable "enable_shielded_nodes" {
  type    = bool
  default = true
}

# When on, the cluster enforces the project's singleton policy; off, the
# cluster has no binary_authorization block.
variable "enable_binary_authorization" {
  type    = bool
  default = false
}

# The control plane: open to every address unless networks are listed.
variable "master_authorized_networks" {
  type    = list(object({ cidr_block = string, display_name = string }))
  default = []
}

variable "gcp_public_cidrs_access_enabled" {
  type    = bool
  default = null
}

# null leaves the IP endpoint to GKE (on).
variable "ip_endpoints_enabled" {
  type    = bool
  default = null
}

variable "dns_allow_external_traffic" {
  type    = bool
  default = null
}

variable "dns_enable_k8s_tokens_via_dns" {
  type    = bool
  default = null
}

# Network policy enforcement: off by default (the block is written with
# enabled = false); Dataplane V2 enforces policies of its own.
variable "network_policy" {
  type    = bool
  default = false
}

variable "network_policy_provider" {
  type    = string
  default = "CALICO"
}

variable "datapath_provider" {
  type    = string
  default = "DATAPATH_PROVIDER_UNSPECIFIED"
}

variable "release_channel" {
  type    = string
  default = "REGULAR"
}

# Secrets encryption: a block per entry; by default one that leaves it off.
variable "database_encryption" {
  type = list(object({ state = string, key_name = string }))
  default = [{
    state    = "DECRYPTED"
    key_name = ""
  }]
}

# "enabled" gives the project's own workload pool; null (or "null") none.
variable "identity_namespace" {
  type    = string
  default = "enabled"
}

variable "enable_intranode_visibility" {
  type    = bool
  default = false
}

variable "remove_default_node_pool" {
  type    = bool
  default = false
}

# The first entry sets the default node pool's image, service account and
# integrity monitoring (the other entries are pools of their own).
variable "node_pools" {
  type = list(map(any))
  default = [
    {
      name = "default-node-pool"
    },
  ]
}

# How nodes expose the metadata server; the two legacy names map to the
# current ones, "UNSPECIFIED" writes no setting.
variable "node_metadata" {
  type    = string
  default = "GKE_METADATA"
}

# Auto-repair and auto-upgrade of the default node pool and of
# auto-provisioned pools, and auto-provisioning's integrity monitoring.
variable "cluster_autoscaling" {
  type = any
  default = {
    enabled                      = false
    autoscaling_profile          = "BALANCED"
    max_cpu_cores                = 0
    min_cpu_cores                = 0
    max_memory_gb                = 0
    min_memory_gb                = 0
    gpu_resources                = []
    auto_repair                  = true
    auto_upgrade                 = true
    disk_size                    = 100
    disk_type                    = "pd-standard"
    image_type                   = "COS_CONTAINERD"
    enable_secure_boot           = false
    enable_integrity_monitoring  = true
    enable_default_compute_class = false
  }
}

# The nodes' service account: the module creates one by default and uses it
# unless `service_account` names another ("create" also means the created
# one). Without either, the nodes get an empty account: the Compute Engine
# default.
variable "create_service_account" {
  type    = bool
  default = true
}

variable "service_account" {
  type    = string
  default = ""
}

variable "service_account_name" {
  type    = string
  default = ""
}

# What the model does not know: whether nodes a pool makes private are all
# the cluster's nodes.
variable "model_unknown" {
  type = any
}

locals {
  logmon_config_is_set = length(var.logging_enabled_components) > 0 || length(var.monitoring_enabled_components) > 0 || var.monitoring_enable_managed_prometheus != null
  autoprovisioning     = var.cluster_autoscaling.enabled || lookup(var.cluster_autoscaling, "enable_default_compute_class", false)

  workload_identity = !(var.identity_namespace == null || var.identity_namespace == "null")
  workload_pool     = var.identity_namespace == "enabled" ? "${var.project_id}.svc.id.goog" : var.identity_namespace

  metadata_modes = { GKE_METADATA_SERVER = "GKE_METADATA", EXPOSE = "GCE_METADATA" }
  metadata_mode  = lookup(local.metadata_modes, var.node_metadata, var.node_metadata)

  node_service_account = (var.service_account == "" || var.service_account == "create") && var.create_service_account ? google_service_account.cluster_service_account[0].email : var.service_account

  first_pool = length(var.node_pools) > 0 ? var.node_pools[0] : {}

  pools_set_private_nodes = length([for p in var.node_pools : p if lookup(p, "enable_private_nodes", null) != null]) > 0
}

resource "google_service_account" "cluster_service_account" {
  count      = var.create_service_account ? 1 : 0
  project    = var.project_id
  account_id = var.service_account_name
}

resource "google_container_cluster" "primary" {
  name    = var.name
  project = var.project_id

  logging_service    = local.logmon_config_is_set ? null : var.logging_service
  monitoring_service = local.logmon_config_is_set ? null : var.monitoring_service

  enable_shielded_nodes       = var.enable_shielded_nodes
  enable_intranode_visibility = var.enable_intranode_visibility
  datapath_provider           = var.datapath_provider
  remove_default_node_pool    = var.remove_default_node_pool

  master_auth {
    client_certificate_config {
      issue_client_certificate = var.issue_client_certificate
    }
  }

  dynamic "binary_authorization" {
    for_each = var.enable_binary_authorization ? [1] : []
    content {
      evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
    }
  }

  network_policy {
    enabled  = var.network_policy
    provider = var.network_policy ? var.network_policy_provider : null
  }

  dynamic "release_channel" {
    for_each = var.release_channel != null ? [var.release_channel] : []
    content {
      channel = release_channel.value
    }
  }

  dynamic "master_authorized_networks_config" {
    for_each = var.gcp_public_cidrs_access_enabled != null || length(var.master_authorized_networks) > 0 ? [1] : []
    content {
      gcp_public_cidrs_access_enabled = var.gcp_public_cidrs_access_enabled
      dynamic "cidr_blocks" {
        for_each = var.master_authorized_networks
        content {
          cidr_block   = lookup(cidr_blocks.value, "cidr_block", "")
          display_name = lookup(cidr_blocks.value, "display_name", "")
        }
      }
    }
  }

  dynamic "control_plane_endpoints_config" {
    for_each = var.dns_allow_external_traffic != null || var.dns_enable_k8s_tokens_via_dns != null || var.ip_endpoints_enabled != null ? [1] : []
    content {
      dynamic "dns_endpoint_config" {
        for_each = var.dns_allow_external_traffic != null || var.dns_enable_k8s_tokens_via_dns != null ? [1] : []
        content {
          allow_external_traffic    = var.dns_allow_external_traffic
          enable_k8s_tokens_via_dns = var.dns_enable_k8s_tokens_via_dns
        }
      }
      dynamic "ip_endpoints_config" {
        for_each = var.ip_endpoints_enabled != null ? [1] : []
        content {
          enabled = var.ip_endpoints_enabled
        }
      }
    }
  }

  # Not the module's: stands for nodes that node pools make private.
  dynamic "private_cluster_config" {
    for_each = local.pools_set_private_nodes ? [1] : []
    content {
      enable_private_nodes = var.model_unknown
    }
  }

  dynamic "database_encryption" {
    for_each = var.database_encryption
    content {
      key_name = database_encryption.value.key_name
      state    = database_encryption.value.state
    }
  }

  dynamic "workload_identity_config" {
    for_each = local.workload_identity ? [1] : []
    content {
      workload_pool = local.workload_pool
    }
  }

  cluster_autoscaling {
    enabled = var.cluster_autoscaling.enabled
    dynamic "auto_provisioning_defaults" {
      for_each = local.autoprovisioning ? [1] : []
      content {
        service_account = local.node_service_account
        management {
          auto_repair  = lookup(var.cluster_autoscaling, "auto_repair", true)
          auto_upgrade = lookup(var.cluster_autoscaling, "auto_upgrade", true)
        }
        shielded_instance_config {
          enable_secure_boot          = lookup(var.cluster_autoscaling, "enable_secure_boot", false)
          enable_integrity_monitoring = lookup(var.cluster_autoscaling, "enable_integrity_monitoring", true)
        }
      }
    }
  }

  # The cluster's default pool, deleted after creation when
  # remove_default_node_pool is set (so the model leaves it out then).
  dynamic "node_pool" {
    for_each = var.remove_default_node_pool ? [] : [1]
    content {
      name = "default-pool"
      management {
        auto_repair  = lookup(var.cluster_autoscaling, "auto_repair", true)
        auto_upgrade = lookup(var.cluster_autoscaling, "auto_upgrade", true)
      }
      node_config {
        image_type      = lookup(local.first_pool, "image_type", "COS_CONTAINERD")
        service_account = contains(keys(local.first_pool), "service_account") ? local.first_pool["service_account"] : local.node_service_account
        dynamic "workload_metadata_config" {
          for_each = var.node_metadata == "UNSPECIFIED" ? [] : [1]
          content {
            mode = local.metadata_mode
          }
        }
        shielded_instance_config {
          enable_secure_boot          = lookup(local.first_pool, "enable_secure_boot", false)
          enable_integrity_monitoring = lookup(local.first_pool, "enable_integrity_monitoring", true)
        }
      }
    }
  }
}
