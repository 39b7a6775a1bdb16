//! The benchmark's own smoke check: `uptime-bench --sizes smoke` (one account, one region, 50
//! instances) must run, verify its outcome and write both result files. Figures are not checked:
//! benchmarks print figures, they are not timed tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

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
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["sizes"][0]["instances"], 50);
    assert!(out.join("results.md").is_file());
    let _ = std::fs::remove_dir_all(&out);
}
