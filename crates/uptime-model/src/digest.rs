//! The run digest: the one message a run publishes when it ends (an EventBridge event on the
//! default bus, and an SNS message when a topic is configured), so that a team routes it to
//! Slack, Teams or e-mail with the tools it already has. What changed, where, what failed and
//! why, and a link to the execution; one message per run, whatever the number of failures.
//!
//! It is built from the [`RunSummary`] and the [`ChangeLines`] the same fold collected
//! ([`crate::Summarizer::finish_with_changes`]), both bounded, and cut by [`Digest::fit`] to
//! [`MAX_DIGEST_BYTES`], far under EventBridge's and SNS's 256 KB. `docs/digest.md` documents
//! the schema with an example that the summarize-run tests build from the documented run.

use crate::ids::{AccountId, ExecutionArn, Region, ScheduleName};
use crate::input::Action;
use crate::report::{AccountReport, RunStatus, RunSummary, TargetCounts, TargetFailure};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The event's `source`: an EventBridge rule matches on it.
pub const DIGEST_SOURCE: &str = "uptime-scheduler";
/// The event's `detail-type`.
pub const DIGEST_DETAIL_TYPE: &str = "Uptime Scheduler Run Digest";
/// The version of the detail's schema (`docs/digest.md`); a change that removes or renames a
/// field increments it.
pub const DIGEST_VERSION: u32 = 1;
/// How many account-regions with changes a digest lists; the rest are counted.
pub const MAX_DIGEST_CHANGES: usize = 50;
/// How many failures (of the summary's listed ones) a digest lists; the rest are counted.
pub const MAX_DIGEST_FAILURES: usize = 50;
/// The largest digest, as JSON text, that [`Digest::fit`] leaves. EventBridge limits an entry
/// (detail, detail-type, source, resources) and SNS a message to 256 KB; the bounded lists
/// stay far below this already (50 failures of at most 300 characters each), the cut is a
/// second guard.
pub const MAX_DIGEST_BYTES: usize = 64 * 1024;
/// SNS limits a subject to 100 characters.
pub const MAX_SUBJECT_CHARS: usize = 100;

/// One account-region where instances changed (or, in a dry run, would change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeLine {
    pub account: AccountId,
    pub region: Region,
    pub started: u64,
    pub stopped: u64,
    pub hibernated: u64,
    pub would_start: u64,
    pub would_stop: u64,
    /// Instances of that account-region whose change failed.
    pub failed: u64,
}

/// The account-regions with changes, collected while a run is folded (at most
/// [`MAX_DIGEST_CHANGES`] listed, the rest counted), and how many accounts had any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeLines {
    pub lines: Vec<ChangeLine>,
    pub not_listed: u64,
    /// Accounts with at least one changed instance.
    pub accounts: u64,
}

impl ChangeLines {
    pub fn add(&mut self, a: &AccountReport) {
        let mut changed = false;
        for r in &a.regions {
            let c = &r.counts;
            if c.changed() == 0 {
                continue;
            }
            changed = true;
            if self.lines.len() < MAX_DIGEST_CHANGES {
                self.lines.push(ChangeLine {
                    account: r.account.clone(),
                    region: r.region.clone(),
                    started: c.started,
                    stopped: c.stopped,
                    hibernated: c.hibernated,
                    would_start: c.would_start,
                    would_stop: c.would_stop,
                    failed: c.failed,
                });
            } else {
                self.not_listed += 1;
            }
        }
        if changed {
            self.accounts += 1;
        }
    }
}

/// Where the run can be looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionLink {
    pub arn: ExecutionArn,
    /// The execution's page in the Step Functions console (absent for a partition whose
    /// console address this version does not know).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_url: Option<String>,
}

/// The instance outcomes of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub started: u64,
    pub stopped: u64,
    pub hibernated: u64,
    pub already: u64,
    pub would_start: u64,
    pub would_stop: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Minutes the instances the run started had been stopped (the run summary's
    /// `minutes_avoided`); left out when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub minutes_avoided: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The digest of one run: the EventBridge event's `detail`, and the SNS message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    pub version: u32,
    pub action: Action,
    pub dry_run: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleName>,
    pub now: Timestamp,
    pub status: RunStatus,
    /// One line for people, shown as is by chat tools.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<ExecutionLink>,
    pub accounts: TargetCounts,
    pub regions: TargetCounts,
    pub totals: Totals,
    /// Accounts with at least one changed (dry run: would-change) instance.
    pub accounts_changed: u64,
    /// Account-regions with changes, in the order the run folded them.
    pub changes: Vec<ChangeLine>,
    pub changes_not_listed: u64,
    /// Failed accounts and regions, with the error name (`InstanceFailures` for a region
    /// where instances failed) and the message.
    pub failures: Vec<TargetFailure>,
    /// Failures neither listed here nor in the run summary's list.
    pub failures_not_listed: u64,
    /// Failed instances by reason (`throttled`, `kms-access`, …: every one of the run), and
    /// accounts and regions that failed as a whole by error name (`AccessDenied`, …: those the
    /// run summary lists).
    pub failures_by_reason: BTreeMap<String, u64>,
}

/// Whether the run has something to say: every `stop` and `start` run (also a dry one, which
/// says what would change), and a `reconcile` tick only when it changed, would change, or
/// failed something. A steady-state tick stays silent: every 15 minutes "nothing to do" would
/// teach people to mute the channel.
pub fn should_publish(summary: &RunSummary) -> bool {
    match summary.action {
        Action::Stop | Action::Start => true,
        Action::Reconcile => {
            summary.instances.changed() > 0 || summary.status != RunStatus::Succeeded
        }
    }
}

/// `n thing` or `n things`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `(reason: n, …)`, largest first.
fn by_count(counts: &BTreeMap<String, u64>) -> String {
    let mut v: Vec<(&String, &u64)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = v.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    parts.join(", ")
}

impl Digest {
    /// The digest of `summary`, whose fold collected `changes`; `execution` is the run's
    /// execution, when it ran in Step Functions. Bounded by [`Digest::fit`].
    pub fn build(
        summary: &RunSummary,
        changes: &ChangeLines,
        execution: Option<&ExecutionArn>,
    ) -> Digest {
        let i = &summary.instances;
        let mut failures_by_reason = i.failed_by_reason.clone();
        let (mut accounts_down, mut regions_down) = (BTreeMap::new(), BTreeMap::new());
        for f in &summary.failures {
            if f.error == "InstanceFailures" {
                continue;
            }
            *failures_by_reason.entry(f.error.clone()).or_default() += 1;
            let down = if f.region.is_some() {
                &mut regions_down
            } else {
                &mut accounts_down
            };
            *down.entry(f.error.clone()).or_default() += 1;
        }
        let listed = summary.failures.len().min(MAX_DIGEST_FAILURES);
        let failures_not_listed =
            summary.failures_not_listed + (summary.failures.len() - listed) as u64;
        let text = text(summary, changes.accounts, &accounts_down, &regions_down);
        let mut digest = Digest {
            version: DIGEST_VERSION,
            action: summary.action,
            dry_run: summary.dry_run,
            schedule: summary.schedule.clone(),
            now: summary.now,
            status: summary.status,
            text,
            execution: execution.map(|arn| ExecutionLink {
                arn: arn.clone(),
                console_url: arn.console_url(),
            }),
            accounts: summary.accounts.clone(),
            regions: summary.regions.clone(),
            totals: Totals {
                started: i.started,
                stopped: i.stopped,
                hibernated: i.hibernated,
                already: i.already,
                would_start: i.would_start,
                would_stop: i.would_stop,
                skipped: i.skipped,
                failed: i.failed,
                minutes_avoided: i.minutes_avoided,
            },
            accounts_changed: changes.accounts,
            changes: changes.lines.clone(),
            changes_not_listed: changes.not_listed,
            failures: summary.failures[..listed].to_vec(),
            failures_not_listed,
            failures_by_reason,
        };
        digest.fit(MAX_DIGEST_BYTES);
        digest
    }

    /// The digest as JSON text (the event's detail, the SNS message).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Drops listed failures, then listed changes, from the end until the JSON text is at
    /// most `max_bytes` long; what is dropped is still counted.
    pub fn fit(&mut self, max_bytes: usize) {
        while self.to_json().len() > max_bytes {
            if self.failures.pop().is_some() {
                self.failures_not_listed += 1;
            } else if self.changes.pop().is_some() {
                self.changes_not_listed += 1;
            } else {
                break;
            }
        }
    }

    /// An SNS subject (at most 100 characters, one line): `Uptime Scheduler stop
    /// office-hours: completed with failures`.
    pub fn subject(&self) -> String {
        let mut s = format!("Uptime Scheduler {}", self.action.as_str());
        if let Some(schedule) = &self.schedule {
            s.push(' ');
            s.push_str(schedule.as_str());
        }
        if self.dry_run {
            s.push_str(" (dry run)");
        }
        s.push_str(match self.status {
            RunStatus::Succeeded => ": succeeded",
            RunStatus::CompletedWithFailures => ": completed with failures",
        });
        if s.chars().count() > MAX_SUBJECT_CHARS {
            s = s.chars().take(MAX_SUBJECT_CHARS - 1).collect();
            s.push('…');
        }
        s
    }
}

/// `stop office-hours: 42 instances stopped in 3 accounts, 2 failed (throttled: 2)`. Made of
/// counts and our own names only (no AWS message, no tag value but the validated schedule
/// name), so chat tools can show it as it is.
fn text(
    summary: &RunSummary,
    accounts_changed: u64,
    accounts_down: &BTreeMap<String, u64>,
    regions_down: &BTreeMap<String, u64>,
) -> String {
    let i = &summary.instances;
    let mut s = summary.action.as_str().to_owned();
    if let Some(schedule) = &summary.schedule {
        s.push(' ');
        s.push_str(schedule.as_str());
    }
    if summary.dry_run {
        s.push_str(" (dry run)");
    }
    s.push_str(": ");
    let parts: Vec<(u64, &str)> = if summary.dry_run {
        vec![(i.would_start, "would start"), (i.would_stop, "would stop")]
    } else {
        vec![
            (i.started, "started"),
            (i.stopped, "stopped"),
            (i.hibernated, "hibernated"),
        ]
    };
    let parts: Vec<String> = parts
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .enumerate()
        .map(|(k, (n, word))| {
            if k == 0 {
                format!("{} {word}", count(n, "instance", "instances"))
            } else {
                format!("{n} {word}")
            }
        })
        .collect();
    if parts.is_empty() {
        s.push_str(if summary.dry_run {
            "nothing would change"
        } else {
            "nothing changed"
        });
    } else {
        s.push_str(&parts.join(", "));
        s.push_str(&format!(
            " in {}",
            count(accounts_changed, "account", "accounts")
        ));
    }
    if i.failed > 0 {
        s.push_str(&format!(
            ", {} failed ({})",
            i.failed,
            by_count(&i.failed_by_reason)
        ));
    }
    for (down, one, many) in [
        (accounts_down, "account", "accounts"),
        (regions_down, "region", "regions"),
    ] {
        let n: u64 = down.values().sum();
        if n > 0 {
            s.push_str(&format!(
                ", {} failed ({})",
                count(n, one, many),
                by_count(down)
            ));
        }
    }
    // Failures beyond the run summary's list: their kind is not known here.
    if summary.failures_not_listed > 0 {
        s.push_str(&format!(
            ", {} more failed accounts or regions",
            summary.failures_not_listed
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{
        ErrorName, FailReason, InstanceRecord, Outcome, RegionReport, RunHeader, Summarizer,
        TargetError,
    };
    use crate::InstanceId;

    fn acct(n: u32) -> AccountId {
        AccountId::parse(&format!("{n:012}")).unwrap()
    }
    fn region(r: &str) -> Region {
        Region::parse(r).unwrap()
    }
    fn header(action: Action, dry_run: bool) -> RunHeader {
        RunHeader {
            action,
            dry_run,
            schedule: Some(ScheduleName::parse("office-hours").unwrap()),
            now: "2026-11-24T19:00:00Z".parse().unwrap(),
        }
    }
    fn records(outcome: Outcome, n: u32, from: u32) -> Vec<InstanceRecord> {
        (0..n)
            .map(|k| InstanceRecord {
                instance: InstanceId::parse(&format!("i-{:08x}", from + k)).unwrap(),
                outcome,
                message: matches!(outcome, Outcome::Failed(_)).then(|| "Rate exceeded".into()),
                reason: None,
                note: None,
            })
            .collect()
    }
    fn account(n: u32, regions: &[(&str, Vec<InstanceRecord>)]) -> AccountReport {
        AccountReport {
            account: acct(n),
            regions: regions
                .iter()
                .map(|(r, recs)| RegionReport::from_records(acct(n), region(r), recs))
                .collect(),
            skipped_regions: vec![],
            error: None,
        }
    }
    fn arn() -> ExecutionArn {
        ExecutionArn::parse("arn:aws:states:eu-west-1:123456789012:execution:uptime-scheduler:n1")
            .unwrap()
    }
    /// `accounts` accounts, each with one instance changed to `outcome` in eu-west-1 and
    /// us-east-1 failed with `error` and `message`.
    fn changed_and_failed(
        accounts: u32,
        outcome: Outcome,
        error: ErrorName,
        message: &str,
    ) -> Vec<AccountReport> {
        (0..accounts)
            .map(|n| AccountReport {
                account: acct(n),
                regions: vec![
                    RegionReport::from_records(
                        acct(n),
                        region("eu-west-1"),
                        &records(outcome, 1, n),
                    ),
                    RegionReport::failed(
                        acct(n),
                        region("us-east-1"),
                        TargetError::new(error, message.to_owned()),
                    ),
                ],
                skipped_regions: vec![],
                error: None,
            })
            .collect()
    }

    fn fold(header: RunHeader, reports: &[AccountReport]) -> (RunSummary, ChangeLines) {
        let mut s = Summarizer::new(header);
        for r in reports {
            s.add(r);
        }
        s.finish_with_changes(vec![])
    }

    #[test]
    fn a_stop_with_failures_says_what_changed_where_and_what_failed() {
        let mut failing = records(Outcome::Stopped, 20, 0);
        failing.extend(records(Outcome::Failed(FailReason::Throttled), 2, 100));
        let reports = [
            account(
                1,
                &[
                    ("eu-west-1", failing),
                    ("us-east-1", records(Outcome::Stopped, 10, 200)),
                ],
            ),
            account(2, &[("eu-west-1", records(Outcome::Stopped, 12, 300))]),
            account(3, &[("eu-west-1", records(Outcome::Already, 4, 400))]),
            AccountReport {
                account: acct(4),
                regions: vec![],
                skipped_regions: vec![],
                error: Some(TargetError::new(
                    ErrorName::AccessDenied,
                    "assuming the member role: denied",
                )),
            },
        ];
        let (summary, changes) = fold(header(Action::Stop, false), &reports);
        let d = Digest::build(&summary, &changes, Some(&arn()));
        assert_eq!(
            d.text,
            "stop office-hours: 42 instances stopped in 2 accounts, 2 failed (throttled: 2), \
             1 account failed (AccessDenied: 1)"
        );
        assert_eq!(d.totals.stopped, 42);
        assert_eq!(d.accounts_changed, 2);
        assert_eq!(
            d.changes.len(),
            3,
            "account 3 changed nothing and is not listed"
        );
        assert_eq!((d.changes[0].stopped, d.changes[0].failed), (20, 2));
        assert_eq!(d.failures.len(), 2);
        assert_eq!(d.failures[0].error, "InstanceFailures");
        assert_eq!(d.failures[1].error, "AccessDenied");
        assert_eq!(
            d.failures_by_reason,
            BTreeMap::from([("throttled".into(), 2), ("AccessDenied".into(), 1)])
        );
        let link = d.execution.as_ref().unwrap();
        assert_eq!(link.console_url, arn().console_url());
        assert_eq!(d.status, RunStatus::CompletedWithFailures);
        assert_eq!(
            d.subject(),
            "Uptime Scheduler stop office-hours: completed with failures"
        );
        // The JSON reads back as the same value (the schema is the type).
        let back: Digest = serde_json::from_str(&d.to_json()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn a_dry_run_says_what_would_change() {
        let reports = [account(
            1,
            &[
                ("eu-west-1", records(Outcome::WouldStop, 3, 0)),
                ("us-east-1", records(Outcome::WouldStart, 1, 10)),
            ],
        )];
        let (summary, changes) = fold(header(Action::Reconcile, true), &reports);
        assert!(should_publish(&summary));
        let d = Digest::build(&summary, &changes, None);
        assert!(d.dry_run);
        assert_eq!(
            d.text,
            "reconcile office-hours (dry run): 1 instance would start, 3 would stop in 1 account"
        );
        assert!(d.execution.is_none());
        assert!(d.to_json().contains("\"dry_run\":true"));

        let (summary, changes) = fold(
            header(Action::Stop, true),
            &[account(
                1,
                &[("eu-west-1", records(Outcome::Already, 3, 0))],
            )],
        );
        assert_eq!(
            Digest::build(&summary, &changes, None).text,
            "stop office-hours (dry run): nothing would change"
        );
    }

    #[test]
    fn a_steady_reconcile_tick_is_silent_and_every_action_run_speaks() {
        let quiet = [account(
            1,
            &[("eu-west-1", records(Outcome::Already, 5, 0))],
        )];
        let (summary, _) = fold(header(Action::Reconcile, false), &quiet);
        assert!(!should_publish(&summary), "nothing changed, nothing failed");
        for action in [Action::Stop, Action::Start] {
            let (summary, changes) = fold(header(action, false), &quiet);
            assert!(should_publish(&summary), "{action:?}");
            assert_eq!(
                Digest::build(&summary, &changes, None).text,
                format!("{} office-hours: nothing changed", action.as_str())
            );
        }
        let changed = [account(
            1,
            &[("eu-west-1", records(Outcome::Started, 1, 0))],
        )];
        assert!(should_publish(
            &fold(header(Action::Reconcile, false), &changed).0
        ));
        let failed = [AccountReport {
            account: acct(1),
            regions: vec![RegionReport::failed(
                acct(1),
                region("eu-west-1"),
                TargetError::new(ErrorName::Throttled, "discovering instances: Rate exceeded"),
            )],
            skipped_regions: vec![],
            error: None,
        }];
        let (summary, changes) = fold(header(Action::Reconcile, false), &failed);
        assert!(should_publish(&summary), "a failure is worth a message");
        assert_eq!(
            Digest::build(&summary, &changes, None).text,
            "reconcile office-hours: nothing changed, 1 region failed (Throttled: 1)"
        );
    }

    /// 300 failed regions, each with a 300-character message of control characters (6 bytes
    /// each in JSON): one digest, bounded lists, every failure still counted, far under the
    /// 256 KB of an EventBridge entry or an SNS message.
    #[test]
    fn a_run_with_300_failures_is_one_bounded_digest() {
        let nasty = "\u{1}".repeat(400);
        let reports = changed_and_failed(300, Outcome::Stopped, ErrorName::Throttled, &nasty);
        let (summary, changes) = fold(header(Action::Stop, false), &reports);
        let d = Digest::build(&summary, &changes, Some(&arn()));
        let bytes = d.to_json().len();
        assert!(bytes <= MAX_DIGEST_BYTES, "{bytes}");
        assert!(bytes > 20_000, "the worst case is exercised: {bytes}");
        assert!(!d.failures.is_empty() && d.failures.len() <= MAX_DIGEST_FAILURES);
        assert_eq!(d.failures.len() as u64 + d.failures_not_listed, 300);
        assert_eq!(d.changes.len(), MAX_DIGEST_CHANGES);
        assert_eq!(d.changes.len() as u64 + d.changes_not_listed, 300);
        assert_eq!((d.accounts_changed, d.totals.stopped), (300, 300));
        assert_eq!(
            d.text,
            "stop office-hours: 300 instances stopped in 300 accounts, \
             100 regions failed (Throttled: 100), 200 more failed accounts or regions"
        );
        assert!(d.text.len() < 300, "{}", d.text);
    }

    #[test]
    fn fit_drops_failures_then_changes_and_keeps_counting() {
        let reports =
            changed_and_failed(60, Outcome::Started, ErrorName::Internal, &"x".repeat(300));
        let (summary, changes) = fold(header(Action::Start, false), &reports);
        let mut d = Digest::build(&summary, &changes, None);
        d.fit(4_000);
        assert!(d.to_json().len() <= 4_000);
        assert!(d.failures.is_empty());
        assert_eq!(d.failures_not_listed, 60);
        assert!(d.changes.len() < MAX_DIGEST_CHANGES);
        assert_eq!(d.changes.len() as u64 + d.changes_not_listed, 60);
    }

    #[test]
    fn a_subject_is_one_line_of_at_most_100_characters() {
        let mut h = header(Action::Reconcile, true);
        h.schedule = Some(ScheduleName::parse(&"a".repeat(200)).unwrap());
        let (summary, changes) = fold(h, &[]);
        let s = Digest::build(&summary, &changes, None).subject();
        assert_eq!(s.chars().count(), MAX_SUBJECT_CHARS);
        assert!(s.starts_with("Uptime Scheduler reconcile aaa"));
        assert!(!s.contains('\n'));
    }
}
