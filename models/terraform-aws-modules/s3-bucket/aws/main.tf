# Model of terraform-aws-modules/s3-bucket/aws 3.x-5.x (Palisade's own
# summary, not the module's code): only the inputs that decide what the
# policies check. Inputs left out are unknown to the model, so a resource
# whose presence depends on them is not modelled either.

variable "create_bucket" {
  type    = bool
  default = true
}

variable "putin_khuylo" {
  type    = bool
  default = true
}

variable "bucket" {
  type    = string
  default = null
}

variable "bucket_prefix" {
  type    = string
  default = null
}

variable "acl" {
  type    = string
  default = null
}

variable "policy" {
  type    = string
  default = null
}

variable "attach_policy" {
  type    = bool
  default = false
}

# The statements the module writes itself; any of them set makes the
# attached policy a merge with the caller's (see `combined`).
variable "attach_elb_log_delivery_policy" {
  type    = bool
  default = false
}

variable "attach_lb_log_delivery_policy" {
  type    = bool
  default = false
}

variable "attach_access_log_delivery_policy" {
  type    = bool
  default = false
}

variable "attach_cloudtrail_log_delivery_policy" {
  type    = bool
  default = false
}

variable "attach_waf_log_delivery_policy" {
  type    = bool
  default = false
}

variable "attach_deny_insecure_transport_policy" {
  type    = bool
  default = false
}

variable "attach_require_latest_tls_policy" {
  type    = bool
  default = false
}

variable "attach_inventory_destination_policy" {
  type    = bool
  default = false
}

variable "attach_analytics_destination_policy" {
  type    = bool
  default = false
}

variable "attach_deny_incorrect_encryption_headers" {
  type    = bool
  default = false
}

variable "attach_deny_incorrect_kms_key_sse" {
  type    = bool
  default = false
}

variable "attach_deny_unencrypted_object_uploads" {
  type    = bool
  default = false
}

variable "attach_deny_ssec_encrypted_object_uploads" {
  type    = bool
  default = false
}

# Whether the bucket gets its public access block at all.
variable "attach_public_policy" {
  type    = bool
  default = true
}

# block_public_acls, block_public_policy, ignore_public_acls and
# restrict_public_buckets: their defaults depend on the release (model.toml).

variable "versioning" {
  type    = any
  default = {}
}

variable "logging" {
  type    = any
  default = {}
}

variable "server_side_encryption_configuration" {
  type    = any
  default = {}
}

variable "is_directory_bucket" {
  type    = bool
  default = false
}

locals {
  create = var.create_bucket && var.putin_khuylo && !var.is_directory_bucket

  other_module_statements = anytrue([
    var.attach_elb_log_delivery_policy,
    var.attach_lb_log_delivery_policy,
    var.attach_access_log_delivery_policy,
    var.attach_cloudtrail_log_delivery_policy,
    var.attach_waf_log_delivery_policy,
    var.attach_inventory_destination_policy,
    var.attach_analytics_destination_policy,
    var.attach_deny_incorrect_encryption_headers,
    var.attach_deny_incorrect_kms_key_sse,
    var.attach_deny_unencrypted_object_uploads,
    var.attach_deny_ssec_encrypted_object_uploads,
  ])
  module_statements = local.other_module_statements || var.attach_deny_insecure_transport_policy || var.attach_require_latest_tls_policy
}

resource "aws_s3_bucket" "this" {
  count = local.create ? 1 : 0

  bucket        = var.bucket
  bucket_prefix = var.bucket_prefix
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = local.create && var.attach_public_policy ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = var.block_public_acls
  block_public_policy     = var.block_public_policy
  ignore_public_acls      = var.ignore_public_acls
  restrict_public_buckets = var.restrict_public_buckets
}

# The canned ACL only: grants given through `grant` are not modelled.
resource "aws_s3_bucket_acl" "this" {
  count = local.create && var.acl != null && var.acl != "null" ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  acl    = var.acl
}

# The statements the module writes that decide TLS: its two denies, spelt
# out. The others (log delivery, inventory, encryption headers...) are left
# to `other_module_statements`, which has no value: a policy holding them is
# read in part.
data "aws_iam_policy_document" "deny_insecure_transport" {
  count = local.create && var.attach_deny_insecure_transport_policy ? 1 : 0

  statement {
    sid       = "denyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[0].arn, "${aws_s3_bucket.this[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "require_latest_tls" {
  count = local.create && var.attach_require_latest_tls_policy ? 1 : 0

  statement {
    sid       = "denyOutdatedTLS"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[0].arn, "${aws_s3_bucket.this[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

variable "other_module_statements" {
  type = string
}

# The caller's `policy` is attached only with `attach_policy = true`, merged
# with the statements the module writes when their switches are on.
data "aws_iam_policy_document" "combined" {
  count = local.create && local.module_statements ? 1 : 0

  source_policy_documents = concat(
    var.attach_deny_insecure_transport_policy ? [data.aws_iam_policy_document.deny_insecure_transport[0].json] : [],
    var.attach_require_latest_tls_policy ? [data.aws_iam_policy_document.require_latest_tls[0].json] : [],
    local.other_module_statements ? [var.other_module_statements] : [],
    var.attach_policy && var.policy != null ? [var.policy] : [],
  )
}

resource "aws_s3_bucket_policy" "this" {
  count = local.create && (var.attach_policy || local.module_statements) ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = local.module_statements ? data.aws_iam_policy_document.combined[0].json : var.policy
}

resource "aws_s3_bucket_versioning" "this" {
  count = local.create && length(keys(var.versioning)) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    # `enabled` (a bool, or "true"/"false") wins; else `status`.
    status = try(
      tobool(var.versioning["enabled"]) ? "Enabled" : "Suspended",
      tobool(var.versioning["status"]) ? "Enabled" : "Suspended",
      title(lower(var.versioning["status"])),
    )
  }
}

resource "aws_s3_bucket_logging" "this" {
  count = local.create && length(keys(var.logging)) > 0 ? 1 : 0

  bucket        = aws_s3_bucket.this[0].id
  target_bucket = var.logging["target_bucket"]
  target_prefix = try(var.logging["target_prefix"], null)
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = local.create && length(keys(var.server_side_encryption_configuration)) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  dynamic "rule" {
    for_each = try(flatten([var.server_side_encryption_configuration["rule"]]), [])

    content {
      bucket_key_enabled = try(rule.value.bucket_key_enabled, null)

      dynamic "apply_server_side_encryption_by_default" {
        for_each = try([rule.value.apply_server_side_encryption_by_default], [])

        content {
          sse_algorithm     = apply_server_side_encryption_by_default.value.sse_algorithm
          kms_master_key_id = try(apply_server_side_encryption_by_default.value.kms_master_key_id, null)
        }
      }
    }
  }
}

# The outputs callers most often hand on (to a load balancer's access_logs, a
# trail), so that what they name is known to be this bucket.
output "s3_bucket_id" {
  value = try(aws_s3_bucket.this[0].id, "")
}

output "s3_bucket_arn" {
  value = try(aws_s3_bucket.this[0].arn, "")
}
