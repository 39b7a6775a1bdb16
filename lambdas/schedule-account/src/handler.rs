//! Event → assume role, regions decided → every region at once, each on its own → the
//! account report (ADR 0014).
//!
//! What the state machine gave each region before, the function gives it here: its own
//! attempts (throttled and transient failures retried with backoff, up to four attempts), its
//! own timeout per attempt, and its own report: a region that fails, or runs out of time,
//! is reported failed with why, and the account's other regions are not held up or failed.

use std::time::{Duration, Instant};
use tracing::Instrument;
use uptime_core::engine::resolve_deferred_regions;
use uptime_core::{prepare_account, schedule_region, Connect, Directory, Pause, RegionTask};
use uptime_lambda::events::{decode, schedules, ScheduleAccountEvent, ScheduledAccount};
use uptime_lambda::{Config, LambdaError};
use uptime_model::ids::session_name;
use uptime_model::json::StrictValue;
use uptime_model::report::RunHeader;
use uptime_model::{ErrorName, RegionReport, TargetError};

/// Time limits of one invocation. The task's `TimeoutSeconds` in the definition (230; the
/// function's own timeout 220) bounds
/// the whole; these keep every region's last attempt inside it, so a slow region ends as a
/// failed region report rather than as a timed-out task that loses the other regions' reports.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Assuming the role and listing the enabled regions.
    pub prepare: Duration,
    /// One attempt of one region (the former ScheduleRegion task's timeout).
    pub region_attempt: Duration,
    /// No region attempt starts later than this after the invocation began, minus its own
    /// length.
    pub account: Duration,
    /// Attempts per region in all.
    pub region_attempts: u32,
    /// Backoff between a region's attempts (doubling from `retry_delay`, at most 20 s).
    pub retry_delay: Duration,
}

impl Budget {
    /// The deployed limits: 40 s to prepare, 90 s per region attempt, every attempt over within
    /// 180 s of the start (the function times out at 220 s, the task at 230 s; a retried task
    /// after a failed preparation ends by 40 + 2 + 230 s, inside an Express child's 300 s).
    pub fn deployed() -> Self {
        Self {
            prepare: Duration::from_secs(40),
            region_attempt: Duration::from_secs(90),
            account: Duration::from_secs(180),
            region_attempts: 4,
            retry_delay: Duration::from_secs(2),
        }
    }

    fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.retry_delay
            .saturating_mul(factor)
            .min(Duration::from_secs(20))
    }
}

pub async fn handle(
    directory: &impl Directory,
    connect: &impl Connect,
    pause: &impl Pause,
    config: &Config,
    budget: Budget,
    event: impl Into<StrictValue>,
) -> Result<ScheduledAccount, LambdaError> {
    let started = Instant::now();
    let event: ScheduleAccountEvent = decode(event, "schedule-account")?;
    let request = &event.request;
    let schedules = schedules(event.deployed_schedules.as_deref(), request)?;
    let session = session_name(&event.execution);
    // The account's span; each region's future runs in its own (only the innermost span is
    // written on a line, so it names the account and the execution too). Futures are
    // instrumented, never entered across an await: the regions run interleaved on one task.
    let span = tracing::info_span!("schedule_account", account = %event.account.id, execution = %event.execution);
    // Preparing fails the task (the state machine retries it, then reports the account
    // failed): no region has been touched yet.
    let prepared = tokio::time::timeout(
        budget.prepare,
        Box::pin(async {
            // A region list left out of a hand-written `id:*` is read from the tag again.
            let target =
                resolve_deferred_regions(directory, pause, &event.account, &config.settings)
                    .await?;
            prepare_account(
                connect,
                pause,
                &target,
                &request.regions,
                &config.settings,
                &session,
            )
            .await
        }),
    )
    .instrument(span.clone())
    .await
    .map_err(|_| {
        LambdaError::new(
            ErrorName::Transient,
            format!(
                "preparing the account took longer than {} s",
                budget.prepare.as_secs()
            ),
        )
    })??;
    span.in_scope(|| {
        tracing::info!(
            regions = prepared.regions.len(),
            skipped_regions = prepared.skipped_regions.len(),
            "account prepared"
        )
    });
    let header = RunHeader::of(request);
    let regions = prepared.regions.iter().map(|region| {
        let task = RegionTask {
            account: prepared.account.clone(),
            region: region.clone(),
            header: header.clone(),
            schedules: schedules.clone(),
        };
        let session = &session;
        let execution = event.execution.as_str();
        // Boxed: the region futures are deep (the whole region run), and a boxed one keeps
        // the invocation's future type small.
        let span = tracing::info_span!(
            "schedule_region",
            account = %task.account,
            region = %task.region,
            execution = %execution
        );
        Box::pin(
            async move {
                region_report(connect, pause, config, budget, started, &task, session).await
            }
            .instrument(span),
        )
    });
    // All at once: each region's EC2 buckets are its own, and the role was assumed once for
    // the account (the credentials are shared by its regions).
    let reports = futures::future::join_all(regions).await;
    Ok(ScheduledAccount {
        account: prepared.account,
        regions: reports,
        skipped_regions: prepared.skipped_regions,
    })
}

/// One region: attempts until it succeeds, fails for good, or the budget leaves no room for
/// another attempt; a failure is the region's report.
async fn region_report(
    connect: &impl Connect,
    pause: &impl Pause,
    config: &Config,
    budget: Budget,
    started: Instant,
    task: &RegionTask,
    session: &str,
) -> RegionReport {
    let mut attempt = 1;
    loop {
        let error = match tokio::time::timeout(
            budget.region_attempt,
            schedule_region(connect, pause, task, &config.settings, session),
        )
        .await
        {
            Ok(Ok(run)) => {
                uptime_core::log_region(&run.records, task.header.dry_run);
                // EMF: each object alone on its line of the function's log.
                let at = jiff::Timestamp::now().as_millisecond();
                for line in uptime_model::emf::avoided_metrics(&run.avoided, at) {
                    println!("{line}");
                }
                return run.report;
            }
            Ok(Err(e)) => e,
            Err(_) => TargetError::new(
                ErrorName::Transient,
                format!(
                    "the region took longer than {} s (one attempt's limit); instances it had \
                     already stopped or started stay so",
                    budget.region_attempt.as_secs()
                ),
            ),
        };
        let retryable = matches!(error.error, ErrorName::Throttled | ErrorName::Transient)
            && !error.message.starts_with("the region took longer");
        let delay = budget.delay(attempt);
        let room = started.elapsed() + delay + budget.region_attempt <= budget.account;
        if retryable && attempt < budget.region_attempts && room {
            tracing::warn!(
                attempt,
                error = error.error.as_str(),
                message = %error.message,
                "region retried"
            );
            pause.pause(delay).await;
            attempt += 1;
            continue;
        }
        tracing::warn!(
            attempts = attempt,
            error = error.error.as_str(),
            message = %error.message,
            "region failed"
        );
        return RegionReport::failed(task.account.clone(), task.region.clone(), error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use uptime_core::ErrorKind;
    use uptime_model::InstanceState;
    use uptime_testkit::{FakeCloud, Launch, Op, RecordingPause};

    fn config() -> Config {
        Config::from_lookup(|k| match k {
            "AWS_REGION" => Some("us-east-1".into()),
            "DEFAULT_REGIONS" => Some("eu-west-1,us-east-1,ap-south-1".into()),
            _ => None,
        })
        .unwrap()
    }

    fn event(account: &str, extra: Value) -> Value {
        let mut e = json!({
            "request": {"action": "stop", "now": "2026-11-24T19:00:00Z", "schedule": "office-hours"},
            "account": account, "execution": "nightly-stop"
        });
        e["request"]
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        e
    }

    async fn run(cloud: &FakeCloud, event: Value) -> Result<ScheduledAccount, LambdaError> {
        let pause = RecordingPause::default();
        handle(cloud, cloud, &pause, &config(), Budget::deployed(), event).await
    }

    fn office(
        cloud: &FakeCloud,
        account: &uptime_model::AccountId,
        region: &str,
    ) -> uptime_model::InstanceId {
        cloud.launch(
            account,
            region,
            Launch::running().tag("Schedule", "office-hours"),
        )
    }

    /// Every enabled region of the account is scheduled in the one invocation, the rest are
    /// skipped with why; the role is assumed once for all of them.
    #[tokio::test]
    async fn the_accounts_regions_are_scheduled_in_one_invocation() {
        let cloud = FakeCloud::new();
        let id = cloud.add_enabled_account("111111111111");
        cloud.set_enabled_regions(&id, &["eu-west-1", "us-east-1"]);
        let a = office(&cloud, &id, "eu-west-1");
        let b = office(&cloud, &id, "us-east-1");
        let r = run(&cloud, event("111111111111", json!({}))).await.unwrap();
        assert_eq!(r.regions.len(), 2);
        assert!(r
            .regions
            .iter()
            .all(|r| r.counts.stopped == 1 && r.error.is_none()));
        assert_eq!(r.skipped_regions.len(), 1, "ap-south-1 is not enabled");
        assert_eq!(cloud.state(&a), Some(InstanceState::Stopped));
        assert_eq!(cloud.state(&b), Some(InstanceState::Stopped));
        assert_eq!(cloud.count(Op::AssumeRole), 1);
        // The response is the account report the summary reads from the Map's results.
        let report =
            uptime_lambda::results::account_report(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(report.regions.len(), 2);
        assert!(report.error.is_none());
    }

    /// A region whose discovery stays throttled fails alone, after its own retries; the
    /// other region's stop goes through and is reported.
    #[tokio::test]
    async fn a_region_that_keeps_failing_is_reported_and_the_others_finish() {
        let cloud = FakeCloud::new();
        let id = cloud.add_enabled_account("111111111111");
        cloud.set_enabled_regions(&id, &["eu-west-1", "us-east-1"]);
        office(&cloud, &id, "eu-west-1");
        let b = office(&cloud, &id, "us-east-1");
        let eu = uptime_model::Region::parse("eu-west-1").unwrap();
        cloud.fail_next(
            Op::DescribeInstances,
            Some(&id),
            Some("eu-west-1"),
            ErrorKind::Throttled,
            1000,
        );
        let pause = RecordingPause::default();
        let r = handle(
            &cloud,
            &cloud,
            &pause,
            &config(),
            Budget::deployed(),
            event("111111111111", json!({})),
        )
        .await
        .unwrap();
        let failed: Vec<_> = r.regions.iter().filter(|r| r.error.is_some()).collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].region, eu);
        assert_eq!(
            failed[0].error.as_ref().unwrap().error,
            ErrorName::Throttled
        );
        assert_eq!(cloud.state(&b), Some(InstanceState::Stopped));
        // Four attempts of the region, with the backoff of the former task retries between.
        let waits: Vec<u64> = pause
            .pauses()
            .iter()
            .map(Duration::as_secs)
            .filter(|s| *s >= 2)
            .collect();
        assert_eq!(waits, [2, 4, 8], "{:?}", pause.pauses());
    }

    /// A region attempt that does not finish in its time is the region's failure, and no
    /// further attempt starts when it would end past the account's budget.
    #[tokio::test]
    async fn a_region_out_of_time_is_reported_failed_without_holding_the_others() {
        struct Slow(FakeCloud);
        impl Connect for Slow {
            type Compute = <FakeCloud as Connect>::Compute;
            async fn connect(
                &self,
                a: &uptime_model::AccountId,
                s: &str,
            ) -> Result<(), uptime_core::PortError> {
                self.0.connect(a, s).await
            }
            async fn compute(
                &self,
                a: &uptime_model::AccountId,
                r: &uptime_model::Region,
                s: &str,
            ) -> Result<Self::Compute, uptime_core::PortError> {
                if r.as_str() == "eu-west-1" && s.contains("nightly") {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
                self.0.compute(a, r, s).await
            }
        }
        let cloud = FakeCloud::new();
        let id = cloud.add_enabled_account("111111111111");
        cloud.set_enabled_regions(&id, &["eu-west-1", "us-east-1"]);
        let b = office(&cloud, &id, "us-east-1");
        let budget = Budget {
            prepare: Duration::from_secs(5),
            region_attempt: Duration::from_millis(200),
            account: Duration::from_millis(300),
            region_attempts: 4,
            retry_delay: Duration::from_millis(1),
        };
        let pause = RecordingPause::default();
        let r = handle(
            &cloud,
            &Slow(cloud.clone()),
            &pause,
            &config(),
            budget,
            event("111111111111", json!({})),
        )
        .await
        .unwrap();
        let eu = r
            .regions
            .iter()
            .find(|r| r.region.as_str() == "eu-west-1")
            .unwrap();
        let e = eu.error.as_ref().expect("eu-west-1 failed");
        assert!(e.message.contains("took longer than"), "{}", e.message);
        assert_eq!(cloud.state(&b), Some(InstanceState::Stopped));
    }

    #[tokio::test]
    async fn a_role_that_cannot_be_assumed_fails_the_task_before_any_region() {
        let cloud = FakeCloud::new();
        let id = cloud.add_enabled_account("111111111111");
        cloud.deny_role(&id);
        let e = run(&cloud, event("111111111111", json!({})))
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::AccessDenied);
        assert_eq!(cloud.count(Op::DescribeInstances), 0);
    }

    #[tokio::test]
    async fn a_dry_run_touches_nothing() {
        let cloud = FakeCloud::new();
        let id = cloud.add_enabled_account("111111111111");
        let a = office(&cloud, &id, "eu-west-1");
        let r = run(&cloud, event("111111111111", json!({"dry_run": true})))
            .await
            .unwrap();
        assert!(r.regions.iter().any(|r| r.counts.would_stop == 1));
        assert_eq!(cloud.state(&a), Some(InstanceState::Running));
        assert!(cloud.calls().iter().all(|c| !c.op.is_mutating()));
    }

    #[tokio::test]
    async fn a_malformed_event_or_a_tampered_request_is_invalid_input_before_any_call() {
        let cloud = FakeCloud::new();
        cloud.add_enabled_account("111111111111");
        for e in [
            json!({"request": {"action": "stop"}, "account": "111111111111", "execution": "x"}),
            json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "account": "1", "execution": "x"}),
            json!({"request": {"action": "stop", "now": "2026-11-24T19:00:00Z"}, "account": "111111111111", "execution": "x", "region": "eu-west-1"}),
        ] {
            let err = run(&cloud, e.clone()).await.unwrap_err();
            assert_eq!(err.name, ErrorName::InvalidInput, "{e}");
        }
        assert!(cloud.calls().is_empty());
    }
}
