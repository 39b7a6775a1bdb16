//! Arbitrary text into the inline grammar and, when it is JSON, the schedules document: neither
//! may panic, and every parsed schedule survives `parse(describe(s)) == s`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use uptime_schedule::grammar::{describe, MAX_EXPRESSION_CHARS};
use uptime_schedule::{
    parse_expression, Calendars, ParseContext, Schedule, ScheduleDocument, Zone,
};

fn round_trips(schedule: &Schedule, cx: &ParseContext<'_>) {
    let text = describe(schedule);
    if text.chars().count() > MAX_EXPRESSION_CHARS {
        return; // Long holiday lists printed as dates do not fit a tag value.
    }
    let mut again = parse_expression(&text, cx)
        .unwrap_or_else(|e| panic!("describe gave `{text}`, which does not parse: {e}"));
    again.name.clone_from(&schedule.name);
    assert_eq!(&again, schedule, "`{text}`");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let zone = Zone::parse("Europe/London").unwrap_or_else(|_| Zone::utc());
    let mut calendars = Calendars::new();
    let dates: BTreeSet<_> = ["2026-12-25", "2026-12-28"]
        .iter()
        .filter_map(|d| d.parse().ok())
        .collect();
    calendars.insert("uk-2026".into(), dates);
    calendars.insert("empty".into(), BTreeSet::new());
    let cx = ParseContext {
        default_zone: &zone,
        calendars: &calendars,
    };
    if let Ok(schedule) = parse_expression(text, &cx) {
        round_trips(&schedule, &cx);
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if let Ok(document) = ScheduleDocument::from_json(&value) {
            let cx = ParseContext {
                default_zone: &document.default_zone,
                calendars: &document.calendars,
            };
            for schedule in document.schedules.values() {
                round_trips(schedule, &cx);
            }
            let _ = document.resolve(text);
        }
    }
});
