//! The digest adapter's reading of a PutEvents answer that rejects the entry. EventBridge
//! answers HTTP 200 with `FailedEntryCount` and the entry's error code; moto never rejects an
//! entry the adapter can send (it rejects only a missing source, detail-type or detail, or a
//! detail that is not JSON), so a one-request HTTP stub on loopback gives that answer here.
//! The accepted path, and refusals of the whole call, run against moto in summarize-run's
//! tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use uptime_aws::{sdk, AwsDigestSink};
use uptime_core::config::DigestConfig;
use uptime_core::{DigestSink, ErrorKind};
use uptime_model::digest::Digest;
use uptime_model::report::{summarize, RunHeader};
use uptime_model::{Action, ExecutionArn};

/// Answers one request with `body` (`application/x-amz-json-1.1`) and returns what it got.
fn stub(body: &'static str) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut request = vec![0; length];
        reader.read_exact(&mut request).unwrap();
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        head + &String::from_utf8(request).unwrap()
    });
    (endpoint, handle)
}

fn digest() -> Digest {
    let header = RunHeader {
        action: Action::Stop,
        dry_run: false,
        schedule: None,
        now: "2026-11-24T19:00:00Z".parse().unwrap(),
    };
    let arn =
        ExecutionArn::parse("arn:aws:states:us-east-1:123456789012:execution:sm:run-1").unwrap();
    Digest::build(
        &summarize(header, &[], vec![]),
        &Default::default(),
        Some(&arn),
    )
}

#[tokio::test]
async fn an_entry_that_eventbridge_rejects_is_a_failure_with_its_code() {
    let (endpoint, request) = stub(
        r#"{"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}]}"#,
    );
    let sdk = sdk::for_emulator(&endpoint, "us-east-1").await;
    let config = DigestConfig::from_lookup(|_| None).unwrap();
    let e = AwsDigestSink::new(&sdk, &config)
        .publish(&digest())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert_eq!(e.code.as_deref(), Some("ThrottlingException"));
    assert_eq!(
        e.message,
        "events:PutEvents: EventBridge rejected the digest event on bus default: \
         ThrottlingException: Rate exceeded"
    );
    // What was sent: one entry on the default bus, with the digest as its detail.
    let sent = request.join().unwrap();
    assert!(sent.contains("AWSEvents.PutEvents"), "{sent}");
    let body: serde_json::Value =
        serde_json::from_str(&sent[sent.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    let entries = body["Entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["EventBusName"], "default");
    assert_eq!(entries[0]["Source"], "uptime-scheduler");
    assert_eq!(entries[0]["DetailType"], "Uptime Scheduler Run Digest");
    assert_eq!(
        entries[0]["Resources"],
        serde_json::json!(["arn:aws:states:us-east-1:123456789012:execution:sm:run-1"])
    );
    assert_eq!(
        serde_json::from_str::<Digest>(entries[0]["Detail"].as_str().unwrap()).unwrap(),
        digest()
    );
}

#[tokio::test]
async fn an_accepted_entry_is_a_success() {
    let (endpoint, request) = stub(r#"{"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}"#);
    let sdk = sdk::for_emulator(&endpoint, "us-east-1").await;
    let config = DigestConfig::from_lookup(|_| None).unwrap();
    AwsDigestSink::new(&sdk, &config)
        .publish(&digest())
        .await
        .unwrap();
    request.join().unwrap();
}
