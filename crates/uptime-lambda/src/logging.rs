//! The Lambdas' log subscriber. It reads the same settings as `lambda_runtime`'s default one
//! (`AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`; `INFO` by default) and
//! writes the same plain text, but its JSON lines are shorter, because CloudWatch Logs bills
//! every byte: the event's fields sit at the top level beside `level` and `message` (no
//! `fields` object), and only the innermost span is written (`span`: the function's own, with
//! `account`, `region`, `execution`), not also the list of every span around it, which repeated
//! the runtime's request and X-Ray trace ids on every line. Lambda's own `START`, `END` and
//! `REPORT` lines carry the request id; a line without a span of ours (none is written by the
//! handlers today) carries the runtime's span with it.

use lambda_runtime::tracing::subscriber;
use subscriber::filter::{EnvFilter, LevelFilter};
use subscriber::fmt::MakeWriter;
use subscriber::util::SubscriberInitExt;

/// Installs the subscriber for the process, writing to standard output.
pub fn init() {
    let var = |name: &str| std::env::var(name).ok();
    build(std::io::stdout, &var).init();
}

/// The subscriber for `lookup` (an environment), writing to `writer`.
pub fn build<W>(
    writer: W,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Box<dyn lambda_runtime::tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let json = lookup("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let level = lookup("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| lookup("RUST_LOG"))
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .parse_lossy(lookup("RUST_LOG").unwrap_or_default());
    let fmt = subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter)
        .with_writer(writer);
    if json {
        Box::new(
            fmt.json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .finish(),
        )
    } else {
        Box::new(fmt.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uptime_model::{FailReason, InstanceId, InstanceRecord, Outcome};
    use uptime_testkit::Captured;

    fn logged(env: &[(&str, &str)]) -> String {
        let out = Captured::default();
        let writer = out.clone();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let subscriber = build(move || writer.clone(), &lookup);
        lambda_runtime::tracing::dispatcher::with_default(
            &lambda_runtime::tracing::Dispatch::new(subscriber),
            || {
                // As the runtime and the schedule-account handler nest them.
                let invoke = lambda_runtime::tracing::info_span!(
                    "Lambda runtime invoke",
                    requestId = "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
                    xrayTraceId = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700"
                );
                let _invoke = invoke.enter();
                let span = lambda_runtime::tracing::info_span!(
                    "schedule_region",
                    account = "111111111111",
                    region = "eu-west-1",
                    execution = "nightly-stop"
                );
                let _span = span.enter();
                uptime_core::log_region(
                    &[InstanceRecord {
                        instance: InstanceId::parse("i-0123abcd").unwrap(),
                        outcome: Outcome::Failed(FailReason::InvalidState),
                        message: Some("IncorrectInstanceState: stopping".into()),
                        reason: None,
                        note: None,
                    }],
                    false,
                );
            },
        );
        out.text()
    }

    /// The JSON lines as CloudWatch Logs ingests them, byte for byte: the decision line's
    /// fields (`uptime_core::log_decision`), the region line, each with its span once.
    #[test]
    fn json_lines_carry_the_fields_at_the_top_and_the_functions_span_once() {
        let text = logged(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
        let span = r#""span":{"account":"111111111111","execution":"nightly-stop","region":"eu-west-1","name":"schedule_region"}"#;
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                format!(
                    r#"{{"level":"INFO","message":"decision","instance":"i-0123abcd","outcome":"failed","reason":"invalid-state","note":"","detail":"IncorrectInstanceState: stopping","dry_run":false,{span}}}"#
                ),
                format!(
                    r#"{{"level":"INFO","message":"region done","started":0,"stopped":0,"already":0,"skipped":0,"failed":1,"would_change":0,"dry_run":false,"quiet":"",{span}}}"#
                ),
            ]
        );
        assert!(!text.contains("requestId"), "{text}");
    }

    /// The README's example lines are the ones written, and every field its Logs Insights
    /// query names is on them.
    #[test]
    fn the_readmes_log_lines_and_query_match_what_is_written() {
        let readme = include_str!("../../../README.md");
        let section = &readme[readme.find("\n## Logs\n").expect("a Logs section")..];
        let text = logged(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
        for line in text.lines() {
            assert!(section.contains(line), "the README shows {line}");
        }
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let query = &section[section.find("fields @timestamp").expect("the query")..];
        let query = &query[..query.find("```").unwrap()];
        let named = query.lines().next().unwrap().trim_start_matches("fields ");
        let mut fields: Vec<&str> = named.split(',').map(str::trim).collect();
        fields.extend(["instance", "quiet"]);
        assert!(query.contains("filter instance = ") && query.contains("quiet like "));
        for field in fields.into_iter().filter(|f| !f.starts_with('@')) {
            let found = lines
                .iter()
                .any(|l| field.split('.').try_fold(l, |v, key| v.get(key)).is_some());
            assert!(found, "the query's field `{field}` is on no line");
        }
    }

    #[test]
    fn the_level_and_the_text_format_follow_the_environment() {
        let text = logged(&[("AWS_LAMBDA_LOG_LEVEL", "WARN")]);
        assert_eq!(text, "", "nothing at warn");
        let text = logged(&[]);
        assert!(text.starts_with(" INFO") || text.contains("INFO"), "{text}");
        assert!(
            !text.trim_start().starts_with('{'),
            "plain text by default: {text}"
        );
        assert!(text.contains("region done"), "{text}");
    }
}
