//! The schedule model: what a schedule *is*, independent of how it was written down.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

/// An IANA time zone from the compiled-in database, with the name it was given by.
#[derive(Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

/// A time zone name the database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IANA time zone name (such as Europe/London, America/New_York or UTC)")]
pub struct ZoneError(pub String);

fn database() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

impl Zone {
    /// Looks a zone up by its IANA name (case-insensitive, as the database is) in the bundled
    /// database; never in the machine's zoneinfo.
    pub fn parse(name: &str) -> Result<Self, ZoneError> {
        let tz = database()
            .get(name)
            .map_err(|_| ZoneError(name.to_owned()))?;
        let name = tz.iana_name().unwrap_or(name).to_owned();
        Ok(Self { name, tz })
    }

    /// UTC.
    pub fn utc() -> Self {
        Self {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// The canonical spelling of the name, as the database has it.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Zone {}

/// One weekday rule: every such weekday, the nth one of the month (1–5), or the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WeekdayRule {
    Every(WeekdayKey),
    Nth(WeekdayKey, u8),
    Last(WeekdayKey),
}

/// A weekday that sorts Monday first (jiff's `Weekday` is not `Ord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeekdayKey(pub u8);

impl WeekdayKey {
    pub fn new(w: Weekday) -> Self {
        Self(w.to_monday_one_offset() as u8)
    }
    pub fn weekday(self) -> Weekday {
        // 1..=7 by construction.
        Weekday::from_monday_one_offset(self.0 as i8).unwrap_or(Weekday::Monday)
    }
}

/// The weekdays a period applies on. Empty = every day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Weekdays(pub BTreeSet<WeekdayRule>);

impl Weekdays {
    pub fn matches(&self, date: Date) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let key = WeekdayKey::new(date.weekday());
        let nth = (date.day() as u8 - 1) / 7 + 1;
        let is_last = date.day() as u8 + 7 > date.days_in_month() as u8;
        self.0.iter().any(|rule| match *rule {
            WeekdayRule::Every(w) => w == key,
            WeekdayRule::Nth(w, n) => w == key && n == nth,
            WeekdayRule::Last(w) => w == key && is_last,
        })
    }
}

/// The days of the month a period applies on: a set of day numbers 1–31, the last day, and/or
/// the weekdays nearest to some days (`15W`). Empty = every day. Day 31 simply never matches
/// in a 30-day month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthDays {
    /// Bit `d` set = day `d` (1–31).
    pub days: u32,
    pub last: bool,
    /// Bit `d` set = the weekday (Monday to Friday) nearest to day `d` of the month, within the
    /// month (AWS Instance Scheduler's and cron's `dW`): day `d` itself when it is a weekday; a
    /// Saturday moves to the Friday before, except the 1st, which moves to Monday the 3rd; a
    /// Sunday moves to the Monday after, except the month's last day, which moves to the Friday
    /// before. Never matches in a month shorter than `d` days.
    pub nearest_weekday: u32,
}

impl MonthDays {
    pub fn is_empty(&self) -> bool {
        self.days == 0 && !self.last && self.nearest_weekday == 0
    }
    pub fn matches(&self, date: Date) -> bool {
        self.is_empty()
            || self.days & (1 << date.day()) != 0
            || (self.last && date.day() == date.days_in_month())
            || (1..=date.days_in_month())
                .filter(|d| self.nearest_weekday & (1 << d) != 0)
                .any(|d| nearest_weekday(date, d) == Some(date.day()))
    }
}

/// The day of `date`'s month that is the weekday nearest to day `day` (see
/// [`MonthDays::nearest_weekday`]).
fn nearest_weekday(date: Date, day: i8) -> Option<i8> {
    let last = date.days_in_month();
    let target = Date::new(date.year(), date.month(), day).ok()?;
    Some(match target.weekday() {
        Weekday::Saturday if day > 1 => day - 1,
        Weekday::Saturday => day + 2,
        Weekday::Sunday if day < last => day + 1,
        Weekday::Sunday => day - 2,
        _ => day,
    })
}

/// The months a period applies in. Bit `m` set = month `m` (1–12). Empty = every month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Months(pub u16);

impl Months {
    pub fn matches(&self, date: Date) -> bool {
        self.0 == 0 || self.0 & (1 << date.month()) != 0
    }
}

/// One period: a begin and/or an end time of day on the days its rules select.
///
/// - Both times: a window; when `begin > end` it runs overnight and ends the next day. The day
///   rules select the day the window **begins**. `begin == end` is a window of a whole day, to
///   the same time on the next day; the parsers make it only as `all-day` (00:00 to the next
///   midnight) and refuse other equal times.
/// - Begin only: a start at that time (start-only); end only: a stop (stop-only).
///
/// A period with neither is refused when parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Period {
    pub begin: Option<Time>,
    pub end: Option<Time>,
    pub weekdays: Weekdays,
    pub month_days: MonthDays,
    pub months: Months,
}

impl Period {
    /// Whether the period's day rules select `date` (all of weekdays, month days and months).
    pub fn matches(&self, date: Date) -> bool {
        self.weekdays.matches(date) && self.month_days.matches(date) && self.months.matches(date)
    }

    /// Whether the window runs past midnight into the next day.
    pub fn is_overnight(&self) -> bool {
        matches!((self.begin, self.end), (Some(b), Some(e)) if b > e)
    }

    /// Whether the window ends on the day after it begins: overnight, or a whole day.
    pub fn ends_next_day(&self) -> bool {
        matches!((self.begin, self.end), (Some(b), Some(e)) if b >= e)
    }

    /// Whether this is the `all-day` window: local midnight to the next midnight.
    pub fn is_all_day(&self) -> bool {
        self.begin == Some(Time::midnight()) && self.end == Some(Time::midnight())
    }

    /// The `all-day` period: 00:00 to the next midnight, every day.
    pub fn all_day() -> Self {
        Self {
            begin: Some(Time::midnight()),
            end: Some(Time::midnight()),
            ..Self::default()
        }
    }
}

/// Holiday calendars by name: what a schedule's `holidays` (in the schedules document or in an
/// inline expression) name, and what its holiday dates are the union of.
pub type Calendars = BTreeMap<String, BTreeSet<Date>>;

/// What a holiday means for a schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HolidayState {
    /// Instances stay stopped for the whole holiday (local midnight to midnight).
    #[default]
    Stopped,
    /// Holidays are ignored: the periods apply as on any other day.
    AsUsual,
}

/// The state a schedule wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Desired {
    Running,
    Stopped,
}

/// Options of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleOptions {
    /// Re-assert the desired state on every run, instead of acting only on transitions.
    pub enforced: bool,
    /// An instance already running (started by hand) when a window began is not stopped when
    /// that window ends.
    pub retain_running: bool,
    /// Stop by hibernating where the instance supports it.
    pub hibernate: bool,
    /// An instance that reconcile has never acted on (no last-action tag) and finds running
    /// while the schedule wants it stopped is stopped at once, even when the schedule's last
    /// transition is older than the catch-up window (AWS Instance Scheduler's
    /// `stop_new_instances`). On by default; `keep-new-running` turns it off.
    pub stop_new_instances: bool,
    /// A permanent override of the whole schedule (AWS Instance Scheduler's
    /// `override_status`): instances are kept in this state on every run, whatever the periods
    /// say, until it is removed. Only the schedules document sets it.
    pub override_status: Option<Desired>,
}

impl Default for ScheduleOptions {
    fn default() -> Self {
        Self {
            enforced: false,
            retain_running: false,
            hibernate: false,
            stop_new_instances: true,
            override_status: None,
        }
    }
}

/// A schedule, resolved: periods, zone, holiday dates and options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The name in the schedules document, or `None` for an inline expression.
    pub name: Option<String>,
    pub zone: Zone,
    pub periods: Vec<Period>,
    /// Holiday dates, in the schedule's own zone (the union of its calendars).
    pub holidays: BTreeSet<Date>,
    pub holiday_state: HolidayState,
    pub options: ScheduleOptions,
}

impl Schedule {
    /// Whether `date` (a civil date in the schedule's zone) is a holiday that changes the
    /// schedule.
    pub fn is_holiday(&self, date: Date) -> bool {
        self.holiday_state == HolidayState::Stopped && self.holidays.contains(&date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn zones_come_from_the_bundled_database() {
        assert_eq!(
            Zone::parse("Europe/London").unwrap().name(),
            "Europe/London"
        );
        assert_eq!(
            Zone::parse("europe/london").unwrap().name(),
            "Europe/London"
        );
        assert!(Zone::parse("Europe/Atlantis").is_err());
        assert!(Zone::parse("").is_err());
    }

    #[test]
    fn nth_and_last_weekdays_of_the_month() {
        let fri = WeekdayKey::new(Weekday::Friday);
        let last_fri = Weekdays([WeekdayRule::Last(fri)].into());
        assert!(last_fri.matches(date(2026, 11, 27)));
        assert!(!last_fri.matches(date(2026, 11, 20)));
        let second_fri = Weekdays([WeekdayRule::Nth(fri, 2)].into());
        assert!(second_fri.matches(date(2026, 11, 13)));
        assert!(!second_fri.matches(date(2026, 11, 6)));
    }

    #[test]
    fn the_nearest_weekday_stays_in_its_month() {
        let w = |d: u32| MonthDays {
            nearest_weekday: 1 << d,
            ..MonthDays::default()
        };
        let matching = |days: MonthDays, year: i16, month: i8| -> Vec<i8> {
            (1..=date(year, month, 1).days_in_month())
                .filter(|d| days.matches(date(year, month, *d)))
                .collect()
        };
        // August 2026: the 15th is a Saturday → Friday 14th; the 16th a Sunday → Monday 17th;
        // the 1st a Saturday → Monday 3rd; the 31st a Monday.
        assert_eq!(matching(w(15), 2026, 8), [14]);
        assert_eq!(matching(w(16), 2026, 8), [17]);
        assert_eq!(matching(w(1), 2026, 8), [3]);
        assert_eq!(matching(w(31), 2026, 8), [31]);
        // May 2026: the 31st is a Sunday and the last day → Friday 29th.
        assert_eq!(matching(w(31), 2026, 5), [29]);
        // A weekday is itself.
        assert_eq!(matching(w(15), 2026, 7), [15]);
        // No 31st in April: never.
        assert_eq!(matching(w(31), 2026, 4), Vec::<i8>::new());
    }

    #[test]
    fn last_day_of_the_month_includes_leap_days() {
        let last = MonthDays {
            last: true,
            ..MonthDays::default()
        };
        assert!(last.matches(date(2028, 2, 29)));
        assert!(!last.matches(date(2028, 2, 28)));
        assert!(last.matches(date(2027, 2, 28)));
        assert!(last.matches(date(2026, 4, 30)));
    }
}
