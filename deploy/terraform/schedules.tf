# EventBridge Scheduler schedules (cron or rate, in an IANA time zone) that start the state
# machine with a fixed execution input.

resource "aws_scheduler_schedule_group" "this" {
  count = length(var.schedules) > 0 ? 1 : 0

  name = var.name_prefix
  tags = var.tags
}

resource "aws_scheduler_schedule" "this" {
  for_each = var.schedules

  #checkov:skip=CKV_AWS_297:The schedules' only payload is the execution input (an action and filters), no secrets; EventBridge Scheduler encrypts it with an AWS owned key.
  name                         = each.key
  group_name                   = aws_scheduler_schedule_group.this[0].name
  description                  = each.value.description
  schedule_expression          = each.value.schedule_expression
  schedule_expression_timezone = each.value.timezone
  state                        = each.value.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.this.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ for k, v in each.value.input : k => v if v != null })

    retry_policy {
      maximum_event_age_in_seconds = 900
      maximum_retry_attempts       = 5
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}
