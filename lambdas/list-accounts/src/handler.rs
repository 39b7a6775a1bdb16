//! Event → validated request → account selection → the selection written to the results
//! bucket (the account Map's items) and a small response.

use jiff::Timestamp;
use uptime_core::config::RegistryConfig;
use uptime_core::{
    engine::target_error, select_accounts, select_from_registry, Directory, ErrorKind, Pause,
    ResultStore,
};
use uptime_lambda::events::{
    account_list_key, decode, AccountList, Concurrency, ListAccountsEvent, ListAccountsResponse,
    MAX_LISTED_FAILED_ACCOUNTS, MAX_LISTED_SKIPPED_ACCOUNTS,
};
use uptime_lambda::{Config, LambdaError};
use uptime_model::json::StrictValue;
use uptime_model::registry::{Registry, REGISTRY_KEY};
use uptime_model::{ErrorName, RunRequest};

pub async fn handle(
    directory: &impl Directory,
    pause: &impl Pause,
    store: &impl ResultStore,
    config: &Config,
    registry: Option<&RegistryConfig>,
    clock: Timestamp,
    event: impl Into<StrictValue>,
) -> Result<ListAccountsResponse, LambdaError> {
    let event: ListAccountsEvent = decode(event, "list-accounts")?;
    // Validation comes first: a malformed input never reaches Organizations. `clock` is the
    // real time (main reads it per invocation): a run that changes instances acts for the
    // present unless its input says it replays the past.
    let request = RunRequest::from_json(&event.input, event.execution_start)?;
    request.check_clock(clock)?;
    let mut selection = match registry {
        // The deployment keeps an account registry (ADR 0013): one object read, no
        // Organizations call on the run's path.
        Some(registry) => {
            let read = read_registry(store, registry).await?;
            if let Some(at) = read.walked_at {
                tracing::info!(walked_at = %at, oldest_tag_read = ?read.oldest_tag_read().flatten().map(|t| t.to_string()), "account registry read");
            }
            select_from_registry(&read, &request, &config.settings, clock, registry.max_age)?
        }
        None => select_accounts(directory, pause, &request, &config.settings).await?,
    };
    // Bounded payload: the rest are still counted in `counts.failed`.
    selection.failed.truncate(MAX_LISTED_FAILED_ACCOUNTS);
    tracing::info!(
        listed = selection.counts.listed,
        selected = selection.counts.selected,
        not_opted_in = selection.counts.not_opted_in,
        failed = selection.counts.failed,
        not_yet_read = selection.counts.not_yet_read,
        "accounts selected"
    );
    // The selection goes to S3, not into the state: the account Map reads it with its
    // ItemReader, so no payload limit bounds the number of accounts. Nothing was contacted in
    // a member account yet; a list that cannot be written fails the task (retried).
    let key = account_list_key(&event.execution);
    let body =
        serde_json::to_vec(&selection.accounts).map_err(|e| LambdaError::invalid(e.to_string()))?;
    let bytes = body.len();
    store
        .put_object(&event.results_bucket, &key, body)
        .await
        .map_err(|e| LambdaError::from(target_error("writing the account list", &e)))?;
    tracing::info!(
        accounts = selection.accounts.len(),
        bytes,
        key = key.as_str(),
        "account list written"
    );
    let mut response = ListAccountsResponse {
        request,
        accounts: AccountList {
            bucket: event.results_bucket,
            key,
            count: selection.accounts.len() as u64,
        },
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
    Ok(response)
}

/// The registry object, or why the run cannot use it. A registry that does not exist yet (a
/// new deployment before refresh-accounts' first run) or does not parse fails the run before
/// any account is contacted; it is never replaced by a guess.
async fn read_registry(
    store: &impl ResultStore,
    registry: &RegistryConfig,
) -> Result<Registry, LambdaError> {
    let bucket = registry.bucket.as_str();
    let bytes = match store.get_object(bucket, REGISTRY_KEY).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind == ErrorKind::NotFound => {
            return Err(LambdaError::new(
                ErrorName::Misconfigured,
                format!(
                    "the account registry s3://{bucket}/{REGISTRY_KEY} does not exist yet: \
                     refresh-accounts writes it on its first scheduled run after deployment \
                     (invoke it once to write it now); no account was contacted"
                ),
            ))
        }
        // S3 answers 403 for a missing object to a role without s3:ListBucket (the hub role
        // has none): say that this is what a registry not written yet looks like too.
        Err(e) if e.kind == ErrorKind::AccessDenied => {
            let mut error = target_error("reading the account registry", &e);
            error.message.push_str(&format!(
                " (S3 also answers a missing object so to a role without s3:ListBucket: if \
                 refresh-accounts has not run yet, s3://{bucket}/{REGISTRY_KEY} does not exist; \
                 no account was contacted)"
            ));
            return Err(error.into());
        }
        Err(e) => return Err(target_error("reading the account registry", &e).into()),
    };
    Registry::from_json(&bytes).map_err(|m| LambdaError::new(ErrorName::Misconfigured, m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use uptime_core::ErrorKind;
    use uptime_model::ErrorName;
    use uptime_testkit::{FakeCloud, FakeObjects, Op, RecordingPause};

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
        list_into(cloud, &FakeObjects::default(), event).await
    }

    /// [`list`], the account list written to `store`.
    async fn list_into(
        cloud: &FakeCloud,
        store: &FakeObjects,
        event: impl Into<StrictValue>,
    ) -> Result<ListAccountsResponse, LambdaError> {
        let pause = RecordingPause::default();
        handle(cloud, &pause, store, &config(), None, clock(), event).await
    }

    /// The event Step Functions passes for this execution input.
    fn event(input: Value) -> Value {
        json!({"input": input, "execution_start": "2026-11-24T19:00:00Z",
               "execution": "nightly", "results_bucket": "results"})
    }

    /// The deployment's ACCOUNT_CONCURRENCY reaches the Maps through the response (default 500).
    #[tokio::test]
    async fn the_deployments_account_concurrency_is_handed_to_the_state_machine() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let r = list(&cloud, event(json!({"action": "stop"})))
            .await
            .unwrap();
        assert_eq!(r.concurrency.accounts, 500);
        let config = Config::from_lookup(|k| match k {
            "AWS_REGION" => Some("us-east-1".to_owned()),
            "ACCOUNT_CONCURRENCY" => Some("400".to_owned()),
            _ => None,
        })
        .unwrap();
        let event = event(json!({"action": "stop"}));
        let r = handle(
            &cloud,
            &RecordingPause::default(),
            &FakeObjects::default(),
            &config,
            None,
            clock(),
            event,
        )
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

    /// The response points at the list (the account Map's items), compact.
    #[tokio::test]
    async fn the_response_carries_the_normalised_request_and_the_compact_list() {
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
        let store = FakeObjects::default();
        let event = event(json!({"action": "stop"}));
        let out = list_into(&cloud, &store, event).await.unwrap();
        let v = serde_json::to_value(&out).unwrap();
        assert_eq!(
            v["accounts"],
            json!({"bucket": "results", "key": "account-lists/nightly.json", "count": 2})
        );
        assert_eq!(
            store.get("results", "account-lists/nightly.json").unwrap(),
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

    /// The selection is written where the account Map reads it, each account once, compact,
    /// full region lists kept: 10,000 accounts with 20 regions each (2.4 MB, ten times what a
    /// state could carry) are listed, not refused.
    #[tokio::test]
    async fn the_selection_is_written_to_the_bucket_whatever_its_size() {
        let cloud = FakeCloud::new();
        let regions: String = uptime_model::ids::KNOWN_REGIONS[..20].join(",");
        for n in 0..10_000u64 {
            let id = format!("{:012}", 100_000_000_000 + n);
            let tags = [
                ("uptime-scheduler:enabled", "true"),
                ("uptime-scheduler:regions", regions.as_str()),
            ];
            cloud.add_account(&id, &id, &tags);
        }
        let store = FakeObjects::default();
        let r = list_into(&cloud, &store, event(json!({"action": "stop"})))
            .await
            .unwrap();
        assert_eq!(
            r.accounts,
            AccountList {
                bucket: "results".into(),
                key: "account-lists/nightly.json".into(),
                count: 10_000
            }
        );
        let listed = store.get("results", "account-lists/nightly.json").unwrap();
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 10_000);
        assert!(listed[0]
            .as_str()
            .unwrap()
            .ends_with(uptime_model::ids::KNOWN_REGIONS[19]));
        assert!(serde_json::to_string(listed).unwrap().len() > 2_000_000);
        assert!(
            serde_json::to_string(&r).unwrap().len() < 2_000,
            "the response is small"
        );
    }

    /// A list that cannot be written fails the task, transient (the state machine retries it).
    #[tokio::test]
    async fn a_list_that_cannot_be_written_fails_the_task() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let store = FakeObjects::default();
        store.refuse_writes(uptime_core::ErrorKind::Throttled);
        let e = list_into(&cloud, &store, event(json!({"action": "stop"})))
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::Throttled);
        assert!(
            e.message.contains("writing the account list"),
            "{}",
            e.message
        );
    }

    fn registry_config() -> RegistryConfig {
        RegistryConfig::from_lookup(|k| {
            (k == "ACCOUNT_REGISTRY_BUCKET").then(|| "results".to_owned())
        })
        .unwrap()
        .unwrap()
    }

    /// A registry of `accounts` (id, tags, when read), walked at the clock.
    /// An account of a test registry: its id, its tags, when they were read ("" for never).
    type Listed<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

    fn registry_of(accounts: &[Listed]) -> Value {
        let mut r = Registry::default();
        let walked = accounts
            .iter()
            .map(|(id, _, _)| uptime_model::registry::Walked {
                account: uptime_model::OrgAccount {
                    id: uptime_model::AccountId::parse(id).unwrap(),
                    name: (*id).to_owned(),
                    status: uptime_model::AccountStatus::Active,
                },
                path: vec![uptime_model::OuId::parse("r-ab12").unwrap()],
            })
            .collect();
        r.apply_walk(walked, clock());
        r.set_units([uptime_model::OuId::parse("r-ab12").unwrap()].into());
        let keys = ["uptime-scheduler:enabled", "uptime-scheduler:regions"];
        for (id, tags, at) in accounts.iter().filter(|(_, _, at)| !at.is_empty()) {
            let tags = tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let id = uptime_model::AccountId::parse(id).unwrap();
            r.record_tags(&id, &tags, &keys, at.parse().unwrap());
        }
        serde_json::from_slice(&r.to_json()).unwrap()
    }

    async fn list_from_registry(
        cloud: &FakeCloud,
        store: &FakeObjects,
        event: Value,
    ) -> Result<ListAccountsResponse, LambdaError> {
        let pause = RecordingPause::default();
        let registry = registry_config();
        handle(
            cloud,
            &pause,
            store,
            &config(),
            Some(&registry),
            clock(),
            event,
        )
        .await
    }

    /// With a registry, the selection is the registry's: no Organizations call at all, the
    /// opt-in as last read, and an opt-in older than the bound never acted on.
    #[tokio::test]
    async fn with_a_registry_the_selection_reads_one_object_and_no_organizations_call() {
        // Organizations says something else: the registry is what a run reads.
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("999999999999");
        let store = FakeObjects::default();
        let on: &[(&str, &str)] = &[("uptime-scheduler:enabled", "true")];
        let off: &[(&str, &str)] = &[("uptime-scheduler:enabled", "false")];
        store.put(
            "results",
            REGISTRY_KEY,
            registry_of(&[
                ("111111111111", on, "2026-11-24T18:30:00Z"),
                ("222222222222", off, "2026-11-24T18:30:00Z"),
                // Opted in, but read 61 minutes before the clock: unconfirmed.
                ("333333333333", on, "2026-11-24T17:59:00Z"),
                // Opted out when read as long ago: simply not opted in.
                ("444444444444", off, "2026-11-24T17:59:00Z"),
                // New to the registry, never read: left alone, counted.
                ("555555555555", on, ""),
            ]),
        );
        let r = list_from_registry(&cloud, &store, event(json!({"action": "stop"})))
            .await
            .unwrap();
        assert!(cloud.calls().is_empty(), "{:?}", cloud.calls());
        assert_eq!(
            store.get("results", "account-lists/nightly.json").unwrap(),
            json!(["111111111111"])
        );
        assert_eq!(r.counts.listed, 5);
        assert_eq!(r.counts.not_opted_in, 2);
        assert_eq!(r.counts.not_yet_read, 1);
        assert_eq!(r.counts.failed, 1);
        let failed = &r.failed_accounts[0];
        assert_eq!(failed.account.as_str(), "333333333333");
        let error = failed.error.as_ref().unwrap();
        assert_eq!(error.error, ErrorName::Misconfigured);
        assert!(
            error.message.contains("2026-11-24T17:59:00Z") && error.message.contains("60 minutes"),
            "{}",
            error.message
        );
    }

    /// A new deployment before refresh-accounts' first run: the run fails at once, saying
    /// what to do, and nothing is contacted.
    #[tokio::test]
    async fn a_registry_that_does_not_exist_yet_fails_the_run_before_any_call() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let store = FakeObjects::default();
        let e = list_from_registry(&cloud, &store, event(json!({"action": "stop"})))
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::Misconfigured);
        assert!(e.message.contains("does not exist yet"), "{}", e.message);
        assert!(cloud.calls().is_empty());
        let denying = FakeObjects::default();
        denying.deny_missing();
        let e = list_from_registry(&cloud, &denying, event(json!({"action": "stop"})))
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::AccessDenied);
        assert!(
            e.message.contains("refresh-accounts has not run yet"),
            "{}",
            e.message
        );
        assert!(cloud.calls().is_empty());
        store.put("results", REGISTRY_KEY, json!({"version": 7}));
        let e = list_from_registry(&cloud, &store, event(json!({"action": "stop"})))
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::Misconfigured);
        assert!(cloud.calls().is_empty());
    }

    /// A malformed input is refused before the registry is even read.
    #[tokio::test]
    async fn with_a_registry_a_malformed_input_is_refused_first() {
        let cloud = FakeCloud::new();
        let store = FakeObjects::default();
        let e = list_from_registry(&cloud, &store, event(json!({"action": "reboot"})))
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert_eq!(store.reads(), 0);
    }

    /// An OU-scoped run over the registry selects by the recorded paths; an OU the last walk
    /// did not find is refused as the input's mistake before anything is contacted.
    #[tokio::test]
    async fn with_a_registry_an_unknown_unit_is_invalid_input() {
        let cloud = FakeCloud::new();
        let store = FakeObjects::default();
        let on: &[(&str, &str)] = &[("uptime-scheduler:enabled", "true")];
        store.put(
            "results",
            REGISTRY_KEY,
            registry_of(&[("111111111111", on, "2026-11-24T18:30:00Z")]),
        );
        let input = json!({"action": "stop", "organizational_units": ["r-ab12"]});
        let r = list_from_registry(&cloud, &store, event(input))
            .await
            .unwrap();
        assert_eq!(r.counts.selected, 1);
        let input = json!({"action": "stop", "organizational_units": ["ou-ab12-99999999"]});
        let e = list_from_registry(&cloud, &store, event(input))
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::InvalidInput);
        assert!(e.message.contains("ou-ab12-99999999"), "{}", e.message);
        assert!(cloud.calls().is_empty());
    }
}
