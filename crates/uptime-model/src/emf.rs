//! CloudWatch Embedded Metric Format lines for a run summary. Printing one of these JSON
//! objects on its own line in a Lambda's log creates the metrics without any API call.

use crate::report::RunSummary;
use serde_json::{json, Value};

/// The metric namespace.
pub const NAMESPACE: &str = "UptimeScheduler";

/// The metrics of a run (the Terraform module's dashboard graphs them; its test checks that
/// every name it uses is one of these).
pub const METRICS: [&str; 10] = [
    "InstancesStarted",
    "InstancesStopped",
    "InstancesAlready",
    "InstancesSkipped",
    "InstancesFailed",
    "InstancesWouldChange",
    "AccountsFailed",
    "RegionsFailed",
    "AccountsScheduled",
    // 1 when the run's digest could not be published (ADR 0009), else 0.
    "DigestsFailed",
];

/// One EMF object for the whole run, dimensioned by action and dry-run; `digests_failed` is 1
/// when the run's digest could not be published.
pub fn run_metrics(summary: &RunSummary, digests_failed: u64, timestamp_ms: i64) -> Value {
    let i = &summary.instances;
    let metrics: Vec<Value> = METRICS
        .iter()
        .map(|n| json!({"Name": n, "Unit": "Count"}))
        .collect();
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Action", "DryRun"]],
                "Metrics": metrics,
            }],
        },
        "Action": summary.action.as_str(),
        "DryRun": if summary.dry_run { "true" } else { "false" },
        "InstancesStarted": i.started,
        "InstancesStopped": i.stopped + i.hibernated,
        "InstancesAlready": i.already,
        "InstancesSkipped": i.skipped,
        "InstancesFailed": i.failed,
        "InstancesWouldChange": i.would_start + i.would_stop,
        "AccountsFailed": summary.accounts.failed,
        "RegionsFailed": summary.regions.failed,
        "AccountsScheduled": summary.accounts.total,
        "DigestsFailed": digests_failed,
        "status": summary.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Action;
    use crate::report::{summarize, RunHeader};

    #[test]
    fn every_declared_metric_has_a_value() {
        let s = summarize(
            RunHeader {
                action: Action::Stop,
                dry_run: true,
                schedule: None,
                now: "2026-11-24T19:00:00Z".parse().unwrap(),
            },
            &[],
            vec![],
        );
        let v = run_metrics(&s, 1, 1_764_010_800_000);
        let decl = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(decl["Namespace"], NAMESPACE);
        for m in decl["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            assert!(v[name].is_u64(), "{name} has no numeric value");
        }
        for dim in decl["Dimensions"][0].as_array().unwrap() {
            assert!(v[dim.as_str().unwrap()].is_string());
        }
        assert_eq!(v["DryRun"], "true");
        assert_eq!(v["DigestsFailed"], 1);
    }
}
