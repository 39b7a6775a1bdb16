//! The per-instance decision: a pure function of the instance, the requested action and the tag
//! configuration, returning what to do *and why*. The eligibility checks and the state change
//! are shared with reconcile mode ([`crate::reconcile`]).

use crate::ids::{check_tag_value, ScheduleName};
use crate::input::Action;
use crate::instance::{Instance, InstanceState, Lifecycle, TagConfig, AUTOSCALING_GROUP_TAG};
use serde::{Deserialize, Serialize};

/// A state-changing call to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Start,
    Stop,
    /// Stop with `Hibernate=true`; falls back to [`Operation::Stop`] when EC2 refuses.
    Hibernate,
}

/// Why an instance is left alone. The kebab-case names are stable: reports, logs and
/// dashboards count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Schedule tag value is the reserved opt-out value.
    OptedOut,
    /// Member of an Auto Scaling group: the group owns its lifecycle.
    AutoscalingMember,
    /// Spot (or other non-on-demand) capacity.
    Spot,
    /// The run names a schedule and this instance's tag names another one.
    OtherSchedule,
    /// pending or stopping: acting now would race EC2.
    InTransition,
    /// shutting-down or terminated: never touched.
    UnsupportedState,
    /// The schedule tag is missing (discovery filters on it, so only a stale listing gets here).
    NotOptedIn,
    /// The schedule tag value is empty or not a valid tag value.
    InvalidScheduleTag,
    /// The hibernate tag is neither `true` nor `false`.
    InvalidHibernateTag,
    /// Reconcile: the schedule tag names no schedule of the document.
    UnknownSchedule,
    /// Reconcile: the schedule tag holds an inline expression that does not parse.
    InvalidSchedule,
    /// Reconcile: the override tag is malformed.
    InvalidOverrideTag,
    /// Reconcile: the instance differs from its schedule because someone changed it by hand
    /// after the last transition was applied; left alone until the next transition.
    ManualChangeRespected,
    /// Reconcile: the last transition is older than the catch-up window and was never applied.
    TransitionMissed,
    /// Reconcile: a window ended, but the instance was already running when it began and the
    /// schedule retains such instances.
    RetainRunning,
    /// Reconcile: the schedule has no event within a year, so it has no opinion.
    NoScheduleEvents,
    /// EC2's description of the instance could not be read (it answered with XML that does not
    /// parse, e.g. for a tag value with control characters): isolated and never touched.
    Unreadable,
    /// The instance carries the schedule tag key in more than one letter case (`Schedule` and
    /// `schedule`): which one is meant is unclear, and IAM compares keys case-insensitively.
    AmbiguousScheduleTag,
}

impl SkipReason {
    /// A skip someone should act on: the instance's tags or its schedule are wrong, or it could
    /// not be read, or a transition was missed. Such a skip is logged on its own line every
    /// run; the others (opted out, Auto Scaling members, spot, in transition, a manual change
    /// respected, …) are the normal state of a fleet and are only counted (see
    /// `uptime_core::log_decision`).
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            Self::InvalidScheduleTag
                | Self::InvalidHibernateTag
                | Self::UnknownSchedule
                | Self::InvalidSchedule
                | Self::InvalidOverrideTag
                | Self::TransitionMissed
                | Self::NoScheduleEvents
                | Self::Unreadable
                | Self::AmbiguousScheduleTag
        )
    }

    /// Every reason (the payload-limit checks count them all).
    pub const ALL: [SkipReason; 18] = [
        Self::OptedOut,
        Self::AutoscalingMember,
        Self::Spot,
        Self::OtherSchedule,
        Self::InTransition,
        Self::UnsupportedState,
        Self::NotOptedIn,
        Self::InvalidScheduleTag,
        Self::InvalidHibernateTag,
        Self::UnknownSchedule,
        Self::InvalidSchedule,
        Self::InvalidOverrideTag,
        Self::ManualChangeRespected,
        Self::TransitionMissed,
        Self::RetainRunning,
        Self::NoScheduleEvents,
        Self::Unreadable,
        Self::AmbiguousScheduleTag,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OptedOut => "opted-out",
            Self::AutoscalingMember => "autoscaling-member",
            Self::Spot => "spot",
            Self::OtherSchedule => "other-schedule",
            Self::InTransition => "in-transition",
            Self::UnsupportedState => "unsupported-state",
            Self::NotOptedIn => "not-opted-in",
            Self::InvalidScheduleTag => "invalid-schedule-tag",
            Self::InvalidHibernateTag => "invalid-hibernate-tag",
            Self::UnknownSchedule => "unknown-schedule",
            Self::InvalidSchedule => "invalid-schedule",
            Self::InvalidOverrideTag => "invalid-override-tag",
            Self::ManualChangeRespected => "manual-change-respected",
            Self::Unreadable => "unreadable",
            Self::AmbiguousScheduleTag => "ambiguous-schedule-tag",
            Self::TransitionMissed => "transition-missed",
            Self::RetainRunning => "retain-running",
            Self::NoScheduleEvents => "no-schedule-events",
        }
    }
}

/// The state an action-mode run asks for: [`Action`] but `reconcile`, which decides with
/// [`crate::reconcile::reconcile`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionMode {
    Stop,
    Start,
}

impl ActionMode {
    /// The mode of a `stop` or `start` run; `None` for `reconcile`.
    pub fn of(action: Action) -> Option<Self> {
        match action {
            Action::Stop => Some(Self::Stop),
            Action::Start => Some(Self::Start),
            Action::Reconcile => None,
        }
    }
}

/// What to do with one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", content = "detail", rename_all = "kebab-case")]
pub enum Decision {
    Act(Operation),
    /// Already in the desired state.
    Already,
    Skip(SkipReason),
}

/// An instance the scheduler may act on, with what its tags say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eligible<'a> {
    /// The schedule tag's value, trimmed: a schedule name or an inline expression.
    pub schedule: &'a str,
    /// The instance's hibernate tag asks for hibernation.
    pub hibernate_tag: bool,
}

/// The checks every mode shares: the schedule tag is present and valid and not the opt-out
/// value, the instance is on-demand, not an Auto Scaling member and not shutting down or
/// terminated, the run's schedule (if any) is this one, and the hibernate tag is valid.
///
/// Order of the checks matters only for which reason is reported; every path that is not
/// `Ok` leaves the instance alone.
pub fn eligibility<'a>(
    instance: &'a Instance,
    schedule: Option<&ScheduleName>,
    tags: &TagConfig,
) -> Result<Eligible<'a>, SkipReason> {
    let Some(value) = instance.tags.get(&tags.schedule_key) else {
        return Err(SkipReason::NotOptedIn);
    };
    // EC2 keys are case-sensitive, IAM's tag conditions are not: `Schedule` beside `schedule`
    // leaves it unclear which one the owner meant, so neither is followed.
    if instance
        .tags
        .keys()
        .any(|k| k != &tags.schedule_key && k.eq_ignore_ascii_case(&tags.schedule_key))
    {
        return Err(SkipReason::AmbiguousScheduleTag);
    }
    if value.trim().is_empty() || check_tag_value(value).is_err() {
        return Err(SkipReason::InvalidScheduleTag);
    }
    let value = value.trim();
    if value.eq_ignore_ascii_case(&tags.opt_out_value) {
        return Err(SkipReason::OptedOut);
    }
    if matches!(
        instance.state,
        InstanceState::ShuttingDown | InstanceState::Terminated
    ) {
        return Err(SkipReason::UnsupportedState);
    }
    if instance.tags.contains_key(AUTOSCALING_GROUP_TAG) {
        return Err(SkipReason::AutoscalingMember);
    }
    if instance.lifecycle != Lifecycle::OnDemand {
        return Err(SkipReason::Spot);
    }
    if let Some(wanted) = schedule {
        if value != wanted.as_str() {
            return Err(SkipReason::OtherSchedule);
        }
    }
    let hibernate_tag = match instance.tags.get(&tags.hibernate_key).map(|v| v.trim()) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(SkipReason::InvalidHibernateTag),
    };
    Ok(Eligible {
        schedule: value,
        hibernate_tag,
    })
}

/// The state change that brings an instance to `running` (`want_running`) or `stopped`, if
/// any: `None` when it is already there; `Err(InTransition)` while it is pending or stopping.
/// A stop hibernates when asked to and the instance was launched with hibernation.
pub fn change_towards(
    instance: &Instance,
    want_running: bool,
    hibernate: bool,
) -> Result<Option<Operation>, SkipReason> {
    use InstanceState::*;
    match (want_running, instance.state) {
        (false, Running) if hibernate && instance.hibernation_configured => {
            Ok(Some(Operation::Hibernate))
        }
        (false, Running) => Ok(Some(Operation::Stop)),
        (false, Stopped) | (true, Running) => Ok(None),
        (true, Stopped) => Ok(Some(Operation::Start)),
        (_, Pending | Stopping) => Err(SkipReason::InTransition),
        (_, ShuttingDown | Terminated) => Err(SkipReason::UnsupportedState),
    }
}

/// Decides for one instance in action mode (`stop` or `start`). A `reconcile` run decides with
/// [`crate::reconcile::reconcile`] instead.
pub fn decide(
    instance: &Instance,
    mode: ActionMode,
    schedule: Option<&ScheduleName>,
    tags: &TagConfig,
) -> Decision {
    let eligible = match eligibility(instance, schedule, tags) {
        Ok(e) => e,
        Err(reason) => return Decision::Skip(reason),
    };
    let want_running = mode == ActionMode::Start;
    match change_towards(instance, want_running, eligible.hibernate_tag) {
        Ok(Some(op)) => Decision::Act(op),
        Ok(None) => Decision::Already,
        Err(reason) => Decision::Skip(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::InstanceId;
    use std::collections::BTreeMap;

    fn inst(state: InstanceState, tags: &[(&str, &str)]) -> Instance {
        Instance {
            state_reason: None,
            instance_type: None,
            stopped_at: None,
            id: InstanceId::parse("i-0123abcd").unwrap(),
            state,
            lifecycle: Lifecycle::OnDemand,
            hibernation_configured: false,
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }
    fn d(i: &Instance, a: ActionMode, s: Option<&str>) -> Decision {
        let s = s.map(|s| ScheduleName::parse(s).unwrap());
        decide(i, a, s.as_ref(), &TagConfig::default())
    }
    use ActionMode::{Start, Stop};
    use Decision::*;
    use InstanceState::*;

    #[test]
    fn decision_table_for_state_and_action() {
        let table = [
            (Stop, Running, Act(Operation::Stop)),
            (Stop, Stopped, Already),
            (Stop, Pending, Skip(SkipReason::InTransition)),
            (Stop, Stopping, Skip(SkipReason::InTransition)),
            (Stop, ShuttingDown, Skip(SkipReason::UnsupportedState)),
            (Stop, Terminated, Skip(SkipReason::UnsupportedState)),
            (Start, Stopped, Act(Operation::Start)),
            (Start, Running, Already),
            (Start, Pending, Skip(SkipReason::InTransition)),
            (Start, Stopping, Skip(SkipReason::InTransition)),
            (Start, ShuttingDown, Skip(SkipReason::UnsupportedState)),
            (Start, Terminated, Skip(SkipReason::UnsupportedState)),
        ];
        for (action, state, want) in table {
            assert_eq!(
                d(&inst(state, &[("Schedule", "office-hours")]), action, None),
                want,
                "{action:?} {state:?}"
            );
        }
    }

    #[test]
    fn only_stop_and_start_runs_decide_in_action_mode() {
        assert_eq!(ActionMode::of(Action::Stop), Some(Stop));
        assert_eq!(ActionMode::of(Action::Start), Some(Start));
        assert_eq!(ActionMode::of(Action::Reconcile), None);
    }

    #[test]
    fn the_schedule_key_in_two_letter_cases_is_ambiguous_and_never_acted_on() {
        for other in ["schedule", "SCHEDULE", "ScheDule"] {
            for (a, b) in [
                ("office-hours", "ignore"),
                ("ignore", "office-hours"),
                ("s", "s"),
            ] {
                let i = inst(Running, &[("Schedule", a), (other, b)]);
                assert_eq!(
                    d(&i, Stop, None),
                    Skip(SkipReason::AmbiguousScheduleTag),
                    "{other}={b}"
                );
            }
        }
        // Another key that merely contains the word is no ambiguity.
        let i = inst(Running, &[("Schedule", "s"), ("schedule-owner", "ops")]);
        assert_eq!(d(&i, Stop, None), Act(Operation::Stop));
    }

    #[test]
    fn opt_out_value_is_never_acted_on_and_is_case_insensitive() {
        for v in ["ignore", "IGNORE", " Ignore "] {
            assert_eq!(
                d(&inst(Running, &[("Schedule", v)]), Stop, None),
                Skip(SkipReason::OptedOut)
            );
        }
    }

    #[test]
    fn autoscaling_members_are_skipped() {
        let i = inst(
            Running,
            &[("Schedule", "office-hours"), (AUTOSCALING_GROUP_TAG, "web")],
        );
        assert_eq!(d(&i, Stop, None), Skip(SkipReason::AutoscalingMember));
    }

    #[test]
    fn spot_instances_are_skipped() {
        let mut i = inst(Stopped, &[("Schedule", "office-hours")]);
        i.lifecycle = Lifecycle::Spot;
        assert_eq!(d(&i, Start, None), Skip(SkipReason::Spot));
        i.lifecycle = Lifecycle::Other;
        assert_eq!(d(&i, Start, None), Skip(SkipReason::Spot));
    }

    #[test]
    fn a_named_schedule_selects_only_its_instances() {
        let i = inst(Running, &[("Schedule", "nightly")]);
        assert_eq!(
            d(&i, Stop, Some("office-hours")),
            Skip(SkipReason::OtherSchedule)
        );
        assert_eq!(d(&i, Stop, Some("nightly")), Act(Operation::Stop));
        assert_eq!(d(&i, Stop, None), Act(Operation::Stop));
    }

    #[test]
    fn untagged_and_malformed_schedule_tags_are_skipped_with_a_reason() {
        assert_eq!(
            d(&inst(Running, &[]), Stop, None),
            Skip(SkipReason::NotOptedIn)
        );
        assert_eq!(
            d(&inst(Running, &[("Schedule", "")]), Stop, None),
            Skip(SkipReason::InvalidScheduleTag)
        );
        assert_eq!(
            d(&inst(Running, &[("Schedule", "a;b")]), Stop, None),
            Skip(SkipReason::InvalidScheduleTag)
        );
    }

    #[test]
    fn terminated_instances_are_never_started() {
        assert_eq!(
            d(&inst(Terminated, &[("Schedule", "x")]), Start, None),
            Skip(SkipReason::UnsupportedState)
        );
    }

    #[test]
    fn hibernate_needs_the_tag_and_the_launch_option() {
        let mut i = inst(
            Running,
            &[("Schedule", "x"), ("uptime-scheduler:hibernate", "true")],
        );
        assert_eq!(
            d(&i, Stop, None),
            Act(Operation::Stop),
            "not configured: plain stop"
        );
        i.hibernation_configured = true;
        assert_eq!(d(&i, Stop, None), Act(Operation::Hibernate));
        assert_eq!(d(&i, Start, None), Already);
        i.tags
            .insert("uptime-scheduler:hibernate".into(), "false".into());
        assert_eq!(d(&i, Stop, None), Act(Operation::Stop));
    }

    #[test]
    fn a_malformed_hibernate_tag_skips_the_instance() {
        let i = inst(
            Running,
            &[("Schedule", "x"), ("uptime-scheduler:hibernate", "maybe")],
        );
        assert_eq!(d(&i, Stop, None), Skip(SkipReason::InvalidHibernateTag));
    }

    #[test]
    fn tag_keys_are_configurable() {
        let tags = TagConfig {
            schedule_key: "uptime".into(),
            opt_out_value: "never".into(),
            ..TagConfig::default()
        };
        let i = inst(Running, &[("uptime", "never"), ("Schedule", "x")]);
        assert_eq!(decide(&i, Stop, None, &tags), Skip(SkipReason::OptedOut));
        let j = inst(Running, &[("Schedule", "x")]);
        assert_eq!(decide(&j, Stop, None, &tags), Skip(SkipReason::NotOptedIn));
    }
}
