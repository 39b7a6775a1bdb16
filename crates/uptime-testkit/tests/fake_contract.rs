//! The port contract, run against the in-memory fake (the AWS adapter runs the same checks on
//! moto_server in `uptime-aws/tests/on_moto.rs`).

use uptime_model::{InstanceState, Region};
use uptime_testkit::contract::{check_ports, ContractFleet, CONTRACT_SCHEDULE};
use uptime_testkit::{FakeCloud, Launch};

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
        stopped: launch(Launch::stopped().schedule(CONTRACT_SCHEDULE), 1),
        spot: launch(Launch::running().schedule(CONTRACT_SCHEDULE).spot(), 1),
        other: launch(Launch::running().schedule("other"), 1),
        untagged: launch(Launch::running(), 1),
        terminated: launch(
            Launch::new(InstanceState::Terminated).schedule(CONTRACT_SCHEDULE),
            1,
        ),
    };
    check_ports(&cloud, &cloud, &fleet).await;
}
