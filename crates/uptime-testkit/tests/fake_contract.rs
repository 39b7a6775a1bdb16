//! The port contract, run against the in-memory fake (the AWS adapter runs the same checks on
//! moto_server in `uptime-aws/tests/on_moto.rs`).

use uptime_core::{Compute, Connect, ErrorKind};
use uptime_model::{InstanceId, InstanceState, Region};
use uptime_testkit::contract::{
    check_ports, ContractFleet, CONTRACT_SCHEDULE, CONTRACT_SCHEDULE_PADDED, OTHER_SCHEDULE,
};
use uptime_testkit::{Call, FakeCloud, Launch, Op};

#[tokio::test]
async fn contract_holds_for_the_fake() {
    let cloud = FakeCloud::new();
    let account = cloud.add_enabled_account("210987654321");
    let r = "eu-west-1";
    let launch = |spec: Launch, n: usize| {
        (0..n)
            .map(|_| cloud.launch(&account, r, spec.clone()))
            .collect::<Vec<_>>()
    };
    let fleet = ContractFleet {
        account: account.clone(),
        region: Region::parse(r).unwrap(),
        running: launch(Launch::running().schedule(CONTRACT_SCHEDULE), 2),
        stopped: launch(Launch::stopped().schedule(CONTRACT_SCHEDULE_PADDED), 1),
        spot: launch(Launch::running().schedule(CONTRACT_SCHEDULE).spot(), 1),
        other: launch(Launch::running().schedule(OTHER_SCHEDULE), 1),
        untagged: launch(Launch::running(), 1),
        terminated: launch(
            Launch::new(InstanceState::Terminated).schedule(CONTRACT_SCHEDULE),
            1,
        ),
    };
    check_ports(&cloud, &cloud, &fleet).await;
}

const LAST_ACTION: &str = "uptime-scheduler:last-action";

/// What moto cannot show (it accepts CreateTags for unknown ids): EC2 fails the whole call.
#[tokio::test]
async fn a_tag_call_with_an_unknown_id_fails_as_a_whole_and_tags_nothing() {
    let cloud = FakeCloud::new();
    let account = cloud.add_enabled_account("210987654321");
    let known = cloud.launch(
        &account,
        "eu-west-1",
        Launch::running().schedule("office-hours"),
    );
    let ec2 = cloud
        .compute(&account, &Region::parse("eu-west-1").unwrap(), "s")
        .await
        .unwrap();
    let ghost = InstanceId::parse("i-0000000000000dead").unwrap();
    let err = ec2
        .tag(
            &[known.clone(), ghost],
            LAST_ACTION,
            "stop@2026-11-25T19:00Z",
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.code.as_deref(), Some("InvalidInstanceID.NotFound"));
    assert_eq!(cloud.tag_value(&known, LAST_ACTION), None);
    let empty = ec2.tag(&[], LAST_ACTION, "stop@2026-11-25T19:00Z").await;
    assert_eq!(empty.unwrap_err().code.as_deref(), Some("MissingParameter"));
}

#[tokio::test]
async fn tag_calls_are_recorded_with_their_tag_and_can_be_failed() {
    let cloud = FakeCloud::new();
    let account = cloud.add_enabled_account("210987654321");
    let a = cloud.launch(
        &account,
        "eu-west-1",
        Launch::running().schedule("office-hours"),
    );
    let b = cloud.launch(
        &account,
        "eu-west-1",
        Launch::stopped().schedule("office-hours"),
    );
    let ec2 = cloud
        .compute(&account, &Region::parse("eu-west-1").unwrap(), "s")
        .await
        .unwrap();
    cloud.fail_next(
        Op::CreateTags,
        Some(&account),
        None,
        ErrorKind::Throttled,
        1,
    );
    let value = "start@2026-11-26T07:00Z";
    let err = ec2.tag(&[a.clone(), b.clone()], LAST_ACTION, value).await;
    assert_eq!(err.unwrap_err().kind, ErrorKind::Throttled);
    assert_eq!(
        cloud.tag_value(&a, LAST_ACTION),
        None,
        "a failed call tags nothing"
    );
    ec2.tag(&[a.clone(), b.clone()], LAST_ACTION, value)
        .await
        .unwrap();
    assert_eq!(cloud.tag_value(&b, LAST_ACTION).as_deref(), Some(value));

    let tagged: Vec<Call> = cloud
        .mutating_calls()
        .into_iter()
        .filter(|c| c.op == Op::CreateTags)
        .collect();
    assert_eq!(
        tagged.len(),
        2,
        "a tag write is a mutating call: {tagged:?}"
    );
    for c in &tagged {
        assert_eq!(c.ids, vec![a.clone(), b.clone()]);
        assert_eq!(c.tag, Some((LAST_ACTION.to_owned(), value.to_owned())));
    }
    assert!(tagged[0].failed && !tagged[1].failed);
}

#[tokio::test]
async fn the_fake_object_store_honours_conditional_writes() {
    let store = uptime_testkit::FakeObjects::default();
    uptime_testkit::contract::check_conditional_writes(
        &store,
        "results",
        "account-registry/accounts.json",
    )
    .await;
}
