data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # The repository's own files: the module is used from a checkout (or a git source with
  # //deploy/terraform), so the definition and the policies are the ones the tests check.
  repo_root       = "${path.module}/../.."
  definition_file = "${local.repo_root}/statemachine/uptime-scheduler.asl.json"
  iam_dir         = "${local.repo_root}/iam"
  member_template = "${path.module}/../member-role.cfn.yaml"

  state_machine_name = var.name_prefix

  # Role names; the Lambda role's ARN is spelled out because its own trust policy may name it.
  hub_lambda_role_name    = "${var.name_prefix}-hub-lambda"
  state_machine_role_name = "${var.name_prefix}-state-machine"
  scheduler_role_name     = "${var.name_prefix}-scheduler"
  hub_lambda_role_arn     = "arn:${local.partition}:iam::${local.account_id}:role/${local.hub_lambda_role_name}"
  results_bucket          = coalesce(var.results_bucket_name, "${var.name_prefix}-results-${local.account_id}-${local.region}")
  member_stack_region     = coalesce(var.member_stack_region, local.region)

  # The state machine's functions: their names in the repository (lambdas/<name>,
  # target/lambda/<name>/bootstrap.zip), timeouts and descriptions. Only these are the
  # definition's ${<name>_arn} and what the state machine role may invoke.
  state_machine_functions = {
    "list-accounts"    = { timeout = var.lambda_timeouts.list_accounts, description = "Validates the execution input and lists the opted-in accounts of the Organization." }
    "schedule-account" = { timeout = var.lambda_timeouts.schedule_account, description = "Assumes the member role in one account and schedules its regions at once, each region on its own." }
    "summarize-run"    = { timeout = var.lambda_timeouts.summarize_run, description = "Folds the account reports into the run summary and its metrics, and publishes the run digest." }
    "verify-starts"    = { timeout = var.lambda_timeouts.verify_starts, description = "Plans a start run's verification and checks that the instances it started reached running." }
  }

  # The account registry's function (ADR 0013), outside the state machine: EventBridge invokes
  # it (registry.tf). Without the registry list-accounts reads Organizations itself, so the
  # function would have nothing to keep and is not deployed.
  registry_functions = var.account_registry ? {
    "refresh-accounts" = { timeout = var.lambda_timeouts.refresh_accounts, description = "Keeps the account registry: walks the Organization and reads the accounts' opt-in tags, on a schedule and on Organizations' events." }
  } : {}

  # Every function the module deploys, all with the hub Lambda role.
  functions = merge(local.state_machine_functions, local.registry_functions)

  # Accounts at once in the account and verification Maps (ADR 0012): by default half of the
  # Lambda concurrency quota, at one schedule-account invocation per account (ADR 0014).
  account_concurrency = coalesce(var.account_concurrency, max(1, floor(var.lambda_concurrency_quota / 2)))

  # One configuration for every function (docs/lambda-contracts.md); each reads what it needs.
  function_environment = merge(
    {
      MEMBER_ROLE_NAME        = var.member_role_name
      SCHEDULE_TAG_KEY        = var.schedule_tag_key
      OPT_OUT_VALUE           = var.opt_out_value
      HIBERNATE_TAG_KEY       = var.hibernate_tag_key
      ACCOUNT_ENABLED_TAG_KEY = var.account_enabled_tag_key
      ACCOUNT_REGIONS_TAG_KEY = var.account_regions_tag_key
      LAST_ACTION_TAG_KEY     = var.last_action_tag_key
      OVERRIDE_TAG_KEY        = var.override_tag_key
      BATCH_SIZE              = tostring(var.batch_size)
      TAG_READ_CONCURRENCY    = tostring(var.tag_read_concurrency)
      ACCOUNT_CONCURRENCY     = tostring(local.account_concurrency)
      CATCH_UP_MINUTES        = tostring(var.catch_up_minutes)
    },
    length(var.default_regions) > 0 ? { DEFAULT_REGIONS = join(",", var.default_regions) } : {},
    # The account registry (ADR 0013): where refresh-accounts keeps it and list-accounts reads
    # it instead of Organizations. Unset without the registry, so list-accounts reads the tags
    # itself as before.
    var.account_registry ? {
      ACCOUNT_REGISTRY_BUCKET = local.results_bucket
      OPT_IN_MAX_AGE_MINUTES  = tostring(var.opt_in_max_age_minutes)
      REGISTRY_TAG_READS      = tostring(var.registry_tag_reads)
    } : {},
  )

  # summarize-run's own settings: where the run digest goes (docs/digest.md).
  digest_environment = merge(
    { DIGEST_EVENT_BUS = var.digest ? "default" : "off" },
    var.digest_sns_topic_arn == null ? {} : { DIGEST_SNS_TOPIC_ARN = var.digest_sns_topic_arn },
  )

  # What the definition's ${...} placeholders become.
  definition_variables = merge(
    { for name in keys(local.state_machine_functions) : "${replace(name, "-", "_")}_arn" => aws_lambda_function.this[name].arn },
    {
      results_bucket = aws_s3_bucket.results.bucket
      # The document as the body of a JSON string ("deployed_schedules": "${...}"): encoded
      # twice, the outer quotes trimmed, so the definition stays valid JSON whatever it holds.
      schedules_document = trimsuffix(trimprefix(jsonencode(jsonencode(var.schedules_document)), "\""), "\"")
    },
  )

  # What the policy documents in iam/ may name.
  iam_variables = {
    partition            = local.partition
    region               = local.region
    account_id           = local.account_id
    organization_id      = var.organization_id
    function_name_prefix = var.name_prefix
    state_machine_name   = local.state_machine_name
    results_bucket       = local.results_bucket
    member_role_name     = var.member_role_name
    hub_lambda_role_arn  = local.hub_lambda_role_arn
    schedule_tag_key     = var.schedule_tag_key
    opt_out_value        = var.opt_out_value
    last_action_tag_key  = var.last_action_tag_key
    kms_key_arns         = jsonencode(var.kms_key_arns)
    # Named only by hub-digest-sns.policy.json, which is rendered only when it is set.
    digest_sns_topic_arn = var.digest_sns_topic_arn == null ? "" : var.digest_sns_topic_arn
  }
}
