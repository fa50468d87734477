# The database instance of terraform-aws-modules/rds/aws (Palisade's model).

variable "create" {
  type = bool
}

variable "identifier" {
  type = string
}

variable "engine" {
  type = string
}

variable "engine_version" {
  type = string
}

variable "storage_encrypted" {
  type = bool
}

variable "kms_key_id" {
  type = string
}

variable "publicly_accessible" {
  type = bool
}

variable "iam_database_authentication_enabled" {
  type = bool
}

variable "backup_retention_period" {
  type = number
}

variable "deletion_protection" {
  type = bool
}

variable "auto_minor_version_upgrade" {
  type = bool
}

variable "enabled_cloudwatch_logs_exports" {
  type = list(string)
}

variable "performance_insights_enabled" {
  type = bool
}

variable "performance_insights_kms_key_id" {
  type = string
}

variable "replicate_source_db" {
  type = string
}

variable "snapshot_identifier" {
  type = string
}

locals {
  is_replica = var.replicate_source_db != null
}

resource "aws_db_instance" "this" {
  count = var.create ? 1 : 0

  identifier     = var.identifier
  engine         = local.is_replica ? null : var.engine
  engine_version = var.engine_version

  storage_encrypted = var.storage_encrypted
  kms_key_id        = var.kms_key_id

  replicate_source_db = var.replicate_source_db
  snapshot_identifier = var.snapshot_identifier

  publicly_accessible                 = var.publicly_accessible
  iam_database_authentication_enabled = var.iam_database_authentication_enabled
  backup_retention_period             = var.backup_retention_period
  deletion_protection                 = var.deletion_protection
  auto_minor_version_upgrade          = var.auto_minor_version_upgrade
  enabled_cloudwatch_logs_exports     = var.enabled_cloudwatch_logs_exports

  performance_insights_enabled    = var.performance_insights_enabled
  performance_insights_kms_key_id = var.performance_insights_enabled ? var.performance_insights_kms_key_id : null
}
