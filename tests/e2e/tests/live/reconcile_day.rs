//! Reconcile across a simulated day (issue 5): the real definition, the real Lambda binaries
//! and moto, with `now` injected per tick. Between ticks people change instances by hand,
//! straight in moto (tests/harness/act.py), never through the scheduler. After every tick the
//! test checks every instance's state and last-action tag in moto against a model of the day,
//! exactly which mutating calls the run made, and the reason counts of the run summary.
//!
//! The day is Tuesday 2026-12-01: London is on GMT (UTC) by then and New York on EST (UTC-5),
//! so a London wall time is the UTC time. Wednesday 2026-12-02 is a holiday in the `uk`
//! calendar that `office-hours` uses and the inline New York schedule does not.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use uptime_e2e::Stack;

const LAST_ACTION: &str = "uptime-scheduler:last-action";
const OVERRIDE: &str = "uptime-scheduler:override";
const NEW_YORK: &str = "mon-fri 09:00-17:00 America/New_York";

/// The schedules document the runs carry (laid over the deployed one, which is empty here).
fn schedules() -> Value {
    json!({
        "default_timezone": "Europe/London",
        "calendars": {"uk": ["2026-12-02", "2026-12-25", "2026-12-28"]},
        "schedules": {
            "office-hours": {
                "timezone": "Europe/London",
                "periods": [{"begin": "08:00", "end": "18:00", "weekdays": "mon-fri"}],
                "holidays": ["uk"]
            }
        }
    })
}

/// Two opted-in accounts in two regions. Every instance has a `Name` that says its part in the
/// day; the scheduled ones start the day stopped.
fn org() -> Value {
    let office = |name: &str| json!({"Schedule": "office-hours", "Name": name});
    let new_york = json!({"Schedule": NEW_YORK, "Name": "new-york"});
    let opted_out = json!({"Schedule": "ignore", "Name": "opted-out"});
    let untagged = json!({"Name": "untagged"});
    json!({"accounts": [
        {"name": "dev", "tags": {"uptime-scheduler:enabled": "true"}, "regions": {
            "eu-west-1": [
                {"count": 1, "tags": office("plain"), "state": "stopped"},
                {"count": 1, "tags": office("hand-stopped"), "state": "stopped"},
                {"count": 1, "tags": office("override"), "state": "stopped"},
                {"count": 1, "tags": new_york, "state": "stopped"},
                {"count": 1, "tags": untagged},
                {"count": 2, "tags": office("asg"), "asg": "web-asg"},
                {"count": 1, "tags": opted_out}
            ],
            "us-east-1": [{"count": 2, "tags": office("us"), "state": "stopped"}]
        }},
        {"name": "ops", "tags": {"uptime-scheduler:enabled": "true"}, "regions": {
            "eu-west-1": [
                {"count": 1, "tags": office("ops"), "state": "stopped"},
                {"count": 1, "tags": office("hand-started"), "state": "stopped"},
                {"count": 1, "tags": untagged, "state": "stopped"}
            ],
            "us-east-1": [
                {"count": 1, "tags": new_york, "state": "stopped"},
                {"count": 1, "tags": opted_out, "state": "stopped"}
            ]
        }}
    ]})
}

/// The instances that no reconcile run may ever touch, and their skip reasons.
const UNTOUCHABLE: [&str; 3] = ["untagged", "asg", "opted-out"];

/// What the scheduler is expected to change in one tick.
#[derive(Default)]
struct Changes<'a> {
    started: &'a [String],
    stopped: &'a [String],
    /// Last-action tag values written, with the instances that get each.
    tagged: &'a [(&'a str, &'a [String])],
}

struct Day {
    stack: Stack,
    /// Where each instance lives: (account id, region).
    place: BTreeMap<String, (String, String)>,
    /// Instance ids by their `Name` tag.
    names: BTreeMap<String, Vec<String>>,
    /// The state and last-action tag each instance must have in moto after the latest step.
    state: BTreeMap<String, String>,
    last_action: BTreeMap<String, Option<String>>,
    /// The tags of the never-touched instances as seeded.
    untouchable_tags: BTreeMap<String, Value>,
    timings: Vec<(String, Duration, Duration)>,
}

impl Day {
    fn start() -> Day {
        let stack = Stack::start(&org(), false);
        let mut day = Day {
            place: BTreeMap::new(),
            names: BTreeMap::new(),
            state: BTreeMap::new(),
            last_action: BTreeMap::new(),
            untouchable_tags: BTreeMap::new(),
            timings: Vec::new(),
            stack,
        };
        for account in day.stack.inventory["accounts"].as_array().unwrap().clone() {
            let id = account["id"].as_str().unwrap();
            for i in account["instances"].as_array().unwrap() {
                let iid = i["id"].as_str().unwrap().to_owned();
                let name = i["tags"]["Name"].as_str().unwrap().to_owned();
                let region = i["region"].as_str().unwrap().to_owned();
                day.place.insert(iid.clone(), (id.to_owned(), region));
                day.state
                    .insert(iid.clone(), i["state"].as_str().unwrap().to_owned());
                day.last_action.insert(iid.clone(), None);
                if UNTOUCHABLE.contains(&name.as_str()) {
                    day.untouchable_tags.insert(iid.clone(), i["tags"].clone());
                }
                day.names.entry(name).or_default().push(iid);
            }
        }
        day
    }

    /// The instances named `name` (in every account).
    fn named(&self, name: &str) -> Vec<String> {
        self.names
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no instance named {name}"))
    }

    fn all_named(&self, names: &[&str]) -> Vec<String> {
        names.iter().flat_map(|n| self.named(n)).collect()
    }

    /// Groups instances by (account, region), as one API call per region would.
    fn per_region(&self, ids: &[String]) -> BTreeMap<(String, String), Vec<String>> {
        let mut out: BTreeMap<_, Vec<String>> = BTreeMap::new();
        for id in ids {
            out.entry(self.place[id].clone())
                .or_default()
                .push(id.clone());
        }
        out
    }

    /// Someone changes instances by hand, in moto directly (`op`: start, stop, tag).
    fn by_hand(&mut self, op: &str, ids: &[String], tags: Option<Value>) {
        let ops: Vec<Value> = self
            .per_region(ids)
            .into_iter()
            .map(|((account, region), instances)| {
                let mut o =
                    json!({"op": op, "account": account, "region": region, "instances": instances});
                if let Some(t) = &tags {
                    o["tags"] = t.clone();
                }
                o
            })
            .collect();
        self.stack.act(&Value::Array(ops));
        let state = match op {
            "start" => "running",
            "stop" => "stopped",
            _ => return,
        };
        for id in ids {
            self.state.insert(id.clone(), state.to_owned());
        }
    }

    /// One scheduler run at `now`: checks that exactly the expected calls changed anything,
    /// then every instance's state and last-action tag. Returns the run summary.
    fn tick(&mut self, label: &str, now: &str, dry_run: bool, changes: Changes<'_>) -> Value {
        // The day is replayed: each tick's `now` is a fixed past instant, on purpose.
        let mut input =
            json!({"action": "reconcile", "now": now, "replay": true, "schedules": schedules()});
        if dry_run {
            input["dry_run"] = json!(true);
        }
        let began = Instant::now();
        self.stack.record();
        let run_began = Instant::now();
        let execution = self
            .stack
            .run(&format!("reconcile-{}", label_slug(label)), input);
        let run_took = run_began.elapsed();
        let calls = self.stack.recorded();
        assert_eq!(
            execution.status(),
            "SUCCEEDED",
            "{label}: {}",
            execution.raw
        );
        let summary = execution.summary().unwrap();

        // Exactly the expected mutating calls: one Start/Stop per region, one CreateTags per
        // region and last-action value (not one per instance).
        let mut want_calls: Vec<(String, Vec<String>)> = Vec::new();
        for (action, ids) in [
            ("StartInstances", changes.started),
            ("StopInstances", changes.stopped),
        ] {
            for (_, mut group) in self.per_region(ids) {
                group.sort();
                want_calls.push((action.to_owned(), group));
            }
        }
        for (_, ids) in changes.tagged {
            for (_, mut group) in self.per_region(ids) {
                group.sort();
                want_calls.push(("CreateTags".to_owned(), group));
            }
        }
        want_calls.sort();
        let mut got_calls: Vec<(String, Vec<String>)> = calls["mutating"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let mut ids: Vec<String> = c["instance_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap().to_owned())
                    .collect();
                ids.sort();
                (c["action"].as_str().unwrap().to_owned(), ids)
            })
            .collect();
        got_calls.sort();
        assert_eq!(
            got_calls,
            want_calls,
            "{label}: mutating calls (names: {})",
            self.legend()
        );

        // The model of the day, then moto's view of every instance.
        for id in changes.started {
            self.state.insert(id.clone(), "running".to_owned());
        }
        for id in changes.stopped {
            self.state.insert(id.clone(), "stopped".to_owned());
        }
        for (value, ids) in changes.tagged {
            for id in *ids {
                self.last_action
                    .insert(id.clone(), Some((*value).to_owned()));
            }
        }
        let seen = self.stack.describe();
        let mut wrong = Vec::new();
        for (id, want) in &self.state {
            let got = &seen[id];
            let name = got["tags"]["Name"].as_str().unwrap_or("?");
            if got["state"] != want.as_str() {
                wrong.push(format!("{name} {id}: state {} (want {want})", got["state"]));
            }
            let tag = got["tags"][LAST_ACTION].as_str().map(str::to_owned);
            if tag != self.last_action[id] {
                wrong.push(format!(
                    "{name} {id}: {LAST_ACTION} {tag:?} (want {:?})",
                    self.last_action[id]
                ));
            }
            if let Some(tags) = self.untouchable_tags.get(id) {
                if &got["tags"] != tags {
                    wrong.push(format!("{name} {id}: tags {} (seeded {tags})", got["tags"]));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{label}: moto disagrees with the day's model:\n  {}\nsummary: {summary}",
            wrong.join("\n  ")
        );

        assert_eq!(summary["action"], "reconcile", "{label}");
        assert_eq!(summary["dry_run"], dry_run, "{label}");
        assert_eq!(summary["now"], now, "{label}");
        assert_eq!(summary["status"], "succeeded", "{label}: {summary}");
        assert_eq!(
            summary["accounts"],
            json!({"total": 2, "succeeded": 2, "failed": 0})
        );
        assert_eq!(summary["regions"]["total"], 4, "{label}");
        // The run digest: sent when the tick changed (or, dry, would change) an instance, never
        // for a steady-state tick (ADR 0009); all of this day's ticks succeed.
        let changed = [
            "started",
            "stopped",
            "hibernated",
            "would_start",
            "would_stop",
        ]
        .iter()
        .any(|n| summary["instances"][*n].as_u64().unwrap_or(0) > 0);
        assert_eq!(
            calls["by_action"]
                .get("events:PutEvents")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            u64::from(changed),
            "{label}: one digest when something changed, none otherwise: {calls}"
        );

        let took = began.elapsed();
        eprintln!(
            "tick {label:<34} {now}  run {:>5} ms  tick {:>5} ms  {}",
            run_took.as_millis(),
            took.as_millis(),
            summary["instances"]
        );
        self.timings.push((label.to_owned(), run_took, took));
        summary
    }

    /// Instance ids with their names, for failure messages.
    fn legend(&self) -> String {
        self.names
            .iter()
            .map(|(name, ids)| format!("{name}={}", ids.join(",")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn label_slug(label: &str) -> String {
    label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The summary's instance counts for a tick. `outcomes` gives the non-zero outcome counts of
/// the scheduled instances (started, stopped, already, would_start, would_stop); `decided` the
/// reasons of every scheduled instance's decision. The never-touched instances that discovery
/// finds (the two Auto Scaling members, the two opted out; untagged ones are not discovered)
/// are added to both.
fn counts(outcomes: Value, decided: Value, notes: Value) -> Value {
    const SKIPS: [&str; 4] = [
        "autoscaling-member",
        "opted-out",
        "manual-change-respected",
        "transition-missed",
    ];
    let mut decided: Map<String, Value> = decided.as_object().unwrap().clone();
    decided.insert("autoscaling-member".into(), json!(2));
    decided.insert("opted-out".into(), json!(2));
    let skipped_by_reason: Map<String, Value> = decided
        .iter()
        .filter(|(k, _)| SKIPS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let skipped: u64 = skipped_by_reason
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    let mut c = json!({
        "started": 0, "stopped": 0, "hibernated": 0, "already": 0, "would_start": 0,
        "would_stop": 0, "skipped": skipped, "failed": 0,
        "skipped_by_reason": skipped_by_reason,
        "decided_by_reason": decided,
    });
    for (k, v) in outcomes.as_object().unwrap() {
        c[k] = v.clone();
    }
    if notes.as_object().is_some_and(|n| !n.is_empty()) {
        c["notes"] = notes;
    }
    c
}

#[test]
fn a_day_of_reconcile_runs_follows_the_schedules_and_respects_people() {
    let setup = Instant::now();
    let mut day = Day::start();
    eprintln!("stack up and seeded in {} ms", setup.elapsed().as_millis());

    let office = day.all_named(&[
        "plain",
        "hand-stopped",
        "override",
        "us",
        "ops",
        "hand-started",
    ]);
    assert_eq!(office.len(), 7);
    let new_york = day.named("new-york");
    assert_eq!(new_york.len(), 2);
    let hand_stopped = day.named("hand-stopped");
    let hand_started = day.named("hand-started");
    let overridden = day.named("override");
    let untouchable = day.all_named(&UNTOUCHABLE);
    assert_eq!(untouchable.len(), 6);
    let none = json!({});

    // 1. 06:00 London, before work: everything scheduled is stopped and stays so.
    let s = day.tick(
        "06:00 before work",
        "2026-12-01T06:00:00Z",
        false,
        Changes::default(),
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"already": 9}),
            json!({"outside-window": 9}),
            none.clone()
        )
    );

    // 2. 08:05: office hours began at 08:00; their instances start and record it, one
    // CreateTags per region for the one value.
    let start_0800 = [("start@2026-12-01T08:00Z", office.as_slice())];
    let s = day.tick(
        "08:05 office hours start",
        "2026-12-01T08:05:00Z",
        false,
        Changes {
            started: &office,
            tagged: &start_0800,
            ..Changes::default()
        },
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"started": 7, "already": 2}),
            json!({"in-window": 7, "outside-window": 2}),
            none.clone()
        )
    );

    // 3. 10:00 someone stops an office-hours instance by hand; 10:05 leaves it stopped.
    day.by_hand("stop", &hand_stopped, None);
    let s = day.tick(
        "10:05 after a stop by hand",
        "2026-12-01T10:05:00Z",
        false,
        Changes::default(),
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"already": 8}),
            json!({"in-window": 6, "outside-window": 2, "manual-change-respected": 1}),
            none.clone()
        )
    );

    // 4. No run at 14:00 (09:00 in New York, where the inline schedule starts): the 14:40 run
    // still applies the start, within the catch-up window, and records the 14:00 transition.
    let start_1400 = [("start@2026-12-01T14:00Z", new_york.as_slice())];
    let s = day.tick(
        "14:40 after a missed run",
        "2026-12-01T14:40:00Z",
        false,
        Changes {
            started: &new_york,
            tagged: &start_1400,
            ..Changes::default()
        },
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"started": 2, "already": 6}),
            json!({"in-window": 8, "manual-change-respected": 1}),
            none.clone()
        )
    );

    // 5. 17:00 someone keeps one instance up until 21:00 with the override tag; 18:05 stops
    // the others and records the stop on every office-hours instance the stop applied to,
    // including the one already stopped by hand.
    day.by_hand(
        "tag",
        &overridden,
        Some(json!({OVERRIDE: "running until 2026-12-01T21:00Z"})),
    );
    let stopped_1800: Vec<String> = day.all_named(&["plain", "us", "ops", "hand-started"]);
    let recorded_1800: Vec<String> = stopped_1800.iter().chain(&hand_stopped).cloned().collect();
    let stop_1800 = [("stop@2026-12-01T18:00Z", recorded_1800.as_slice())];
    let s = day.tick(
        "18:05 office hours end",
        "2026-12-01T18:05:00Z",
        false,
        Changes {
            stopped: &stopped_1800,
            tagged: &stop_1800,
            ..Changes::default()
        },
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"stopped": 5, "already": 4}),
            json!({"outside-window": 6, "override": 1, "in-window": 2}),
            none.clone()
        )
    );

    // 6. 19:00 someone starts an office-hours instance by hand; 19:05 leaves it running.
    day.by_hand("start", &hand_started, None);
    let s = day.tick(
        "19:05 after a start by hand",
        "2026-12-01T19:05:00Z",
        false,
        Changes::default(),
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"already": 8}),
            json!({"outside-window": 5, "override": 1, "in-window": 2, "manual-change-respected": 1}),
            none.clone()
        )
    );

    // 7. 21:05: the override expired at 21:00, which counts as a stop transition then.
    let expired = json!({"override-expired": 1});
    let stop_2100 = [("stop@2026-12-01T21:00Z", overridden.as_slice())];
    let s = day.tick(
        "21:05 override expired",
        "2026-12-01T21:05:00Z",
        false,
        Changes {
            stopped: &overridden,
            tagged: &stop_2100,
            ..Changes::default()
        },
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"stopped": 1, "already": 7}),
            json!({"outside-window": 6, "in-window": 2, "manual-change-respected": 1}),
            expired.clone()
        )
    );

    // 8. 22:05, a dry run: New York's day ended at 22:00 UTC; it would stop those two, and
    // calls nothing that changes anything (no stop, no tag).
    let s = day.tick(
        "22:05 dry run",
        "2026-12-01T22:05:00Z",
        true,
        Changes::default(),
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"would_stop": 2, "already": 6}),
            json!({"outside-window": 8, "manual-change-respected": 1}),
            expired.clone()
        )
    );

    // 9. 22:10, for real: the dry run recorded nothing, so the stop is still applied.
    let stop_2200 = [("stop@2026-12-01T22:00Z", new_york.as_slice())];
    let s = day.tick(
        "22:10 after the dry run",
        "2026-12-01T22:10:00Z",
        false,
        Changes {
            stopped: &new_york,
            tagged: &stop_2200,
            ..Changes::default()
        },
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"stopped": 2, "already": 6}),
            json!({"outside-window": 8, "manual-change-respected": 1}),
            expired.clone()
        )
    );

    // 10. The next day is a holiday in the `uk` calendar: office hours do not start. The
    // instance started by hand last night is still left alone (its last transition, the
    // 18:00 stop, was applied).
    let s = day.tick(
        "holiday 08:05",
        "2026-12-02T08:05:00Z",
        false,
        Changes::default(),
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"already": 8}),
            json!({"holiday": 6, "outside-window": 2, "manual-change-respected": 1}),
            expired.clone()
        )
    );

    // 11. The New York schedule has no holidays: it starts at 14:00 UTC as on any weekday.
    let start_1400_holiday = [("start@2026-12-02T14:00Z", new_york.as_slice())];
    let s = day.tick(
        "holiday 14:05 New York works",
        "2026-12-02T14:05:00Z",
        false,
        Changes {
            started: &new_york,
            tagged: &start_1400_holiday,
            ..Changes::default()
        },
    );
    assert_eq!(
        s["instances"],
        counts(
            json!({"started": 2, "already": 6}),
            json!({"holiday": 6, "in-window": 2, "manual-change-respected": 1}),
            expired
        )
    );

    // Across the whole day the untagged, Auto Scaling and opted-out instances kept their
    // seeded state and tags (checked after every tick) and no call named them (the expected
    // calls never include them, and each tick's calls were exactly the expected ones).
    let seeded: BTreeSet<&String> = untouchable.iter().collect();
    assert!(seeded.iter().all(|id| day.last_action[*id].is_none()));

    let total: Duration = day.timings.iter().map(|t| t.2).sum();
    let runs: Duration = day.timings.iter().map(|t| t.1).sum();
    eprintln!(
        "{} ticks: {} ms in executions, {} ms with the checks; {} ms in all",
        day.timings.len(),
        runs.as_millis(),
        total.as_millis(),
        setup.elapsed().as_millis()
    );
}
