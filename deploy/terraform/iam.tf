# The hub's three roles. Their trust and permission policies are the documents in iam/,
# rendered with the deployment's names (iam/README.md lists the placeholders).

resource "aws_iam_role" "hub_lambda" {
  name                 = local.hub_lambda_role_name
  description          = "Uptime Scheduler functions: read the Organization, assume ${var.member_role_name} in member accounts, write logs."
  assume_role_policy   = templatefile("${local.iam_dir}/hub-lambda.trust.json", local.iam_variables)
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "hub_lambda" {
  name   = "${var.name_prefix}-hub-lambda"
  role   = aws_iam_role.hub_lambda.id
  policy = templatefile("${local.iam_dir}/hub-lambda.policy.json", local.iam_variables)
}

# The run digest's topic, only when one is configured (iam/hub-digest-sns.policy.json).
resource "aws_iam_role_policy" "hub_digest_sns" {
  count = var.digest_sns_topic_arn == null ? 0 : 1

  name   = "${var.name_prefix}-hub-digest-sns"
  role   = aws_iam_role.hub_lambda.id
  policy = templatefile("${local.iam_dir}/hub-digest-sns.policy.json", local.iam_variables)
}

resource "aws_iam_role" "state_machine" {
  name               = local.state_machine_role_name
  description        = "Uptime Scheduler state machine: invoke its functions, run its Distributed Map, write results and logs."
  assume_role_policy = templatefile("${local.iam_dir}/state-machine.trust.json", local.iam_variables)
  tags               = var.tags
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "${var.name_prefix}-state-machine"
  role   = aws_iam_role.state_machine.id
  policy = templatefile("${local.iam_dir}/state-machine.policy.json", local.iam_variables)
}

resource "aws_iam_role" "scheduler" {
  name               = local.scheduler_role_name
  description        = "EventBridge Scheduler: start the Uptime Scheduler state machine."
  assume_role_policy = templatefile("${local.iam_dir}/scheduler.trust.json", local.iam_variables)
  tags               = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.name_prefix}-scheduler"
  role   = aws_iam_role.scheduler.id
  policy = templatefile("${local.iam_dir}/scheduler.policy.json", local.iam_variables)
}
