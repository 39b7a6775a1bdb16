//! Properties of the inline grammar on the stable toolchain (the nightly fuzz target in `fuzz/`
//! goes further): no input panics the parser, and `parse(describe(s)) == s` for every schedule
//! it returns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use std::collections::BTreeSet;
use uptime_schedule::grammar::{describe, MAX_EXPRESSION_CHARS};
use uptime_schedule::{
    parse_expression, Calendars, GrammarError, ParseContext, Schedule, ScheduleDocument, Zone,
};

fn calendars() -> Calendars {
    let mut c = Calendars::new();
    let dates: BTreeSet<_> = ["2026-12-25", "2026-12-28"]
        .iter()
        .map(|d| d.parse().unwrap())
        .collect();
    c.insert("uk-2026".into(), dates);
    c.insert("empty".into(), BTreeSet::new());
    c
}

fn parse(input: &str) -> Result<Schedule, GrammarError> {
    let zone = Zone::parse("Europe/London").unwrap();
    let calendars = calendars();
    parse_expression(
        input,
        &ParseContext {
            default_zone: &zone,
            calendars: &calendars,
        },
    )
}

fn assert_round_trip(input: &str, schedule: &Schedule) {
    let text = describe(schedule);
    if text.chars().count() > MAX_EXPRESSION_CHARS {
        return;
    }
    match parse(&text) {
        Ok(again) => assert_eq!(&again, schedule, "`{input}` → `{text}`"),
        Err(e) => panic!("`{input}` → `{text}`, which does not parse: {e}"),
    }
}

/// Words of the grammar, right and wrong, to build expressions that get past the first check.
fn token() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "mon",
        "Tue",
        "wed",
        "thursday",
        "fri",
        "sat",
        "sun",
        "mon-fri",
        "fri-mon",
        "sat+sun",
        "1st-mon",
        "2nd-tue",
        "3rd-wed",
        "4th-thu",
        "5th-fri",
        "6th-sat",
        "last-fri",
        "last",
        "mon-thu+last-fri",
        "mon-mon",
        "08:00-18:00",
        "21:00-07:00",
        "18:00-00:00",
        "07:00-",
        "-19:00",
        "08:00",
        "24:00",
        "25:00-26:00",
        "8:5-9:00",
        "00:00-23:59",
        "12:00-12:00",
        "days=1-7",
        "days=L",
        "days=25-L",
        "days=1+15+L",
        "days=31",
        "days=0",
        "days=5-1",
        "months=jan-mar",
        "months=dec+jan",
        "months=11-12",
        "months=nov-feb",
        "months=13",
        "holidays=uk-2026",
        "holidays=empty+2026-08-14",
        "holidays=nope",
        "holidays=2026-02-30",
        "UTC",
        "utc",
        "Europe/London",
        "America/New_York",
        "Etc/GMT+5",
        "GMT",
        "Mars/Olympus",
        "enforced",
        "retain-running",
        "hibernate",
        "holidays-as-usual",
        "and",
        "AND",
        "weekdays",
        "",
        "+",
        "-",
        "=",
        ":",
        "/",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        8 => words,
        1 => "[0-9]{1,2}:[0-9]{2}-[0-9]{1,2}:[0-9]{2}",
        1 => "(mon|tue|wed|thu|fri|sat|sun|[1-6](st|nd|rd|th)|last)(-(mon|fri|sun))?(\\+(sat|sun|last-fri))*",
        1 => "days=([0-9]{1,2}|L)(-([0-9]{1,2}|L))?(\\+([0-9]{1,2}|L))*",
        1 => "months=([a-z]{3}|[0-9]{1,2})(-([a-z]{3}|[0-9]{1,2}))?",
        1 => "[a-zA-Z0-9+=._:/@-]{1,12}",
    ]
}

fn expression() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..12).prop_map(|t| t.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_text_never_panics(input in any::<String>()) {
        let _ = parse(&input);
    }

    #[test]
    fn tag_like_text_never_panics(input in "[a-zA-Z0-9 +=._:/@-]{0,300}") {
        let _ = parse(&input);
    }

    #[test]
    fn grammar_like_expressions_round_trip(input in expression()) {
        match parse(&input) {
            Ok(schedule) => assert_round_trip(&input, &schedule),
            Err(e) => {
                // An error points into the input (or just past its end, for a length error).
                let length = input.chars().count();
                prop_assert!(e.position >= 1 && e.position <= length.max(1) + 1, "{e}");
                prop_assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn documents_with_arbitrary_strings_never_panic(
        begin in "[0-9:]{0,6}",
        weekdays in "[a-z0-9+-]{0,12}",
        days in "[0-9L+-]{0,8}",
        months in "[a-z0-9+-]{0,8}",
        expression in expression(),
    ) {
        let v = serde_json::json!({
            "calendars": {"uk-2026": ["2026-12-25"]},
            "schedules": {
                "a": {"periods": [{"begin": begin, "end": "18:00", "weekdays": weekdays, "days": days, "months": months}]},
                "b": expression,
            }
        });
        if let Ok(d) = ScheduleDocument::from_json(&v) {
            for s in d.schedules.values() {
                let mut s = s.clone();
                s.name = None;
                let text = describe(&s);
                if text.chars().count() <= MAX_EXPRESSION_CHARS {
                    let again = d.resolve(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
                    prop_assert_eq!(again, s);
                }
            }
        }
    }
}
