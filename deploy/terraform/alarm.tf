# A failed execution (input rejected, or any account, region or instance failed: the state
# machine then ends in CompletedWithFailures) raises the alarm.

resource "aws_cloudwatch_metric_alarm" "executions_failed" {
  alarm_name          = "${local.state_machine_name}-executions-failed"
  alarm_description   = "An Uptime Scheduler execution failed: see the execution's cause (the run summary) in the Step Functions console."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.this.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}
