//! EventBridge and SNS as the core's [`DigestSink`]: a run's digest as one `PutEvents` entry
//! on the configured bus (the default bus unless told otherwise), and one `Publish` to the
//! configured topic.
//!
//! `PutEvents` answers 200 even when it rejects an entry: the rejection is in the answer
//! (`FailedEntryCount`, the entry's `ErrorCode`/`ErrorMessage`), and is a failure here.

use crate::errors::{classify, kind_of_code};
use aws_config::SdkConfig;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use uptime_core::config::DigestConfig;
use uptime_core::{DigestSink, PortError};
use uptime_model::digest::{Digest, DIGEST_DETAIL_TYPE, DIGEST_SOURCE};
use uptime_model::TopicArn;

/// Publishes digests with the hub role's own credentials.
#[derive(Debug, Clone)]
pub struct AwsDigestSink {
    events: Option<(aws_sdk_eventbridge::Client, String)>,
    sns: Option<(aws_sdk_sns::Client, TopicArn)>,
}

impl AwsDigestSink {
    /// Clients for the destinations `config` names. SNS is called in the topic's own region
    /// (Publish must be), EventBridge in the function's.
    pub fn new(sdk: &SdkConfig, config: &DigestConfig) -> Self {
        let events = config
            .event_bus
            .as_ref()
            .map(|bus| (aws_sdk_eventbridge::Client::new(sdk), bus.clone()));
        let sns = config.sns_topic.as_ref().map(|topic| {
            let conf = aws_sdk_sns::config::Builder::from(sdk)
                .region(aws_sdk_sns::config::Region::new(
                    topic.region().as_str().to_owned(),
                ))
                .build();
            (aws_sdk_sns::Client::from_conf(conf), topic.clone())
        });
        Self { events, sns }
    }

    async fn put_event(
        client: &aws_sdk_eventbridge::Client,
        bus: &str,
        digest: &Digest,
    ) -> Result<(), PortError> {
        let mut entry = PutEventsRequestEntry::builder()
            .event_bus_name(bus)
            .source(DIGEST_SOURCE)
            .detail_type(DIGEST_DETAIL_TYPE)
            .detail(digest.to_json());
        if let Some(link) = &digest.execution {
            // The event's resources: rules and targets can match the execution by ARN.
            entry = entry.resources(link.arn.as_str());
        }
        let out = client
            .put_events()
            .entries(entry.build())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        if out.failed_entry_count() == 0 {
            return Ok(());
        }
        let rejected = out.entries().iter().find(|e| e.error_code().is_some());
        let code = rejected.and_then(|e| e.error_code());
        let message = rejected.and_then(|e| e.error_message()).unwrap_or("");
        Err(PortError::new(
            kind_of_code(code, None),
            code,
            format!(
                "EventBridge rejected the digest event on bus {bus}: {}: {message}",
                code.unwrap_or("no error code")
            ),
        ))
    }

    async fn publish_sns(
        client: &aws_sdk_sns::Client,
        topic: &TopicArn,
        digest: &Digest,
    ) -> Result<(), PortError> {
        client
            .publish()
            .topic_arn(topic.as_str())
            .subject(digest.subject())
            .message(digest.to_json())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(())
    }
}

impl DigestSink for AwsDigestSink {
    /// Both destinations are tried; the error (the first one's kind) names each that failed.
    async fn publish(&self, digest: &Digest) -> Result<(), PortError> {
        let mut failed: Vec<PortError> = Vec::new();
        if let Some((client, bus)) = &self.events {
            if let Err(e) = Self::put_event(client, bus, digest).await {
                failed.push(PortError::new(
                    e.kind,
                    e.code.as_deref(),
                    format!("events:PutEvents: {}", e.message),
                ));
            }
        }
        if let Some((client, topic)) = &self.sns {
            if let Err(e) = Self::publish_sns(client, topic, digest).await {
                failed.push(PortError::new(
                    e.kind,
                    e.code.as_deref(),
                    format!("sns:Publish to {topic}: {}", e.message),
                ));
            }
        }
        match failed.first() {
            None => Ok(()),
            Some(first) => Err(PortError::new(
                first.kind,
                first.code.as_deref(),
                failed
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        }
    }
}
