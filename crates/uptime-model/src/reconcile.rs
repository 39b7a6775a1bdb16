//! The per-instance decision of reconcile mode: a pure function of the instance (state and
//! tags), its schedule, the run's `now` and the catch-up window, returning what to do, why, and
//! which last-action tag value to write. `docs/adr/0006-reconcile-without-a-database.md` is the
//! full statement, with a table of every edge case; in short:
//!
//! - Eligibility first ([`crate::decision::eligibility`]); the schedule is resolved by the
//!   caller (unknown name → `unknown-schedule`, bad inline expression → `invalid-schedule`).
//! - Override tag (`running until 2026-11-25T23:00Z`, `stopped until …`): malformed → skip
//!   `invalid-override-tag`; active (`now < until`) → the override's state is asserted on every
//!   run (reason `override-until-<until>`); expired → reported as a note (`override-expired`)
//!   and its expiry counts as a transition to the schedule's state at that instant.
//! - A schedule's permanent override (`override_status` in the document, `running` or
//!   `stopped`): that state is asserted on every run (reason `override-status-running` /
//!   `override-status-stopped`), no tag is written.
//! - Enforced schedules: the desired state is asserted on every run (reason `enforced`), no tag
//!   is written. A one-sided period asserts its state from its time to the end of that local
//!   day and has no opinion before it ([`Schedule::enforced_state_at`]).
//! - Otherwise act on transitions: the latest transition `T ≤ now` (schedule transition or
//!   override expiry, the later one) is applied when the last-action tag does not already
//!   record an instant `≥ T` and `now − T ≤ catch-up`; applying it also writes the tag
//!   `<start|stop>@<T>` (even when the instance is already in that state, so that a later
//!   manual change is respected). Recorded already → `manual-change-respected` when the
//!   instance differs. Older than the catch-up window and never applied → `transition-missed`,
//!   except that with `stop_new_instances` (the default) an instance with no last-action tag
//!   found running while the schedule wants it stopped is stopped at once (and tagged).
//! - `retain_running`: a schedule start transition that finds the instance already running
//!   records `start@<T>+was-running`; the stop transition that ends that window then leaves it
//!   running (`retain-running`) and records `stop@<T2>`.
//! - Hibernate when the schedule option or the hibernate tag asks and the instance supports it.
//!
//! Whenever the decision is a skip, the reason is the skip reason's name; otherwise it says
//! why the state is wanted (`in-window`, `outside-window`, `holiday`, `enforced`,
//! `override-until-…`).

use crate::decision::{change_towards, Decision, Eligible, Operation, SkipReason};
use crate::ids::check_tag_value;
use crate::instance::{Instance, InstanceState, TagConfig};
use crate::reason::{Note, Reason};
use jiff::{SignedDuration, Timestamp};
use uptime_schedule::{Desired, Schedule, StateCause};

/// Deployment-level settings of reconcile mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileSettings {
    /// How late a transition may still be applied (default 60 minutes).
    pub catch_up: SignedDuration,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self {
            catch_up: SignedDuration::from_mins(60),
        }
    }
}

/// What the last-action tag records: the instant of the last transition reconcile applied to
/// the instance, the state it asked for, and whether the instance was already running when a
/// start transition was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastAction {
    pub to: Desired,
    pub at: Timestamp,
    pub was_running: bool,
}

const WAS_RUNNING: &str = "+was-running";

impl LastAction {
    /// Parses `start@2026-11-25T07:00Z`, `stop@2026-11-25T19:00Z`,
    /// `start@2026-11-25T07:00Z+was-running` (words case-insensitive; the instant in UTC or
    /// with an offset, with or without seconds). `+was-running` only follows a start.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let (word, rest) = value.split_once('@')?;
        let to = if word.eq_ignore_ascii_case("start") {
            Desired::Running
        } else if word.eq_ignore_ascii_case("stop") {
            Desired::Stopped
        } else {
            return None;
        };
        let split = rest.len().checked_sub(WAS_RUNNING.len());
        let (instant, was_running) = match split
            .and_then(|i| Some((rest.get(..i)?, rest.get(i..)?)))
        {
            Some((instant, suffix)) if suffix.eq_ignore_ascii_case(WAS_RUNNING) => (instant, true),
            _ => (rest, false),
        };
        if was_running && to != Desired::Running {
            return None;
        }
        let at = parse_instant(instant).ok()?;
        Some(Self {
            to,
            at,
            was_running,
        })
    }

    /// The tag value (UTC, minute precision when the instant has no seconds).
    pub fn to_tag_value(&self) -> String {
        let word = match self.to {
            Desired::Running => "start",
            Desired::Stopped => "stop",
        };
        let suffix = if self.was_running { WAS_RUNNING } else { "" };
        format!("{word}@{}{suffix}", format_instant(self.at))
    }
}

/// A temporary override: keep the instance in `state` until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Override {
    pub state: Desired,
    pub until: Timestamp,
}

impl Override {
    /// Parses `running until 2026-11-25T23:00Z` / `stopped until 2026-11-25T23:00:00+01:00`;
    /// the error says what is wrong.
    pub fn parse(value: &str) -> Result<Self, String> {
        const EXPECTED: &str = "expected `running until <instant>` or `stopped until <instant>`, \
                                such as `running until 2026-11-25T23:00Z`";
        if value.trim().is_empty() {
            return Err(format!("is empty; {EXPECTED}"));
        }
        check_tag_value(value).map_err(|e| format!("{}; {EXPECTED}", e.0))?;
        let words: Vec<&str> = value.split_whitespace().collect();
        let [state, until, instant] = words.as_slice() else {
            return Err(format!(
                "has {} word(s) where three are needed; {EXPECTED}",
                words.len()
            ));
        };
        let state = if state.eq_ignore_ascii_case("running") {
            Desired::Running
        } else if state.eq_ignore_ascii_case("stopped") {
            Desired::Stopped
        } else {
            return Err(format!(
                "starts with `{state}`, which is not a state (`running` or `stopped`); {EXPECTED}"
            ));
        };
        if !until.eq_ignore_ascii_case("until") {
            return Err(format!(
                "has `{until}` where `until` is expected; {EXPECTED}"
            ));
        }
        let until = parse_instant(instant)?;
        Ok(Self { state, until })
    }
}

/// Parses an instant with an offset (`Z`, `+01:00`, `+0100`, `+01`), with or without seconds:
/// `2026-11-25T23:00Z`, `2026-11-25T23:00:00+01:00`.
pub(crate) fn parse_instant(s: &str) -> Result<Timestamp, String> {
    s.parse::<Timestamp>().map_err(|e| {
        format!(
            "`{s}` is not an instant: give a UTC time such as 2026-11-25T23:00Z or one with an \
             offset such as 2026-11-25T23:00+01:00 ({e})"
        )
    })
}

/// An instant in UTC as tag values and reasons show it: `2026-11-25T23:00Z`, with seconds
/// (and a fraction) only when they are not zero, so that parsing it gives the same instant.
pub fn format_instant(at: Timestamp) -> String {
    let format = if at.subsec_nanosecond() == 0 && at.as_second().rem_euclid(60) == 0 {
        "%Y-%m-%dT%H:%MZ"
    } else {
        "%Y-%m-%dT%H:%M:%S%.fZ"
    };
    at.strftime(format).to_string()
}

/// How far after the run's `now` a last-action tag may lie and still count: clocks of the
/// runs that wrote it may differ by this much. The same tolerance as a run's `now` against the
/// real clock ([`crate::input::CLOCK_TOLERANCE`]): a run that may act writes no tag beyond it.
pub const LAST_ACTION_CLOCK_TOLERANCE: SignedDuration = crate::input::CLOCK_TOLERANCE;

/// A reconcile decision: what to do, why ([`Reason`]: `in-window`, `outside-window`,
/// `holiday`, `enforced`, `override-until-2026-11-25T23:00Z`, …, or the skip reason of a
/// skip), the last-action tag value to write (only applied when the decision is carried out,
/// never in a dry run), and an optional note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileDecision {
    pub decision: Decision,
    pub reason: Reason,
    pub write_last_action: Option<LastAction>,
    pub note: Option<Note>,
}

impl ReconcileDecision {
    fn skip(reason: SkipReason, note: Option<Note>) -> Self {
        Self {
            decision: Decision::Skip(reason),
            reason: Reason::Skip(reason),
            write_last_action: None,
            note,
        }
    }

    /// Towards `want`: act, or already there (both with `reason` and `write`), or skip while
    /// the instance is in transition (no tag: the next run tries again).
    fn towards(
        instance: &Instance,
        want: Desired,
        hibernate: bool,
        reason: Reason,
        write: Option<LastAction>,
        note: Option<Note>,
    ) -> Self {
        let decision = match change_towards(instance, want == Desired::Running, hibernate) {
            Ok(Some(op)) => Decision::Act(op),
            Ok(None) => Decision::Already,
            Err(skip) => return Self::skip(skip, note),
        };
        Self {
            decision,
            reason,
            write_last_action: write,
            note,
        }
    }
}

impl ReconcileDecision {
    /// Not acting on a transition: `already` (with `reason`) when the instance is in `to`'s
    /// state, `differs` when it is not, `in-transition` while it is pending or stopping.
    fn left_alone(
        instance: &Instance,
        to: Desired,
        reason: Reason,
        differs: SkipReason,
        note: Option<Note>,
    ) -> Self {
        match change_towards(instance, to == Desired::Running, false) {
            Ok(None) => Self {
                decision: Decision::Already,
                reason,
                write_last_action: None,
                note,
            },
            Ok(Some(_)) => Self::skip(differs, note),
            Err(skip) => Self::skip(skip, note),
        }
    }
}

/// Where the latest transition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Schedule,
    OverrideExpiry,
}

/// The latest transition at or before `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Latest {
    at: Timestamp,
    to: Desired,
    source: Source,
}

/// Why the schedule wants `to` now: the cause of its state, or (should evaluation ever
/// disagree with the transition) the plain reading of the transition.
fn cause_reason(cause: StateCause, state: Option<Desired>, to: Desired) -> Reason {
    let plain = match to {
        Desired::Running => Reason::InWindow,
        Desired::Stopped => Reason::OutsideWindow,
    };
    if state != Some(to) {
        return plain;
    }
    match cause {
        StateCause::InWindow => Reason::InWindow,
        StateCause::OutsideWindow => Reason::OutsideWindow,
        StateCause::Holiday => Reason::Holiday,
        // No events means no desired state, so it never agrees with a transition.
        StateCause::NoEvents => plain,
    }
}

/// Decides for one eligible instance whose schedule has been resolved.
pub fn reconcile(
    instance: &Instance,
    eligible: &Eligible<'_>,
    schedule: &Schedule,
    now: Timestamp,
    tags: &TagConfig,
    settings: &ReconcileSettings,
) -> ReconcileDecision {
    let hibernate = eligible.hibernate_tag || schedule.options.hibernate;
    let mut note = None;

    // 1. The override tag: an empty value is no override.
    let expired = match instance.tags.get(&tags.override_key).map(|v| v.trim()) {
        None | Some("") => None,
        Some(value) => match Override::parse(value) {
            Err(_) => return ReconcileDecision::skip(SkipReason::InvalidOverrideTag, None),
            Ok(o) if now < o.until => {
                let reason = Reason::Override { until: o.until };
                return ReconcileDecision::towards(
                    instance, o.state, hibernate, reason, None, None,
                );
            }
            Ok(o) => {
                note = Some(Note::OverrideExpired);
                Some(o)
            }
        },
    };

    // 1b. The schedule's permanent override (`override_status` in the document): its state on
    //     every run, whatever the periods say. An instance's own active override wins.
    if let Some(state) = schedule.options.override_status {
        let reason = Reason::OverrideStatus(state);
        return ReconcileDecision::towards(instance, state, hibernate, reason, None, note);
    }

    // 2. Enforced: the state the schedule asserts now, on every run (a one-sided period only
    //    from its time to the end of its local day).
    if schedule.options.enforced {
        return match schedule.enforced_state_at(now).desired {
            Some(want) => {
                ReconcileDecision::towards(instance, want, hibernate, Reason::Enforced, None, note)
            }
            None => ReconcileDecision::skip(SkipReason::NoScheduleEvents, note),
        };
    }

    let state = schedule.state_at(now);

    // 3. Transitions: the later of the schedule's last one and the override's expiry (which
    //    leads to the schedule's state at that instant; on a tie the schedule's counts).
    let from_schedule = schedule.last_transition(now).map(|t| Latest {
        at: t.at,
        to: t.to,
        source: Source::Schedule,
    });
    let from_override = expired.and_then(|o| {
        let to = schedule.state_at(o.until).desired?;
        Some(Latest {
            at: o.until,
            to,
            source: Source::OverrideExpiry,
        })
    });
    let latest = match (from_schedule, from_override) {
        (Some(s), Some(o)) if o.at > s.at => Some(o),
        (Some(s), _) => Some(s),
        (None, o) => o,
    };
    let Some(t) = latest else {
        return ReconcileDecision::skip(SkipReason::NoScheduleEvents, note);
    };
    let reason = cause_reason(state.cause, state.desired, t.to);

    // The last-action tag: an empty value is no tag; a malformed one, or one dated after
    // `now`, is ignored and noted (a future value would otherwise count as applied for every
    // transition until then, and switch the schedule off).
    let last = match instance.tags.get(&tags.last_action_key).map(|v| v.trim()) {
        None | Some("") => None,
        Some(value) => match LastAction::parse(value) {
            None => {
                note = Some(Note::InvalidLastActionTag);
                None
            }
            Some(l)
                if now
                    .checked_add(LAST_ACTION_CLOCK_TOLERANCE)
                    .is_ok_and(|t| l.at > t) =>
            {
                note = Some(Note::FutureLastActionTag);
                None
            }
            Some(l) => Some(l),
        },
    };

    // Already applied: leave the instance as it is, whatever someone did since.
    if last.is_some_and(|l| l.at >= t.at) {
        let differs = SkipReason::ManualChangeRespected;
        return ReconcileDecision::left_alone(instance, t.to, reason, differs, note);
    }

    // Never applied, and too late. An instance reconcile has never acted on (no valid
    // last-action tag), found running while the schedule wants it stopped, is stopped at once
    // with `stop_new_instances` (the default); otherwise report, do nothing, write nothing.
    if now.duration_since(t.at) > settings.catch_up {
        let new_and_running = last.is_none()
            && schedule.options.stop_new_instances
            && t.to == Desired::Stopped
            && state.desired == Some(Desired::Stopped)
            && instance.state == InstanceState::Running;
        if new_and_running {
            let write = LastAction {
                to: Desired::Stopped,
                at: t.at,
                was_running: false,
            };
            return ReconcileDecision::towards(
                instance,
                Desired::Stopped,
                hibernate,
                reason,
                Some(write),
                note,
            );
        }
        let differs = SkipReason::TransitionMissed;
        return ReconcileDecision::left_alone(instance, t.to, reason, differs, note);
    }

    // Apply T, and record it.
    let write = LastAction {
        to: t.to,
        at: t.at,
        was_running: t.to == Desired::Running
            && t.source == Source::Schedule
            && instance.state == InstanceState::Running,
    };
    let decided = ReconcileDecision::towards(instance, t.to, hibernate, reason, Some(write), note);
    let stops = matches!(
        decided.decision,
        Decision::Act(Operation::Stop | Operation::Hibernate)
    );
    if stops && retains(schedule, t, last) {
        return ReconcileDecision {
            decision: Decision::Skip(SkipReason::RetainRunning),
            reason: Reason::Skip(SkipReason::RetainRunning),
            write_last_action: Some(write),
            note,
        };
    }
    decided
}

/// `retain_running`: the stop transition `t` ends the window whose start found the instance
/// already running (the last-action tag says `start@<that start>+was-running`, and no
/// transition of the schedule lies between the two).
fn retains(schedule: &Schedule, t: Latest, last: Option<LastAction>) -> bool {
    let Some(last) = last else { return false };
    if !schedule.options.retain_running
        || t.source != Source::Schedule
        || t.to != Desired::Stopped
        || !(last.to == Desired::Running && last.was_running)
    {
        return false;
    }
    let Some(before) = t.at.checked_sub(SignedDuration::from_nanos(1)).ok() else {
        return false;
    };
    schedule
        .last_transition(before)
        .is_some_and(|start| start.to == Desired::Running && start.at == last.at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::eligibility;
    use crate::ids::InstanceId;
    use crate::instance::Lifecycle;
    use jiff::civil::{date, time, Weekday};
    use std::collections::{BTreeMap, BTreeSet};
    use uptime_schedule::model::WeekdayKey;
    use uptime_schedule::{HolidayState, Period, ScheduleOptions, WeekdayRule, Weekdays, Zone};
    use InstanceState::{Pending, Running, Stopped, Stopping};

    const LAST: &str = "uptime-scheduler:last-action";
    const OVERRIDE: &str = "uptime-scheduler:override";
    const HIBERNATE: &str = "uptime-scheduler:hibernate";

    const START: Decision = Decision::Act(Operation::Start);
    const STOP: Decision = Decision::Act(Operation::Stop);
    const HIB: Decision = Decision::Act(Operation::Hibernate);
    const ALREADY: Decision = Decision::Already;
    const RESPECTED: Decision = Decision::Skip(SkipReason::ManualChangeRespected);
    const MISSED: Decision = Decision::Skip(SkipReason::TransitionMissed);
    const RETAINED: Decision = Decision::Skip(SkipReason::RetainRunning);
    const BAD_OVERRIDE: Decision = Decision::Skip(SkipReason::InvalidOverrideTag);
    const IN_TRANSITION: Decision = Decision::Skip(SkipReason::InTransition);
    const EXPIRED: Option<Note> = Some(Note::OverrideExpired);

    /// One run: the run's `now`, the instance's state and tags (besides `Schedule`), and what
    /// is expected: decision, reason, last-action tag value to write (`""`: none), note.
    type Case<'a> = (
        &'a str,
        InstanceState,
        &'a [(&'a str, &'a str)],
        Decision,
        &'a str,
        &'a str,
        Option<Note>,
    );

    fn ts(s: &str) -> Timestamp {
        parse_instant(s).unwrap()
    }

    fn london() -> Zone {
        Zone::parse("Europe/London").unwrap()
    }

    fn mon_fri() -> Weekdays {
        use Weekday::*;
        Weekdays(
            [Monday, Tuesday, Wednesday, Thursday, Friday]
                .into_iter()
                .map(|d| WeekdayRule::Every(WeekdayKey::new(d)))
                .collect(),
        )
    }

    fn window(begin: (i8, i8), end: (i8, i8), weekdays: Weekdays) -> Period {
        Period {
            begin: Some(time(begin.0, begin.1, 0, 0)),
            end: Some(time(end.0, end.1, 0, 0)),
            weekdays,
            ..Default::default()
        }
    }

    fn schedule(periods: Vec<Period>, options: ScheduleOptions) -> Schedule {
        Schedule {
            name: Some("office-hours".into()),
            zone: london(),
            periods,
            holidays: BTreeSet::new(),
            holiday_state: HolidayState::Stopped,
            options,
        }
    }

    /// Mon–Fri 08:00–18:00 Europe/London. In November London is on UTC, so the transitions of
    /// Wednesday 2026-11-25 are at 08:00Z and 18:00Z.
    fn office_hours() -> Schedule {
        schedule(
            vec![window((8, 0), (18, 0), mon_fri())],
            ScheduleOptions::default(),
        )
    }

    fn with(options: ScheduleOptions) -> Schedule {
        Schedule {
            options,
            ..office_hours()
        }
    }

    fn instance(state: InstanceState, tags: &[(&str, &str)]) -> Instance {
        let mut all: BTreeMap<String, String> = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        all.insert("Schedule".into(), "office-hours".into());
        Instance {
            id: InstanceId::parse("i-0123abcd").unwrap(),
            state,
            lifecycle: Lifecycle::OnDemand,
            hibernation_configured: false,
            tags: all,
            state_reason: None,
            instance_type: None,
            stopped_at: None,
        }
    }

    fn decide_at(schedule: &Schedule, instance: &Instance, now: &str) -> ReconcileDecision {
        let tags = TagConfig::default();
        let eligible = eligibility(instance, None, &tags).unwrap();
        reconcile(
            instance,
            &eligible,
            schedule,
            ts(now),
            &tags,
            &ReconcileSettings::default(),
        )
    }

    #[track_caller]
    fn check(schedule: &Schedule, cases: &[Case<'_>]) {
        for (i, &(now, state, tags, want, reason, write, note)) in cases.iter().enumerate() {
            let got = decide_at(schedule, &instance(state, tags), now);
            let context = format!("case {i}: at {now}, {state:?} with {tags:?}");
            assert_eq!(got.decision, want, "{context}: {got:?}");
            assert_eq!(got.reason.to_string(), reason, "{context}");
            let written = got.write_last_action.map(|w| w.to_tag_value());
            assert_eq!(written.as_deref().unwrap_or(""), write, "{context}");
            assert_eq!(got.note, note, "{context}");
            if let Decision::Skip(r) = got.decision {
                assert_eq!(
                    got.reason.to_string(),
                    r.as_str(),
                    "{context}: a skip's reason is its name"
                );
            }
        }
    }

    #[test]
    #[rustfmt::skip]
    fn stops_at_the_stop_transition() {
        let last = &[(LAST, "start@2026-11-25T08:00Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T17:55Z", Running, last, ALREADY, "in-window",      "",                       None),
                ("2026-11-25T18:00Z", Running, last, STOP,    "outside-window", "stop@2026-11-25T18:00Z", None),
                ("2026-11-25T18:05Z", Running, last, STOP,    "outside-window", "stop@2026-11-25T18:00Z", None),
                ("2026-11-25T18:05Z", Stopped, last, ALREADY, "outside-window", "stop@2026-11-25T18:00Z", None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn starts_at_the_start_transition_and_records_an_instance_already_running() {
        let last = &[(LAST, "stop@2026-11-24T18:00Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T07:55Z", Stopped, last, ALREADY, "outside-window", "",                                    None),
                ("2026-11-25T08:00Z", Stopped, last, START,   "in-window",      "start@2026-11-25T08:00Z",             None),
                ("2026-11-25T08:05Z", Running, last, ALREADY, "in-window",      "start@2026-11-25T08:00Z+was-running", None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn stopped_by_hand_during_working_hours_is_not_restarted() {
        let last = &[(LAST, "start@2026-11-25T08:00Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T08:30Z", Stopped, last, RESPECTED, "manual-change-respected", "",                       None),
                ("2026-11-25T11:00Z", Stopped, last, RESPECTED, "manual-change-respected", "",                       None),
                // The next transition is a stop: nothing to do but record it.
                ("2026-11-25T18:05Z", Stopped, last, ALREADY,   "outside-window",          "stop@2026-11-25T18:00Z", None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn started_by_hand_at_night_is_not_stopped_until_the_next_stop_transition() {
        let night = &[(LAST, "stop@2026-11-25T18:00Z")][..];
        let morning = &[(LAST, "start@2026-11-26T08:00Z+was-running")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T21:00Z", Running, night,   RESPECTED, "manual-change-respected", "",                                    None),
                ("2026-11-26T07:59Z", Running, night,   RESPECTED, "manual-change-respected", "",                                    None),
                ("2026-11-26T08:05Z", Running, night,   ALREADY,   "in-window",               "start@2026-11-26T08:00Z+was-running", None),
                ("2026-11-26T18:05Z", Running, morning, STOP,      "outside-window",          "stop@2026-11-26T18:00Z",              None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn a_run_twenty_minutes_late_still_applies_the_transition() {
        let last = &[(LAST, "start@2026-11-25T08:00Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T18:20Z", Running, last, STOP, "outside-window", "stop@2026-11-25T18:00Z", None),
                // The catch-up window (60 minutes) includes its end.
                ("2026-11-25T19:00Z", Running, last, STOP, "outside-window", "stop@2026-11-25T18:00Z", None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn a_run_after_the_catch_up_window_reports_the_transition_missed() {
        let last = &[(LAST, "start@2026-11-25T08:00Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T19:01Z", Running, last, MISSED,  "transition-missed", "", None),
                ("2026-11-25T19:01Z", Stopped, last, ALREADY, "outside-window",    "", None),
            ],
        );
        // A longer window is a setting.
        let i = instance(Running, last);
        let tags = TagConfig::default();
        let eligible = eligibility(&i, None, &tags).unwrap();
        let settings = ReconcileSettings {
            catch_up: SignedDuration::from_hours(3),
        };
        let got = reconcile(&i, &eligible, &office_hours(), ts("2026-11-25T20:00Z"), &tags, &settings);
        assert_eq!(got.decision, STOP);
    }

    #[test]
    #[rustfmt::skip]
    fn a_run_whose_change_or_tag_write_failed_is_completed_by_the_next_run() {
        // The 18:00 run stopped the instance but could not write the tag, or was throttled
        // and did not stop it: the tag still records the start.
        let last = &[(LAST, "start@2026-11-25T08:00Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T18:15Z", Stopped, last, ALREADY, "outside-window", "stop@2026-11-25T18:00Z", None),
                ("2026-11-25T18:15Z", Running, last, STOP,    "outside-window", "stop@2026-11-25T18:00Z", None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn a_new_instance_without_a_tag_follows_the_next_transition() {
        check(
            &office_hours(),
            &[
                // Within the catch-up window of the last transition: applied.
                ("2026-11-25T18:10Z", Running, &[],           STOP,    "outside-window",    "stop@2026-11-25T18:00Z",  None),
                ("2026-11-25T08:10Z", Stopped, &[],           START,   "in-window",         "start@2026-11-25T08:00Z", None),
                // Later: a stopped one is reported and left alone until the next transition; a
                // running one outside its window is stopped at once (stop_new_instances).
                ("2026-11-25T14:00Z", Running, &[],           ALREADY, "in-window",         "",                        None),
                ("2026-11-25T14:00Z", Stopped, &[],           MISSED,  "transition-missed", "",                        None),
                ("2026-11-25T21:00Z", Running, &[],           STOP,    "outside-window",    "stop@2026-11-25T18:00Z",  None),
                ("2026-11-25T21:00Z", Stopped, &[],           ALREADY, "outside-window",    "",                        None),
                ("2026-11-25T21:00Z", Pending, &[],           IN_TRANSITION, "in-transition", "",                      None),
                // An empty tag value (a user cleared it) is no tag.
                ("2026-11-25T18:10Z", Running, &[(LAST, "")], STOP,    "outside-window",    "stop@2026-11-25T18:00Z",  None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn without_stop_new_instances_a_new_instance_running_outside_its_window_is_left_alone() {
        let keep = with(ScheduleOptions {
            stop_new_instances: false,
            ..Default::default()
        });
        check(
            &keep,
            &[
                ("2026-11-25T21:00Z", Running, &[], MISSED, "transition-missed", "",                       None),
                // Within the catch-up window the stop transition is applied as before.
                ("2026-11-25T18:10Z", Running, &[], STOP,   "outside-window",    "stop@2026-11-25T18:00Z", None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn stop_new_instances_does_not_touch_instances_reconcile_has_acted_on() {
        // Started by hand after the 18:00 stop was recorded: the manual change is respected.
        let last = &[(LAST, "stop@2026-11-25T18:00Z")][..];
        // A tag from an older transition: missed, as before.
        let old = &[(LAST, "start@2026-11-24T08:00Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T21:00Z", Running, last, RESPECTED, "manual-change-respected", "", None),
                ("2026-11-25T21:00Z", Running, old,  MISSED,    "transition-missed",       "", None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn a_malformed_last_action_tag_is_ignored_and_noted() {
        let note = Some(Note::InvalidLastActionTag);
        let malformed = [
            "stop@yesterday",
            "paused@2026-11-25T18:00Z",
            "stop@2026-11-25T18:00Z+was-running",
            "2026-11-25T18:00Z",
        ];
        for bad in malformed {
            check(
                &office_hours(),
                &[
                    ("2026-11-25T18:05Z", Running, &[(LAST, bad)], STOP,   "outside-window",    "stop@2026-11-25T18:00Z", note),
                    // As with no tag: stopped at once (stop_new_instances).
                    ("2026-11-25T21:00Z", Running, &[(LAST, bad)], STOP,   "outside-window",    "stop@2026-11-25T18:00Z", note),
                    ("2026-11-25T11:00Z", Stopped, &[(LAST, bad)], MISSED, "transition-missed", "",                       note),
                ],
            );
        }
    }

    #[test]
    #[rustfmt::skip]
    fn a_last_action_tag_later_than_now_is_ignored_noted_and_replaced() {
        // A forged value far in the future, or one written by a run whose `now` lay ahead:
        // counting it as applied would switch the schedule off until then.
        let note = Some(Note::FutureLastActionTag);
        for future in ["stop@9000-01-01T00:00Z", "start@2030-01-01T08:00Z", "start@2026-11-26T08:00Z"] {
            let tag = &[(LAST, future)][..];
            check(
                &office_hours(),
                &[
                    // Decided from the schedule as if there were no tag, and the real
                    // transition written over the future one.
                    ("2026-11-25T18:05Z", Running, tag, STOP,    "outside-window",    "stop@2026-11-25T18:00Z",  note),
                    ("2026-11-25T08:05Z", Stopped, tag, START,   "in-window",         "start@2026-11-25T08:00Z", note),
                    // As with no tag, stopped at once (stop_new_instances).
                    ("2026-11-25T21:00Z", Running, tag, STOP,    "outside-window",    "stop@2026-11-25T18:00Z",  note),
                    ("2026-11-25T21:00Z", Stopped, tag, ALREADY, "outside-window",    "",                        note),
                    ("2026-11-25T11:00Z", Stopped, tag, MISSED,  "transition-missed", "",                        note),
                ],
            );
        }
    }

    #[test]
    #[rustfmt::skip]
    fn a_last_action_tag_within_the_clock_tolerance_of_now_counts_as_applied() {
        // Written by a run whose clock was a little ahead: 18:05 + 5 min is the limit.
        let ahead = &[(LAST, "stop@2026-11-25T18:10Z")][..];
        let beyond = &[(LAST, "stop@2026-11-25T18:11Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T18:05Z", Running, ahead,  RESPECTED, "manual-change-respected", "",                       None),
                ("2026-11-25T18:05Z", Running, beyond, STOP,      "outside-window",          "stop@2026-11-25T18:00Z", Some(Note::FutureLastActionTag)),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn an_override_running_until_keeps_it_up_past_the_stop_transition_then_stops_it_at_expiry() {
        let over = "running until 2026-11-25T23:00Z";
        let before = &[(LAST, "start@2026-11-25T08:00Z"), (OVERRIDE, over)][..];
        let after = &[(LAST, "stop@2026-11-25T23:00Z"), (OVERRIDE, over)][..];
        let reason = "override-until-2026-11-25T23:00Z";
        check(
            &office_hours(),
            &[
                ("2026-11-25T18:05Z", Running, before, ALREADY, reason,           "",                        None),
                // Asserted on every run: stopped by hand, started again.
                ("2026-11-25T20:00Z", Stopped, before, START,   reason,           "",                        None),
                ("2026-11-25T23:00Z", Running, before, STOP,    "outside-window", "stop@2026-11-25T23:00Z",  EXPIRED),
                ("2026-11-25T23:05Z", Running, before, STOP,    "outside-window", "stop@2026-11-25T23:00Z",  EXPIRED),
                ("2026-11-25T23:10Z", Stopped, after,  ALREADY, "outside-window", "",                        EXPIRED),
                ("2026-11-26T08:05Z", Stopped, after,  START,   "in-window",      "start@2026-11-26T08:00Z", EXPIRED),
            ],
        );
        // An offset names the same instant; the reason shows it in UTC.
        let offset = &[(OVERRIDE, "Running Until 2026-11-26T00:00:00+01:00")][..];
        check(
            &office_hours(),
            &[("2026-11-25T18:05Z", Running, offset, ALREADY, reason, "", None)],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn an_override_stopped_until_keeps_it_down_in_working_hours() {
        let over = &[(LAST, "start@2026-11-25T08:00Z"), (OVERRIDE, "stopped until 2026-11-25T12:30Z")][..];
        let reason = "override-until-2026-11-25T12:30Z";
        check(
            &office_hours(),
            &[
                ("2026-11-25T09:00Z", Running, over, STOP,    reason,      "",                        None),
                ("2026-11-25T09:05Z", Stopped, over, ALREADY, reason,      "",                        None),
                ("2026-11-25T12:35Z", Stopped, over, START,   "in-window", "start@2026-11-25T12:30Z", EXPIRED),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn an_override_far_in_the_future_is_honoured() {
        let over = &[(OVERRIDE, "running until 2027-06-01T00:00Z")][..];
        check(
            &office_hours(),
            &[("2026-11-25T21:00Z", Stopped, over, START, "override-until-2027-06-01T00:00Z", "", None)],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn a_malformed_override_skips_the_instance_with_a_reason() {
        for bad in [
            "running",
            "running until tomorrow",
            "paused until 2026-11-25T23:00Z",
            "running till 2026-11-25T23:00Z",
            "running until 2026-11-25T23:00",
            "running until 2026-11-25T23:00Z please",
            "running until 2026-11-25T23:00Z[Europe/London]",
        ] {
            check(
                &office_hours(),
                &[("2026-11-25T18:05Z", Running, &[(OVERRIDE, bad)], BAD_OVERRIDE, "invalid-override-tag", "", None)],
            );
        }
        // An empty value is no override.
        check(
            &office_hours(),
            &[("2026-11-25T18:05Z", Running, &[(OVERRIDE, " ")], STOP, "outside-window", "stop@2026-11-25T18:00Z", None)],
        );
    }

    #[test]
    fn override_errors_say_what_is_wrong() {
        let err = |v: &str| Override::parse(v).unwrap_err();
        assert!(err("").contains("is empty"), "{}", err(""));
        assert!(err("paused until 2026-11-25T23:00Z").contains("`paused`"));
        assert!(err("running till 2026-11-25T23:00Z").contains("`till`"));
        assert!(
            err("running until 2026-11-25T23:00").contains("`2026-11-25T23:00` is not an instant")
        );
        assert!(err("running until 2026-11-25T23:00Z[UTC]").contains("`[`"));
        assert!(err("running").contains("1 word(s)"));
        for v in ["", "running", "paused until x", "running until x"] {
            assert!(err(v).contains("2026-11-25T23:00Z"), "{}", err(v));
        }
    }

    #[test]
    #[rustfmt::skip]
    fn an_expired_override_is_noted_and_the_later_transition_counts() {
        // Expired during the window: the stop at 18:00 is the later transition.
        let noon = &[(LAST, "start@2026-11-25T08:00Z"), (OVERRIDE, "stopped until 2026-11-25T12:00Z")][..];
        // Expired weeks ago: only the note remains.
        let old = &[(LAST, "start@2026-11-25T08:00Z"), (OVERRIDE, "running until 2026-10-01T00:00Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T18:05Z", Running, noon, STOP,      "outside-window",          "stop@2026-11-25T18:00Z", EXPIRED),
                ("2026-11-25T11:00Z", Stopped, old,  RESPECTED, "manual-change-respected", "",                       EXPIRED),
            ],
        );
        // An override that expires exactly at a transition is that transition.
        let at_stop = &[(LAST, "start@2026-11-25T08:00Z"), (OVERRIDE, "running until 2026-11-25T18:00Z")][..];
        check(
            &office_hours(),
            &[("2026-11-25T18:05Z", Running, at_stop, STOP, "outside-window", "stop@2026-11-25T18:00Z", EXPIRED)],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn an_expired_override_whose_expiry_was_missed_is_reported_as_missed() {
        let over = &[
            (LAST, "start@2026-11-25T08:00Z"),
            (OVERRIDE, "running until 2026-11-25T21:00Z"),
        ][..];
        check(
            &office_hours(),
            &[("2026-11-25T23:00Z", Running, over, MISSED, "transition-missed", "", EXPIRED)],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn an_enforced_schedule_restarts_a_hand_stopped_instance() {
        let enforced = with(ScheduleOptions {
            enforced: true,
            ..Default::default()
        });
        let last = &[(LAST, "start@2026-11-25T08:00Z")][..];
        let over = &[(OVERRIDE, "running until 2026-11-25T23:00Z")][..];
        check(
            &enforced,
            &[
                ("2026-11-25T11:00Z", Stopped,  last, START,         "enforced",                         "", None),
                ("2026-11-25T11:00Z", Running,  &[],  ALREADY,       "enforced",                         "", None),
                ("2026-11-25T21:00Z", Running,  last, STOP,          "enforced",                         "", None),
                ("2026-11-25T21:00Z", Stopping, last, IN_TRANSITION, "in-transition",                    "", None),
                // An active override still wins.
                ("2026-11-25T21:00Z", Running,  over, ALREADY,       "override-until-2026-11-25T23:00Z", "", None),
                ("2026-11-25T23:30Z", Running,  over, STOP,          "enforced",                         "", EXPIRED),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn a_schedules_override_status_is_asserted_on_every_run_and_an_instance_override_wins() {
        let down = with(ScheduleOptions { override_status: Some(Desired::Stopped), ..Default::default() });
        let up = with(ScheduleOptions { override_status: Some(Desired::Running), ..Default::default() });
        let last = &[(LAST, "start@2026-11-25T08:00Z")][..];
        let over = &[(OVERRIDE, "running until 2026-11-25T23:00Z")][..];
        let expired = &[(OVERRIDE, "running until 2026-11-25T09:00Z")][..];
        check(
            &down,
            &[
                // In working hours: stopped anyway; started by hand: stopped again.
                ("2026-11-25T11:00Z", Running,  last,    STOP,          "override-status-stopped",          "", None),
                ("2026-11-25T11:05Z", Stopped,  last,    ALREADY,       "override-status-stopped",          "", None),
                ("2026-11-25T11:00Z", Stopping, last,    IN_TRANSITION, "in-transition",                    "", None),
                ("2026-11-25T11:00Z", Stopped,  over,    START,         "override-until-2026-11-25T23:00Z", "", None),
                ("2026-11-25T11:00Z", Running,  expired, STOP,          "override-status-stopped",          "", EXPIRED),
            ],
        );
        check(
            &up,
            &[
                ("2026-11-25T21:00Z", Stopped, last, START,   "override-status-running", "", None),
                ("2026-11-28T12:00Z", Running, &[],  ALREADY, "override-status-running", "", None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn an_enforced_stop_only_schedule_stops_in_the_evening_and_leaves_the_daytime_alone() {
        // -19:00 Europe/London enforced (GMT in November).
        let stop_only = schedule(
            vec![Period { end: Some(time(19, 0, 0, 0)), ..Default::default() }],
            ScheduleOptions { enforced: true, ..Default::default() },
        );
        let none = Decision::Skip(SkipReason::NoScheduleEvents);
        check(
            &stop_only,
            &[
                // Started by hand in the morning: no opinion before 19:00 (was: stopped).
                ("2026-11-26T10:00Z", Running, &[], none,    "no-schedule-events", "", None),
                ("2026-11-26T18:59Z", Running, &[], none,    "no-schedule-events", "", None),
                ("2026-11-26T19:00Z", Running, &[], STOP,    "enforced",           "", None),
                ("2026-11-26T23:59Z", Running, &[], STOP,    "enforced",           "", None),
                ("2026-11-26T23:59Z", Stopped, &[], ALREADY, "enforced",           "", None),
                // After midnight the new day has no opinion until its 19:00.
                ("2026-11-27T00:01Z", Running, &[], none,    "no-schedule-events", "", None),
            ],
        );
        // An enforced start-only schedule restarts a hand-stopped instance only after its time.
        let start_only = schedule(
            vec![Period { begin: Some(time(7, 0, 0, 0)), weekdays: mon_fri(), ..Default::default() }],
            ScheduleOptions { enforced: true, ..Default::default() },
        );
        check(
            &start_only,
            &[
                ("2026-11-26T03:00Z", Stopped, &[], none,  "no-schedule-events", "", None),
                ("2026-11-26T07:00Z", Stopped, &[], START, "enforced",           "", None),
                ("2026-11-26T22:00Z", Stopped, &[], START, "enforced",           "", None),
                // Saturday: not selected, no opinion.
                ("2026-11-28T12:00Z", Stopped, &[], none,  "no-schedule-events", "", None),
            ],
        );
        // Both: running from 07:00 to 19:00, stopped from 19:00 to midnight.
        let both = schedule(
            vec![
                Period { begin: Some(time(7, 0, 0, 0)), weekdays: mon_fri(), ..Default::default() },
                Period { end: Some(time(19, 0, 0, 0)), ..Default::default() },
            ],
            ScheduleOptions { enforced: true, ..Default::default() },
        );
        check(
            &both,
            &[
                ("2026-11-26T12:00Z", Stopped, &[], START, "enforced",           "", None),
                ("2026-11-26T20:00Z", Running, &[], STOP,  "enforced",           "", None),
                ("2026-11-27T05:00Z", Running, &[], none,  "no-schedule-events", "", None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn retain_running_keeps_a_hand_started_instance_running_at_window_end() {
        let retain = with(ScheduleOptions {
            retain_running: true,
            ..Default::default()
        });
        let night = &[(LAST, "stop@2026-11-24T18:00Z")][..];
        let was_running = &[(LAST, "start@2026-11-25T08:00Z+was-running")][..];
        let retained = &[(LAST, "stop@2026-11-25T18:00Z")][..];
        check(
            &retain,
            &[
                ("2026-11-25T08:05Z", Running, night,       ALREADY,   "in-window",               "start@2026-11-25T08:00Z+was-running", None),
                ("2026-11-25T18:05Z", Running, was_running, RETAINED,  "retain-running",          "stop@2026-11-25T18:00Z",              None),
                ("2026-11-25T18:20Z", Running, retained,    RESPECTED, "manual-change-respected", "",                                    None),
                // Stopped by hand during the window: nothing to retain.
                ("2026-11-25T18:05Z", Stopped, was_running, ALREADY,   "outside-window",          "stop@2026-11-25T18:00Z",              None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn retain_running_stops_an_instance_it_started_itself() {
        let retain = with(ScheduleOptions {
            retain_running: true,
            ..Default::default()
        });
        let started = &[(LAST, "start@2026-11-25T08:00Z")][..];
        // Running when an earlier window began, but transitions since were not recorded.
        let stale = &[(LAST, "start@2026-11-24T08:00Z+was-running")][..];
        check(
            &retain,
            &[
                ("2026-11-25T18:05Z", Running, started, STOP, "outside-window", "stop@2026-11-25T18:00Z", None),
                ("2026-11-25T18:05Z", Running, stale,   STOP, "outside-window", "stop@2026-11-25T18:00Z", None),
            ],
        );
        // Without the option, a hand-started instance is stopped at the window's end.
        let stale_today = &[(LAST, "start@2026-11-25T08:00Z+was-running")][..];
        check(
            &office_hours(),
            &[("2026-11-25T18:05Z", Running, stale_today, STOP, "outside-window", "stop@2026-11-25T18:00Z", None)],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn the_start_does_not_happen_on_a_holiday() {
        let mut holiday = office_hours();
        holiday.holidays.insert(date(2026, 11, 25));
        let last = &[(LAST, "stop@2026-11-24T18:00Z")][..];
        check(
            &holiday,
            &[
                ("2026-11-25T08:05Z", Stopped, last, ALREADY,   "holiday",                 "",                        None),
                ("2026-11-25T08:05Z", Running, last, RESPECTED, "manual-change-respected", "",                        None),
                ("2026-11-26T08:05Z", Stopped, last, START,     "in-window",               "start@2026-11-26T08:00Z", None),
            ],
        );
        // A holiday that begins during an overnight window stops it at local midnight.
        let mut late = schedule(vec![window((22, 0), (2, 0), mon_fri())], ScheduleOptions::default());
        late.holidays.insert(date(2026, 11, 25));
        let started = &[(LAST, "start@2026-11-24T22:00Z")][..];
        check(
            &late,
            &[("2026-11-25T00:05Z", Running, started, STOP, "holiday", "stop@2026-11-25T00:00Z", None)],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn a_transition_on_a_dst_day_in_london_is_applied_once() {
        // 23:00–01:30 every night. On Sunday 2026-10-25 clocks go back at 02:00 BST: 01:30
        // happens twice (00:30Z and 01:30Z); the stop is at the first one.
        let night = schedule(
            vec![window((23, 0), (1, 30), Weekdays::default())],
            ScheduleOptions::default(),
        );
        let started = &[(LAST, "start@2026-10-24T22:00Z")][..];
        let stopped = &[(LAST, "stop@2026-10-25T00:30Z")][..];
        check(
            &night,
            &[
                ("2026-10-25T00:35Z", Running, started, STOP,      "outside-window",          "stop@2026-10-25T00:30Z", None),
                ("2026-10-25T01:35Z", Stopped, stopped, ALREADY,   "outside-window",          "",                       None),
                ("2026-10-25T01:35Z", Running, stopped, RESPECTED, "manual-change-respected", "",                       None),
            ],
        );
        // 01:30–06:00 every day. On Sunday 2026-03-29 clocks go forward at 01:00 GMT: 01:30
        // does not exist and the start happens at the end of the gap, 01:00Z (02:00 BST).
        let early = schedule(
            vec![window((1, 30), (6, 0), Weekdays::default())],
            ScheduleOptions::default(),
        );
        let before = &[(LAST, "stop@2026-03-28T06:00Z")][..];
        let after = &[(LAST, "start@2026-03-29T01:00Z")][..];
        check(
            &early,
            &[
                ("2026-03-29T01:05Z", Stopped, before, START,   "in-window",      "start@2026-03-29T01:00Z", None),
                ("2026-03-29T01:50Z", Running, after,  ALREADY, "in-window",      "",                        None),
                // 06:00 BST = 05:00Z.
                ("2026-03-29T05:05Z", Running, after,  STOP,    "outside-window", "stop@2026-03-29T05:00Z",  None),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn an_instance_in_transition_is_not_tagged() {
        let last = &[(LAST, "start@2026-11-25T08:00Z")][..];
        let over = &[(OVERRIDE, "running until 2026-11-25T23:00Z")][..];
        check(
            &office_hours(),
            &[
                ("2026-11-25T18:05Z", Stopping, last, IN_TRANSITION, "in-transition",  "",                       None),
                ("2026-11-25T18:05Z", Pending,  last, IN_TRANSITION, "in-transition",  "",                       None),
                ("2026-11-25T18:10Z", Stopped,  last, ALREADY,       "outside-window", "stop@2026-11-25T18:00Z", None),
                ("2026-11-25T19:30Z", Pending,  last, IN_TRANSITION, "in-transition",  "",                       None),
                ("2026-11-25T20:00Z", Pending,  over, IN_TRANSITION, "in-transition",  "",                       None),
            ],
        );
    }

    #[test]
    fn hibernates_when_the_schedule_or_the_tag_asks_and_the_instance_supports_it() {
        let hib = with(ScheduleOptions {
            hibernate: true,
            ..Default::default()
        });
        let last = (LAST, "start@2026-11-25T08:00Z");
        let now = "2026-11-25T18:05Z";
        let mut configured = instance(Running, &[last]);
        configured.hibernation_configured = true;
        let plain = instance(Running, &[last]);
        assert_eq!(decide_at(&hib, &configured, now).decision, HIB);
        assert_eq!(
            decide_at(&hib, &plain, now).decision,
            STOP,
            "not configured: plain stop"
        );
        assert_eq!(decide_at(&office_hours(), &configured, now).decision, STOP);
        let mut tagged = instance(Running, &[last, (HIBERNATE, "true")]);
        tagged.hibernation_configured = true;
        assert_eq!(decide_at(&office_hours(), &tagged, now).decision, HIB);
        let hib_write = decide_at(&hib, &configured, now).write_last_action;
        assert_eq!(
            hib_write.map(|w| w.to_tag_value()).as_deref(),
            Some("stop@2026-11-25T18:00Z")
        );
        // An override's stop hibernates too.
        let mut over = instance(Running, &[(OVERRIDE, "stopped until 2026-11-25T12:00Z")]);
        over.hibernation_configured = true;
        assert_eq!(decide_at(&hib, &over, "2026-11-25T09:00Z").decision, HIB);
    }

    #[test]
    #[rustfmt::skip]
    fn a_schedule_with_no_events_has_no_opinion() {
        let empty = schedule(Vec::new(), ScheduleOptions::default());
        let enforced = schedule(
            Vec::new(),
            ScheduleOptions {
                enforced: true,
                ..Default::default()
            },
        );
        let none = Decision::Skip(SkipReason::NoScheduleEvents);
        let over = &[(OVERRIDE, "running until 2026-11-25T23:00Z")][..];
        check(&empty, &[("2026-11-25T18:05Z", Running, &[], none, "no-schedule-events", "", None)]);
        check(&enforced, &[("2026-11-25T18:05Z", Stopped, &[], none, "no-schedule-events", "", None)]);
        check(
            &empty,
            &[
                // An active override needs no schedule.
                ("2026-11-25T18:05Z", Stopped, over, START, "override-until-2026-11-25T23:00Z", "", None),
                // Its expiry leads nowhere when the schedule has no opinion then.
                ("2026-11-25T23:05Z", Running, over, none,  "no-schedule-events",               "", EXPIRED),
            ],
        );
    }

    #[test]
    fn last_action_values_round_trip_with_seconds_only_when_needed() {
        let cases = [
            ("start@2026-11-25T07:00Z", "start@2026-11-25T07:00Z"),
            ("stop@2026-11-25T19:00Z", "stop@2026-11-25T19:00Z"),
            (
                "start@2026-11-25T07:00Z+was-running",
                "start@2026-11-25T07:00Z+was-running",
            ),
            ("start@2026-11-25T07:00:30Z", "start@2026-11-25T07:00:30Z"),
            (
                "start@2026-11-25T07:00:00.5Z",
                "start@2026-11-25T07:00:00.5Z",
            ),
            ("STOP@2026-11-25T20:00+01:00", "stop@2026-11-25T19:00Z"),
            (
                " Start@2026-11-25T07:00:00Z+Was-Running ",
                "start@2026-11-25T07:00Z+was-running",
            ),
        ];
        for (value, canonical) in cases {
            let parsed = LastAction::parse(value).unwrap_or_else(|| panic!("{value}"));
            assert_eq!(parsed.to_tag_value(), canonical);
            assert_eq!(LastAction::parse(canonical), Some(parsed));
            check_tag_value(canonical).unwrap();
        }
        for bad in [
            "",
            "start",
            "start@",
            "start@2026-11-25",
            "pause@2026-11-25T07:00Z",
            "stop@2026-11-25T07:00Z+was-running",
            "start@2026-11-25T07:00Z+was",
            "start@2026-11-25T07:00",
        ] {
            assert_eq!(LastAction::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn override_accepts_minutes_only_seconds_and_offsets() {
        let want = Override {
            state: Desired::Running,
            until: ts("2026-11-25T23:00:00Z"),
        };
        for v in [
            "running until 2026-11-25T23:00Z",
            "running until 2026-11-25T23:00:00Z",
            "RUNNING UNTIL 2026-11-25T23:00z",
            "running until 2026-11-26T00:00+01:00",
            "  running   until 2026-11-25T18:00-05:00 ",
        ] {
            assert_eq!(Override::parse(v), Ok(want), "{v}");
        }
        assert_eq!(
            Override::parse("stopped until 2026-11-25T23:00Z").map(|o| o.state),
            Ok(Desired::Stopped)
        );
    }

    #[test]
    fn reasons_are_valid_tag_values_and_override_reasons_count_as_one_kind() {
        let d = decide_at(
            &office_hours(),
            &instance(
                Running,
                &[(OVERRIDE, "running until 2026-11-25T23:00:30+00:00")],
            ),
            "2026-11-25T18:05Z",
        );
        assert_eq!(d.reason.to_string(), "override-until-2026-11-25T23:00:30Z");
        assert_eq!(d.reason.kind(), "override");
        check_tag_value(&d.reason.to_string()).unwrap();
    }
}
