# The Distributed Maps' ResultWriter bucket: the state machine writes each run's account results
# under map-runs/ and a start run's verification results under verify-runs/; list-accounts writes
# the run's selected accounts under account-lists/ and summarize-run a start run's verification
# items under verify-plans/ (the Maps' ItemReaders read them), and summarize-run reads the
# results back. refresh-accounts keeps the account registry under account-registry/ (registry.tf).
# Private, encrypted, TLS only, the run objects expiring.

resource "aws_s3_bucket" "results" {
  #checkov:skip=CKV_AWS_21:No versioning: the bucket holds transient, machine-written run results that expire after results_expiration_days; nothing to restore.
  #checkov:skip=CKV_AWS_18:Access logging would need a second bucket for transient, machine-written run results; CloudTrail data events cover access if required.
  #checkov:skip=CKV_AWS_144:Cross-region replication of results that expire within days and are re-created by the next run is not wanted.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) encryption: SSE-KMS would need kms grants for the state machine and the functions that iam/ does not give; the objects hold counts and account ids.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of this bucket; summarize-run reads the results within the same execution.
  bucket        = local.results_bucket
  force_destroy = var.results_bucket_force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "results" {
  bucket                  = aws_s3_bucket.results.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "results" {
  bucket = aws_s3_bucket.results.id

  # No rule expires account-registry/, on purpose: the registry is one long-lived object that
  # every refresh rewrites in place, not a run's leftover. Expired, it would be gone after a quiet
  # spell, and the next refresh would have to read every account's tags again before a run could
  # select any account. Each expiration below names its run prefix; the one bucket-wide rule only
  # aborts incomplete multipart uploads.

  rule {
    id     = "expire-map-runs"
    status = "Enabled"

    filter {
      prefix = "map-runs/"
    }

    expiration {
      days = var.results_expiration_days
    }
  }

  rule {
    id     = "expire-account-lists"
    status = "Enabled"

    filter {
      prefix = "account-lists/"
    }

    expiration {
      days = var.results_expiration_days
    }
  }

  rule {
    id     = "expire-verify-plans"
    status = "Enabled"

    filter {
      prefix = "verify-plans/"
    }

    expiration {
      days = var.results_expiration_days
    }
  }

  rule {
    id     = "expire-verify-runs"
    status = "Enabled"

    filter {
      prefix = "verify-runs/"
    }

    expiration {
      days = var.results_expiration_days
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "results_tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.results.arn,
      "${aws_s3_bucket.results.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "results" {
  bucket = aws_s3_bucket.results.id
  policy = data.aws_iam_policy_document.results_tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.results]
}
