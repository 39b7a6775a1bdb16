//! The account Map's results, as `summarize-run` receives them, turned into account reports.
//!
//! On AWS the Distributed Map writes its child executions' results to S3 (`ResultWriter`) and
//! hands over only a pointer (`{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`): the
//! manifest lists result files per status, each a JSON array of executions with their `Input`,
//! `Output` (JSON text) or `Error`/`Cause`. The local interpreter ignores `ResultWriter` and
//! hands over the child outputs inline. Both arrive here and fold into the same summary.
//!
//! A child output is either an account report (`AccountDone`) whose regions are region reports
//! or caught region failures (`RegionFailed`) — with the caught error of a failed start
//! verification when there was one (`VerificationFailed`) — or a caught account failure
//! (`AccountFailed`).

use serde::Deserialize;
use serde_json::Value;
use uptime_core::{engine::target_error, ResultStore};
use uptime_model::report::SkippedRegion;
use uptime_model::{
    AccountId, AccountReport, AccountTarget, ErrorName, Region, RegionReport, Summarizer,
    TargetError,
};

use crate::LambdaError;

/// An error caught by a `Catch` with `ResultPath` (`{"Error", "Cause"}`).
#[derive(Debug, Clone, Deserialize)]
pub struct Caught {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: Option<String>,
}

impl Caught {
    /// Our error name when the task failed with one of ours; otherwise the Step Functions or
    /// Lambda name (`States.Timeout`, `Lambda.ServiceException`, `Runtime.ExitError`, …) mapped
    /// to the nearest of ours, kept at the front of the message.
    pub fn to_target_error(&self) -> TargetError {
        let message = cause_message(self.cause.as_deref());
        match ErrorName::parse(&self.error) {
            Some(name) => TargetError::new(name, message),
            None => {
                let name = if self.error == "States.Timeout"
                    || self.error == "States.HeartbeatTimeout"
                    || self.error.starts_with("Lambda.")
                {
                    ErrorName::Transient
                } else {
                    ErrorName::Internal
                };
                TargetError::new(name, format!("{}: {message}", self.error))
            }
        }
    }
}

/// A Lambda failure's cause is the function's error as JSON (`{"errorType", "errorMessage"}`);
/// other causes are plain text.
fn cause_message(cause: Option<&str>) -> String {
    let Some(cause) = cause else {
        return "no cause given".into();
    };
    serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| cause.to_owned())
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RegionResult {
    Failed {
        account: AccountId,
        region: Region,
        caught: Caught,
    },
    Report(Box<RegionReport>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ChildOutput {
    Failed {
        account: AccountTarget,
        caught: Caught,
    },
    Done {
        account: AccountId,
        regions: Vec<RegionResult>,
        #[serde(default)]
        skipped_regions: Vec<SkippedRegion>,
        /// Set when the starts could not be verified (`VerificationFailed`).
        #[serde(default)]
        verify_caught: Option<Caught>,
    },
}

/// One child execution's output as an account report.
pub fn account_report(output: Value) -> Result<AccountReport, LambdaError> {
    let text = output.to_string();
    let child: ChildOutput = serde_json::from_value(output).map_err(|e| {
        LambdaError::invalid(format!(
            "an account result is neither an account report nor a caught failure ({e}): {}",
            uptime_model::report::clip(&text)
        ))
    })?;
    Ok(match child {
        ChildOutput::Failed { account, caught } => AccountReport {
            account: account.id,
            regions: Vec::new(),
            skipped_regions: Vec::new(),
            error: Some(caught.to_target_error()),
        },
        ChildOutput::Done {
            account,
            regions,
            skipped_regions,
            verify_caught,
        } => AccountReport {
            account,
            regions: regions
                .into_iter()
                .map(|r| match r {
                    RegionResult::Report(report) => *report,
                    RegionResult::Failed {
                        account,
                        region,
                        caught,
                    } => RegionReport::failed(account, region, caught.to_target_error()),
                })
                .collect(),
            skipped_regions,
            error: verify_caught.map(|c| {
                let e = c.to_target_error();
                TargetError::new(e.error, format!("verifying the starts: {}", e.message))
            }),
        },
    })
}

/// What the account Map handed over.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MapResults {
    Inline(Vec<Value>),
    Written {
        #[serde(rename = "ResultWriterDetails")]
        details: WriterDetails,
    },
}

#[derive(Debug, Deserialize)]
struct WriterDetails {
    #[serde(rename = "Bucket")]
    bucket: String,
    #[serde(rename = "Key")]
    key: String,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(rename = "ResultFiles")]
    files: ResultFiles,
}

#[derive(Debug, Default, Deserialize)]
struct ResultFiles {
    #[serde(rename = "SUCCEEDED", default)]
    succeeded: Vec<ResultFile>,
    #[serde(rename = "FAILED", default)]
    failed: Vec<ResultFile>,
    #[serde(rename = "PENDING", default)]
    pending: Vec<ResultFile>,
}

#[derive(Debug, Deserialize)]
struct ResultFile {
    #[serde(rename = "Key")]
    key: String,
}

/// One child execution in a result file. `Input`/`Output` are JSON text (objects accepted too).
#[derive(Debug, Deserialize)]
struct ChildExecution {
    #[serde(rename = "Input", default)]
    input: Option<Value>,
    #[serde(rename = "Output", default)]
    output: Option<Value>,
    #[serde(rename = "Status", default)]
    status: Option<String>,
    #[serde(rename = "Error", default)]
    error: Option<String>,
    #[serde(rename = "Cause", default)]
    cause: Option<String>,
}

fn json_of(v: Value) -> Result<Value, serde_json::Error> {
    match v {
        Value::String(text) => serde_json::from_str(&text),
        other => Ok(other),
    }
}

/// A child execution that did not succeed: its account from its input, failed as a whole.
fn failed_child(child: ChildExecution, file: &str) -> Result<AccountReport, LambdaError> {
    let account = child
        .input
        .map(json_of)
        .transpose()
        .ok()
        .flatten()
        .and_then(|input| input.get("account")?.as_str().map(str::to_owned))
        .and_then(|a| a.parse::<AccountTarget>().ok())
        .ok_or_else(|| {
            LambdaError::invalid(format!(
                "a child execution in {file} has no readable account in its input"
            ))
        })?;
    let status = child.status.unwrap_or_else(|| "UNKNOWN".into());
    let caught = Caught {
        error: child
            .error
            .unwrap_or_else(|| format!("States.ChildExecution{status}")),
        cause: Some(format!(
            "the account's child execution ended {status}: {}",
            child.cause.as_deref().unwrap_or("no cause given")
        )),
    };
    Ok(AccountReport {
        account: account.id,
        regions: Vec::new(),
        skipped_regions: Vec::new(),
        error: Some(caught.to_target_error()),
    })
}

fn store_error(what: &str, e: &uptime_core::PortError) -> LambdaError {
    target_error(what, e).into()
}

/// Folds the account Map's results into `summary`, reading them from the store when the Map
/// wrote them there. Reports are folded one at a time; none is kept.
pub async fn fold_results(
    results: Value,
    store: &impl ResultStore,
    summary: &mut Summarizer,
) -> Result<u64, LambdaError> {
    let results: MapResults = serde_json::from_value(results).map_err(|e| {
        LambdaError::invalid(format!(
            "`results` is neither the account Map's inline results nor a ResultWriter pointer: {e}"
        ))
    })?;
    let mut folded = 0;
    match results {
        MapResults::Inline(outputs) => {
            for output in outputs {
                summary.add(&account_report(output)?);
                folded += 1;
            }
        }
        MapResults::Written { details } => {
            let bytes = store
                .get_object(&details.bucket, &details.key)
                .await
                .map_err(|e| store_error("reading the results manifest", &e))?;
            let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
                LambdaError::new(
                    ErrorName::Internal,
                    format!("the results manifest {} is not readable: {e}", details.key),
                )
            })?;
            let files = manifest.files;
            let groups = [
                (true, files.succeeded),
                (false, files.failed),
                (false, files.pending),
            ];
            for (succeeded, group) in groups {
                for file in group {
                    let bytes = store
                        .get_object(&details.bucket, &file.key)
                        .await
                        .map_err(|e| store_error("reading a results file", &e))?;
                    let children: Vec<ChildExecution> =
                        serde_json::from_slice(&bytes).map_err(|e| {
                            LambdaError::new(
                                ErrorName::Internal,
                                format!("the results file {} is not readable: {e}", file.key),
                            )
                        })?;
                    for child in children {
                        let report = match (succeeded, child.output.clone()) {
                            (true, Some(output)) => {
                                let output = json_of(output).map_err(|e| {
                                    LambdaError::new(
                                        ErrorName::Internal,
                                        format!("an output in {} is not JSON: {e}", file.key),
                                    )
                                })?;
                                account_report(output)?
                            }
                            _ => failed_child(child, &file.key)?,
                        };
                        summary.add(&report);
                        folded += 1;
                    }
                }
            }
        }
    }
    Ok(folded)
}
