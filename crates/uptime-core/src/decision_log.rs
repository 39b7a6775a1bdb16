//! The per-instance decision log line, written by the `schedule-region` Lambda and by the CLI's
//! `run -v`. Dashboards and Logs Insights queries read its fields, so they are written here
//! once, and pinned by a test.
//!
//! The line carries facts only; the caller's span carries identity (`account`, `region`, and
//! in the Lambda `execution`), as every other line of a region run does.

use uptime_model::{InstanceRecord, Note};

/// Logs one instance's decision (at `info`, message `decision`) with these fields, in this
/// order, each always present (empty when there is nothing to say):
///
/// - `instance`: the instance id;
/// - `outcome`: [`uptime_model::Outcome::name`] (`stopped`, `skipped`, …);
/// - `reason`: the decision's reason (reconcile: `in-window`, `override-until-…`, …), or else
///   the outcome's own (a skip or failure reason);
/// - `note`: a fact that did not change the decision (`override-expired`, …);
/// - `message`: EC2's message, or why a schedule does not resolve. Its name is also the one
///   `tracing` gives the line's message, so a JSON line carries the key twice (`decision`
///   first); that is how the line has always been written, and readers of it depend on it;
/// - `dry_run`: whether the run only decided.
pub fn log_decision(record: &InstanceRecord, dry_run: bool) {
    let r = record;
    // Recorded as strings (`record_str`), as they always were: a text formatter quotes them.
    let reason = r.reason.map(|reason| reason.to_string());
    let reason = reason.as_deref().or(r.outcome.reason()).unwrap_or("");
    tracing::info!(
        instance = %r.instance,
        outcome = r.outcome.name(),
        reason,
        note = r.note.map(Note::as_str).unwrap_or(""),
        message = r.message.as_deref().unwrap_or(""),
        dry_run,
        "decision"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::util::SubscriberInitExt;
    use uptime_model::{FailReason, InstanceId, Outcome, Reason, SkipReason};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The lines `log_decision` writes for `records`, formatted as the Lambdas' subscriber
    /// formats them with the JSON log format (`lambda_runtime::tracing::init_default_subscriber`:
    /// no target, no time).
    fn json_lines(records: &[(InstanceRecord, bool)]) -> Vec<String> {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_target(false)
            .without_time()
            .json()
            .with_writer(move || writer.clone())
            .finish();
        {
            let _guard = subscriber.set_default();
            for (r, dry_run) in records {
                log_decision(r, *dry_run);
            }
        }
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    fn record(outcome: Outcome) -> InstanceRecord {
        InstanceRecord {
            instance: InstanceId::parse("i-0123abcd").unwrap(),
            outcome,
            message: None,
            reason: None,
            note: None,
        }
    }

    #[test]
    fn the_decision_line_has_its_fields_in_order_and_always_present() {
        let reconciled = InstanceRecord {
            reason: Some(Reason::Override {
                until: "2026-11-25T23:00Z".parse().unwrap(),
            }),
            note: Some(Note::LastActionNotWritten),
            message: Some("writing uptime-scheduler:last-action=…: denied".into()),
            ..record(Outcome::Stopped)
        };
        let lines = json_lines(&[
            (record(Outcome::Stopped), false),
            (record(Outcome::Skipped(SkipReason::Spot)), true),
            (record(Outcome::Failed(FailReason::InvalidState)), false),
            (reconciled, false),
        ]);
        let fields = |instance: &str, outcome: &str, rest: &str| {
            format!(
                r#"{{"level":"INFO","fields":{{"message":"decision","instance":"{instance}","outcome":"{outcome}",{rest}}}}}"#
            )
        };
        let i = "i-0123abcd";
        assert_eq!(
            lines,
            [
                fields(
                    i,
                    "stopped",
                    r#""reason":"","note":"","message":"","dry_run":false"#
                ),
                fields(
                    i,
                    "skipped",
                    r#""reason":"spot","note":"","message":"","dry_run":true"#
                ),
                fields(
                    i,
                    "failed",
                    r#""reason":"invalid-state","note":"","message":"","dry_run":false"#
                ),
                fields(
                    i,
                    "stopped",
                    r#""reason":"override-until-2026-11-25T23:00Z","note":"last-action-not-written","message":"writing uptime-scheduler:last-action=…: denied","dry_run":false"#
                ),
            ]
        );
    }
}
