//! CloudWatch Embedded Metric Format lines for a run summary. Printing one of these JSON
//! objects on its own line in a Lambda's log creates the metrics without any API call.

use crate::report::{Avoided, RunSummary};
use serde_json::{json, Value};

/// The metric namespace.
pub const NAMESPACE: &str = "UptimeScheduler";

/// The metrics of a run (the Terraform module's dashboard graphs them; its test checks that
/// every name it uses is one of these).
pub const METRICS: [&str; 12] = [
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
    // Hours the instances this run started had been stopped (Counts::minutes_avoided ÷ 60);
    // schedule-account also emits it by Schedule and by InstanceType (`avoided_metrics`).
    "InstanceHoursAvoided",
    // Throttled calls the region runs retried after the SDK's own retries (Counts::throttles_retried).
    "ThrottlesRetried",
];

/// One EMF object for the whole run, dimensioned by action and dry-run; `digests_failed` is 1
/// when the run's digest could not be published.
pub fn run_metrics(summary: &RunSummary, digests_failed: u64, timestamp_ms: i64) -> Value {
    let i = &summary.instances;
    let metrics: Vec<Value> = METRICS
        .iter()
        .map(|n| {
            let unit = if *n == "InstanceHoursAvoided" {
                "None"
            } else {
                "Count"
            };
            json!({"Name": n, "Unit": unit})
        })
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
        "InstanceHoursAvoided": hours(i.minutes_avoided),
        "ThrottlesRetried": i.throttles_retried,
        "status": summary.status,
    })
}

fn hours(minutes: u64) -> f64 {
    minutes as f64 / 60.0
}

/// The instance-hours one region run avoided by schedule and by instance type: one EMF object
/// for each (a metric has one value per object), dimensioned `Schedule` or `InstanceType`
/// alone, so that the metric count is the number of schedules plus the number of types (at
/// most [`crate::report::MAX_AVOIDED_KEYS`] each per region), whatever the number of accounts;
/// CloudWatch adds up the regions' values. None for a region that avoided nothing. Per account
/// and region the figure is the region report's `minutes_avoided`, not a metric.
pub fn avoided_metrics(avoided: &Avoided, timestamp_ms: i64) -> Vec<Value> {
    let by = |dimension: &str, map: &std::collections::BTreeMap<String, u64>| {
        map.iter()
            .map(|(key, minutes)| {
                let mut v = json!({
                    "_aws": {
                        "Timestamp": timestamp_ms,
                        "CloudWatchMetrics": [{
                            "Namespace": NAMESPACE,
                            "Dimensions": [[dimension]],
                            "Metrics": [{"Name": "InstanceHoursAvoided", "Unit": "None"}],
                        }],
                    },
                    "InstanceHoursAvoided": hours(*minutes),
                });
                v[dimension] = json!(key);
                v
            })
            .collect::<Vec<_>>()
    };
    let mut out = by("Schedule", &avoided.by_schedule);
    out.extend(by("InstanceType", &avoided.by_type));
    out
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
            assert!(v[name].is_number(), "{name} has no numeric value");
        }
        for dim in decl["Dimensions"][0].as_array().unwrap() {
            assert!(v[dim.as_str().unwrap()].is_string());
        }
        assert_eq!(v["DryRun"], "true");
        assert_eq!(v["DigestsFailed"], 1);
    }

    #[test]
    fn hours_avoided_by_schedule_and_type_are_one_object_each() {
        let mut s = summarize(
            RunHeader {
                action: Action::Start,
                dry_run: false,
                schedule: None,
                now: "2026-11-24T07:00:00Z".parse().unwrap(),
            },
            &[],
            vec![],
        );
        s.instances.minutes_avoided = 120;
        assert_eq!(run_metrics(&s, 0, 0)["InstanceHoursAvoided"], 2.0);
        let mut a = Avoided::default();
        assert!(avoided_metrics(&a, 0).is_empty());
        a.add(90, "office", "m5.large");
        a.add(30, "office", "t3.micro");
        let lines = avoided_metrics(&a, 5);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["Schedule"], "office");
        assert_eq!(lines[0]["InstanceHoursAvoided"], 2.0);
        assert_eq!(
            lines[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Schedule"]])
        );
        assert_eq!(lines[1]["InstanceType"], "m5.large");
        assert_eq!(lines[1]["InstanceHoursAvoided"], 1.5);
        assert_eq!(lines[2]["InstanceType"], "t3.micro");
        for line in &lines {
            assert_eq!(line["_aws"]["Timestamp"], 5);
        }
    }
}
