# The functions, from the zips `cargo lambda build --release --output-format zip` writes to
# target/lambda/<function>/bootstrap.zip (add --arm64 for lambda_architecture = "arm64").

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_158:Encrypted by CloudWatch Logs with AWS-owned keys; the logs hold instance ids and decisions, no secrets, and a customer managed key would need a key policy outside this module.
  #checkov:skip=CKV_AWS_338:Operational logs of a scheduler; retention is the log_retention_days variable (default 30 days), not a compliance archive.
  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_50:X-Ray tracing is not enabled: the hub Lambda role (iam/hub-lambda.policy.json) grants no xray:PutTraceSegments, and the state machine's execution history already traces every invocation.
  #checkov:skip=CKV_AWS_115:No reserved concurrency: the account Map's MaxConcurrency (account_concurrency, one schedule-account invocation per account) bounds the fan-out, and reserving concurrency would fail in accounts with a low concurrency quota.
  #checkov:skip=CKV_AWS_116:No dead-letter queue: Step Functions invokes the functions synchronously and retries and catches their errors; a DLQ applies only to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:Not in a VPC: the functions call only AWS APIs (Organizations, STS, EC2, S3) and need no private network; a VPC would need NAT or endpoints in every region.
  #checkov:skip=CKV_AWS_173:The environment holds only tag keys, a role name, regions and numbers, no secrets; Lambda encrypts it at rest with an AWS managed key.
  #checkov:skip=CKV_AWS_272:The zips come from the user's own `cargo lambda build`; code signing needs a Signer profile the user owns and can add.
  function_name    = "${var.name_prefix}-${each.key}"
  description      = each.value.description
  role             = aws_iam_role.hub_lambda.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.lambda_architecture]
  memory_size      = each.key == "summarize-run" ? var.summarize_run_memory_size : var.lambda_memory_size
  timeout          = each.value.timeout
  filename         = "${var.lambda_zip_dir}/${each.key}/bootstrap.zip"
  source_code_hash = filebase64sha256("${var.lambda_zip_dir}/${each.key}/bootstrap.zip")

  environment {
    variables = each.key == "summarize-run" ? merge(local.function_environment, local.digest_environment) : local.function_environment
  }

  # One JSON object per log line (the decision lines' fields are queried by Logs Insights);
  # the functions' tracing subscriber follows the format Lambda announces.
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  tags = var.tags

  # The log group (named as Lambda names it) exists before the function first logs, so Lambda
  # never creates one without retention.
  depends_on = [aws_iam_role_policy.hub_lambda, aws_iam_role_policy.hub_digest_sns, aws_cloudwatch_log_group.function]

  lifecycle {
    # A precondition, not a variable validation: validations may refer to other variables only
    # from Terraform 1.9, and the module supports 1.5.
    precondition {
      condition     = !contains([var.schedule_tag_key, var.override_tag_key], var.last_action_tag_key)
      error_message = "last_action_tag_key must differ from schedule_tag_key and override_tag_key: the member role may write that one key, and must never rewrite an instance's schedule or override."
    }
  }
}
