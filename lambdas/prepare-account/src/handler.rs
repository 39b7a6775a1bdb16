//! Event → assume role → enabled ∩ requested regions.

use uptime_core::engine::resolve_deferred_regions;
use uptime_core::{prepare_account, Connect, Directory, Pause};
use uptime_lambda::events::{decode, PrepareAccountEvent, PreparedAccount};
use uptime_lambda::{Config, LambdaError};
use uptime_model::ids::session_name;
use uptime_model::json::StrictValue;

pub async fn handle(
    directory: &impl Directory,
    connect: &impl Connect,
    pause: &impl Pause,
    config: &Config,
    event: impl Into<StrictValue>,
) -> Result<PreparedAccount, LambdaError> {
    let event: PrepareAccountEvent = decode(event, "prepare-account")?;
    let request = &event.request;
    let session = session_name(&event.execution);
    let span = tracing::info_span!("prepare_account", account = %event.account.id, execution = %event.execution);
    let _guard = span.enter();
    // A region list left out of the compact form (payload budget) is read from the tag again.
    let target =
        resolve_deferred_regions(directory, pause, &event.account, &config.settings).await?;
    let prepared = prepare_account(
        connect,
        pause,
        &target,
        &request.regions,
        &config.settings,
        &session,
    )
    .await?;
    tracing::info!(
        regions = prepared.regions.len(),
        skipped_regions = prepared.skipped_regions.len(),
        "account prepared"
    );
    Ok(prepared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uptime_model::ErrorName;
    use uptime_testkit::{FakeCloud, RecordingPause};

    fn config() -> Config {
        Config::from_lookup(|k| match k {
            "AWS_REGION" => Some("us-east-1".into()),
            "DEFAULT_REGIONS" => Some("eu-west-1,us-east-1,ap-south-1".into()),
            _ => None,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn regions_are_the_enabled_defaults_and_the_rest_are_skipped() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let out = handle(&cloud, &cloud, &RecordingPause::default(), &config(), json!({
            "request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "account": "111111111111", "execution": "run-1"
        }))
        .await
        .unwrap();
        let v = serde_json::to_value(&out).unwrap();
        assert_eq!(v["regions"], json!(["eu-west-1", "us-east-1"]));
        assert_eq!(
            v["skipped_regions"],
            json!([{"region": "ap-south-1", "reason": "not-enabled"}])
        );
    }

    /// `"id:*"`: the list was left out of the payload; the account's tag is read again.
    #[tokio::test]
    async fn a_deferred_region_list_is_read_from_the_account_tag() {
        let cloud = FakeCloud::new();
        cloud.add_account(
            "111111111111",
            "dev",
            &[
                ("uptime-scheduler:enabled", "true"),
                ("uptime-scheduler:regions", "us-east-1"),
            ],
        );
        let out = handle(&cloud, &cloud, &RecordingPause::default(), &config(), json!({
            "request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "account": "111111111111:*", "execution": "run-1"
        }))
        .await
        .unwrap();
        assert_eq!(
            serde_json::to_value(&out).unwrap()["regions"],
            json!(["us-east-1"])
        );
        // Opted out meanwhile: reported, nothing prepared.
        cloud.add_account(
            "222222222222",
            "gone",
            &[("uptime-scheduler:enabled", "false")],
        );
        let e = handle(&cloud, &cloud, &RecordingPause::default(), &config(), json!({
            "request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "account": "222222222222:*", "execution": "run-1"
        }))
        .await
        .unwrap_err();
        assert!(e.message.contains("tags changed"), "{e}");
    }

    #[tokio::test]
    async fn a_role_that_cannot_be_assumed_is_access_denied() {
        let cloud = FakeCloud::new();
        let a = cloud.add_enabled_account("111111111111");
        cloud.deny_role(&a);
        let e = handle(&cloud, &cloud, &RecordingPause::default(), &config(), json!({
            "request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "account": "111111111111", "execution": "run-1"
        }))
        .await
        .unwrap_err();
        assert_eq!(e.name, ErrorName::AccessDenied);
    }

    #[tokio::test]
    async fn a_tampered_request_is_invalid_input() {
        let cloud = FakeCloud::new();
        let e = handle(&cloud, &cloud, &RecordingPause::default(), &config(), json!({
            "request": {"action": "stop", "now": "2026-11-24T19:00:00Z", "regions": ["nowhere-1"]}, "account": "111111111111", "execution": "r"
        }))
        .await
        .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(cloud.calls().is_empty());
    }
}
