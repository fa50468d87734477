# Model of terraform-aws-modules/rds/aws 3.x-7.x (Palisade's own summary,
# not the module's code).

variable "create_db_instance" {
  type    = bool
  default = true
}

variable "putin_khuylo" {
  type    = bool
  default = true
}

variable "identifier" {
  type    = string
  default = null
}

variable "engine" {
  type    = string
  default = null
}

variable "engine_version" {
  type    = string
  default = null
}

# storage_encrypted: its default depends on the release (model.toml).

variable "kms_key_id" {
  type    = string
  default = null
}

variable "publicly_accessible" {
  type    = bool
  default = false
}

variable "iam_database_authentication_enabled" {
  type    = bool
  default = false
}

# null leaves the provider's (and AWS's) default of one day.
variable "backup_retention_period" {
  type    = number
  default = null
}

variable "deletion_protection" {
  type    = bool
  default = false
}

variable "auto_minor_version_upgrade" {
  type    = bool
  default = true
}

variable "enabled_cloudwatch_logs_exports" {
  type    = list(string)
  default = []
}

variable "performance_insights_enabled" {
  type    = bool
  default = false
}

variable "performance_insights_kms_key_id" {
  type    = string
  default = null
}

variable "replicate_source_db" {
  type    = string
  default = null
}

variable "snapshot_identifier" {
  type    = string
  default = null
}

module "db_instance" {
  source = "./modules/db_instance"

  create                              = var.create_db_instance && var.putin_khuylo
  identifier                          = var.identifier
  engine                              = var.engine
  engine_version                      = var.engine_version
  storage_encrypted                   = var.storage_encrypted
  kms_key_id                          = var.kms_key_id
  publicly_accessible                 = var.publicly_accessible
  iam_database_authentication_enabled = var.iam_database_authentication_enabled
  backup_retention_period             = var.backup_retention_period
  deletion_protection                 = var.deletion_protection
  auto_minor_version_upgrade          = var.auto_minor_version_upgrade
  enabled_cloudwatch_logs_exports     = var.enabled_cloudwatch_logs_exports
  performance_insights_enabled        = var.performance_insights_enabled
  performance_insights_kms_key_id     = var.performance_insights_kms_key_id
  replicate_source_db                 = var.replicate_source_db
  snapshot_identifier                 = var.snapshot_identifier
}
