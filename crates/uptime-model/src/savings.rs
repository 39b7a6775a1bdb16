//! What the schedules save: for the instances that carry a schedule tag now, the hours over a
//! range during which their schedules keep them stopped, and (with a price list) the on-demand
//! money that is. `uptime-scheduler report` prints it.
//!
//! A projection from the schedules, not a record of past runs: an instance started by hand, or
//! launched or terminated inside the range, counts as if it followed its schedule for the whole
//! range. Only the instance's compute is priced; its EBS volumes are billed while it is
//! stopped too.

use crate::report::TargetFailure;
use crate::{eligibility, AccountId, Instance, Region, ScheduleName, SkipReason, TagConfig};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uptime_schedule::document::ResolveError;
use uptime_schedule::{stopped_hours, ScheduleDocument};

/// A started instance's avoided minutes are counted up to this long a stop (14 days): an
/// instance stopped by hand for months before it got a schedule tag would otherwise count the
/// months as saved by the scheduler.
pub const AVOIDED_CAP_MINUTES: u64 = 14 * 24 * 60;

/// Whole minutes an instance started at `now` had been stopped, since `stopped_at` (its stop on
/// request; `None` when EC2 did not say), at most [`AVOIDED_CAP_MINUTES`]; 0 for a stop
/// instant after `now` (a replayed run).
pub fn minutes_avoided(stopped_at: Option<Timestamp>, now: Timestamp) -> u64 {
    let Some(at) = stopped_at else { return 0 };
    let secs = now.duration_since(at).as_secs();
    if secs <= 0 {
        return 0;
    }
    (secs as u64 / 60).min(AVOIDED_CAP_MINUTES)
}

/// The schedule a started instance's avoided minutes are counted under: its tag's schedule
/// name, or `inline` for an expression (whose text would make every instance a metric of its
/// own).
pub fn avoided_schedule_label(tag_value: &str) -> &str {
    let v = tag_value.trim();
    if uptime_schedule::looks_like_expression(v) {
        "inline"
    } else {
        v
    }
}

/// On-demand hourly prices by region and instance type, as a user supplies them (the AWS
/// Price List's on-demand Linux prices, for example), with where they come from and when they
/// were read: a report says which prices it used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceList {
    /// ISO 4217 code of every price, e.g. `USD`.
    pub currency: String,
    /// Where the prices come from, in words.
    pub source: String,
    /// When they were read (a date or an instant, as written).
    pub read_at: String,
    /// Region (or `*`, for a price that applies in any region not listed) → instance type →
    /// price of one instance-hour.
    pub prices: BTreeMap<String, BTreeMap<String, f64>>,
}

/// A price list that cannot be used, naming the entry at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PriceListError {
    pub field: String,
    pub message: String,
}

impl PriceList {
    /// Reads and checks a price list: a three-letter currency, a source and a read date, region
    /// keys that are regions or `*`, instance types that look like `family.size`, prices that
    /// are finite and not negative.
    pub fn from_json(value: &Value) -> Result<Self, PriceListError> {
        let err = |field: &str, message: String| PriceListError {
            field: field.to_owned(),
            message,
        };
        let list: PriceList = serde_json::from_value(value.clone())
            .map_err(|e| err("$", format!("not a price list: {e}")))?;
        if list.currency.len() != 3 || !list.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(err(
                "currency",
                format!(
                    "`{}` is not a three-letter currency code such as USD",
                    list.currency
                ),
            ));
        }
        for (field, v) in [("source", &list.source), ("read_at", &list.read_at)] {
            if v.trim().is_empty() {
                return Err(err(field, "must not be empty".to_owned()));
            }
        }
        if list.prices.is_empty() {
            return Err(err("prices", "lists no region".to_owned()));
        }
        for (region, types) in &list.prices {
            if region != "*" {
                Region::parse(region)
                    .map_err(|e| err(&format!("prices.{region}"), e.to_string()))?;
            }
            for (itype, price) in types {
                let field = format!("prices.{region}.{itype}");
                let valid = itype.split_once('.').is_some_and(|(family, size)| {
                    !family.is_empty()
                        && !size.is_empty()
                        && itype
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                });
                if !valid {
                    return Err(err(
                        &field,
                        "is not an instance type such as m5.large".to_owned(),
                    ));
                }
                if !price.is_finite() || *price < 0.0 {
                    return Err(err(
                        &field,
                        format!("{price} is not a price (a number 0 or more)"),
                    ));
                }
            }
        }
        Ok(list)
    }

    /// The price of one hour of `instance_type` in `region`: the region's own, else `*`'s.
    pub fn hourly(&self, region: &Region, instance_type: &str) -> Option<f64> {
        self.prices
            .get(region.as_str())
            .and_then(|t| t.get(instance_type))
            .or_else(|| self.prices.get("*").and_then(|t| t.get(instance_type)))
            .copied()
    }
}

/// What a report is priced with.
#[derive(Debug, Clone, PartialEq)]
pub enum Pricing<'a> {
    /// A price list (a file, or one read from the AWS Price List API).
    List(&'a PriceList),
    /// None asked for: hours only.
    None,
    /// Asked for and not read, for this reason: hours only.
    NotRead(String),
}

/// Which prices a report used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PricesUsed {
    pub currency: String,
    pub source: String,
    pub read_at: String,
}

/// One group of instances: one account, region, schedule tag value and instance type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavingsLine {
    pub account: AccountId,
    pub region: Region,
    /// The schedule tag value (a schedule's name or an inline expression).
    pub schedule: String,
    /// `unknown` when EC2 did not say.
    pub instance_type: String,
    pub instances: u64,
    /// Instance-hours in the range (instances × the range's hours).
    pub instance_hours: f64,
    /// Instance-hours the schedule keeps them stopped.
    pub stopped_hours: f64,
    /// The stopped hours at the type's on-demand price; `None` without a price for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved: Option<f64>,
}

/// The lines of one schedule, added up.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SavingsTotal {
    pub instances: u64,
    pub instance_hours: f64,
    pub stopped_hours: f64,
    /// The money of the priced instances (0 when none is priced).
    pub saved: f64,
    /// Instances whose type has no price: their hours count, their money does not.
    pub unpriced_instances: u64,
}

impl SavingsTotal {
    fn add(&mut self, line: &SavingsLine) {
        self.instances += line.instances;
        self.instance_hours += line.instance_hours;
        self.stopped_hours += line.stopped_hours;
        match line.saved {
            Some(s) => self.saved += s,
            None => self.unpriced_instances += line.instances,
        }
    }

    /// Stopped hours ÷ instance hours (0 for no instance).
    pub fn stopped_share(&self) -> f64 {
        if self.instance_hours > 0.0 {
            self.stopped_hours / self.instance_hours
        } else {
            0.0
        }
    }
}

/// What the schedules save over a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavingsReport {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Real hours in `[from, to)`.
    pub hours: f64,
    /// `None`: no prices; only hours are reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<PricesUsed>,
    /// Why there are no prices, when they were asked for and could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices_not_read: Option<String>,
    pub total: SavingsTotal,
    /// By schedule tag value.
    pub schedules: BTreeMap<String, SavingsTotal>,
    /// Instance types without a price, with how many instances have them.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unpriced_types: BTreeMap<String, u64>,
    /// By account, region, schedule and instance type.
    pub lines: Vec<SavingsLine>,
    /// Instances the scheduler would not stop, by reason (as a run reports them).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Accounts and regions whose instances could not be read: the report leaves them out.
    pub failures: Vec<TargetFailure>,
    /// Accounts the selection did not cover, by reason (not opted in, suspended, …).
    pub skipped_accounts_by_reason: BTreeMap<String, u64>,
}

/// Adds `n` under `key` (nothing for 0, so that no zero entry appears).
fn bump(map: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    if n > 0 {
        *map.entry(key.to_owned()).or_default() += n;
    }
}

/// Adds instances region by region into a [`SavingsReport`]. Each distinct schedule tag value is
/// resolved and measured once.
#[derive(Debug)]
pub struct SavingsBuilder<'a> {
    from: Timestamp,
    to: Timestamp,
    schedules: &'a ScheduleDocument,
    tags: &'a TagConfig,
    filter: Option<&'a ScheduleName>,
    /// Tag value → the hours its schedule keeps an instance stopped, or why it has none.
    measured: HashMap<String, Result<f64, SkipReason>>,
    lines: BTreeMap<(AccountId, Region, String, String), SavingsLine>,
    skipped_by_reason: BTreeMap<String, u64>,
    failures: Vec<TargetFailure>,
    skipped_accounts_by_reason: BTreeMap<String, u64>,
}

impl<'a> SavingsBuilder<'a> {
    /// A report over `[from, to)` with these schedules (names resolve through the document,
    /// inline expressions on their own), the deployment's tags and the run's schedule filter.
    /// The prices come at [`Self::finish`], once [`Self::priced_pairs`] says what to price.
    pub fn new(
        from: Timestamp,
        to: Timestamp,
        schedules: &'a ScheduleDocument,
        tags: &'a TagConfig,
        filter: Option<&'a ScheduleName>,
    ) -> Self {
        Self {
            from,
            to,
            schedules,
            tags,
            filter,
            measured: HashMap::new(),
            lines: BTreeMap::new(),
            skipped_by_reason: BTreeMap::new(),
            failures: Vec::new(),
            skipped_accounts_by_reason: BTreeMap::new(),
        }
    }

    /// Adds the instances discovered in one account-region: those the scheduler would schedule
    /// count, the others are counted by the reason a run would skip them for.
    pub fn add_region(&mut self, account: &AccountId, region: &Region, instances: &[Instance]) {
        let hours = self.hours();
        for instance in instances {
            let value = match eligibility(instance, self.filter, self.tags) {
                Ok(e) => e.schedule.to_owned(),
                Err(reason) => {
                    self.skip(reason);
                    continue;
                }
            };
            let (schedules, from, to) = (self.schedules, self.from, self.to);
            let stopped = *self.measured.entry(value.clone()).or_insert_with(|| {
                match schedules.resolve(&value) {
                    Ok(s) => Ok(stopped_hours(&s, from, to)),
                    Err(ResolveError::Unknown(_)) => Err(SkipReason::UnknownSchedule),
                    Err(ResolveError::Invalid(_)) => Err(SkipReason::InvalidSchedule),
                }
            });
            let stopped = match stopped {
                Ok(h) => h,
                Err(reason) => {
                    self.skip(reason);
                    continue;
                }
            };
            let itype = instance
                .instance_type
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "unknown".to_owned());
            let key = (account.clone(), region.clone(), value, itype);
            let line = self
                .lines
                .entry(key.clone())
                .or_insert_with(|| SavingsLine {
                    account: key.0.clone(),
                    region: key.1.clone(),
                    schedule: key.2.clone(),
                    instance_type: key.3.clone(),
                    instances: 0,
                    instance_hours: 0.0,
                    stopped_hours: 0.0,
                    saved: None,
                });
            line.instances += 1;
            line.instance_hours += hours;
            line.stopped_hours += stopped;
        }
    }

    /// The regions and instance types of the instances counted so far (`unknown` types left
    /// out): what a price list must price.
    pub fn priced_pairs(&self) -> BTreeSet<(Region, String)> {
        self.lines
            .keys()
            .filter(|(_, _, _, itype)| itype != "unknown")
            .map(|(_, region, _, itype)| (region.clone(), itype.clone()))
            .collect()
    }

    /// An account or region whose instances could not be read.
    pub fn add_failure(&mut self, failure: TargetFailure) {
        self.failures.push(failure);
    }

    /// `n` accounts the selection left out, by their reason.
    pub fn add_skipped_accounts(&mut self, reason: &str, n: u64) {
        bump(&mut self.skipped_accounts_by_reason, reason, n);
    }

    /// `n` instances whose description EC2 could not give (counted as `unreadable`).
    pub fn add_unreadable(&mut self, n: u64) {
        bump(
            &mut self.skipped_by_reason,
            SkipReason::Unreadable.as_str(),
            n,
        );
    }

    fn skip(&mut self, reason: SkipReason) {
        bump(&mut self.skipped_by_reason, reason.as_str(), 1);
    }

    fn hours(&self) -> f64 {
        if self.to > self.from {
            self.to.duration_since(self.from).as_secs_f64() / 3600.0
        } else {
            0.0
        }
    }

    /// The report: lines in account, region, schedule, type order; totals by schedule and in
    /// all; failures by account and region. Each line's stopped hours are priced at its type's
    /// hourly price in its region, where `pricing` has one.
    pub fn finish(mut self, pricing: Pricing<'_>) -> SavingsReport {
        let hours = self.hours();
        let prices = match &pricing {
            Pricing::List(p) => Some(*p),
            Pricing::None | Pricing::NotRead(_) => None,
        };
        let mut lines: Vec<SavingsLine> = std::mem::take(&mut self.lines).into_values().collect();
        for line in &mut lines {
            line.saved = prices
                .and_then(|p| p.hourly(&line.region, &line.instance_type))
                .map(|hourly| line.stopped_hours * hourly);
        }
        let mut total = SavingsTotal::default();
        let mut schedules: BTreeMap<String, SavingsTotal> = BTreeMap::new();
        let mut unpriced_types: BTreeMap<String, u64> = BTreeMap::new();
        for line in &lines {
            total.add(line);
            schedules
                .entry(line.schedule.clone())
                .or_default()
                .add(line);
            if prices.is_some() && line.saved.is_none() {
                *unpriced_types
                    .entry(line.instance_type.clone())
                    .or_default() += line.instances;
            }
        }
        if prices.is_none() {
            // Without prices nothing is priced, and the money is not reported as 0 saved.
            total.unpriced_instances = 0;
            for t in schedules.values_mut() {
                t.unpriced_instances = 0;
            }
        }
        self.failures.sort_by(|a, b| {
            (&a.account, &a.region, &a.error).cmp(&(&b.account, &b.region, &b.error))
        });
        SavingsReport {
            from: self.from,
            to: self.to,
            hours,
            prices: prices.map(|p| PricesUsed {
                currency: p.currency.clone(),
                source: p.source.clone(),
                read_at: p.read_at.clone(),
            }),
            prices_not_read: match pricing {
                Pricing::NotRead(reason) => Some(reason),
                Pricing::List(_) | Pricing::None => None,
            },
            total,
            schedules,
            unpriced_types,
            lines,
            skipped_by_reason: self.skipped_by_reason,
            failures: self.failures,
            skipped_accounts_by_reason: self.skipped_accounts_by_reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InstanceId, InstanceState, Lifecycle};
    use serde_json::json;

    #[test]
    fn a_start_counts_the_minutes_since_the_stop_on_request_up_to_fourteen_days() {
        let now = ts("2026-12-07T07:00:00Z");
        let friday =
            crate::instance::stopped_at_from_reason("User initiated (2026-12-04 19:00:04 GMT)");
        assert_eq!(friday, Some(ts("2026-12-04T19:00:04Z")));
        assert_eq!(
            minutes_avoided(friday, now),
            60 * 60 - 1,
            "60 h less 4 s, whole minutes"
        );
        let moto =
            crate::instance::stopped_at_from_reason("User initiated (2026-12-06 07:00:00 UTC)");
        assert_eq!(minutes_avoided(moto, now), 24 * 60);
        for other in [
            "",
            "Client.UserInitiatedShutdown",
            "User initiated (yesterday GMT)",
        ] {
            assert_eq!(
                crate::instance::stopped_at_from_reason(other),
                None,
                "{other:?}"
            );
        }
        assert_eq!(minutes_avoided(None, now), 0);
        assert_eq!(
            minutes_avoided(Some(ts("2026-12-08T00:00:00Z")), now),
            0,
            "after now"
        );
        assert_eq!(
            minutes_avoided(Some(ts("2026-01-01T00:00:00Z")), now),
            AVOIDED_CAP_MINUTES
        );
        assert_eq!(avoided_schedule_label(" office "), "office");
        assert_eq!(
            avoided_schedule_label("mon-fri 08:00-18:00 Europe/London"),
            "inline"
        );
    }

    fn instance(n: u32, schedule: Option<&str>, itype: &str) -> Instance {
        let mut tags = BTreeMap::new();
        if let Some(s) = schedule {
            tags.insert("Schedule".to_owned(), s.to_owned());
        }
        Instance {
            id: InstanceId::parse(&format!("i-{n:017x}")).unwrap(),
            state: InstanceState::Running,
            lifecycle: Lifecycle::OnDemand,
            hibernation_configured: false,
            tags,
            state_reason: None,
            instance_type: Some(itype.to_owned()),
            stopped_at: None,
        }
    }

    fn prices() -> PriceList {
        PriceList::from_json(&json!({
            "currency": "USD", "source": "test prices", "read_at": "2026-12-01",
            "prices": {"eu-west-1": {"m5.large": 0.107}, "*": {"t3.micro": 0.0104}}
        }))
        .unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn doc() -> ScheduleDocument {
        ScheduleDocument::from_json(&json!({"schedules": {
            "office": {"timezone": "UTC", "periods": [{"begin": "08:00", "end": "18:00", "weekdays": "mon-fri"}]}
        }}))
        .unwrap()
    }

    /// One week from a Monday: office hours (50 h running) keep each instance stopped 118 of
    /// 168 hours; an inline expression is measured on its own; unknown names and opted-out,
    /// spot instances are counted by reason; prices by region, then `*`.
    #[test]
    fn a_week_of_office_hours_is_118_stopped_hours_an_instance_at_its_price() {
        let (doc, tags) = (doc(), TagConfig::default());
        let p = prices();
        let mut b = SavingsBuilder::new(
            ts("2026-06-01T00:00:00Z"),
            ts("2026-06-08T00:00:00Z"),
            &doc,
            &tags,
            None,
        );
        let acct = AccountId::parse("111111111111").unwrap();
        let eu = Region::parse("eu-west-1").unwrap();
        let mut spot = instance(5, Some("office"), "m5.large");
        spot.lifecycle = Lifecycle::Spot;
        b.add_region(
            &acct,
            &eu,
            &[
                instance(1, Some("office"), "m5.large"),
                instance(2, Some("office"), "m5.large"),
                instance(3, Some("office"), "t3.micro"),
                instance(4, Some("office"), "c7g.xlarge"),
                instance(6, Some("ignore"), "m5.large"),
                instance(7, Some("nosuch"), "m5.large"),
                instance(8, Some("mon-fri 08:00-12:00 UTC"), "t3.micro"),
                spot,
            ],
        );
        // What a price list must price: every region and type counted, `unknown` aside.
        assert_eq!(
            b.priced_pairs(),
            BTreeSet::from([
                (eu.clone(), "c7g.xlarge".to_owned()),
                (eu.clone(), "m5.large".to_owned()),
                (eu.clone(), "t3.micro".to_owned()),
            ])
        );
        let r = b.finish(Pricing::List(&p));
        assert_eq!(r.hours, 168.0);
        let office = &r.schedules["office"];
        assert_eq!(office.instances, 4);
        assert!((office.stopped_hours - 4.0 * 118.0).abs() < 1e-9);
        assert!((office.instance_hours - 4.0 * 168.0).abs() < 1e-9);
        assert!((office.saved - (2.0 * 118.0 * 0.107 + 118.0 * 0.0104)).abs() < 1e-9);
        assert_eq!(office.unpriced_instances, 1);
        assert_eq!(r.unpriced_types, BTreeMap::from([("c7g.xlarge".into(), 1)]));
        let inline = &r.schedules["mon-fri 08:00-12:00 UTC"];
        assert!((inline.stopped_hours - (168.0 - 20.0)).abs() < 1e-9);
        assert_eq!(r.total.instances, 5);
        assert_eq!(
            r.skipped_by_reason,
            BTreeMap::from([
                ("opted-out".into(), 1),
                ("spot".into(), 1),
                ("unknown-schedule".into(), 1)
            ])
        );
        let m5 = r
            .lines
            .iter()
            .find(|l| l.instance_type == "m5.large")
            .unwrap();
        assert_eq!(m5.instances, 2);
        assert!((m5.saved.unwrap() - 2.0 * 118.0 * 0.107).abs() < 1e-9);
        assert_eq!(r.prices.as_ref().unwrap().read_at, "2026-12-01");
    }

    /// Without prices, or with prices that could not be read, only hours are reported, and
    /// the report says which.
    #[test]
    fn without_prices_only_hours_are_reported_and_why() {
        let (doc, tags) = (doc(), TagConfig::default());
        let acct = AccountId::parse("111111111111").unwrap();
        let eu = Region::parse("eu-west-1").unwrap();
        for (pricing, why) in [
            (Pricing::None, None),
            (
                Pricing::NotRead("AccessDeniedException: no".to_owned()),
                Some("AccessDeniedException: no"),
            ),
        ] {
            let mut b = SavingsBuilder::new(
                ts("2026-06-01T00:00:00Z"),
                ts("2026-06-02T00:00:00Z"),
                &doc,
                &tags,
                None,
            );
            b.add_region(&acct, &eu, &[instance(1, Some("office"), "m5.large")]);
            let r = b.finish(pricing);
            assert!((r.total.stopped_hours - 14.0).abs() < 1e-9);
            assert_eq!(r.total.saved, 0.0);
            assert_eq!(
                r.total.unpriced_instances, 0,
                "nothing was priced, so nothing is unpriced"
            );
            let v = serde_json::to_value(&r).unwrap();
            assert!(v.get("prices").is_none());
            assert_eq!(v.get("prices_not_read").and_then(Value::as_str), why);
            assert!(v["lines"][0].get("saved").is_none(), "{v}");
        }
    }

    #[test]
    fn the_run_schedule_filter_leaves_other_schedules_out_as_a_run_would() {
        let (doc, tags) = (doc(), TagConfig::default());
        let office = ScheduleName::parse("office").unwrap();
        let mut b = SavingsBuilder::new(
            ts("2026-06-01T00:00:00Z"),
            ts("2026-06-02T00:00:00Z"),
            &doc,
            &tags,
            Some(&office),
        );
        let acct = AccountId::parse("111111111111").unwrap();
        let eu = Region::parse("eu-west-1").unwrap();
        b.add_region(
            &acct,
            &eu,
            &[
                instance(1, Some("office"), "m5.large"),
                instance(2, Some("mon-fri 08:00-12:00 UTC"), "m5.large"),
            ],
        );
        let r = b.finish(Pricing::None);
        assert_eq!(r.total.instances, 1);
        assert_eq!(r.skipped_by_reason["other-schedule"], 1);
    }

    #[test]
    fn a_bad_price_list_names_the_entry_at_fault() {
        let bad = |v: Value| PriceList::from_json(&v).unwrap_err();
        let base = |prices: Value| json!({"currency": "USD", "source": "s", "read_at": "2026-12-01", "prices": prices});
        assert_eq!(
            bad(base(json!({"eu-west-1": {"m5.large": -1}}))).field,
            "prices.eu-west-1.m5.large"
        );
        assert_eq!(
            bad(base(json!({"mars-1": {"m5.large": 1}}))).field,
            "prices.mars-1"
        );
        assert_eq!(
            bad(base(json!({"eu-west-1": {"large": 1}}))).field,
            "prices.eu-west-1.large"
        );
        assert_eq!(bad(base(json!({}))).field, "prices");
        let mut v = base(json!({"*": {"m5.large": 1}}));
        v["currency"] = json!("dollars");
        assert_eq!(bad(v).field, "currency");
        let mut v = base(json!({"*": {"m5.large": 1}}));
        v["extra"] = json!(1);
        let e = bad(v);
        assert!(e.message.contains("extra"), "{e}");
    }
}
