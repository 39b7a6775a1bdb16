provider "aws" {
  region = var.region
}

module "uptime_scheduler" {
  source = "../.."

  name_prefix     = "uptime-scheduler"
  organization_id = var.organization_id

  lambda_zip_dir      = var.lambda_zip_dir
  lambda_architecture = "x86_64"
  lambda_memory_size  = 128
  log_retention_days  = 30

  member_role_name = "UptimeSchedulerMember"
  member_ou_ids    = var.member_ou_ids
  default_regions  = ["eu-west-1", "eu-central-1"]
  kms_key_arns     = []

  schedule_tag_key        = "Schedule"
  opt_out_value           = "ignore"
  account_enabled_tag_key = "uptime-scheduler:enabled"
  account_regions_tag_key = "uptime-scheduler:regions"
  last_action_tag_key     = "uptime-scheduler:last-action"
  override_tag_key        = "uptime-scheduler:override"

  # Reconcile mode: each instance follows the schedule its Schedule tag names (or spells out
  # inline). The named schedules are the repository's example document (docs/schedules.md).
  schedules_document = jsondecode(file("${path.module}/../../../../examples/schedules.json"))
  catch_up_minutes   = 60

  schedules = {
    office-hours-stop = {
      description         = "Stop office-hours instances at 19:00 on weekdays, London time."
      schedule_expression = "cron(0 19 ? * MON-FRI *)"
      timezone            = "Europe/London"
      input               = { action = "stop", schedule = "office-hours" }
    }
    office-hours-start = {
      description         = "Start office-hours instances at 07:00 on weekdays, London time."
      schedule_expression = "cron(0 7 ? * MON-FRI *)"
      timezone            = "Europe/London"
      input               = { action = "start", schedule = "office-hours" }
    }
    reconcile = {
      description         = "Every instance by its own schedule, every 5 minutes (a start or stop happens within 5 minutes of its time)."
      schedule_expression = "rate(5 minutes)"
      input               = { action = "reconcile" }
    }
    weekend-check = {
      description         = "A dry run of the weekday stop on Saturday morning, disabled until wanted."
      schedule_expression = "cron(0 9 ? * SAT *)"
      timezone            = "Europe/London"
      enabled             = false
      input               = { action = "stop", schedule = "office-hours", dry_run = true }
    }
  }

  alarm_sns_topic_arn = var.alarm_sns_topic_arn

  tags = {
    Project = "uptime-scheduler"
  }
}
