//! `uptime-scheduler schedule explain`: a schedule's next transitions in its own zone, the week
//! as a picture (hour by hour), its running hours per week and the share of hours saved
//! compared with always-on.

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use jiff::Timestamp;
use serde::Serialize;
use uptime_schedule::grammar::describe;
use uptime_schedule::{explain, week, Desired, Hour, Schedule, TransitionCause};

/// One transition, as printed and as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct TransitionView {
    /// The instant, UTC.
    pub at: Timestamp,
    /// The wall-clock time in the schedule's zone, with its abbreviation.
    pub local: String,
    pub to: Desired,
    pub cause: TransitionCause,
}

/// The preview of one schedule.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleView {
    /// The name in the schedules document, or null for an inline expression.
    pub name: Option<String>,
    /// The schedule written as an inline expression.
    pub expression: String,
    pub timezone: String,
    pub from: Timestamp,
    pub days: u32,
    /// The state wanted at `from` (`running`, `stopped`, or null: no opinion).
    pub state_now: Option<Desired>,
    pub state_now_reason: &'static str,
    pub transitions: Vec<TransitionView>,
    pub running_hours_per_week: f64,
    /// 0–1.
    pub saved_share: f64,
    /// The seven local days from `from`, hour by hour (`running`, `stopped`, `partly`,
    /// `no-opinion`, `skipped`: an hour a DST change skips).
    pub week: Vec<WeekDayView>,
}

/// One local day of the week picture.
#[derive(Debug, Clone, Serialize)]
pub struct WeekDayView {
    pub date: jiff::civil::Date,
    pub hours: [Hour; 24],
}

/// Builds the preview of `schedule` over `days` days from `from`.
pub fn view(schedule: &Schedule, from: Timestamp, days: u32) -> ScheduleView {
    let e = explain(schedule, from, days);
    // What reconcile acts on: a permanent override, or for an enforced schedule the state it
    // asserts on every run.
    let (state_now, state_now_reason) = match schedule.options.override_status {
        Some(state) => (Some(state), "override-status"),
        None => {
            let state = if schedule.options.enforced {
                schedule.enforced_state_at(from)
            } else {
                schedule.state_at(from)
            };
            (state.desired, state.cause.as_str())
        }
    };
    let local = |t: Timestamp| {
        t.to_zoned(schedule.zone.tz().clone())
            .strftime("%a %Y-%m-%d %H:%M %Z")
            .to_string()
    };
    ScheduleView {
        name: schedule.name.clone(),
        expression: describe(schedule),
        timezone: schedule.zone.name().to_owned(),
        from,
        days,
        state_now,
        state_now_reason,
        transitions: e
            .transitions
            .iter()
            .map(|t| TransitionView {
                at: t.at,
                local: local(t.at),
                to: t.to,
                cause: t.cause,
            })
            .collect(),
        running_hours_per_week: e.running_hours_per_week,
        saved_share: e.saved_share,
        week: week(schedule, from)
            .into_iter()
            .map(|d| WeekDayView {
                date: d.date,
                hours: d.hours,
            })
            .collect(),
    }
}

/// The week as a picture: one row per local day, one column per wall-clock hour.
fn picture(v: &ScheduleView) -> String {
    let mut out = format!(
        "The week from {}, hours in {} ({} running, {} stopped, {} part of the hour, {} no opinion):\n",
        v.week.first().map(|d| d.date.to_string()).unwrap_or_default(),
        v.timezone,
        Hour::Running.symbol(),
        Hour::Stopped.symbol(),
        Hour::Partly.symbol(),
        Hour::NoOpinion.symbol(),
    );
    out.push_str("           00 03 06 09 12 15 18 21\n");
    for day in &v.week {
        let hours: String = day.hours.iter().map(|h| h.symbol()).collect();
        out.push_str(&format!(
            "{} {}  {hours}\n",
            day.date.strftime("%a"),
            day.date.strftime("%m-%d")
        ));
    }
    out
}

fn action(to: Desired) -> &'static str {
    match to {
        Desired::Running => "start",
        Desired::Stopped => "stop",
    }
}

fn cause(c: TransitionCause) -> &'static str {
    match c {
        TransitionCause::PeriodBegin => "period begins",
        TransitionCause::PeriodEnd => "period ends",
        TransitionCause::HolidayBegin => "holiday begins",
        TransitionCause::HolidayEnd => "holiday ends",
    }
}

/// The preview for people.
pub fn render(v: &ScheduleView) -> String {
    let mut out = String::new();
    match &v.name {
        Some(name) => out.push_str(&format!("Schedule {name}: {}\n", v.expression)),
        None => out.push_str(&format!("Inline schedule: {}\n", v.expression)),
    }
    let state = match v.state_now {
        Some(Desired::Running) => "running",
        Some(Desired::Stopped) => "stopped",
        None => "no opinion (left alone)",
    };
    out.push_str(&format!(
        "At {}: {state} ({})\n",
        v.from, v.state_now_reason
    ));
    out.push_str(&format!(
        "Transitions over {} day(s), times in {}:\n",
        v.days, v.timezone
    ));
    if v.transitions.is_empty() {
        out.push_str("  none\n");
    } else {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["local time", "UTC", "action", "because"]);
        for tr in &v.transitions {
            t.add_row(vec![
                tr.local.clone(),
                tr.at.strftime("%Y-%m-%d %H:%M").to_string(),
                action(tr.to).to_owned(),
                cause(tr.cause).to_owned(),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    out.push_str(&picture(v));
    out.push_str(&format!(
        "Running {:.1} h per week of 168 ({:.1}%); {:.1}% of instance hours saved compared with always-on.\n",
        v.running_hours_per_week,
        v.running_hours_per_week / 168.0 * 100.0,
        v.saved_share * 100.0
    ));
    out
}
