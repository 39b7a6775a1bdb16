# The member-account role (deploy/member-role.cfn.yaml) in every account of member_ou_ids, by a
# service-managed StackSet that also deploys to accounts joining those OUs later. IAM is global,
# so each account gets one stack, in member_stack_region.
#
# A service-managed StackSet never deploys to the management account. When the hub itself is
# the management account and its instances are to be scheduled too, deploy_member_role_here
# creates the same stack in it; otherwise deploy the template there by hand (see README.md).

locals {
  member_stack_parameters = {
    HubLambdaRoleArn = aws_iam_role.hub_lambda.arn
    OrganizationId   = var.organization_id
    MemberRoleName   = var.member_role_name
    ScheduleTagKey   = var.schedule_tag_key
    OptOutValue      = var.opt_out_value
    LastActionTagKey = var.last_action_tag_key
    KmsKeyArns       = join(",", var.kms_key_arns)
  }
}

resource "aws_cloudformation_stack_set" "member_role" {
  count = var.deploy_member_role ? 1 : 0

  name             = "${var.name_prefix}-member-role"
  description      = "Uptime Scheduler member-account role (${var.member_role_name}), trusted by ${local.hub_lambda_role_arn}."
  permission_model = "SERVICE_MANAGED"
  call_as          = var.stack_set_call_as
  capabilities     = ["CAPABILITY_NAMED_IAM"]
  template_body    = file(local.member_template)
  parameters       = local.member_stack_parameters

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }

  managed_execution {
    active = true
  }

  operation_preferences {
    failure_tolerance_percentage = var.stack_set_failure_tolerance_percentage
    max_concurrent_percentage    = var.stack_set_max_concurrent_percentage
    region_concurrency_type      = "PARALLEL"
  }

  tags = var.tags

  lifecycle {
    # AWS fills this in for service-managed StackSets; without this every plan shows a change.
    ignore_changes = [administration_role_arn]
  }
}

resource "aws_cloudformation_stack_set_instance" "member_role" {
  count = var.deploy_member_role ? 1 : 0

  stack_set_name = aws_cloudformation_stack_set.member_role[0].name
  call_as        = var.stack_set_call_as
  region         = local.member_stack_region
  retain_stack   = false

  deployment_targets {
    organizational_unit_ids = var.member_ou_ids
  }

  operation_preferences {
    failure_tolerance_percentage = var.stack_set_failure_tolerance_percentage
    max_concurrent_percentage    = var.stack_set_max_concurrent_percentage
    region_concurrency_type      = "PARALLEL"
  }

  lifecycle {
    precondition {
      condition     = length(var.member_ou_ids) > 0
      error_message = "deploy_member_role needs member_ou_ids: the OUs (or the root r-...) whose accounts get the member role."
    }
  }
}

resource "aws_cloudformation_stack" "member_role_here" {
  count = var.deploy_member_role_here ? 1 : 0

  name          = "${var.name_prefix}-member-role"
  capabilities  = ["CAPABILITY_NAMED_IAM"]
  template_body = file(local.member_template)
  parameters    = local.member_stack_parameters
  tags          = var.tags
}
