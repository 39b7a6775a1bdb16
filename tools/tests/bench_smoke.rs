//! The benchmark's own smoke check: `uptime-bench --sizes smoke` (one account, one region, 50
//! instances) must run, verify its outcomes and write both result files. Figures are not checked
//! (benchmarks print figures, they are not timed tests); call counts are, at this size, where the
//! floor is exact: the bench already fails on a wrong outcome, this also pins the reconcile rows.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::Value;
use std::process::Command;

#[test]
fn bench_smoke_size_runs_and_writes_results() {
    let out = std::env::temp_dir().join(format!("uptime-bench-smoke-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_uptime-bench"))
        .args(["--sizes", "smoke", "--out"])
        .arg(&out)
        .status()
        .expect("run uptime-bench");
    assert!(status.success(), "uptime-bench --sizes smoke failed");
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let size = &results["sizes"][0];
    assert_eq!(size["instances"], 50);
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(md.contains("reconcile transition") && md.contains("reconcile steady state"));
    let _ = std::fs::remove_dir_all(&out);

    // Reconcile at 50 instances in one account-region: the transition tick stops them in one
    // call and tags them in one; the steady-state tick changes nothing.
    for runner in ["cli", "state_machine"] {
        let calls = |tick: &str| size["reconcile"][runner][tick]["calls"].clone();
        let (transition, steady) = (calls("transition"), calls("steady"));
        let action = |c: &Value, a: &str| c["by_action"][a]["calls"].as_u64().unwrap_or(0);
        assert_eq!(action(&transition, "ec2:StopInstances"), 1, "{runner}");
        assert_eq!(action(&transition, "ec2:CreateTags"), 1, "{runner}");
        assert_eq!(transition["mutating"], 2, "{runner}");
        assert_eq!(steady["mutating"], 0, "{runner}");
        assert_eq!(action(&steady, "ec2:DescribeInstances"), 1, "{runner}");
        for c in [&transition, &steady] {
            assert_eq!(c["per_instance_calls"], serde_json::json!([]), "{runner}");
        }
    }
    // The cost model bills both reconcile tick kinds.
    let kinds: Vec<&str> = results["cost"]["deployments"][0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reconcile steady state", "reconcile transition"]);
}
