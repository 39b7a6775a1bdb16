# The account registry (ADR 0013): refresh-accounts keeps account-registry/accounts.json in the
# results bucket, and list-accounts reads that one object instead of calling Organizations once
# per account. Two EventBridge rules invoke the function: a schedule, which bounds how old the
# registry gets, and Organizations' own events, which bring a tag change or a moved, joined or
# closed account in within seconds.
#
# Organizations is a global service whose CloudTrail events EventBridge delivers only in
# us-east-1, so that rule exists only when the hub is there. Elsewhere the schedule alone keeps
# the registry, unless the deployer forwards those events from us-east-1 to the hub region's
# default bus (deploy/README.md shows how).

locals {
  # The object list-accounts reads (uptime_model::registry::REGISTRY_KEY); the hub role may read
  # and write account-registry/* (iam/hub-lambda.policy.json).
  registry_key = "account-registry/accounts.json"

  registry_events_rule = var.account_registry && local.region == "us-east-1"

  # Schedule expressions spell one unit in the singular: "rate(1 minutes)" is refused.
  registry_refresh_rate = var.registry_refresh_minutes == 1 ? "rate(1 minute)" : "rate(${var.registry_refresh_minutes} minutes)"

  # The Organizations calls that change what the registry holds: an account's tags, where it
  # sits, whether it is in the Organization, whether it is open. CreateAccountResult is the
  # service event that ends a CreateAccount; the others are CloudTrail records of API calls.
  organizations_event_names = [
    "TagResource",
    "UntagResource",
    "CreateAccountResult",
    "AcceptHandshake",
    "MoveAccount",
    "RemoveAccountFromOrganization",
    "LeaveOrganization",
    "CloseAccount",
  ]
}

resource "aws_cloudwatch_event_rule" "registry_refresh" {
  count = var.account_registry ? 1 : 0

  name                = "${var.name_prefix}-refresh-accounts"
  description         = "Refreshes the Uptime Scheduler account registry every ${var.registry_refresh_minutes} minute(s)."
  schedule_expression = local.registry_refresh_rate
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "registry_refresh" {
  count = var.account_registry ? 1 : 0

  rule = aws_cloudwatch_event_rule.registry_refresh[0].name
  arn  = aws_lambda_function.this["refresh-accounts"].arn
}

# The function's resource policy: EventBridge may invoke it for this rule only (source_arn), not
# for a rule another principal of the account creates.
resource "aws_lambda_permission" "registry_refresh" {
  count = var.account_registry ? 1 : 0

  statement_id  = "RefreshOnSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["refresh-accounts"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.registry_refresh[0].arn
}

resource "aws_cloudwatch_event_rule" "organizations_events" {
  count = local.registry_events_rule ? 1 : 0

  name        = "${var.name_prefix}-organizations-events"
  description = "Brings Organizations' account and tag changes into the Uptime Scheduler account registry."
  event_pattern = jsonencode({
    source      = ["aws.organizations"]
    detail-type = ["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"]
    detail = {
      eventSource = ["organizations.amazonaws.com"]
      eventName   = local.organizations_event_names
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "organizations_events" {
  count = local.registry_events_rule ? 1 : 0

  rule = aws_cloudwatch_event_rule.organizations_events[0].name
  arn  = aws_lambda_function.this["refresh-accounts"].arn
}

resource "aws_lambda_permission" "organizations_events" {
  count = local.registry_events_rule ? 1 : 0

  statement_id  = "RefreshOnOrganizationsEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["refresh-accounts"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.organizations_events[0].arn
}
