# The state machine from statemachine/uptime-scheduler.asl.json, its ${...} placeholders filled
# with the functions' ARNs and the results bucket.

resource "aws_cloudwatch_log_group" "state_machine" {
  #checkov:skip=CKV_AWS_158:Encrypted by CloudWatch Logs with AWS-owned keys; the logs hold account ids and counts, no secrets, and a customer managed key would need a key policy outside this module.
  #checkov:skip=CKV_AWS_338:Operational logs of a scheduler; retention is the log_retention_days variable (default 30 days), not a compliance archive.
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_284:X-Ray tracing is not enabled: the state machine role (iam/state-machine.policy.json) grants no X-Ray permissions; the execution history and the Map Run console trace every run.
  name     = local.state_machine_name
  type     = "STANDARD"
  role_arn = aws_iam_role.state_machine.arn

  definition = templatefile(local.definition_file, local.definition_variables)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = var.state_machine_log_execution_data
    level                  = var.state_machine_log_level
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.state_machine]
}
