//! S3 as the core's [`ResultStore`]: reads what the Maps' `ResultWriter`s wrote, and writes the
//! start verification's plan (the items its Map reads with `ItemReader`).

use crate::errors::classify;
use aws_config::SdkConfig;
use uptime_core::{ErrorKind, PortError, Precondition, ResultStore, Versioned};

/// Reads result objects with the hub role's own credentials.
#[derive(Debug, Clone)]
pub struct AwsResultStore {
    client: aws_sdk_s3::Client,
}

impl AwsResultStore {
    /// With an endpoint override (an emulator on loopback) requests use path-style addressing,
    /// since `bucket.127.0.0.1` does not resolve; against AWS the SDK's default applies.
    pub fn new(config: &SdkConfig) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(s3),
        }
    }
}

/// The whole body of an object S3 answered with; a body cut off mid-way is transient.
async fn body_of(
    object: aws_sdk_s3::operation::get_object::GetObjectOutput,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, PortError> {
    let body = object.body.collect().await.map_err(|e| {
        PortError::new(
            ErrorKind::Transient,
            None,
            format!("reading s3://{bucket}/{key}: {e}"),
        )
    })?;
    Ok(body.into_bytes().to_vec())
}

impl ResultStore for AwsResultStore {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, PortError> {
        let object = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        body_of(object, bucket, key).await
    }

    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(body.into())
            .send()
            .await
            .map(drop)
            .map_err(|e| classify(&e))
    }

    async fn get_versioned(&self, bucket: &str, key: &str) -> Result<Option<Versioned>, PortError> {
        let object = match self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                let e = classify(&e);
                return match e.kind {
                    ErrorKind::NotFound => Ok(None),
                    _ => Err(e),
                };
            }
        };
        let etag = object.e_tag().unwrap_or_default().to_owned();
        if etag.is_empty() {
            return Err(PortError::new(
                ErrorKind::Other,
                None,
                format!("s3://{bucket}/{key} was returned without an ETag"),
            ));
        }
        Ok(Some(Versioned {
            body: body_of(object, bucket, key).await?,
            etag,
        }))
    }

    async fn put_object_if(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        expected: &Precondition,
    ) -> Result<bool, PortError> {
        let call = self
            .client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(body.into());
        let call = match expected {
            Precondition::Absent => call.if_none_match("*"),
            Precondition::Matches(etag) => call.if_match(etag),
        };
        match call.send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = classify(&e);
                // 412: the object changed since it was read (or appeared); 409: a concurrent
                // conditional write is in progress. Either way another writer won this round.
                let lost = matches!(
                    e.code.as_deref(),
                    Some("PreconditionFailed" | "ConditionalRequestConflict")
                );
                if lost {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}
