//! The run report for people: one row per account and region, totals, failures.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Table};
use std::fmt::Write;
use uptime_core::OrgRun;
use uptime_model::report::account_lines;
use uptime_model::Counts;

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

pub fn render(run: &OrgRun) -> String {
    let s = &run.summary;
    let dry = s.dry_run;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}{} at {}{}",
        if dry { "DRY RUN: " } else { "" },
        s.action.as_str(),
        s.now,
        s.schedule
            .as_ref()
            .map(|n| format!(", schedule {n}"))
            .unwrap_or_default()
    );
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
    for line in account_lines(&run.accounts) {
        let c = &line.counts;
        let (st, sp) = changed(c, dry);
        let mut notes = Vec::new();
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
            Cell::new(line.account.as_str()),
            Cell::new(line.region.as_ref().map(|r| r.as_str()).unwrap_or("—")),
            Cell::new(st),
            Cell::new(sp),
            Cell::new(c.already),
            Cell::new(c.skipped),
            Cell::new(c.failed),
            Cell::new(notes.join("; ")),
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
    let _ = writeln!(out, "{t}");
    for a in &run.accounts {
        for r in &a.skipped_regions {
            let _ = writeln!(
                out,
                "region skipped: {} {} ({})",
                a.account,
                r.region,
                serde_json::to_value(r.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            );
        }
    }
    for k in &s.skipped_accounts {
        let reason = serde_json::to_value(k.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "account skipped: {} ({reason}{})",
            k.account,
            k.detail
                .as_ref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
    }
    for f in &s.failures {
        let _ = writeln!(
            out,
            "FAILED {}{}: {}: {}",
            f.account,
            f.region
                .as_ref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default(),
            f.error,
            f.message
        );
    }
    for a in &run.accounts {
        for r in &a.regions {
            for f in &r.failures {
                let _ = writeln!(
                    out,
                    "  {} {} {}: {} ({})",
                    a.account,
                    r.region,
                    f.instance,
                    f.reason.as_str(),
                    f.message
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "status: {}",
        match s.status {
            uptime_model::report::RunStatus::Succeeded => "succeeded",
            uptime_model::report::RunStatus::CompletedWithFailures => "completed with failures",
        }
    );
    out
}
