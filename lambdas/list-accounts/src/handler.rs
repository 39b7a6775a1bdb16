//! Event → validated request → account selection → compact response.

use serde_json::Value;
use uptime_core::{select_accounts, Directory, Pause};
use uptime_lambda::events::{
    decode, ListAccountsEvent, ListAccountsResponse, MAX_LISTED_FAILED_ACCOUNTS,
};
use uptime_lambda::{Config, LambdaError};
use uptime_model::RunRequest;

pub async fn handle(
    directory: &impl Directory,
    pause: &impl Pause,
    config: &Config,
    event: Value,
) -> Result<ListAccountsResponse, LambdaError> {
    let event: ListAccountsEvent = decode(event, "list-accounts")?;
    // Validation comes first: a malformed input never reaches Organizations.
    let request = RunRequest::from_json(&event.input, event.execution_start)?;
    let mut selection = select_accounts(directory, pause, &request, &config.settings).await?;
    // Bounded payload: the rest are still counted in `counts.failed`.
    selection.failed.truncate(MAX_LISTED_FAILED_ACCOUNTS);
    tracing::info!(
        listed = selection.counts.listed,
        selected = selection.counts.selected,
        not_opted_in = selection.counts.not_opted_in,
        failed = selection.counts.failed,
        "accounts selected"
    );
    Ok(ListAccountsResponse {
        request,
        accounts: selection.accounts,
        skipped_accounts: selection.skipped,
        failed_accounts: selection.failed,
        counts: selection.counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uptime_core::ErrorKind;
    use uptime_model::ErrorName;
    use uptime_testkit::{FakeCloud, Op, RecordingPause};

    fn config() -> Config {
        Config::from_lookup(|k| (k == "AWS_REGION").then(|| "us-east-1".to_owned())).unwrap()
    }

    #[tokio::test]
    async fn malformed_input_fails_as_invalid_input_before_any_call() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        for input in [
            json!({"action": "reboot"}),
            json!({"action": "stop", "accounts": ["1"]}),
            json!({"action": "stop", "extra": 1}),
            json!("stop"),
        ] {
            let e = handle(
                &cloud,
                &RecordingPause::default(),
                &config(),
                json!({"input": input, "execution_start": "2026-11-24T19:00:00Z"}),
            )
            .await
            .unwrap_err();
            assert_eq!(e.name, ErrorName::InvalidInput, "{input}");
        }
        assert!(cloud.calls().is_empty(), "no call was made");
    }

    #[tokio::test]
    async fn a_malformed_event_is_invalid_input() {
        let cloud = FakeCloud::new();
        let e = handle(
            &cloud,
            &RecordingPause::default(),
            &config(),
            json!({"input": {"action": "stop"}}),
        )
        .await
        .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(e.message.contains("execution_start"));
    }

    #[tokio::test]
    async fn the_response_carries_the_normalised_request_and_compact_accounts() {
        let cloud = FakeCloud::new();
        cloud.add_account(
            "222222222222",
            "b",
            &[
                ("uptime-scheduler:enabled", "true"),
                ("uptime-scheduler:regions", "eu-west-1"),
            ],
        );
        cloud.add_enabled_account("111111111111");
        cloud.add_account("333333333333", "c", &[]);
        let out = handle(
            &cloud,
            &RecordingPause::default(),
            &config(),
            json!({"input": {"action": "stop"}, "execution_start": "2026-11-24T19:00:00Z"}),
        )
        .await
        .unwrap();
        let v = serde_json::to_value(&out).unwrap();
        assert_eq!(
            v["accounts"],
            json!(["111111111111", "222222222222:eu-west-1"])
        );
        assert_eq!(v["request"]["now"], "2026-11-24T19:00:00Z");
        assert_eq!(v["counts"]["not_opted_in"], 1);
    }

    #[tokio::test]
    async fn a_listing_that_stays_throttled_fails_as_throttled() {
        let cloud = FakeCloud::new();
        cloud.fail_next(Op::ListAccounts, None, None, ErrorKind::Throttled, 10);
        let e = handle(
            &cloud,
            &RecordingPause::default(),
            &config(),
            json!({"input": {"action": "stop"}, "execution_start": "2026-11-24T19:00:00Z"}),
        )
        .await
        .unwrap_err();
        assert_eq!(e.name, ErrorName::Throttled);
        assert!(uptime_lambda::TASK_ERRORS.contains(&e.name));
    }
}
