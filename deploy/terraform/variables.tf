################################################################################
# Naming and the Organization
################################################################################

variable "name_prefix" {
  description = "Prefix of every named resource: the functions are <prefix>-list-accounts etc., the state machine, the roles and the schedule group are named after it."
  type        = string
  default     = "uptime-scheduler"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{0,37}$", var.name_prefix))
    error_message = "name_prefix must start with a letter, contain only letters, digits and hyphens, and be at most 38 characters (function names add up to 26)."
  }
}

variable "organization_id" {
  description = "The AWS Organizations id (o-...). The member role trusts the hub Lambda role only from principals of this Organization (aws:PrincipalOrgID)."
  type        = string

  validation {
    condition     = can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-abcd123456 (o- followed by 10 to 32 lowercase letters or digits)."
  }
}

variable "tags" {
  description = "Tags added to every resource the module creates that takes tags."
  type        = map(string)
  default     = {}
}

################################################################################
# Lambda functions
################################################################################

variable "lambda_zip_dir" {
  description = "Directory holding <function>/bootstrap.zip for every function, as `cargo lambda build --release --output-format zip` writes them (target/lambda in the repository)."
  type        = string

  validation {
    condition     = length(trimspace(var.lambda_zip_dir)) > 0
    error_message = "lambda_zip_dir must name the directory holding <function>/bootstrap.zip (for example \"../../target/lambda\")."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the zips: x86_64 (`cargo lambda build --release --output-format zip`) or arm64 (`cargo lambda build --release --arm64 --output-format zip`). It must match how the zips were built."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be \"x86_64\" or \"arm64\"."
  }
}

variable "lambda_memory_size" {
  description = "Memory of every function but summarize-run (summarize_run_memory_size) in MB. The functions are small Rust binaries; 128 MB is plenty."
  type        = number
  default     = 128

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240 && floor(var.lambda_memory_size) == var.lambda_memory_size
    error_message = "lambda_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "summarize_run_memory_size" {
  description = "Memory of summarize-run in MB. It folds the account Map's result file, which grows with the accounts: measured peak RSS 50 MB at 2,000 accounts x 20 regions, 83 MB at 5,000, 139 MB at 10,000 (debug build), past the 128 MB of the other functions; 512 leaves room for 30,000 and costs fractions of a cent (one or two invocations a run)."
  type        = number
  default     = 512

  validation {
    condition     = var.summarize_run_memory_size >= 128 && var.summarize_run_memory_size <= 10240 && floor(var.summarize_run_memory_size) == var.summarize_run_memory_size
    error_message = "summarize_run_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "lambda_timeouts" {
  description = "Timeout in seconds per function. The defaults stay below the state machine's TimeoutSeconds for the same task (ListAccounts 300, ScheduleAccount 230, SummarizeRun and SummarizeVerifiedRun 300, VerifyAccount 60), which keep an account's Express child execution within its 5 minutes. schedule-account keeps its regions' attempts within its own time budget (180 s, lambdas/schedule-account), which its default leaves room for. refresh-accounts is outside the state machine: Lambda's maximum, 900, by default."
  type = object({
    list_accounts    = optional(number, 280)
    schedule_account = optional(number, 220)
    summarize_run    = optional(number, 280)
    verify_starts    = optional(number, 50)
    refresh_accounts = optional(number, 900)
  })
  default = {}

  validation {
    condition     = alltrue([for t in values(var.lambda_timeouts) : t >= 3 && t <= 900 && floor(t) == t])
    error_message = "Every Lambda timeout must be a whole number of seconds from 3 to 900."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' and the state machine's CloudWatch log groups, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

################################################################################
# Scheduling behaviour (the functions' environment, docs/lambda-contracts.md)
################################################################################

variable "member_role_name" {
  description = "Name of the role in every member account that the functions assume (MEMBER_ROLE_NAME). The StackSet creates it under this name."
  type        = string
  default     = "UptimeSchedulerMember"

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.member_role_name))
    error_message = "member_role_name must be a valid IAM role name: 1 to 64 of letters, digits and +=,.@_-."
  }
}

variable "default_regions" {
  description = "Regions scheduled when neither the execution input nor the account's regions tag names any (DEFAULT_REGIONS). Empty: the hub's own region."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.default_regions : can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r))])
    error_message = "Every default region must be a region name such as eu-west-1."
  }

  validation {
    condition     = length(distinct(var.default_regions)) == length(var.default_regions)
    error_message = "default_regions must not repeat a region."
  }
}

variable "schedule_tag_key" {
  description = "Instance tag whose value names the instance's schedule (SCHEDULE_TAG_KEY). The member role may start/stop only instances carrying it."
  type        = string
  default     = "Schedule"

  validation {
    condition     = length(var.schedule_tag_key) >= 1 && length(var.schedule_tag_key) <= 128 && !startswith(lower(var.schedule_tag_key), "aws:")
    error_message = "schedule_tag_key must be a tag key of 1 to 128 characters that does not start with aws:."
  }
}

variable "opt_out_value" {
  description = "Value of the schedule tag that opts an instance out explicitly (OPT_OUT_VALUE). The member role may never start or stop such an instance."
  type        = string
  default     = "ignore"

  validation {
    condition     = length(var.opt_out_value) >= 1 && length(var.opt_out_value) <= 256
    error_message = "opt_out_value must be 1 to 256 characters."
  }
}

variable "hibernate_tag_key" {
  description = "Instance tag that asks for hibernation instead of a stop (HIBERNATE_TAG_KEY)."
  type        = string
  default     = "uptime-scheduler:hibernate"

  validation {
    condition     = length(var.hibernate_tag_key) >= 1 && length(var.hibernate_tag_key) <= 128 && !startswith(lower(var.hibernate_tag_key), "aws:")
    error_message = "hibernate_tag_key must be a tag key of 1 to 128 characters that does not start with aws:."
  }
}

variable "account_enabled_tag_key" {
  description = "Organizations account tag that opts an account in when its value is true (ACCOUNT_ENABLED_TAG_KEY)."
  type        = string
  default     = "uptime-scheduler:enabled"

  validation {
    condition     = length(var.account_enabled_tag_key) >= 1 && length(var.account_enabled_tag_key) <= 128 && !startswith(lower(var.account_enabled_tag_key), "aws:")
    error_message = "account_enabled_tag_key must be a tag key of 1 to 128 characters that does not start with aws:."
  }
}

variable "account_regions_tag_key" {
  description = "Organizations account tag listing the account's regions, comma-separated (ACCOUNT_REGIONS_TAG_KEY)."
  type        = string
  default     = "uptime-scheduler:regions"

  validation {
    condition     = length(var.account_regions_tag_key) >= 1 && length(var.account_regions_tag_key) <= 128 && !startswith(lower(var.account_regions_tag_key), "aws:")
    error_message = "account_regions_tag_key must be a tag key of 1 to 128 characters that does not start with aws:."
  }
}

variable "last_action_tag_key" {
  description = "Instance tag where reconcile mode records the last action it applied, e.g. stop@2026-11-25T19:00Z (LAST_ACTION_TAG_KEY). The only tag key the member role may write, and only on instances it may start or stop."
  type        = string
  default     = "uptime-scheduler:last-action"

  validation {
    condition     = length(var.last_action_tag_key) >= 1 && length(var.last_action_tag_key) <= 128 && !startswith(lower(var.last_action_tag_key), "aws:")
    error_message = "last_action_tag_key must be a tag key of 1 to 128 characters that does not start with aws:."
  }
}

variable "override_tag_key" {
  description = "Instance tag with a temporary override in reconcile mode, e.g. `running until 2026-11-25T23:00Z` (OVERRIDE_TAG_KEY). People set it; the scheduler only reads it."
  type        = string
  default     = "uptime-scheduler:override"

  validation {
    condition     = length(var.override_tag_key) >= 1 && length(var.override_tag_key) <= 128 && !startswith(lower(var.override_tag_key), "aws:")
    error_message = "override_tag_key must be a tag key of 1 to 128 characters that does not start with aws:."
  }
}

variable "catch_up_minutes" {
  description = "Reconcile mode: how long after a schedule's start or stop time a run still applies it, in minutes (CATCH_UP_MINUTES). Covers runs that were late or skipped; an edge older than this is left alone."
  type        = number
  default     = 60

  validation {
    condition     = var.catch_up_minutes >= 1 && var.catch_up_minutes <= 1440 && floor(var.catch_up_minutes) == var.catch_up_minutes
    error_message = "catch_up_minutes must be a whole number of minutes from 1 to 1440."
  }
}

variable "batch_size" {
  description = "Instances per StartInstances/StopInstances call (BATCH_SIZE): by default 1,000, EC2's instance-count token bucket for these calls per account and region (a larger call could never be granted) and CreateTags' documented maximum."
  type        = number
  default     = 1000

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 1000 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number from 1 to 1000."
  }
}

variable "lambda_concurrency_quota" {
  description = "The hub account's Lambda concurrent executions quota in the hub region (1,000 by default on AWS). The default account_concurrency is derived from it: half of it, at one schedule-account invocation per account (ADR 0014)."
  type        = number
  default     = 1000

  validation {
    condition     = var.lambda_concurrency_quota >= 10 && floor(var.lambda_concurrency_quota) == var.lambda_concurrency_quota
    error_message = "lambda_concurrency_quota must be a whole number of at least 10."
  }
}

variable "account_concurrency" {
  description = "Accounts the state machine schedules at once (the account and verification Maps; ACCOUNT_CONCURRENCY). Each account is one schedule-account invocation (its regions run inside it), so the peak Lambda concurrency is about this. null: lambda_concurrency_quota / 2 (500 at the default quota)."
  type        = number
  default     = null

  validation {
    condition     = var.account_concurrency == null || (try(var.account_concurrency >= 1 && var.account_concurrency <= 10000 && floor(var.account_concurrency) == var.account_concurrency, false))
    error_message = "account_concurrency must be a whole number from 1 to 10000 (a Distributed Map runs at most 10,000 children at once)."
  }
}

variable "tag_read_concurrency" {
  description = "Concurrent Organizations ListTagsForResource calls in list-accounts (TAG_READ_CONCURRENCY)."
  type        = number
  default     = 8

  validation {
    condition     = var.tag_read_concurrency >= 1 && var.tag_read_concurrency <= 64 && floor(var.tag_read_concurrency) == var.tag_read_concurrency
    error_message = "tag_read_concurrency must be a whole number from 1 to 64."
  }
}

################################################################################
# Account registry (ADR 0013)
################################################################################

variable "account_registry" {
  description = "Keep the account registry: the refresh-accounts function, on a schedule (registry_refresh_minutes) and on Organizations' events (hub in us-east-1 only), keeps account-registry/accounts.json in the results bucket, and list-accounts reads that one object instead of every account's tags (ACCOUNT_REGISTRY_BUCKET, OPT_IN_MAX_AGE_MINUTES, REGISTRY_TAG_READS). False: no refresh-accounts, no rules, and list-accounts reads Organizations on every run."
  type        = bool
  default     = true
}

variable "registry_refresh_minutes" {
  description = "Minutes between two scheduled refresh-accounts invocations (an EventBridge rule, rate(N minutes)). Each walks the Organization and reads up to registry_tag_reads accounts' tags."
  type        = number
  default     = 10

  validation {
    condition     = var.registry_refresh_minutes >= 1 && var.registry_refresh_minutes <= 1440 && floor(var.registry_refresh_minutes) == var.registry_refresh_minutes
    error_message = "registry_refresh_minutes must be a whole number of minutes from 1 to 1440."
  }
}

variable "opt_in_max_age_minutes" {
  description = "How old an account's tags in the registry may be, in minutes, for list-accounts to select the account (OPT_IN_MAX_AGE_MINUTES); an account read longer ago is reported failed, never scheduled on stale tags. Without Organizations' events (hub outside us-east-1) it is also how late a tag change may take effect."
  type        = number
  default     = 60

  validation {
    condition     = var.opt_in_max_age_minutes >= 5 && var.opt_in_max_age_minutes <= 10080 && floor(var.opt_in_max_age_minutes) == var.opt_in_max_age_minutes
    error_message = "opt_in_max_age_minutes must be a whole number of minutes from 5 to 10080 (a week)."
  }
}

variable "registry_tag_reads" {
  description = "Accounts whose tags one refresh-accounts invocation reads at most (REGISTRY_TAG_READS; Organizations' ListTagsForResource), never-read and oldest reads first, so an invocation stays within its timeout."
  type        = number
  default     = 3000

  validation {
    condition     = var.registry_tag_reads >= 1 && var.registry_tag_reads <= 100000 && floor(var.registry_tag_reads) == var.registry_tag_reads
    error_message = "registry_tag_reads must be a whole number from 1 to 100000."
  }
}

################################################################################
# Results bucket and state machine
################################################################################

variable "results_bucket_name" {
  description = "Name of the S3 bucket for the Distributed Map's results. Null: <name_prefix>-results-<account id>-<region>."
  type        = string
  default     = null

  validation {
    condition     = var.results_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.results_bucket_name))
    error_message = "results_bucket_name must be a valid S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)."
  }
}

variable "results_expiration_days" {
  description = "Days after which the run objects in the results bucket (map-runs/, account-lists/, verify-plans/, verify-runs/) are deleted. The account registry (account-registry/) never expires."
  type        = number
  default     = 14

  validation {
    condition     = var.results_expiration_days >= 1 && floor(var.results_expiration_days) == var.results_expiration_days
    error_message = "results_expiration_days must be a whole number of days, at least 1."
  }
}

variable "results_bucket_force_destroy" {
  description = "Let `terraform destroy` delete the results bucket even when it still holds run results."
  type        = bool
  default     = false
}

variable "state_machine_log_level" {
  description = "Step Functions execution log level: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.state_machine_log_level)
    error_message = "state_machine_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "state_machine_log_execution_data" {
  description = "Include states' input and output in the execution logs. They hold account ids and counts, never credentials."
  type        = bool
  default     = true
}

################################################################################
# Schedules
################################################################################

variable "schedules_document" {
  description = "The named schedules that instance schedule tags may refer to in reconcile mode: the schedules document (default_timezone, calendars, schedules), see docs/schedules.md and examples/schedules.json, for example jsondecode(file(\"schedules.json\")). Passed by the state machine to the region tasks. Empty: only inline schedule expressions in the tags work."
  type        = any
  default     = {}

  validation {
    condition     = can(keys(var.schedules_document))
    error_message = "schedules_document must be an object (the schedules document), e.g. jsondecode(file(\"schedules.json\"))."
  }

  validation {
    condition     = length(jsonencode(var.schedules_document)) <= 32768
    error_message = "schedules_document must be at most 32768 bytes as compact JSON: it travels inside state machine payloads (docs/schedules.md)."
  }
}

variable "schedules" {
  description = <<-EOT
    EventBridge Scheduler schedules that start the state machine, by schedule name. Each has
    `schedule_expression` (cron(...) or rate(...)), `timezone` (IANA, so daylight saving time is
    right), `input` (the execution input: action stop, start or reconcile, and optionally schedule,
    dry_run, accounts, exclude_accounts, organizational_units, regions; see
    statemachine/execution-input.schema.json), `enabled` and `description`. For per-instance
    schedules, one reconcile schedule every few minutes (rate(5 minutes)) is enough; the named
    schedules themselves are schedules_document.
  EOT
  type = map(object({
    schedule_expression = string
    timezone            = optional(string, "UTC")
    enabled             = optional(bool, true)
    description         = optional(string)
    input = object({
      action               = string
      schedule             = optional(string)
      dry_run              = optional(bool)
      accounts             = optional(list(string))
      exclude_accounts     = optional(list(string))
      organizational_units = optional(list(string))
      regions              = optional(list(string))
    })
  }))
  default = {}

  validation {
    condition     = alltrue([for name, s in var.schedules : can(regex("^[0-9A-Za-z_.-]{1,64}$", name))])
    error_message = "Schedule names must be 1 to 64 letters, digits, '-', '_' or '.'."
  }

  validation {
    condition = alltrue([for s in var.schedules :
      can(regex("^cron\\(\\S+( \\S+){5}\\)$", s.schedule_expression)) || can(regex("^rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)$", s.schedule_expression))
    ])
    error_message = "schedule_expression must be cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>), e.g. cron(0 19 ? * MON-FRI *), or rate(<n> <unit>)."
  }

  validation {
    condition     = alltrue([for s in var.schedules : can(regex("^(UTC|[A-Za-z]+(/[A-Za-z0-9_+-]+)+)$", s.timezone))])
    error_message = "timezone must be an IANA time zone name such as Europe/London or UTC."
  }

  validation {
    condition     = alltrue([for s in var.schedules : contains(["stop", "start", "reconcile"], s.input.action)])
    error_message = "input.action must be \"stop\", \"start\" or \"reconcile\"."
  }

  validation {
    condition = alltrue(flatten([for s in var.schedules : [
      for a in concat(coalesce(s.input.accounts, []), coalesce(s.input.exclude_accounts, [])) : can(regex("^[0-9]{12}$", a))
    ]]))
    error_message = "input.accounts and input.exclude_accounts must hold 12-digit account ids."
  }

  validation {
    condition = alltrue(flatten([for s in var.schedules : [
      for ou in coalesce(s.input.organizational_units, []) : can(regex("^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$", ou))
    ]]))
    error_message = "input.organizational_units must hold OU ids (ou-xxxx-xxxxxxxx) or root ids (r-xxxx)."
  }

  validation {
    condition = alltrue(flatten([for s in var.schedules : [
      for r in coalesce(s.input.regions, []) : can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", r))
    ]]))
    error_message = "input.regions must hold region names such as eu-west-1."
  }

  validation {
    condition     = alltrue([for s in var.schedules : s.input.schedule == null ? true : length(s.input.schedule) >= 1 && length(s.input.schedule) <= 256])
    error_message = "input.schedule must be 1 to 256 characters."
  }
}

################################################################################
# Alarm
################################################################################

variable "alarm_sns_topic_arn" {
  description = "SNS topic notified when an execution fails (and when it recovers). Null: the alarm has no actions."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN."
  }
}

################################################################################
# Run digest (docs/digest.md)
################################################################################

variable "digest" {
  description = "Publish one digest per run (what changed, where, what failed and why, with a link to the execution) as an EventBridge event on the account's default bus: source uptime-scheduler, detail-type \"Uptime Scheduler Run Digest\". Reconcile ticks that change and fail nothing send none. False: no event (DIGEST_EVENT_BUS=off)."
  type        = bool
  default     = true
}

variable "digest_sns_topic_arn" {
  description = "A standard SNS topic that also gets each run's digest (the hub Lambda role may then publish to it, and only to it). Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.digest_sns_topic_arn == null || can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.digest_sns_topic_arn))
    error_message = "digest_sns_topic_arn must be the ARN of a standard (not FIFO) SNS topic: arn:aws:sns:<region>:<account>:<name>."
  }
}

################################################################################
# Member-account role (service-managed CloudFormation StackSet)
################################################################################

variable "deploy_member_role" {
  description = "Create the member-account role in every account of member_ou_ids through a service-managed StackSet. The StackSet must be created from the management account or a CloudFormation delegated administrator (see stack_set_call_as)."
  type        = bool
  default     = true
}

variable "member_ou_ids" {
  description = "Organizational units (or the root, r-...) whose accounts get the member role; accounts that join them later get it too (auto-deployment)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for ou in var.member_ou_ids : can(regex("^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$", ou))])
    error_message = "member_ou_ids must hold OU ids (ou-xxxx-xxxxxxxx) or root ids (r-xxxx)."
  }
}

variable "stack_set_call_as" {
  description = "SELF when the hub is the management account, DELEGATED_ADMIN when it is a CloudFormation StackSets delegated administrator."
  type        = string
  default     = "SELF"

  validation {
    condition     = contains(["SELF", "DELEGATED_ADMIN"], var.stack_set_call_as)
    error_message = "stack_set_call_as must be SELF or DELEGATED_ADMIN."
  }
}

variable "member_stack_region" {
  description = "The one region in which the StackSet creates its stack in each member account (IAM is global: one stack per account). Null: the provider's region."
  type        = string
  default     = null

  validation {
    condition     = var.member_stack_region == null || can(regex("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$", var.member_stack_region))
    error_message = "member_stack_region must be a region name such as eu-west-1."
  }
}

variable "kms_key_arns" {
  description = "Customer managed KMS keys that encrypt scheduled instances' EBS volumes: the member role may create grants on them for EC2 (kms:GrantIsForAWSResource), without which such an instance falls back to stopped when started. [\"*\"] means any key, by explicit choice. Empty: no KMS permission."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.kms_key_arns : k == "*" || can(regex("^arn:aws[a-zA-Z-]*:kms:([a-z0-9-]+|\\*):([0-9]{12}|\\*):key/.+$", k))])
    error_message = "kms_key_arns must hold KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>, wildcards allowed) or the single value \"*\"."
  }

  validation {
    condition     = !contains(var.kms_key_arns, "*") || length(var.kms_key_arns) == 1
    error_message = "\"*\" (any key) must be the only entry of kms_key_arns."
  }
}

variable "stack_set_failure_tolerance_percentage" {
  description = "Percentage of accounts per region in which the StackSet operation may fail without stopping."
  type        = number
  default     = 10

  validation {
    condition     = var.stack_set_failure_tolerance_percentage >= 0 && var.stack_set_failure_tolerance_percentage <= 100
    error_message = "stack_set_failure_tolerance_percentage must be from 0 to 100."
  }
}

variable "stack_set_max_concurrent_percentage" {
  description = "Percentage of accounts per region the StackSet deploys to at once."
  type        = number
  default     = 25

  validation {
    condition     = var.stack_set_max_concurrent_percentage >= 1 && var.stack_set_max_concurrent_percentage <= 100
    error_message = "stack_set_max_concurrent_percentage must be from 1 to 100."
  }
}

variable "deploy_member_role_here" {
  description = "Also create the member role in the account Terraform runs in, as a plain CloudFormation stack. Use it when the hub is the management account and its own instances are to be scheduled: a service-managed StackSet never deploys to the management account."
  type        = bool
  default     = false
}

variable "dashboard" {
  description = "Create the CloudWatch dashboard and the saved Logs Insights queries (dashboard.tf)."
  type        = bool
  default     = true
}

variable "saved_queries" {
  description = "Save the Logs Insights queries an operator asks first (dashboard.tf): why an instance was not stopped or started, every failure in an account."
  type        = bool
  default     = true
}
