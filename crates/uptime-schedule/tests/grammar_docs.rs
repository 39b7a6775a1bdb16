//! The examples of `docs/schedules.md` are what the code does: every expression of its examples
//! table parses, and its example document is valid.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use uptime_schedule::grammar::describe;
use uptime_schedule::{parse_expression, Calendars, ParseContext, ScheduleDocument, Zone};

const DOC: &str = include_str!("../../../docs/schedules.md");

fn section<'a>(heading: &str) -> &'a str {
    let start = DOC.find(heading).expect(heading) + heading.len();
    let rest = &DOC[start..];
    &rest[..rest.find("\n#").unwrap_or(rest.len())]
}

#[test]
fn every_example_expression_parses() {
    let zone = Zone::utc();
    let mut calendars = Calendars::new();
    for name in ["uk-2026", "uk-2027"] {
        calendars.insert(name.into(), BTreeSet::new());
    }
    let cx = ParseContext {
        default_zone: &zone,
        calendars: &calendars,
    };
    let mut count = 0;
    for line in section("### Examples").lines() {
        let Some(cell) = line.strip_prefix("| `") else {
            continue;
        };
        let expression = &cell[..cell.find('`').unwrap()];
        let schedule = parse_expression(expression, &cx)
            .unwrap_or_else(|e| panic!("docs/schedules.md: `{expression}`: {e}"));
        assert_eq!(
            parse_expression(&describe(&schedule), &cx).unwrap(),
            schedule
        );
        count += 1;
    }
    assert!(count >= 20, "{count} examples found");
}

#[test]
fn the_example_document_is_valid() {
    let text = section("## The schedules document");
    let start = text.find("```json\n").unwrap() + "```json\n".len();
    let json = &text[start..start + text[start..].find("```").unwrap()];
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let document = ScheduleDocument::from_json(&value).unwrap();
    assert_eq!(document.schedules.len(), 3);
}
