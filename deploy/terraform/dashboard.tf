# The operations dashboard (runs and their outcome, instances changed and failed, failures by
# reason, the accounts with failures, skips that need attention) and the saved Logs Insights
# queries an operator asks first. The body is dashboard.json.tftpl; its test validates it
# against the documented dashboard body structure (tests/schemas/).

locals {
  schedule_account_log_group = aws_cloudwatch_log_group.function["schedule-account"].name
  summarize_run_log_group    = aws_cloudwatch_log_group.function["summarize-run"].name
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.dashboard ? 1 : 0

  dashboard_name = var.name_prefix
  dashboard_body = templatefile("${path.module}/dashboard.json.tftpl", {
    state_machine_name         = local.state_machine_name
    state_machine_arn          = aws_sfn_state_machine.this.arn
    region                     = local.region
    schedule_account_log_group = local.schedule_account_log_group
    summarize_run_log_group    = local.summarize_run_log_group
  })
}

resource "aws_cloudwatch_query_definition" "why_not_changed" {
  count = var.saved_queries ? 1 : 0

  name            = "${var.name_prefix}/why-was-an-instance-not-stopped-or-started"
  log_group_names = [local.schedule_account_log_group]
  query_string    = <<-EOT
    fields @timestamp, span.execution, span.account, span.region, message, outcome, reason, note, detail, quiet
    | filter instance = "i-0123456789abcdef0" or quiet like "i-0123456789abcdef0"
    | sort @timestamp desc
    | limit 20
  EOT
}

resource "aws_cloudwatch_query_definition" "failures_in_account" {
  count = var.saved_queries ? 1 : 0

  name            = "${var.name_prefix}/every-failure-in-an-account"
  log_group_names = [local.schedule_account_log_group, local.summarize_run_log_group]
  query_string    = <<-EOT
    fields @timestamp, span.execution, coalesce(span.account, account) as acct, coalesce(span.region, region) as in_region, instance, error, reason, detail
    | filter (message = "decision" and outcome = "failed" and span.account = "111111111111") or (message = "failure" and account = "111111111111")
    | sort @timestamp desc
    | limit 200
  EOT
}
