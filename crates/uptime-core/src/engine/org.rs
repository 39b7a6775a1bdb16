//! The whole organization in-process (the CLI): select, then each account and region with
//! bounded concurrency, and start verification after a start run.

use super::{
    prepare_account, schedule_region, schedules_for, select_accounts, verify_starts, RegionTask,
    Selection, Settings,
};
use crate::ports::{Connect, Directory, Pause};
use crate::retry::RetryPolicy;
use futures::stream::{self, StreamExt};
use std::future::Future;
use std::time::Duration;
use uptime_model::report::{summarize, RunHeader};
use uptime_model::ErrorName;
use uptime_model::{
    AccountId, AccountReport, InstanceRecord, RegionReport, RunRequest, RunSummary, TargetError,
};

/// Concurrency of an in-process run.
#[derive(Debug, Clone, Copy)]
pub struct Concurrency {
    pub accounts: usize,
    pub regions_per_account: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Self {
            accounts: 16,
            regions_per_account: 4,
        }
    }
}

/// How far an in-process run has got (for a progress display; the CLI's `-v`).
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// The accounts are selected: `selected` of the `listed` will be scheduled.
    Selected { selected: usize, listed: u64 },
    /// An account is prepared (`regions` to schedule), or failed to be (`error`).
    Account {
        account: &'a AccountId,
        regions: usize,
        error: Option<&'a TargetError>,
    },
}

/// How an in-process run identifies itself and reports progress.
pub struct RunOptions<'a> {
    /// The STS session name (identifies the run in CloudTrail).
    pub session: &'a str,
    pub concurrency: Concurrency,
    /// Sees every region's records as they finish (for logging).
    pub observe: &'a (dyn Fn(&RegionTask, &[InstanceRecord]) + Sync),
    /// Sees the selection and every account as it is prepared.
    pub progress: &'a (dyn Fn(Progress<'_>) + Sync),
}

impl<'a> RunOptions<'a> {
    /// A run under this session name at the default concurrency that observes and reports
    /// nothing as it goes (tests, and callers that want only the result).
    pub fn quiet(session: &'a str) -> Self {
        Self {
            session,
            concurrency: Concurrency::default(),
            observe: &|_, _| {},
            progress: &|_| {},
        }
    }
}

impl std::fmt::Debug for RunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("session", &self.session)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// Everything an in-process run produced.
#[derive(Debug, Clone)]
pub struct OrgRun {
    pub summary: RunSummary,
    pub accounts: Vec<AccountReport>,
    pub selection: Selection,
}

/// How an in-process run retries an account or a region that failed as `Throttled` once its
/// calls' own retries ran out: as schedule-account retries a region and the state machine its
/// task (4 more attempts, 2 s doubling, at most 20 s; re-running a region is
/// idempotent, ADR 0004). A `Transient` failure is not retried here, unlike in the state
/// machine: in the CLI it is mostly a call that got no answer in time, which already waited its
/// limit.
pub const TASK_RETRY: RetryPolicy = RetryPolicy {
    attempts: 5,
    base_delay: Duration::from_secs(2),
    max_delay: Duration::from_secs(20),
};

/// Runs `op` again after [`TASK_RETRY`]'s delays while it fails as `Throttled`.
pub(super) async fn retry_throttled<T, F, Fut>(
    pause: &impl Pause,
    mut op: F,
) -> Result<T, TargetError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, TargetError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if e.error == ErrorName::Throttled && attempt < TASK_RETRY.attempts => {
                pause.retrying(crate::ports::ErrorKind::Throttled);
                pause.pause(TASK_RETRY.delay(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Runs a whole request in-process: select, then each account and region with bounded
/// concurrency.
/// Fails only when the account listing fails.
pub async fn run_organization<D: Directory, C: Connect>(
    dir: &D,
    connect: &C,
    pause: &impl Pause,
    req: &RunRequest,
    settings: &Settings,
    options: RunOptions<'_>,
) -> Result<OrgRun, TargetError> {
    let RunOptions {
        session,
        concurrency,
        observe,
        progress,
    } = options;
    let schedules = schedules_for(&settings.schedules, req);
    let selection = select_accounts(dir, pause, req, settings).await?;
    progress(Progress::Selected {
        selected: selection.accounts.len(),
        listed: selection.counts.listed,
    });
    let header = RunHeader::of(req);
    let header = &header;
    let schedules = &schedules;
    let mut accounts: Vec<AccountReport> = stream::iter(selection.accounts.iter())
        .map(|target| async move {
            let prepared = match retry_throttled(pause, || {
                prepare_account(connect, pause, target, &req.regions, settings, session)
            })
            .await
            {
                Ok(p) => {
                    progress(Progress::Account {
                        account: &target.id,
                        regions: p.regions.len(),
                        error: None,
                    });
                    p
                }
                Err(error) => {
                    progress(Progress::Account {
                        account: &target.id,
                        regions: 0,
                        error: Some(&error),
                    });
                    return AccountReport {
                        account: target.id.clone(),
                        regions: Vec::new(),
                        skipped_regions: Vec::new(),
                        error: Some(error),
                    };
                }
            };
            let regions = stream::iter(prepared.regions.iter())
                .map(|region| async move {
                    let task = RegionTask {
                        account: target.id.clone(),
                        region: region.clone(),
                        header: header.clone(),
                        schedules: schedules.clone(),
                    };
                    let run = retry_throttled(pause, || {
                        schedule_region(connect, pause, &task, settings, session)
                    })
                    .await;
                    match run {
                        Ok(run) => {
                            observe(&task, &run.records);
                            run.report
                        }
                        Err(e) => RegionReport::failed(task.account, task.region, e),
                    }
                })
                .buffered(concurrency.regions_per_account.max(1))
                .collect()
                .await;
            AccountReport {
                account: target.id.clone(),
                regions,
                skipped_regions: prepared.skipped_regions,
                error: None,
            }
        })
        .buffered(concurrency.accounts.max(1))
        .collect()
        .await;
    accounts.extend(selection.failed.iter().cloned());
    accounts.sort_by(|a, b| a.account.cmp(&b.account));
    let summary = summarize(header.clone(), &accounts, selection.skipped.clone());
    Ok(OrgRun {
        summary,
        accounts,
        selection,
    })
}

/// After a start run (the CLI's; the state machine has its own Wait and `verify-starts`):
/// verifies every region that started instances with [`verify_starts`], as many at once as
/// the run itself scheduled (`concurrency.accounts` × `concurrency.regions_per_account`), and
/// folds the summary again. A region that cannot be verified keeps its counts and carries the
/// error. Waiting before this call is the caller's business.
pub async fn verify_organization_starts<C: Connect>(
    connect: &C,
    pause: &impl Pause,
    run: &mut OrgRun,
    req: &RunRequest,
    settings: &Settings,
    session: &str,
    concurrency: Concurrency,
) {
    let header = RunHeader::of(req);
    let schedules = schedules_for(&settings.schedules, req);
    // Only regions that started something need a call; the others keep their reports.
    let to_verify: Vec<(usize, usize, RegionTask, RegionReport)> = run
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.error.is_none())
        .flat_map(|(a, account)| {
            account
                .regions
                .iter()
                .enumerate()
                .filter(|(_, r)| r.error.is_none() && r.counts.started > 0)
                .map(move |(r, report)| (a, r, report))
        })
        .map(|(a, r, report)| {
            let task = RegionTask {
                account: run.accounts[a].account.clone(),
                region: report.region.clone(),
                header: header.clone(),
                schedules: schedules.clone(),
            };
            (a, r, task, report.clone())
        })
        .collect();
    let width = (concurrency.accounts * concurrency.regions_per_account).max(1);
    let verified: Vec<_> = stream::iter(to_verify)
        .map(|(a, r, task, report)| async move {
            let result = verify_starts(connect, pause, &task, report, settings, session).await;
            (a, r, result)
        })
        .buffer_unordered(width)
        .collect()
        .await;
    for (a, r, result) in verified {
        let report = &mut run.accounts[a].regions[r];
        match result {
            Ok(v) => *report = v,
            Err(e) => {
                report.error = Some(TargetError::new(
                    e.error,
                    format!("verifying the starts: {}", e.message),
                ))
            }
        }
    }
    run.summary = summarize(header, &run.accounts, run.selection.skipped.clone());
}
