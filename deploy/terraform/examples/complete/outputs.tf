output "state_machine_arn" {
  description = "ARN of the state machine."
  value       = module.uptime_scheduler.state_machine_arn
}

output "hub_lambda_role_arn" {
  description = "ARN of the functions' role (trusted by the member role)."
  value       = module.uptime_scheduler.hub_lambda_role_arn
}

output "schedule_arns" {
  description = "The schedules, by name."
  value       = module.uptime_scheduler.schedule_arns
}

output "results_bucket" {
  description = "The Distributed Map's results bucket."
  value       = module.uptime_scheduler.results_bucket
}
