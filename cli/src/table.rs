//! The run report for people: one row per account and region, totals, failures.
//!
//! [`render`] prints an in-process run ([`OrgRun`]); [`render_report`] prints the same report
//! from a run summary and account reports obtained any other way (e.g. from a state machine
//! execution), with a caller-chosen label per account. The pieces ([`title`], [`table`],
//! [`details`] = [`skipped`] + [`failures`], [`status`]) are public for reports that add their
//! own sections around them.
//!
//! Everything that comes from outside (account labels, which may be account names; tag values
//! quoted in a skip's detail; AWS error messages) goes through
//! [`uptime_model::text::escape`], so a tag cannot colour the terminal or forge a line.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Table};
use std::fmt::Write;
use uptime_core::OrgRun;
use uptime_model::report::{account_lines, RunStatus, RunSummary, TargetFailure};
use uptime_model::text::escape;
use uptime_model::{AccountId, AccountReport, Counts};

/// Names an account in the report (the CLI prints the bare id).
pub type AccountLabel<'a> = &'a dyn Fn(&AccountId) -> String;

/// The label of `account`, escaped.
fn name(label: AccountLabel, account: &AccountId) -> String {
    escape(&label(account)).into_owned()
}

fn reasons(map: &std::collections::BTreeMap<String, u64>) -> String {
    map.iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn changed(c: &Counts, dry_run: bool) -> (u64, u64) {
    if dry_run {
        (c.would_start, c.would_stop)
    } else {
        (c.started, c.stopped + c.hibernated)
    }
}

/// A serde enum's kebab-case name (`not-opted-in`, `not-in-account-regions`).
fn kebab<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The CLI's report of an in-process run.
pub fn render(run: &OrgRun) -> String {
    render_report(&run.summary, &run.accounts, &|a| a.to_string())
}

/// The whole report: [`title`], [`table`], [`details`] and the [`status`] line.
pub fn render_report(s: &RunSummary, accounts: &[AccountReport], label: AccountLabel) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", title(s));
    let _ = writeln!(out, "{}", table(s, accounts, label));
    out.push_str(&details(s, accounts, label));
    if s.instances.minutes_avoided > 0 {
        let _ = writeln!(
            out,
            "hours avoided: {:.1} instance-hours (how long the started instances had been stopped)",
            s.instances.minutes_avoided as f64 / 60.0
        );
    }
    let _ = writeln!(out, "status: {}", status(s));
    out
}

/// `DRY RUN: stop at 2026-11-24T23:44:36Z, schedule office-hours`.
pub fn title(s: &RunSummary) -> String {
    format!(
        "{}{} at {}{}",
        if s.dry_run { "DRY RUN: " } else { "" },
        s.action.as_str(),
        s.now,
        s.schedule
            .as_ref()
            .map(|n| format!(", schedule {n}"))
            .unwrap_or_default()
    )
}

/// One row per account and region (one per failed account), then the totals.
pub fn table(s: &RunSummary, accounts: &[AccountReport], label: AccountLabel) -> Table {
    let dry = s.dry_run;
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let (started, stopped) = if dry {
        ("would start", "would stop")
    } else {
        ("started", "stopped")
    };
    t.set_header(vec![
        "account", "region", started, stopped, "already", "skipped", "failed", "notes",
    ]);
    for line in account_lines(accounts) {
        let c = &line.counts;
        let (st, sp) = changed(c, dry);
        let mut notes = Vec::new();
        if !c.decided_by_reason.is_empty() {
            notes.push(format!("because: {}", reasons(&c.decided_by_reason)));
        }
        if !c.notes.is_empty() {
            notes.push(format!("noted: {}", reasons(&c.notes)));
        }
        if !c.skipped_by_reason.is_empty() {
            notes.push(format!("skipped: {}", reasons(&c.skipped_by_reason)));
        }
        if !c.failed_by_reason.is_empty() {
            notes.push(format!("failed: {}", reasons(&c.failed_by_reason)));
        }
        if let Some(e) = &line.error {
            notes.push(e.clone());
        }
        t.add_row(vec![
            Cell::new(name(label, &line.account)),
            Cell::new(line.region.as_ref().map(|r| r.as_str()).unwrap_or("—")),
            Cell::new(st),
            Cell::new(sp),
            Cell::new(c.already),
            Cell::new(c.skipped),
            Cell::new(c.failed),
            Cell::new(escape(&notes.join("; "))),
        ]);
    }
    let (st, sp) = changed(&s.instances, dry);
    t.add_row(vec![
        Cell::new("TOTAL"),
        Cell::new(format!("{} region(s)", s.regions.total)),
        Cell::new(st),
        Cell::new(sp),
        Cell::new(s.instances.already),
        Cell::new(s.instances.skipped),
        Cell::new(s.instances.failed),
        Cell::new(format!(
            "{} account(s), {} failed",
            s.accounts.total, s.accounts.failed
        )),
    ]);
    t
}

/// One line each: skipped regions, skipped accounts, failed targets, failed instances.
pub fn details(s: &RunSummary, accounts: &[AccountReport], label: AccountLabel) -> String {
    let mut out = skipped(s, accounts, label);
    out.push_str(&failures(s, accounts, label));
    out
}

/// `region skipped: …` and `account skipped: …` lines.
pub fn skipped(s: &RunSummary, accounts: &[AccountReport], label: AccountLabel) -> String {
    let mut out = String::new();
    for a in accounts {
        for r in &a.skipped_regions {
            let _ = writeln!(
                out,
                "region skipped: {} {} ({})",
                name(label, &a.account),
                r.region,
                kebab(&r.reason)
            );
        }
    }
    for k in &s.skipped_accounts {
        let _ = writeln!(
            out,
            "account skipped: {} ({}{})",
            name(label, &k.account),
            kebab(&k.reason),
            k.detail
                .as_ref()
                .map(|d| format!(": {}", escape(d)))
                .unwrap_or_default()
        );
    }
    out
}

/// `account [region]: error: message`, the message escaped.
pub fn target_failure(account: &str, f: &TargetFailure) -> String {
    let region = f
        .region
        .as_ref()
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    format!("{account}{region}: {}: {}", f.error, escape(&f.message))
}

/// `FAILED account [region]: error: message` per failed target, then one indented line per
/// failed instance.
pub fn failures(s: &RunSummary, accounts: &[AccountReport], label: AccountLabel) -> String {
    let mut out = String::new();
    for f in &s.failures {
        let _ = writeln!(
            out,
            "FAILED {}",
            target_failure(&name(label, &f.account), f)
        );
    }
    for a in accounts {
        for r in &a.regions {
            for f in &r.failures {
                let _ = writeln!(
                    out,
                    "  {} {} {}: {} ({})",
                    name(label, &a.account),
                    r.region,
                    f.instance,
                    f.reason.as_str(),
                    escape(&f.message)
                );
            }
        }
    }
    out
}

/// `succeeded` or `completed with failures`.
pub fn status(s: &RunSummary) -> &'static str {
    match s.status {
        RunStatus::Succeeded => "succeeded",
        RunStatus::CompletedWithFailures => "completed with failures",
    }
}
