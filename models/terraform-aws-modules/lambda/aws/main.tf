# Model of terraform-aws-modules/lambda/aws 3.x-8.x (Palisade's own summary,
# not the module's code). model_permission_reads_org_id is declared from
# model.toml: false before 4.16.0, true since.

variable "create" {
  type    = bool
  default = true
}

variable "putin_khuylo" {
  type    = bool
  default = true
}

variable "create_function" {
  type    = bool
  default = true
}

# A layer instead of a function (no function, log group or permissions).
variable "create_layer" {
  type    = bool
  default = false
}

variable "function_name" {
  type    = string
  default = ""
}

# Without a key of the caller's, Lambda encrypts the environment with the
# AWS managed key.
variable "kms_key_arn" {
  type    = string
  default = null
}

# An environment block only when some variable is given.
variable "environment_variables" {
  type    = map(string)
  default = {}
}

variable "dead_letter_target_arn" {
  type    = string
  default = null
}

# null: no tracing_config block (Lambda's own default, PassThrough).
variable "tracing_mode" {
  type    = string
  default = null
}

# The execution role: created by the module unless create_role is false,
# in which case lambda_role (an ARN) is used.
variable "create_role" {
  type    = bool
  default = true
}

variable "lambda_role" {
  type    = string
  default = ""
}

# Lambda@Edge: the role the module creates also trusts
# edgelambda.amazonaws.com.
variable "lambda_at_edge" {
  type    = bool
  default = false
}

# More principals the role trusts: service names, or objects with `type`
# and `identifiers`.
variable "trusted_entities" {
  type    = any
  default = []
}

# More statements for the role's trust policy.
variable "assume_role_policy_statements" {
  type    = any
  default = {}
}

# The log group the module creates, unless told to use an existing one.
variable "use_existing_cloudwatch_log_group" {
  type    = bool
  default = false
}

# null: the group keeps its events forever.
variable "cloudwatch_logs_retention_in_days" {
  type    = number
  default = null
}

variable "cloudwatch_logs_kms_key_id" {
  type    = string
  default = null
}

# The asynchronous invocation configuration (for the current version and the
# unqualified alias), only with create_async_event_config.
variable "create_async_event_config" {
  type    = bool
  default = false
}

variable "create_current_version_async_event_config" {
  type    = bool
  default = true
}

variable "create_unqualified_alias_async_event_config" {
  type    = bool
  default = true
}

variable "destination_on_failure" {
  type    = string
  default = null
}

# One permission per trigger, for the current version and for the
# unqualified alias (each can be turned off).
variable "allowed_triggers" {
  type    = any
  default = {}
}

variable "create_current_version_allowed_triggers" {
  type    = bool
  default = true
}

variable "create_unqualified_alias_allowed_triggers" {
  type    = bool
  default = true
}

# A value the model cannot know: a role trust it does not describe, the
# role of a Lambda@Edge function the caller supplies.
variable "model_unknown" {
  type = any
}

locals {
  create          = var.create && var.putin_khuylo
  create_function = local.create && var.create_function && !var.create_layer
  create_role     = local.create_function && var.create_role

  # The services the role trusts: Lambda, Lambda@Edge when asked, and the
  # caller's service names.
  trusted_services = distinct(compact(concat(
    var.lambda_at_edge ? ["lambda.amazonaws.com", "edgelambda.amazonaws.com"] : ["lambda.amazonaws.com"],
    [for entity in var.trusted_entities : try(tostring(entity), "")]
  )))
  # Other principals or statements: the trust policy is not modelled.
  trust_described = length(var.assume_role_policy_statements) == 0 && length([for entity in var.trusted_entities : entity if !can(tostring(entity))]) == 0

  async_qualifiers = {
    for k, v in {
      current_version   = var.create_current_version_async_event_config
      unqualified_alias = var.create_unqualified_alias_async_event_config
    } : k => v if v && local.create_function && var.create_async_event_config
  }
}

resource "aws_lambda_function" "this" {
  count = local.create_function ? 1 : 0

  function_name = var.function_name
  # With lambda_at_edge and a role of the caller's, the role is left
  # unknown: the policies tell Lambda@Edge by its role's trust or by a
  # distribution that uses it, and the model can vouch for neither.
  role        = var.create_role ? aws_iam_role.lambda[0].arn : (var.lambda_at_edge ? var.model_unknown : var.lambda_role)
  kms_key_arn = var.kms_key_arn

  dynamic "environment" {
    for_each = length(keys(var.environment_variables)) == 0 ? [] : [true]
    content {
      variables = var.environment_variables
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [true]
    content {
      target_arn = var.dead_letter_target_arn
    }
  }

  dynamic "tracing_config" {
    for_each = var.tracing_mode == null ? [] : [true]
    content {
      mode = var.tracing_mode
    }
  }
}

# The execution role and its trust policy. The policies the module attaches
# to it (its own for logs, and on request for dead letters, VPC access,
# tracing and asynchronous destinations; the caller's policy_json,
# policy_jsons, policy_statements, policy and policies) are not modelled:
# the role is seen with none.
resource "aws_iam_role" "lambda" {
  count = local.create_role ? 1 : 0

  assume_role_policy = local.trust_described ? jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = local.trusted_services }
    }]
  }) : var.model_unknown
}

resource "aws_cloudwatch_log_group" "lambda" {
  count = local.create_function && !var.use_existing_cloudwatch_log_group ? 1 : 0

  name              = "/aws/lambda/${var.lambda_at_edge ? "us-east-1." : ""}${var.function_name}"
  retention_in_days = var.cloudwatch_logs_retention_in_days
  kms_key_id        = var.cloudwatch_logs_kms_key_id
}

resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = local.async_qualifiers

  function_name = aws_lambda_function.this[0].function_name

  dynamic "destination_config" {
    for_each = var.destination_on_failure != null ? [true] : []
    content {
      on_failure {
        destination = var.destination_on_failure
      }
    }
  }
}

resource "aws_lambda_permission" "current_version_triggers" {
  for_each = local.create_function && var.create_current_version_allowed_triggers ? var.allowed_triggers : {}

  function_name    = aws_lambda_function.this[0].function_name
  action           = try(each.value.action, "lambda:InvokeFunction")
  principal        = try(each.value.principal, format("%s.amazonaws.com", try(each.value.service, "")))
  source_arn       = try(each.value.source_arn, null)
  source_account   = try(each.value.source_account, null)
  principal_org_id = var.model_permission_reads_org_id ? try(each.value.principal_org_id, null) : null
}

resource "aws_lambda_permission" "unqualified_alias_triggers" {
  for_each = local.create_function && var.create_unqualified_alias_allowed_triggers ? var.allowed_triggers : {}

  function_name    = aws_lambda_function.this[0].function_name
  action           = try(each.value.action, "lambda:InvokeFunction")
  principal        = try(each.value.principal, format("%s.amazonaws.com", try(each.value.service, "")))
  source_arn       = try(each.value.source_arn, null)
  source_account   = try(each.value.source_account, null)
  principal_org_id = var.model_permission_reads_org_id ? try(each.value.principal_org_id, null) : null
}
