variable "region" {
  description = "The hub region: where the functions, the state machine and the schedules run."
  type        = string
  default     = "eu-west-1"
}

variable "organization_id" {
  description = "The AWS Organizations id (o-...)."
  type        = string
}

variable "member_ou_ids" {
  description = "OUs (or the root r-...) whose accounts get the member role."
  type        = list(string)
}

variable "lambda_zip_dir" {
  description = "Where `cargo lambda build --release --output-format zip` wrote <function>/bootstrap.zip."
  type        = string
  default     = "../../../../target/lambda"
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic for the failed-execution alarm (null: no notification)."
  type        = string
  default     = null
}
