//! The log of a region run, written by the `schedule-account` Lambda and by the CLI's `run -v`:
//! one line per instance that something happened to, and one summary line per region that
//! counts the rest and names them. Dashboards and Logs Insights queries read these fields, so
//! they are written here once, and pinned by tests.
//!
//! Lines carry facts only; the caller's span carries identity (`account`, `region`, and in the
//! Lambda `execution`).
//!
//! What is logged on its own line, at `info`: every change (`started`, `stopped`,
//! `hibernated`), every would-be change of a dry run, every failure, every skip that needs
//! attention (a malformed tag, an unknown schedule, an unreadable instance, a missed
//! transition: [`uptime_model::SkipReason::needs_attention`]) and every decision with a note.
//! The rest ([`InstanceRecord::is_quiet`]: already as the schedule wants, or skipped as a fleet
//! normally is: opted out, Auto Scaling member, spot, …) is written at `debug` only, and named
//! on the region's summary line (`quiet`), so that a steady-state tick costs a few bytes per
//! instance instead of a line each, and "why was i-… not stopped" still has an answer.

use std::collections::BTreeMap;
use uptime_model::{Counts, InstanceRecord, Note};

/// At most this many instance ids are named on one region's summary line (the rest are
/// counted: `+N more`), so that the line stays well under CloudWatch Logs' 256 KB event limit.
pub const MAX_QUIET_IDS: usize = 5_000;

/// Logs one instance's decision (message `decision`; at `info`, or at `debug` when the record
/// is quiet) with these fields, in this order, each always present (empty when there is nothing
/// to say):
///
/// - `instance`: the instance id;
/// - `outcome`: [`uptime_model::Outcome::name`] (`stopped`, `skipped`, …);
/// - `reason`: the decision's reason (reconcile: `in-window`, `override-until-…`, …), or else
///   the outcome's own (a skip or failure reason);
/// - `note`: a fact that did not change the decision (`override-expired`, …);
/// - `detail`: EC2's message, or why a schedule does not resolve;
/// - `dry_run`: whether the run only decided.
pub fn log_decision(record: &InstanceRecord, dry_run: bool) {
    let r = record;
    // Recorded as strings (`record_str`): a text formatter quotes them.
    let reason = r.reason.map(|reason| reason.to_string());
    let reason = reason.as_deref().or(r.outcome.reason()).unwrap_or("");
    let note = r.note.map(Note::as_str).unwrap_or("");
    let detail = r.message.as_deref().unwrap_or("");
    let instance = r.instance.as_str();
    let outcome = r.outcome.name();
    if r.is_quiet() {
        tracing::debug!(instance, outcome, reason, note, detail, dry_run, "decision");
    } else {
        tracing::info!(instance, outcome, reason, note, detail, dry_run, "decision");
    }
}

/// Logs a region run: [`log_decision`] for every record, then the region's summary line
/// (message `region done`, at `info`) with the counts (`started`, `stopped` with the
/// hibernated, `already`, `skipped`, `failed`, `would_change`), `dry_run`, and `quiet`: the
/// quiet instances by outcome and reason, as `outcome/reason: id id …; outcome/reason: …`
/// (`already/in-window: i-1 i-2; skipped/spot: i-3`), at most [`MAX_QUIET_IDS`] ids.
pub fn log_region(records: &[InstanceRecord], dry_run: bool) {
    let mut counts = Counts::default();
    for r in records {
        log_decision(r, dry_run);
        counts.record(&r.outcome);
    }
    let c = &counts;
    tracing::info!(
        started = c.started,
        stopped = c.stopped + c.hibernated,
        already = c.already,
        skipped = c.skipped,
        failed = c.failed,
        would_change = c.would_start + c.would_stop,
        dry_run,
        quiet = quiet_ids(records).as_str(),
        "region done"
    );
}

/// The quiet records' ids by `outcome/reason`, in that order and then in the run's order.
fn quiet_ids(records: &[InstanceRecord]) -> String {
    let mut groups: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    let quiet: Vec<&InstanceRecord> = records.iter().filter(|r| r.is_quiet()).collect();
    for r in quiet.iter().take(MAX_QUIET_IDS) {
        groups
            .entry((r.outcome.name(), r.reason_kind().unwrap_or("")))
            .or_default()
            .push(r.instance.as_str());
    }
    let mut out: Vec<String> = groups
        .into_iter()
        .map(|((outcome, reason), ids)| match reason {
            "" => format!("{outcome}: {}", ids.join(" ")),
            reason => format!("{outcome}/{reason}: {}", ids.join(" ")),
        })
        .collect();
    if quiet.len() > MAX_QUIET_IDS {
        out.push(format!("+{} more", quiet.len() - MAX_QUIET_IDS));
    }
    out.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::util::SubscriberInitExt;
    use uptime_model::{FailReason, InstanceId, Outcome, Reason, SkipReason};
    use uptime_testkit::Captured;

    /// What `log` writes at `level`, as JSON lines (events flattened, no span: the Lambdas'
    /// own format is pinned in `uptime_lambda::logging`).
    fn written(level: tracing::Level, log: impl FnOnce()) -> String {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_target(false)
            .without_time()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_writer(move || writer.clone())
            .finish();
        {
            let _guard = subscriber.set_default();
            log();
        }
        out.text()
    }

    /// The lines `log_region` writes for `records` at `level`, parsed.
    fn lines_at(
        level: tracing::Level,
        records: &[InstanceRecord],
        dry_run: bool,
    ) -> Vec<serde_json::Value> {
        written(level, || log_region(records, dry_run))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn record(id: &str, outcome: Outcome) -> InstanceRecord {
        InstanceRecord {
            instance: InstanceId::parse(id).unwrap(),
            outcome,
            message: None,
            reason: None,
            note: None,
        }
    }

    fn fleet() -> Vec<InstanceRecord> {
        vec![
            record("i-00000001", Outcome::Stopped),
            InstanceRecord {
                reason: Some(Reason::InWindow),
                ..record("i-00000002", Outcome::Already)
            },
            InstanceRecord {
                reason: Some(Reason::InWindow),
                ..record("i-00000003", Outcome::Already)
            },
            record("i-00000004", Outcome::Skipped(SkipReason::Spot)),
            record(
                "i-00000005",
                Outcome::Skipped(SkipReason::InvalidScheduleTag),
            ),
            InstanceRecord {
                message: Some("IncorrectInstanceState: …".into()),
                ..record("i-00000006", Outcome::Failed(FailReason::InvalidState))
            },
            InstanceRecord {
                reason: Some(Reason::Override {
                    until: "2026-11-25T23:00Z".parse().unwrap(),
                }),
                note: Some(Note::OverrideExpired),
                ..record("i-00000007", Outcome::Already)
            },
            record("i-00000008", Outcome::Already),
        ]
    }

    #[test]
    fn a_line_for_each_change_failure_attention_skip_and_note_and_one_for_the_region() {
        let lines = lines_at(tracing::Level::INFO, &fleet(), false);
        let decisions: Vec<(&str, &str, &str)> = lines
            .iter()
            .filter(|l| l["message"] == "decision")
            .map(|l| {
                (
                    l["instance"].as_str().unwrap(),
                    l["outcome"].as_str().unwrap(),
                    l["reason"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            decisions,
            [
                ("i-00000001", "stopped", ""),
                ("i-00000005", "skipped", "invalid-schedule-tag"),
                ("i-00000006", "failed", "invalid-state"),
                ("i-00000007", "already", "override-until-2026-11-25T23:00Z"),
            ]
        );
        let failed = lines
            .iter()
            .find(|l| l["instance"] == "i-00000006")
            .unwrap();
        assert_eq!(failed["detail"], "IncorrectInstanceState: …");
        let region = lines.last().unwrap();
        assert_eq!(region["message"], "region done");
        assert_eq!(
            (
                &region["started"],
                &region["stopped"],
                &region["already"],
                &region["skipped"],
                &region["failed"]
            ),
            (&0.into(), &1.into(), &4.into(), &2.into(), &1.into())
        );
        assert_eq!(
            region["quiet"],
            "already: i-00000008; already/in-window: i-00000002 i-00000003; skipped/spot: i-00000004"
        );
    }

    #[test]
    fn every_decision_line_has_its_fields_in_order_and_the_message_once() {
        let text = written(tracing::Level::INFO, || log_decision(&fleet()[5], true));
        assert_eq!(
            text.trim_end(),
            r#"{"level":"INFO","message":"decision","instance":"i-00000006","outcome":"failed","reason":"invalid-state","note":"","detail":"IncorrectInstanceState: …","dry_run":true}"#
        );
    }

    #[test]
    fn quiet_decisions_are_written_at_debug() {
        let lines = lines_at(tracing::Level::DEBUG, &fleet(), false);
        let decisions = lines.iter().filter(|l| l["message"] == "decision").count();
        assert_eq!(decisions, fleet().len());
        let quiet: Vec<_> = lines
            .iter()
            .filter(|l| l["level"] == "DEBUG")
            .map(|l| l["instance"].as_str().unwrap())
            .collect();
        assert_eq!(
            quiet,
            ["i-00000002", "i-00000003", "i-00000004", "i-00000008"]
        );
    }

    #[test]
    fn the_region_line_names_at_most_the_cap_and_counts_the_rest() {
        let many: Vec<InstanceRecord> = (0..MAX_QUIET_IDS + 3)
            .map(|n| record(&format!("i-{n:08x}"), Outcome::Already))
            .collect();
        let lines = lines_at(tracing::Level::INFO, &many, false);
        assert_eq!(lines.len(), 1, "only the region line");
        let quiet = lines[0]["quiet"].as_str().unwrap();
        assert!(
            quiet.ends_with("; +3 more"),
            "{}",
            &quiet[quiet.len() - 40..]
        );
        assert_eq!(quiet.matches("i-").count(), MAX_QUIET_IDS);
    }
}
