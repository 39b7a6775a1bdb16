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
use std::collections::HashMap;
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

/// Which Map's children a result file holds: their failure reads differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Children {
    /// The account Map's: an account child that did not succeed failed the account.
    Accounts,
    /// The verification Map's: the account's starts could not be verified.
    Verification,
}

/// A child execution that did not succeed: its account from its input, failed as a whole.
fn failed_child(
    child: ChildExecution,
    file: &str,
    children: Children,
) -> Result<AccountReport, LambdaError> {
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
    let what = match children {
        Children::Accounts => "the account's child execution",
        Children::Verification => "the verification child execution",
    };
    let caught = Caught {
        error: child
            .error
            .unwrap_or_else(|| format!("States.ChildExecution{status}")),
        cause: Some(format!(
            "{what} ended {status}: {}",
            child.cause.as_deref().unwrap_or("no cause given")
        )),
    };
    let mut error = caught.to_target_error();
    if children == Children::Verification {
        error.message = format!("verifying the starts: {}", error.message);
    }
    Ok(AccountReport {
        account: account.id,
        regions: Vec::new(),
        skipped_regions: Vec::new(),
        error: Some(error),
    })
}

fn store_error(what: &str, e: &uptime_core::PortError) -> LambdaError {
    target_error(what, e).into()
}

/// Hands every account report of a Map's results to `each`, reading them from the store when
/// the Map wrote them there, one at a time (none is kept here). Returns how many.
pub async fn for_each_report(
    results: Value,
    store: &impl ResultStore,
    children: Children,
    mut each: impl FnMut(AccountReport),
) -> Result<u64, LambdaError> {
    let results: MapResults = serde_json::from_value(results).map_err(|e| {
        LambdaError::invalid(format!(
            "`results` is neither a Map's inline results nor a ResultWriter pointer: {e}"
        ))
    })?;
    let mut folded = 0;
    match results {
        MapResults::Inline(outputs) => {
            for output in outputs {
                each(account_report(output)?);
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
                    // Folded while it is parsed, one child at a time: at 10,000 accounts a
                    // result file holds tens of megabytes of outputs, and a function of 128 MB
                    // must not also hold them all parsed.
                    let mut fold = |child: ChildExecution| -> Result<(), LambdaError> {
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
                            _ => failed_child(child, &file.key, children)?,
                        };
                        each(report);
                        folded += 1;
                        Ok(())
                    };
                    fold_file(&bytes, &file.key, &mut fold)?;
                }
            }
        }
    }
    Ok(folded)
}

/// Parses a result file (a JSON array of child executions) and hands each child to `each` as
/// soon as it is parsed; the first error `each` returns stops the parse and is returned.
fn fold_file(
    bytes: &[u8],
    key: &str,
    each: &mut dyn FnMut(ChildExecution) -> Result<(), LambdaError>,
) -> Result<(), LambdaError> {
    use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
    struct Children<'a> {
        each: &'a mut dyn FnMut(ChildExecution) -> Result<(), LambdaError>,
        failed: &'a mut Option<LambdaError>,
    }
    impl<'de> Visitor<'de> for Children<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of child executions")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(child) = seq.next_element::<ChildExecution>()? {
                if let Err(e) = (self.each)(child) {
                    *self.failed = Some(e);
                    return Err(A::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Children<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    let mut failed = None;
    let mut parser = serde_json::Deserializer::from_slice(bytes);
    let parsed = Children {
        each,
        failed: &mut failed,
    }
    .deserialize(&mut parser)
    .and_then(|()| parser.end());
    match (failed, parsed) {
        (Some(e), _) => Err(e),
        (None, Ok(())) => Ok(()),
        (None, Err(e)) => Err(LambdaError::new(
            ErrorName::Internal,
            format!("the results file {key} is not readable: {e}"),
        )),
    }
}

/// What the verification Map found, by account, to lay over the account reports.
enum Verified {
    None,
    /// The verification could not run: every account with starts is failed with this.
    NotRun(TargetError),
    Accounts(HashMap<AccountId, AccountReport>),
}

impl Verified {
    async fn read(
        verification: Option<Value>,
        store: &impl ResultStore,
    ) -> Result<Self, LambdaError> {
        let Some(verification) = verification else {
            return Ok(Self::None);
        };
        if let Some(caught) = verification.get("caught") {
            let caught: Caught = serde_json::from_value(caught.clone()).map_err(|e| {
                LambdaError::invalid(format!("`verification.caught` is not a caught error: {e}"))
            })?;
            let e = caught.to_target_error();
            return Ok(Self::NotRun(TargetError::new(
                e.error,
                format!("verifying the starts: {}", e.message),
            )));
        }
        let mut by_account = HashMap::new();
        for_each_report(verification, store, Children::Verification, |report| {
            by_account.insert(report.account.clone(), report);
        })
        .await?;
        Ok(Self::Accounts(by_account))
    }

    /// `report` with its verified regions laid over it, and the verification's failure.
    fn apply(&mut self, mut report: AccountReport) -> AccountReport {
        let has_starts = report
            .regions
            .iter()
            .any(|r| r.error.is_none() && r.counts.started > 0);
        match self {
            Self::None => {}
            Self::NotRun(e) => {
                if has_starts && report.error.is_none() {
                    report.error = Some(e.clone());
                }
            }
            Self::Accounts(by_account) => {
                if let Some(verified) = by_account.remove(&report.account) {
                    for region in verified.regions {
                        if let Some(slot) = report
                            .regions
                            .iter_mut()
                            .find(|r| r.region == region.region)
                        {
                            *slot = region;
                        }
                    }
                    if report.error.is_none() {
                        report.error = verified.error;
                    }
                }
            }
        }
        report
    }
}

/// Folds the account Map's results into `summary`, with the start verification's results
/// (`verification`: the verification Map's results, or `{"caught": …}`) laid over them (an
/// account's verified regions replace its reported ones), reading either from the store when
/// its Map wrote them there. Returns how many account reports.
pub async fn fold_results(
    results: Value,
    verification: Option<Value>,
    store: &impl ResultStore,
    summary: &mut Summarizer,
) -> Result<u64, LambdaError> {
    // Boxed: two reads of nested futures in one function's future overflow the compiler's
    // layout depth for summarize-run's main.
    let mut verified = Box::pin(Verified::read(verification, store)).await?;
    Box::pin(for_each_report(
        results,
        store,
        Children::Accounts,
        |report| {
            summary.add(&verified.apply(report));
        },
    ))
    .await
}

/// The verification items of a start run: one per account with starts, its region reports
/// with starts (regions that failed, or started nothing, have nothing to verify).
pub async fn verification_items(
    results: Value,
    store: &impl ResultStore,
) -> Result<Vec<uptime_model::events::VerificationItem>, LambdaError> {
    let mut items = Vec::new();
    for_each_report(results, store, Children::Accounts, |report| {
        let reports: Vec<RegionReport> = report
            .regions
            .into_iter()
            .filter(|r| r.error.is_none() && r.counts.started > 0)
            .collect();
        if report.error.is_none() && !reports.is_empty() {
            items.push(uptime_model::events::VerificationItem {
                account: report.account,
                reports,
            });
        }
    })
    .await?;
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(account: &str) -> Value {
        let output = serde_json::json!({"account": account, "regions": [], "skipped_regions": []});
        serde_json::json!({"Input": "{}", "Output": output.to_string(), "Status": "SUCCEEDED"})
    }

    /// A result file is folded child by child; a child that does not fold stops the parse with
    /// its own error, and a file that does not parse names itself.
    #[test]
    fn a_result_file_is_folded_as_it_is_parsed() {
        let file = serde_json::json!([child("111111111111"), child("222222222222")]).to_string();
        let mut seen = Vec::new();
        fold_file(file.as_bytes(), "k", &mut |c| {
            seen.push(c.status);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 2);

        let mut calls = 0;
        let e = fold_file(file.as_bytes(), "k", &mut |_| {
            calls += 1;
            Err(LambdaError::new(ErrorName::InvalidInput, "the first child"))
        })
        .unwrap_err();
        assert_eq!((calls, e.name), (1, ErrorName::InvalidInput));
        assert_eq!(e.message, "the first child");

        for bad in [r#"[{"Output": 1}"#, r#"{"not": "an array"}"#, "[] []"] {
            let e = fold_file(bad.as_bytes(), "map-runs/x/SUCCEEDED_0.json", &mut |_| {
                Ok(())
            })
            .unwrap_err();
            assert_eq!(e.name, ErrorName::Internal, "{bad}");
            assert!(e.message.contains("SUCCEEDED_0.json"), "{}", e.message);
        }
    }
}
