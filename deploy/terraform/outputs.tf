output "state_machine_arn" {
  description = "ARN of the state machine (start manual runs with aws stepfunctions start-execution)."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the state machine."
  value       = aws_sfn_state_machine.this.name
}

output "function_arns" {
  description = "ARN of each function, by function name (list-accounts, schedule-account, summarize-run, verify-starts, and refresh-accounts with the account registry)."
  value       = { for name, fn in aws_lambda_function.this : name => fn.arn }
}

output "function_log_group_names" {
  description = "CloudWatch log group of each function, by function name (schedule-account: a JSON line per change, failure or skip that needs attention, one per region naming the rest)."
  value       = { for name, lg in aws_cloudwatch_log_group.function : name => lg.name }
}

output "state_machine_log_group_name" {
  description = "CloudWatch log group of the state machine's execution logs."
  value       = aws_cloudwatch_log_group.state_machine.name
}

output "hub_lambda_role_arn" {
  description = "ARN of the functions' role: the principal the member role trusts."
  value       = aws_iam_role.hub_lambda.arn
}

output "state_machine_role_arn" {
  description = "ARN of the state machine's role."
  value       = aws_iam_role.state_machine.arn
}

output "scheduler_role_arn" {
  description = "ARN of the role EventBridge Scheduler uses to start executions."
  value       = aws_iam_role.scheduler.arn
}

output "results_bucket" {
  description = "Name of the bucket the Distributed Map writes its results to (under map-runs/)."
  value       = aws_s3_bucket.results.bucket
}

output "account_registry" {
  description = "The account registry (ADR 0013): its bucket and key, the function that keeps it, and whether Organizations' events invoke it (only with the hub in us-east-1). Null when account_registry is false."
  value = var.account_registry ? {
    bucket                    = aws_s3_bucket.results.bucket
    key                       = local.registry_key
    refresh_function          = aws_lambda_function.this["refresh-accounts"].function_name
    organizations_events_rule = local.registry_events_rule
  } : null
}

output "schedule_arns" {
  description = "ARN of each EventBridge Scheduler schedule, by schedule name."
  value       = { for name, s in aws_scheduler_schedule.this : name => s.arn }
}

output "schedule_group_name" {
  description = "Name of the schedule group holding the schedules (null without schedules)."
  value       = one(aws_scheduler_schedule_group.this[*].name)
}

output "alarm_arn" {
  description = "ARN of the CloudWatch alarm on failed executions."
  value       = aws_cloudwatch_metric_alarm.executions_failed.arn
}

output "member_role_name" {
  description = "Name of the role the functions assume in every member account."
  value       = var.member_role_name
}

output "member_role_stack_set_name" {
  description = "Name of the StackSet that creates the member role (null when deploy_member_role is false)."
  value       = one(aws_cloudformation_stack_set.member_role[*].name)
}

output "dashboard_name" {
  description = "The CloudWatch dashboard (null when `dashboard` is false)."
  value       = var.dashboard ? aws_cloudwatch_dashboard.this[0].dashboard_name : null
}
