//! Event → what the registry needs (a scheduled refresh, or the accounts an Organizations
//! event names) → the work, on a copy → the copy merged into the stored registry with a
//! conditional write, read again and merged again when another writer got there first.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use uptime_core::config::RegistryConfig;
use uptime_core::engine::registry::{apply_event, refresh_registry, EventWork, RefreshReport};
use uptime_core::{
    engine::target_error, Directory, ErrorKind, Pause, PortError, Precondition, ResultStore,
    Settings,
};
use uptime_lambda::LambdaError;
use uptime_model::json::StrictValue;
use uptime_model::registry::{Registry, REGISTRY_KEY};
use uptime_model::{AccountId, ErrorName};

/// Conditional writes tried before the invocation fails (and is retried by its trigger): each
/// lost round means another writer wrote in between, which takes far longer than a merge.
pub const WRITE_ATTEMPTS: usize = 10;

/// The Organizations events that change what the registry holds (the EventBridge rule's
/// pattern names the same ones, `deploy/terraform`).
const MEMBERSHIP_EVENTS: &[&str] = &[
    "CreateAccountResult",
    "AcceptHandshake",
    "MoveAccount",
    "RemoveAccountFromOrganization",
    "LeaveOrganization",
    "CloseAccount",
];
const TAG_EVENTS: &[&str] = &["TagResource", "UntagResource"];

/// What the invocation was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The EventBridge schedule, or `{"action": "refresh"}` by hand.
    Scheduled,
    /// An Organizations event (through CloudTrail on EventBridge).
    Organizations { event: String, work: EventWork },
    /// An Organizations event that changes nothing the registry holds (an OU's tags, say).
    Ignored { event: String },
}

/// Reads the trigger from the invocation's payload; anything else is refused, untouched.
pub fn trigger(event: impl Into<StrictValue>) -> Result<Trigger, LambdaError> {
    let event = event.into().into_value("the refresh-accounts event")?;
    let field = |name: &str| event.get(name).and_then(Value::as_str);
    if field("action") == Some("refresh") && event.as_object().is_some_and(|o| o.len() == 1) {
        return Ok(Trigger::Scheduled);
    }
    if field("source") == Some("aws.events") && field("detail-type") == Some("Scheduled Event") {
        return Ok(Trigger::Scheduled);
    }
    if field("source") != Some("aws.organizations") {
        return Err(LambdaError::invalid(
            "refresh-accounts event: expected an EventBridge \"Scheduled Event\", an \
             Organizations event (source aws.organizations) or {\"action\": \"refresh\"}",
        ));
    }
    let detail = event.get("detail").unwrap_or(&Value::Null);
    let Some(name) = detail.get("eventName").and_then(Value::as_str) else {
        return Err(LambdaError::invalid(
            "refresh-accounts event: an Organizations event without detail.eventName",
        ));
    };
    let event = name.to_owned();
    let mut work = EventWork::default();
    if TAG_EVENTS.contains(&name) {
        let resource = detail
            .pointer("/requestParameters/resourceId")
            .and_then(Value::as_str);
        match resource.map(AccountId::parse) {
            Some(Ok(id)) => {
                work.tags_of.insert(id);
            }
            // An OU's or a root's tags: no account's opt-in changed.
            Some(Err(_)) => return Ok(Trigger::Ignored { event }),
            None => {
                return Err(LambdaError::invalid(format!(
                    "refresh-accounts event: {name} without detail.requestParameters.resourceId"
                )))
            }
        }
    } else if MEMBERSHIP_EVENTS.contains(&name) {
        work.walk = true;
    } else {
        return Ok(Trigger::Ignored { event });
    }
    Ok(Trigger::Organizations { event, work })
}

/// What the invocation answers (and logs).
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// `scheduled`, the Organizations event's name, or `ignored`.
    pub trigger: String,
    #[serde(flatten)]
    pub report: RefreshReport,
    /// Conditional writes that lost to another writer before one held.
    pub write_conflicts: u64,
}

#[allow(clippy::too_many_arguments)]
pub async fn handle(
    directory: &impl Directory,
    pause: &impl Pause,
    store: &impl ResultStore,
    settings: &Settings,
    registry: &RegistryConfig,
    clock: Timestamp,
    event: impl Into<StrictValue>,
) -> Result<Response, LambdaError> {
    let trigger = trigger(event)?;
    let name = match &trigger {
        Trigger::Scheduled => "scheduled".to_owned(),
        Trigger::Organizations { event, .. } => event.clone(),
        Trigger::Ignored { event } => {
            tracing::info!(
                event = event.as_str(),
                "event ignored: no account's opt-in changed"
            );
            return Ok(Response {
                trigger: format!("ignored {event}"),
                report: RefreshReport::default(),
                write_conflicts: 0,
            });
        }
    };
    let bucket = registry.bucket.as_str();
    let (mut mine, mut expected, mut denied) = read(store, bucket).await?;
    let report = match &trigger {
        Trigger::Organizations { work, .. } => {
            apply_event(
                directory,
                pause,
                settings,
                &mut mine,
                work,
                registry.tag_reads,
                clock,
            )
            .await?
        }
        _ => {
            // Re-read tags once older than half the opt-in bound.
            let due = clock - registry.max_age / 2;
            refresh_registry(
                directory,
                pause,
                settings,
                &mut mine,
                registry.tag_reads,
                due,
                clock,
            )
            .await?
        }
    };
    for write_conflicts in 0..WRITE_ATTEMPTS as u64 {
        // The first write is conditional on the version the work started from (no second
        // read when nobody else wrote meanwhile); after a lost race, read and merge again.
        let merged = if write_conflicts == 0 {
            mine.clone().merge(Registry::default(), clock)
        } else {
            let (current, now_expected, now_denied) = read(store, bucket).await?;
            (expected, denied) = (now_expected, now_denied);
            current.merge(mine.clone(), clock)
        };
        let written = store
            .put_object_if(bucket, REGISTRY_KEY, merged.to_json(), &expected)
            .await
            .map_err(|e| LambdaError::from(target_error("writing the account registry", &e)))?;
        if written {
            let response = Response {
                trigger: name,
                report,
                write_conflicts,
            };
            tracing::info!(
                trigger = response.trigger.as_str(),
                accounts = response.report.accounts,
                added = response.report.changes.added,
                removed = response.report.changes.removed,
                moved = response.report.changes.moved,
                tags_read = response.report.tags_read,
                tag_read_failures = response.report.tag_read_failures,
                never_read = response.report.never_read,
                oldest_tag_read = ?response.report.oldest_tag_read.map(|t| t.to_string()),
                write_conflicts,
                "account registry written"
            );
            return Ok(response);
        }
        if let Some(denied) = denied.take() {
            // The object exists (the write that expected none lost), yet reading it is
            // denied: a real denial, not the 403 S3 gives for a missing object.
            return Err(target_error("reading the account registry", &denied).into());
        }
    }
    Err(LambdaError::new(
        ErrorName::Transient,
        format!(
            "writing the account registry: {WRITE_ATTEMPTS} conditional writes lost to other \
             writers; the reads are kept by the next refresh"
        ),
    ))
}

/// The stored registry and the precondition a write of it must meet (a new one when there
/// is none yet). S3 answers a read of a missing object 403, not 404, to a role without
/// `s3:ListBucket` (the hub role has none): a denied read is taken for "none yet", with the
/// denial kept; the write that expects none then tells the two apart (it holds only if there
/// was none).
async fn read(
    store: &impl ResultStore,
    bucket: &str,
) -> Result<(Registry, Precondition, Option<PortError>), LambdaError> {
    let stored = match store.get_versioned(bucket, REGISTRY_KEY).await {
        Ok(stored) => stored,
        Err(e) if e.kind == ErrorKind::AccessDenied => {
            return Ok((Registry::default(), Precondition::Absent, Some(e)))
        }
        Err(e) => return Err(target_error("reading the account registry", &e).into()),
    };
    match stored {
        None => Ok((Registry::default(), Precondition::Absent, None)),
        Some(v) => {
            let registry = Registry::from_json(&v.body)
                .map_err(|m| LambdaError::new(ErrorName::Misconfigured, m))?;
            Ok((registry, Precondition::Matches(v.etag), None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uptime_testkit::{FakeCloud, FakeObjects, Op, RecordingPause};

    fn clock() -> Timestamp {
        "2026-12-04T10:00:00Z".parse().unwrap()
    }

    fn config() -> RegistryConfig {
        RegistryConfig::from_lookup(|k| match k {
            "ACCOUNT_REGISTRY_BUCKET" => Some("results".to_owned()),
            "REGISTRY_TAG_READS" => Some("2".to_owned()),
            _ => None,
        })
        .unwrap()
        .unwrap()
    }

    fn settings() -> Settings {
        let r = uptime_model::Region::parse("us-east-1").unwrap();
        Settings::new(r.clone(), vec![r])
    }

    async fn run(
        cloud: &FakeCloud,
        store: &FakeObjects,
        at: Timestamp,
        event: Value,
    ) -> Result<Response, LambdaError> {
        let pause = RecordingPause::default();
        handle(cloud, &pause, store, &settings(), &config(), at, event).await
    }

    fn scheduled() -> Value {
        json!({"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
               "account": "123456789012", "time": "2026-12-04T10:00:00Z", "region": "us-east-1",
               "resources": ["arn:aws:events:us-east-1:123456789012:rule/refresh"], "detail": {}})
    }

    fn organizations(name: &str, request: Value) -> Value {
        json!({"version": "0", "detail-type": "AWS API Call via CloudTrail",
               "source": "aws.organizations", "region": "us-east-1",
               "detail": {"eventSource": "organizations.amazonaws.com", "eventName": name,
                          "requestParameters": request}})
    }

    fn stored(store: &FakeObjects) -> Registry {
        let v = store
            .get("results", REGISTRY_KEY)
            .expect("the registry was written");
        Registry::from_json(v.to_string().as_bytes()).unwrap()
    }

    fn enabled(r: &Registry, id: &str) -> Option<String> {
        let id = AccountId::parse(id).unwrap();
        r.accounts[&id]
            .tags
            .as_ref()?
            .get("uptime-scheduler:enabled")
            .cloned()
    }

    /// Each scheduled refresh reads at most REGISTRY_TAG_READS accounts' tags, the never
    /// read first, then the oldest: three accounts at two a refresh are all read by the
    /// second, and the third refresh reads the two oldest again.
    #[tokio::test]
    async fn scheduled_refreshes_read_the_least_recently_read_tags_within_their_budget() {
        let cloud = FakeCloud::new();
        for id in ["111111111111", "222222222222", "333333333333"] {
            cloud.add_enabled_account(id);
        }
        let store = FakeObjects::default();
        let r = run(&cloud, &store, clock(), scheduled()).await.unwrap();
        assert_eq!(
            (
                r.report.changes.added,
                r.report.tags_read,
                r.report.never_read
            ),
            (3, 2, 1)
        );
        assert_eq!(cloud.count(Op::AccountTags), 2);
        // Ten minutes later: only the one never read (the others are fresh: tags are re-read
        // once older than half the 60-minute bound).
        let later = clock() + jiff::SignedDuration::from_mins(10);
        let r = run(&cloud, &store, later, scheduled()).await.unwrap();
        assert_eq!((r.report.tags_read, r.report.never_read), (1, 0));
        let registry = stored(&store);
        assert_eq!(enabled(&registry, "333333333333").as_deref(), Some("true"));
        assert_eq!(registry.walked_at, Some(later));
        assert!(
            registry.units.contains(&uptime_testkit::fake::root()),
            "the walk's units"
        );
        assert_eq!(r.report.oldest_tag_read, Some(clock()));
        assert_eq!(r.write_conflicts, 0);
        // Past half the bound: the two oldest again, within the budget of two.
        let much_later = clock() + jiff::SignedDuration::from_mins(31);
        let r = run(&cloud, &store, much_later, scheduled()).await.unwrap();
        assert_eq!(r.report.tags_read, 2);
        assert_eq!(r.report.oldest_tag_read, Some(later));
    }

    /// An untag event re-reads that one account (one tag read, no walk); a removal walks.
    #[tokio::test]
    async fn an_untag_event_rereads_its_account_and_a_removal_walks() {
        let cloud = FakeCloud::new();
        let one = cloud.add_enabled_account("111111111111");
        let two = cloud.add_enabled_account("222222222222");
        let store = FakeObjects::default();
        run(&cloud, &store, clock(), scheduled()).await.unwrap();
        let before = cloud.calls().len();
        cloud.set_account_tag(&one, "uptime-scheduler:enabled", None);
        let at = clock() + jiff::SignedDuration::from_secs(30);
        let event = organizations(
            "UntagResource",
            json!({"resourceId": "111111111111", "tagKeys": ["uptime-scheduler:enabled"]}),
        );
        let r = run(&cloud, &store, at, event).await.unwrap();
        assert_eq!(r.trigger, "UntagResource");
        assert!(!r.report.walked);
        let calls: Vec<Op> = cloud.calls()[before..].iter().map(|c| c.op).collect();
        assert_eq!(calls, [Op::AccountTags]);
        assert_eq!(enabled(&stored(&store), "111111111111"), None);

        cloud.remove_account(&two);
        let event = organizations(
            "RemoveAccountFromOrganization",
            json!({"accountId": "222222222222"}),
        );
        let r = run(&cloud, &store, at, event).await.unwrap();
        assert!(r.report.walked);
        assert_eq!(r.report.changes.removed, 1);
        assert!(!stored(&store).accounts[&two].present());
    }

    /// Tagging an account the registry does not know (created since the last walk) walks,
    /// so the account is in the registry with its tags at once.
    #[tokio::test]
    async fn a_tag_event_for_an_unknown_account_walks_and_reads_it() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let store = FakeObjects::default();
        run(&cloud, &store, clock(), scheduled()).await.unwrap();
        cloud.add_enabled_account("444444444444");
        let event = organizations(
            "TagResource",
            json!({"resourceId": "444444444444",
            "tags": [{"key": "uptime-scheduler:enabled", "value": "true"}]}),
        );
        let r = run(&cloud, &store, clock(), event).await.unwrap();
        assert!(r.report.walked);
        assert_eq!(
            enabled(&stored(&store), "444444444444").as_deref(),
            Some("true")
        );
    }

    /// A registry rewritten by another writer between this one's read and write: the
    /// conditional write fails, the registry is read again, both writers' reads are kept.
    #[tokio::test]
    async fn a_write_that_lost_a_race_merges_again_and_keeps_both_writers_reads() {
        struct Racing<'a> {
            inner: &'a FakeObjects,
            raced: std::sync::atomic::AtomicBool,
            cloud: &'a FakeCloud,
        }
        impl ResultStore for Racing<'_> {
            async fn get_object(
                &self,
                b: &str,
                k: &str,
            ) -> Result<Vec<u8>, uptime_core::PortError> {
                self.inner.get_object(b, k).await
            }
            async fn put_object(
                &self,
                b: &str,
                k: &str,
                body: Vec<u8>,
            ) -> Result<(), uptime_core::PortError> {
                self.inner.put_object(b, k, body).await
            }
            async fn get_versioned(
                &self,
                b: &str,
                k: &str,
            ) -> Result<Option<uptime_core::Versioned>, uptime_core::PortError> {
                self.inner.get_versioned(b, k).await
            }
            async fn put_object_if(
                &self,
                b: &str,
                k: &str,
                body: Vec<u8>,
                expected: &Precondition,
            ) -> Result<bool, uptime_core::PortError> {
                if !self.raced.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    // Another invocation's event: account 2 untagged, read later than ours.
                    let two = AccountId::parse("222222222222").unwrap();
                    self.cloud
                        .set_account_tag(&two, "uptime-scheduler:enabled", Some("false"));
                    let later = clock() + jiff::SignedDuration::from_secs(5);
                    let event =
                        organizations("UntagResource", json!({"resourceId": "222222222222"}));
                    Box::pin(run(self.cloud, self.inner, later, event))
                        .await
                        .unwrap();
                }
                self.inner.put_object_if(b, k, body, expected).await
            }
        }
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        cloud.add_enabled_account("222222222222");
        let objects = FakeObjects::default();
        run(
            &cloud,
            &objects,
            clock() - jiff::SignedDuration::from_mins(40),
            scheduled(),
        )
        .await
        .unwrap();
        let racing = Racing {
            inner: &objects,
            raced: false.into(),
            cloud: &cloud,
        };
        cloud.set_account_tag(
            &AccountId::parse("111111111111").unwrap(),
            "uptime-scheduler:regions",
            Some("eu-west-1"),
        );
        let pause = RecordingPause::default();
        let mut cfg = config();
        cfg.tag_reads = 10;
        let r = handle(
            &cloud,
            &pause,
            &racing,
            &settings(),
            &cfg,
            clock(),
            scheduled(),
        )
        .await
        .unwrap();
        assert_eq!(r.write_conflicts, 1);
        let registry = stored(&objects);
        // Ours: account 1's regions tag, read at the clock.
        let one = &registry.accounts[&AccountId::parse("111111111111").unwrap()];
        assert_eq!(
            one.tags.as_ref().unwrap()["uptime-scheduler:regions"],
            "eu-west-1"
        );
        // Theirs, newer than our read of account 2 (which saw it opted in): kept.
        assert_eq!(enabled(&registry, "222222222222").as_deref(), Some("false"));
    }

    #[tokio::test]
    async fn anything_but_a_schedule_or_an_organizations_event_is_refused_untouched() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let store = FakeObjects::default();
        for event in [
            json!({}),
            json!({"action": "stop"}),
            json!({"action": "refresh", "accounts": ["111111111111"]}),
            json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification"}),
            json!({"source": "aws.organizations", "detail": {}}),
            organizations("TagResource", json!({})),
        ] {
            let e = run(&cloud, &store, clock(), event.clone())
                .await
                .unwrap_err();
            assert_eq!(e.name, ErrorName::InvalidInput, "{event}");
        }
        assert!(cloud.calls().is_empty());
        assert!(store.get("results", REGISTRY_KEY).is_none());
        // An OU's tags, or an event the registry does not follow: nothing to do.
        for event in [
            organizations("TagResource", json!({"resourceId": "ou-ab12-11111111"})),
            organizations("CreateOrganizationalUnit", json!({"name": "dev"})),
        ] {
            let r = run(&cloud, &store, clock(), event).await.unwrap();
            assert!(r.trigger.starts_with("ignored"), "{}", r.trigger);
        }
        assert!(cloud.calls().is_empty());
        let r = run(&cloud, &store, clock(), json!({"action": "refresh"}))
            .await
            .unwrap();
        assert_eq!(r.trigger, "scheduled");
    }

    /// A refresh whose walk fails writes nothing: the registry keeps its last complete view,
    /// whose reads age out of the opt-in bound if refreshes keep failing.
    #[tokio::test]
    async fn a_failed_walk_writes_nothing() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        cloud.fail_next(
            Op::ListRoots,
            None,
            None,
            uptime_core::ErrorKind::AccessDenied,
            1,
        );
        let store = FakeObjects::default();
        let e = run(&cloud, &store, clock(), scheduled()).await.unwrap_err();
        assert_eq!(e.name, ErrorName::AccessDenied);
        assert!(e.message.contains("listing the roots"), "{}", e.message);
        assert!(store.get("results", REGISTRY_KEY).is_none());
    }

    /// The examples of docs/lambda-contracts.md's refresh-accounts section: its events are
    /// accepted as what they say, and its response has exactly the fields a refresh answers.
    #[tokio::test]
    async fn the_documented_events_and_response_are_the_contract() {
        let doc = include_str!("../../../docs/lambda-contracts.md");
        let section = doc
            .split("\n## refresh-accounts\n")
            .nth(1)
            .expect("the section");
        let section = &section[..section.find("\n## ").unwrap_or(section.len())];
        let examples: Vec<Value> = section
            .split("```json\n")
            .skip(1)
            .map(|b| serde_json::from_str(&b[..b.find("```").unwrap()]).unwrap())
            .collect();
        assert_eq!(examples.len(), 4);
        assert_eq!(trigger(examples[0].clone()).unwrap(), Trigger::Scheduled);
        assert_eq!(trigger(examples[1].clone()).unwrap(), Trigger::Scheduled);
        let Trigger::Organizations { event, work } = trigger(examples[2].clone()).unwrap() else {
            panic!("an Organizations event");
        };
        assert_eq!(event, "UntagResource");
        assert!(!work.walk && work.tags_of.len() == 1);
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let r = run(
            &cloud,
            &FakeObjects::default(),
            clock(),
            examples[0].clone(),
        )
        .await
        .unwrap();
        let got = serde_json::to_value(&r).unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&got), keys(&examples[3]));
    }

    /// Without s3:ListBucket, S3 answers the first refresh's read 403: the registry is still
    /// created (the write that expects no object holds). Once it exists, a denied read is a
    /// denial: the write that expects none loses, and the refresh fails AccessDenied.
    #[tokio::test]
    async fn a_403_for_a_missing_registry_does_not_stop_the_first_refresh() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        let store = FakeObjects::default();
        store.deny_missing();
        run(&cloud, &store, clock(), scheduled()).await.unwrap();
        assert_eq!(stored(&store).accounts.len(), 1);

        struct Denied<'a>(&'a FakeObjects);
        impl ResultStore for Denied<'_> {
            async fn get_object(&self, _: &str, _: &str) -> Result<Vec<u8>, PortError> {
                Err(PortError::new(
                    ErrorKind::AccessDenied,
                    Some("AccessDenied"),
                    "Access Denied",
                ))
            }
            async fn put_object(&self, b: &str, k: &str, body: Vec<u8>) -> Result<(), PortError> {
                self.0.put_object(b, k, body).await
            }
            async fn get_versioned(
                &self,
                _: &str,
                _: &str,
            ) -> Result<Option<uptime_core::Versioned>, PortError> {
                Err(PortError::new(
                    ErrorKind::AccessDenied,
                    Some("AccessDenied"),
                    "Access Denied",
                ))
            }
            async fn put_object_if(
                &self,
                b: &str,
                k: &str,
                body: Vec<u8>,
                expected: &Precondition,
            ) -> Result<bool, PortError> {
                self.0.put_object_if(b, k, body, expected).await
            }
        }
        let before = store.get("results", REGISTRY_KEY);
        let pause = RecordingPause::default();
        let e = handle(
            &cloud,
            &pause,
            &Denied(&store),
            &settings(),
            &config(),
            clock(),
            scheduled(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.name, ErrorName::AccessDenied);
        assert!(
            e.message.contains("reading the account registry"),
            "{}",
            e.message
        );
        assert_eq!(
            store.get("results", REGISTRY_KEY),
            before,
            "nothing overwritten"
        );
    }
}
