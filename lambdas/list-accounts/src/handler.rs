//! Event → validated request → account selection → compact response.

use jiff::Timestamp;
use uptime_core::{select_accounts, Directory, Pause};
use uptime_lambda::events::{
    decode, Concurrency, ListAccountsEvent, ListAccountsResponse, ACCOUNTS_PAYLOAD_BUDGET,
    MAX_LISTED_FAILED_ACCOUNTS, MAX_LISTED_SKIPPED_ACCOUNTS,
};
use uptime_lambda::{Config, LambdaError};
use uptime_model::json::StrictValue;
use uptime_model::RunRequest;

pub async fn handle(
    directory: &impl Directory,
    pause: &impl Pause,
    config: &Config,
    clock: Timestamp,
    event: impl Into<StrictValue>,
) -> Result<ListAccountsResponse, LambdaError> {
    let event: ListAccountsEvent = decode(event, "list-accounts")?;
    // Validation comes first: a malformed input never reaches Organizations. `clock` is the
    // real time (main reads it per invocation): a run that changes instances acts for the
    // present unless its input says it replays the past.
    let request = RunRequest::from_json(&event.input, event.execution_start)?;
    request.check_clock(clock)?;
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
    let mut response = ListAccountsResponse {
        request,
        accounts: selection.accounts,
        skipped_accounts: selection.skipped,
        failed_accounts: selection.failed,
        counts: selection.counts,
        concurrency: Concurrency {
            accounts: config.settings.account_concurrency,
        },
    };
    response
        .skipped_accounts
        .truncate(MAX_LISTED_SKIPPED_ACCOUNTS);
    let deferred = response.fit(ACCOUNTS_PAYLOAD_BUDGET)?;
    if deferred > 0 {
        tracing::info!(deferred, "region lists left out of the payload");
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use uptime_core::ErrorKind;
    use uptime_model::ErrorName;
    use uptime_testkit::{FakeCloud, Op, RecordingPause};

    /// The real clock in these tests: the execution start of their events.
    fn clock() -> Timestamp {
        "2026-11-24T19:00:00Z".parse().unwrap()
    }

    fn config() -> Config {
        Config::from_lookup(|k| (k == "AWS_REGION").then(|| "us-east-1".to_owned())).unwrap()
    }

    /// The handler on `cloud` with this event, at [`clock`], pauses recorded.
    async fn list(
        cloud: &FakeCloud,
        event: impl Into<StrictValue>,
    ) -> Result<ListAccountsResponse, LambdaError> {
        handle(cloud, &RecordingPause::default(), &config(), clock(), event).await
    }

    /// The event Step Functions passes for this execution input.
    fn event(input: Value) -> Value {
        json!({"input": input, "execution_start": "2026-11-24T19:00:00Z"})
    }

    /// The deployment's ACCOUNT_CONCURRENCY reaches the Maps through the response (default 50).
    #[tokio::test]
    async fn the_deployments_account_concurrency_is_handed_to_the_state_machine() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let r = list(&cloud, event(json!({"action": "stop"})))
            .await
            .unwrap();
        assert_eq!(r.concurrency.accounts, 50);
        let config = Config::from_lookup(|k| match k {
            "AWS_REGION" => Some("us-east-1".to_owned()),
            "ACCOUNT_CONCURRENCY" => Some("400".to_owned()),
            _ => None,
        })
        .unwrap();
        let event = event(json!({"action": "stop"}));
        let r = handle(&cloud, &RecordingPause::default(), &config, clock(), event)
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&r).unwrap()["concurrency"],
            json!({"accounts": 400})
        );
        for bad in ["0", "10001", "many"] {
            let e = Config::from_lookup(|k| match k {
                "AWS_REGION" => Some("us-east-1".to_owned()),
                "ACCOUNT_CONCURRENCY" => Some(bad.to_owned()),
                _ => None,
            })
            .unwrap_err();
            assert!(e.to_string().contains("ACCOUNT_CONCURRENCY"), "{bad}: {e}");
        }
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
            let e = list(&cloud, event(input.clone())).await.unwrap_err();
            assert_eq!(e.name, ErrorName::InvalidInput, "{input}");
        }
        assert!(cloud.calls().is_empty(), "no call was made");
    }

    /// The payload as the runtime deserialises it: a second `dry_run` or `accounts` is refused
    /// (serde_json alone keeps the last, turning a preview into a real run or a narrowed run
    /// into the whole Organization).
    #[tokio::test]
    async fn a_duplicate_key_in_the_input_fails_as_invalid_input_before_any_call() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        for (payload, path) in [
            (
                r#"{"input": {"dry_run": true, "action": "stop", "accounts": ["111111111111"], "dry_run": false}, "execution_start": "2026-11-24T19:00:00Z"}"#,
                "input.dry_run",
            ),
            (
                r#"{"input": {"action": "stop", "accounts": ["111111111111"], "accounts": []}, "execution_start": "2026-11-24T19:00:00Z"}"#,
                "input.accounts",
            ),
            (
                r#"{"input": {"action": "reconcile", "schedules": {"schedules": {"office": {"periods": [], "periods": []}}}}, "execution_start": "2026-11-24T19:00:00Z"}"#,
                "input.schedules.schedules.office.periods",
            ),
        ] {
            let event: StrictValue = serde_json::from_str(payload).unwrap();
            let e = list(&cloud, event).await.unwrap_err();
            assert_eq!(e.name, ErrorName::InvalidInput, "{payload}");
            assert!(e.message.contains(&format!("`{path}`")), "{}", e.message);
        }
        assert!(cloud.calls().is_empty(), "no call was made");
    }

    #[tokio::test]
    async fn a_run_for_another_time_is_refused_unless_a_replay_or_a_dry_run() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        for input in [
            json!({"action": "stop", "now": "2026-11-20T19:00:00Z"}),
            json!({"action": "reconcile", "now": "2030-01-01T00:00:00Z", "replay": true}),
        ] {
            let e = list(&cloud, event(input.clone())).await.unwrap_err();
            assert_eq!(e.name, ErrorName::InvalidInput, "{input}");
            assert!(e.message.contains("`now`"), "{}", e.message);
        }
        assert!(cloud.calls().is_empty(), "no call was made");
        for input in [
            json!({"action": "stop", "now": "2026-11-20T19:00:00Z", "replay": true}),
            json!({"action": "stop", "now": "2030-01-01T00:00:00Z", "dry_run": true}),
            json!({"action": "stop"}),
        ] {
            list(&cloud, event(input.clone()))
                .await
                .unwrap_or_else(|e| panic!("{input}: {e}"));
        }
    }

    #[tokio::test]
    async fn a_malformed_event_is_invalid_input() {
        let cloud = FakeCloud::new();
        let e = list(&cloud, json!({"input": {"action": "stop"}}))
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
        let out = list(&cloud, event(json!({"action": "stop"})))
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
        let e = list(&cloud, event(json!({"action": "stop"})))
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::Throttled);
        assert!(uptime_lambda::TASK_ERRORS.contains(&e.name));
    }

    fn response_with(accounts: Vec<uptime_model::AccountTarget>) -> ListAccountsResponse {
        ListAccountsResponse {
            request: RunRequest::from_json(
                &json!({"action": "stop"}),
                "2026-11-24T19:00:00Z".parse().unwrap(),
            )
            .unwrap(),
            accounts,
            skipped_accounts: Vec::new(),
            failed_accounts: Vec::new(),
            counts: Default::default(),
            concurrency: Default::default(),
        }
    }

    /// 10,000 accounts, each tagged with 20 regions: the lists are left out until the response
    /// fits; 20,000 bare accounts cannot fit and the run is refused with advice.
    #[test]
    fn the_payload_is_fitted_under_the_budget_or_refused() {
        let regions: String = uptime_model::ids::KNOWN_REGIONS[..20].join(",");
        let accounts = (0..10_000u64)
            .map(|n| {
                format!("{:012}:{regions}", 100_000_000_000 + n)
                    .parse()
                    .unwrap()
            })
            .collect();
        let mut r = response_with(accounts);
        assert!(serde_json::to_string(&r).unwrap().len() > 2_000_000);
        r.fit(ACCOUNTS_PAYLOAD_BUDGET).unwrap();
        let size = serde_json::to_string(&r).unwrap().len();
        assert!(size <= ACCOUNTS_PAYLOAD_BUDGET, "{size}");
        let deferred = r.accounts.iter().filter(|a| a.regions_deferred).count();
        let kept = r.accounts.iter().filter(|a| a.regions.is_some()).count();
        assert_eq!(deferred + kept, 10_000);
        assert!(
            deferred > 9_000 && kept > 0,
            "{deferred} deferred, {kept} kept"
        );

        let bare = (0..20_000u64)
            .map(|n| {
                uptime_model::AccountTarget::plain(
                    uptime_model::AccountId::parse(&format!("{:012}", 100_000_000_000 + n))
                        .unwrap(),
                )
            })
            .collect();
        let e = response_with(bare)
            .fit(ACCOUNTS_PAYLOAD_BUDGET)
            .unwrap_err();
        assert_eq!(e.error, ErrorName::Internal);
        assert!(e.message.contains("organizational_units"), "{}", e.message);
    }
}
