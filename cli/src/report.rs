//! `uptime-scheduler report`'s output: a table by schedule for people, CSV of the detailed
//! lines for spreadsheets (JSON is the report itself).
//!
//! Schedule tag values, account ids and instance types come from outside and go through
//! [`uptime_model::text::escape`] in the table; the CSV writer quotes what needs quoting.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use std::fmt::Write;
use uptime_model::savings::{SavingsReport, SavingsTotal};
use uptime_model::text::escape;

/// Hours with one decimal and thousands separated: `12,345.5`.
fn hours(h: f64) -> String {
    grouped(h, 1)
}

/// Money with two decimals: `1,234.56`.
fn money(m: f64) -> String {
    grouped(m, 2)
}

fn grouped(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

fn row(name: &str, t: &SavingsTotal, priced: bool) -> Vec<Cell> {
    let mut cells = vec![
        Cell::new(name),
        Cell::new(t.instances).set_alignment(CellAlignment::Right),
        Cell::new(hours(t.instance_hours)).set_alignment(CellAlignment::Right),
        Cell::new(hours(t.stopped_hours)).set_alignment(CellAlignment::Right),
        Cell::new(format!("{:.0} %", t.stopped_share() * 100.0))
            .set_alignment(CellAlignment::Right),
    ];
    if priced {
        let saved = if t.unpriced_instances > 0 && t.unpriced_instances == t.instances {
            format!("no price ({})", t.unpriced_instances)
        } else if t.unpriced_instances > 0 {
            format!("{} ({} unpriced)", money(t.saved), t.unpriced_instances)
        } else {
            money(t.saved)
        };
        cells.push(Cell::new(saved).set_alignment(CellAlignment::Right));
    }
    cells
}

/// The report for people: the range, the prices used, one row per schedule and the total,
/// then what was left out and why.
pub fn render(r: &SavingsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "What the schedules keep stopped from {} to {} ({} hours), for the instances tagged now",
        r.from,
        r.to,
        hours(r.hours)
    );
    match &r.prices {
        Some(p) => {
            let _ = writeln!(
                out,
                "prices: {}, read {}, in {} (instance compute only; EBS volumes are billed while stopped)",
                escape(&p.source),
                escape(&p.read_at),
                escape(&p.currency)
            );
        }
        None => match &r.prices_not_read {
            Some(why) => {
                let _ = writeln!(
                    out,
                    "prices: none, hours only ({}; --prices FILE gives them from a file)",
                    escape(why)
                );
            }
            None => {
                let _ = writeln!(out, "prices: none asked for (--prices none), hours only");
            }
        },
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec![
        "schedule",
        "instances",
        "instance-hours",
        "stopped hours",
        "stopped",
    ];
    let saved_header = r.prices.as_ref().map(|p| format!("saved ({})", p.currency));
    if let Some(h) = &saved_header {
        header.push(h);
    }
    table.set_header(header);
    let priced = r.prices.is_some();
    for (schedule, total) in &r.schedules {
        table.add_row(row(&escape(schedule), total, priced));
    }
    table.add_row(row("total", &r.total, priced));
    let _ = writeln!(out, "{table}");
    if !r.unpriced_types.is_empty() {
        let list: Vec<String> = r
            .unpriced_types
            .iter()
            .map(|(t, n)| format!("{} ({n})", escape(t)))
            .collect();
        let _ = writeln!(
            out,
            "no price for: {} (their hours count, their money does not)",
            list.join(", ")
        );
    }
    for (what, counts) in [
        ("instances not counted", &r.skipped_by_reason),
        ("accounts not covered", &r.skipped_accounts_by_reason),
    ] {
        if !counts.is_empty() {
            let list: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
            let _ = writeln!(out, "{what}: {}", list.join(", "));
        }
    }
    for f in &r.failures {
        let _ = writeln!(
            out,
            "not read: {}",
            crate::table::target_failure(f.account.as_str(), f)
        );
    }
    out
}

/// The detailed lines as CSV, one per account, region, schedule and instance type, with a
/// header row. Money is empty where the type has no price or no prices were given.
pub fn csv(r: &SavingsReport) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let currency = r.prices.as_ref().map(|p| p.currency.as_str()).unwrap_or("");
    let fail = |e: csv::Error| format!("writing CSV: {e}");
    w.write_record([
        "account",
        "region",
        "schedule",
        "instance_type",
        "instances",
        "instance_hours",
        "stopped_hours",
        "saved",
        "currency",
    ])
    .map_err(fail)?;
    for l in &r.lines {
        let saved = l.saved.map(|s| format!("{s:.2}")).unwrap_or_default();
        w.write_record([
            l.account.as_str(),
            l.region.as_str(),
            &l.schedule,
            &l.instance_type,
            &l.instances.to_string(),
            &format!("{:.2}", l.instance_hours),
            &format!("{:.2}", l.stopped_hours),
            &saved,
            if l.saved.is_some() { currency } else { "" },
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| format!("writing CSV: {}", e.error()))?;
    String::from_utf8(bytes).map_err(|e| format!("writing CSV: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_grouped_by_thousands() {
        assert_eq!(hours(1234567.25), "1,234,567.2");
        assert_eq!(hours(118.0), "118.0");
        assert_eq!(money(999.999), "1,000.00");
        assert_eq!(money(0.0), "0.00");
        assert_eq!(money(-1234.5), "-1,234.50");
    }
}
