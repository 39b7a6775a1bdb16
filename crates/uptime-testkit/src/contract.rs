//! Contract tests of the ports. The same checks run against the in-memory fake and against
//! the real AWS adapter on moto_server, so the fake cannot drift from what the adapter does.

use std::collections::BTreeSet;
use uptime_core::{Compute, Connect, Directory, Discovery, ErrorKind, Precondition, ResultStore};
use uptime_model::{AccountId, AccountStatus, InstanceId, InstanceState, Lifecycle, Region};

/// The schedule tag value the contract fleet uses.
pub const CONTRACT_SCHEDULE: &str = "contract";
/// The same value padded with white space, as `stopped` carries it: discovery by value trims.
pub const CONTRACT_SCHEDULE_PADDED: &str = " contract ";
/// A value that contains the contract's but is another schedule, as `other` carries it.
pub const OTHER_SCHEDULE: &str = "contract-other";

/// A fleet seeded in one account and region, in the same shape on both backends:
/// `running`/`spot` carry `Schedule=contract`, `stopped` carries it padded
/// ([`CONTRACT_SCHEDULE_PADDED`]), `other` carries [`OTHER_SCHEDULE`], `untagged` has no
/// schedule tag, `terminated` is tagged but terminated.
#[derive(Debug, Clone)]
pub struct ContractFleet {
    pub account: AccountId,
    pub region: Region,
    pub running: Vec<InstanceId>,
    pub stopped: Vec<InstanceId>,
    pub spot: Vec<InstanceId>,
    pub other: Vec<InstanceId>,
    pub untagged: Vec<InstanceId>,
    pub terminated: Vec<InstanceId>,
}

fn set(ids: &[&[InstanceId]]) -> BTreeSet<InstanceId> {
    ids.iter().flat_map(|s| s.iter().cloned()).collect()
}

/// Runs every contract check; panics with a message naming the broken clause.
pub async fn check_ports<D: Directory, C: Connect>(dir: &D, connect: &C, fleet: &ContractFleet) {
    let session = "uptime-scheduler-contract";
    // Directory
    let accounts = dir.list_accounts().await.expect("list_accounts");
    let me = accounts
        .iter()
        .find(|a| a.id == fleet.account)
        .expect("the seeded account is listed");
    assert_eq!(me.status, AccountStatus::Active, "seeded account is ACTIVE");
    // The registry's walk: from the roots down, every account is found under one of them or
    // their OUs (the contract fleet's account sits directly under the root).
    let roots = dir.roots().await.expect("roots");
    assert_eq!(roots.len(), 1, "one root: {roots:?}");
    let under = dir
        .accounts_under(&roots[0])
        .await
        .expect("accounts_under the root");
    assert!(
        under.iter().any(|a| a.id == fleet.account),
        "the seeded account is under the root"
    );
    let tags = dir
        .account_tags(&fleet.account)
        .await
        .expect("account_tags");
    assert_eq!(
        tags.get("uptime-scheduler:enabled").map(String::as_str),
        Some("true"),
        "account tags are read"
    );

    // Connect
    connect
        .connect(&fleet.account, session)
        .await
        .expect("connect to the member account");
    let ec2 = connect
        .compute(&fleet.account, &fleet.region, session)
        .await
        .expect("compute");
    let enabled = ec2.enabled_regions().await.expect("enabled_regions");
    assert!(
        enabled.contains(&fleet.region),
        "the fleet's region is enabled: {enabled:?}"
    );

    // Discovery by key: every tagged, non-terminated instance; nothing else.
    let by_key = Discovery {
        tag_key: "Schedule".into(),
        tag_value: None,
    };
    let found = ec2
        .discover(&by_key)
        .await
        .expect("discover by key")
        .instances;
    let ids: BTreeSet<_> = found.iter().map(|i| i.id.clone()).collect();
    assert_eq!(
        ids,
        set(&[&fleet.running, &fleet.stopped, &fleet.spot, &fleet.other]),
        "discovery by tag key returns exactly the tagged, non-terminated instances"
    );
    for i in &found {
        let want = if fleet.stopped.contains(&i.id) {
            InstanceState::Stopped
        } else {
            InstanceState::Running
        };
        assert_eq!(i.state, want, "state of {}", i.id);
        let lifecycle = if fleet.spot.contains(&i.id) {
            Lifecycle::Spot
        } else {
            Lifecycle::OnDemand
        };
        assert_eq!(i.lifecycle, lifecycle, "lifecycle of {}", i.id);
        assert!(
            i.tags.contains_key("Schedule"),
            "tags of {} are returned",
            i.id
        );
    }

    // Discovery by value.
    let by_value = Discovery {
        tag_key: "Schedule".into(),
        tag_value: Some(CONTRACT_SCHEDULE.into()),
    };
    let ids: BTreeSet<_> = ec2
        .discover(&by_value)
        .await
        .expect("discover by value")
        .instances
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(
        ids,
        set(&[&fleet.running, &fleet.stopped, &fleet.spot]),
        "discovery by tag value: the padded value is the same schedule, the longer one is not"
    );

    // Stop, then start.
    let state_of = |found: &[uptime_model::Instance], id: &InstanceId| {
        found.iter().find(|i| &i.id == id).map(|i| i.state)
    };
    ec2.stop(&fleet.running, false).await.expect("stop");
    let after = ec2
        .discover(&by_key)
        .await
        .expect("discover after stop")
        .instances;
    for id in &fleet.running {
        assert_eq!(
            state_of(&after, id),
            Some(InstanceState::Stopped),
            "{id} stopped"
        );
    }
    ec2.start(&fleet.running).await.expect("start");
    let after = ec2
        .discover(&by_key)
        .await
        .expect("discover after start")
        .instances;
    for id in &fleet.running {
        assert_eq!(
            state_of(&after, id),
            Some(InstanceState::Running),
            "{id} running again"
        );
    }

    // A call with one unknown id fails as a whole and changes nothing.
    let ghost = InstanceId::parse("i-0000000000000dead").expect("literal");
    let first = fleet.running[0].clone();
    let err = ec2
        .stop(&[first.clone(), ghost], false)
        .await
        .expect_err("unknown id fails the call");
    assert_eq!(
        err.kind,
        ErrorKind::NotFound,
        "unknown id is NotFound: {err:?}"
    );
    assert!(
        err.message.contains("i-0000000000000dead")
            && !err.message.contains('{')
            && !err.message.contains("SdkBody"),
        "the message is a sentence naming the id, not a Debug dump of the answer: {}",
        err.message
    );
    let after = ec2
        .discover(&by_key)
        .await
        .expect("discover after failed stop")
        .instances;
    assert_eq!(
        state_of(&after, &first),
        Some(InstanceState::Running),
        "a failed call stops nothing"
    );

    // Tagging: one call tags every instance given; discovery sees the value.
    let key = "uptime-scheduler:last-action";
    let value = "stop@2026-11-25T19:00Z";
    let pair = [fleet.running[0].clone(), fleet.stopped[0].clone()];
    ec2.tag(&pair, key, value).await.expect("tag");
    let after = ec2
        .discover(&by_key)
        .await
        .expect("discover after tag")
        .instances;
    for id in &pair {
        let tags = &after
            .iter()
            .find(|i| &i.id == id)
            .unwrap_or_else(|| panic!("{id} still discovered after tagging"))
            .tags;
        assert_eq!(
            tags.get(key).map(String::as_str),
            Some(value),
            "{id} carries the tag"
        );
        assert_eq!(
            tags.get("Schedule").map(|v| v.trim()),
            Some(CONTRACT_SCHEDULE),
            "tagging keeps {id}'s other tags"
        );
    }
    let untouched = after
        .iter()
        .filter(|i| !pair.contains(&i.id))
        .find(|i| i.tags.contains_key(key));
    assert!(
        untouched.is_none(),
        "only the given instances are tagged: {untouched:?}"
    );
    // A tag value XML cannot carry (EC2 documents no character restriction for its tag
    // values; moto then answers DescribeInstances with XML that does not parse): that one
    // instance is reported unreadable, every other one is still discovered, whole.
    let poisoned = fleet.stopped[0].clone();
    ec2.tag(
        std::slice::from_ref(&poisoned),
        "Note",
        "bad\u{1}\u{1b}[31m\u{0}",
    )
    .await
    .expect("tag with control characters");
    let found = ec2
        .discover(&by_key)
        .await
        .expect("one unreadable instance does not fail discovery");
    assert_eq!(
        found
            .unreadable
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>(),
        vec![poisoned.clone()],
        "exactly the poisoned instance is unreadable"
    );
    assert_eq!(
        found
            .instances
            .iter()
            .map(|i| i.id.clone())
            .collect::<BTreeSet<_>>(),
        set(&[&fleet.running, &fleet.spot, &fleet.other]),
        "every other instance is discovered"
    );
    assert!(
        found
            .instances
            .iter()
            .all(|i| i.tags.contains_key("Schedule")),
        "with its tags"
    );
    let by_value_found = ec2
        .discover(&by_value)
        .await
        .expect("discover by value, poisoned");
    assert_eq!(
        by_value_found.unreadable.len(),
        1,
        "isolated with the value filter too"
    );

    // Not in the contract: a tag call with an unknown id. EC2 answers InvalidInstanceID.NotFound
    // (the fake does too, see its own test); moto 5.2 accepts it and stores a tag for an
    // instance that does not exist.
}

/// The conditional writes the account registry relies on (ADR 0013), on `bucket` (existing,
/// without `key`): a first write only where there is no object, a later one only at the version
/// read, a lost race answered `false` with nothing written.
pub async fn check_conditional_writes(store: &impl ResultStore, bucket: &str, key: &str) {
    assert_eq!(
        store.get_versioned(bucket, key).await.expect("read"),
        None,
        "no object yet"
    );
    let first = br#"{"n": 1}"#.to_vec();
    assert!(
        store
            .put_object_if(bucket, key, first.clone(), &Precondition::Absent)
            .await
            .expect("first write"),
        "a first write where there is none holds"
    );
    assert!(
        !store
            .put_object_if(bucket, key, b"{}".to_vec(), &Precondition::Absent)
            .await
            .expect("second first write"),
        "a second 'first' write loses"
    );
    let v1 = store
        .get_versioned(bucket, key)
        .await
        .expect("read")
        .expect("the object");
    assert_eq!(v1.body, first);
    let second = br#"{"n": 2}"#.to_vec();
    let at_v1 = Precondition::Matches(v1.etag.clone());
    assert!(
        store
            .put_object_if(bucket, key, second.clone(), &at_v1)
            .await
            .expect("write at v1"),
        "a write at the version read holds"
    );
    assert!(
        !store
            .put_object_if(bucket, key, b"{}".to_vec(), &at_v1)
            .await
            .expect("stale write"),
        "a write at a version since replaced loses"
    );
    let v2 = store
        .get_versioned(bucket, key)
        .await
        .expect("read")
        .expect("the object");
    assert_eq!(v2.body, second, "the lost writes wrote nothing");
    assert_ne!(v2.etag, v1.etag);
}
