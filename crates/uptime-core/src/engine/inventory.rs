//! What the selection's accounts hold, read without changing anything (the CLI's `report`):
//! the same selection, member role, regions and discovery as a run, with its retries, and no
//! decision taken.

use super::org::retry_throttled;
use super::region::discovery_for;
use super::{
    prepare_account, select_accounts, target_error, Concurrency, RegionTask, Selection, Settings,
};
use crate::ports::{Compute, Connect, Directory, Discovered, Pause};
use futures::stream::{self, StreamExt};
use uptime_model::report::RunHeader;
use uptime_model::{AccountId, Region, RunRequest, TargetError};

/// One account's part of an inventory, handed over as soon as the account is read.
#[derive(Debug)]
pub enum Found {
    /// The account could not be prepared (its role, its regions): none of its regions is read.
    Account {
        account: AccountId,
        error: TargetError,
    },
    /// One region's tagged instances (those with the schedule tag, or the run's schedule), or
    /// why they could not be read.
    Region {
        account: AccountId,
        region: Region,
        found: Result<Discovered, TargetError>,
    },
}

/// Reads the tagged instances of every selected account and region, `concurrency` accounts at a
/// time, handing each account's results to `fold` as it finishes (so an Organization's
/// instances are never all held at once). Returns the selection; fails only when the account
/// listing fails. A throttled account or region is read again as a run would be. `session` is
/// the STS session name.
pub async fn inventory_organization<D: Directory, C: Connect>(
    dir: &D,
    connect: &C,
    pause: &impl Pause,
    req: &RunRequest,
    settings: &Settings,
    (session, concurrency): (&str, Concurrency),
    mut fold: impl FnMut(Found),
) -> Result<Selection, TargetError> {
    let selection = select_accounts(dir, pause, req, settings).await?;
    let header = RunHeader::of(req);
    let header = &header;
    let mut accounts = stream::iter(selection.accounts.iter())
        .map(|target| async move {
            let prepared = retry_throttled(pause, || {
                prepare_account(connect, pause, target, &req.regions, settings, session)
            })
            .await;
            let prepared = match prepared {
                Ok(p) => p,
                Err(error) => {
                    return vec![Found::Account {
                        account: target.id.clone(),
                        error,
                    }]
                }
            };
            stream::iter(prepared.regions)
                .map(|region| async move {
                    let task = RegionTask::new(target.id.clone(), region, header.clone());
                    let discovery = discovery_for(&task, settings);
                    let found = retry_throttled(pause, || async {
                        let compute = connect
                            .compute(&task.account, &task.region, session)
                            .await
                            .map_err(|e| target_error("assuming the member role", &e))?;
                        settings
                            .retry
                            .run(pause, || compute.discover(&discovery))
                            .await
                            .map_err(|e| target_error("discovering instances", &e))
                    })
                    .await;
                    Found::Region {
                        account: task.account,
                        region: task.region,
                        found,
                    }
                })
                .buffered(concurrency.regions_per_account.max(1))
                .collect::<Vec<_>>()
                .await
        })
        .buffer_unordered(concurrency.accounts.max(1));
    while let Some(found) = accounts.next().await {
        found.into_iter().for_each(&mut fold);
    }
    drop(accounts);
    Ok(selection)
}
