//! `uptime-scheduler report`: what the schedules save, read from a seeded Organization on the
//! emulator through the real binary; bad flags and files refused before any contact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::net::TcpListener;
use std::process::Output;
use uptime_testkit::moto::Moto;
use uptime_testkit::PriceListStub;

mod common;

fn examples(file: &str) -> String {
    format!("{}/../examples/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn report(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    common::command(&all, env).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The report's flags for the week from Monday 7 December 2026 in eu-west-1.
fn week<'a>(schedules: &'a str, prices: &'a str, output: &'a str) -> Vec<&'a str> {
    vec![
        "--from",
        "2026-12-07",
        "--to",
        "2026-12-14",
        "--regions",
        "eu-west-1",
        "--schedules",
        schedules,
        "--prices",
        prices,
        "--output",
        output,
    ]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// A week from Monday 7 December 2026 (no UK or US holiday in it): `uk-office-hours` runs
/// 08:00–18:00 London on weekdays, 50 of 168 hours, so each instance is stopped 118 hours; the
/// inline New York schedule runs 40, stopped 128. Priced from examples/prices.json (eu-west-1).
/// The account that did not opt in is not read, spot and unknown-schedule instances are
/// counted apart, and nothing in the Organization changes.
#[test]
fn a_week_of_the_example_schedules_on_the_emulator_in_json_csv_and_table() {
    let moto = Moto::start();
    let inv = moto.seed(&json!({"accounts": [
        {"name": "dev", "tags": {"uptime-scheduler:enabled": "true"},
         "regions": {"eu-west-1": [
            {"count": 2, "type": "m5.large", "tags": {"Schedule": "uk-office-hours"}},
            {"count": 1, "type": "t3.micro", "tags": {"Schedule": "mon-fri 09:00-17:00 America/New_York"}},
            {"count": 1, "type": "c7g.xlarge", "state": "stopped", "tags": {"Schedule": "uk-office-hours"}},
            {"count": 1, "spot": true, "tags": {"Schedule": "uk-office-hours"}},
            {"count": 1, "tags": {"Schedule": "nosuch"}},
            {"count": 1, "tags": {"Schedule": "ignore"}}
         ]}},
        {"name": "other", "regions": {"eu-west-1": [
            {"count": 3, "type": "m5.large", "tags": {"Schedule": "uk-office-hours"}}
        ]}}
    ]}));
    let accounts: Vec<String> = inv["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    let dev = accounts[0].clone();
    let before = moto.snapshot(&accounts, &["eu-west-1"]);
    let env = common::at(moto.endpoint());
    let (schedules, prices) = (examples("schedules.json"), examples("prices.json"));
    let args = |output| week(&schedules, &prices, output);
    let out = report(&args("json"), &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["from"], "2026-12-07T00:00:00Z");
    assert_eq!(r["hours"], 168.0);
    let uk = &r["schedules"]["uk-office-hours"];
    assert_eq!(uk["instances"], 3, "{r}");
    assert!(
        close(uk["stopped_hours"].as_f64().unwrap(), 3.0 * 118.0),
        "{r}"
    );
    assert!(
        close(uk["saved"].as_f64().unwrap(), 2.0 * 118.0 * 0.107),
        "{r}"
    );
    assert_eq!(uk["unpriced_instances"], 1, "c7g.xlarge has no price: {r}");
    let ny = &r["schedules"]["mon-fri 09:00-17:00 America/New_York"];
    assert!(close(ny["stopped_hours"].as_f64().unwrap(), 128.0), "{r}");
    assert!(close(ny["saved"].as_f64().unwrap(), 128.0 * 0.0114), "{r}");
    assert_eq!(r["total"]["instances"], 4);
    assert_eq!(r["unpriced_types"], json!({"c7g.xlarge": 1}));
    assert_eq!(
        r["skipped_by_reason"],
        json!({"opted-out": 1, "spot": 1, "unknown-schedule": 1})
    );
    // `other` and the management account did not opt in.
    assert_eq!(r["skipped_accounts_by_reason"], json!({"not-opted-in": 2}));
    assert_eq!(r["failures"], json!([]));
    assert_eq!(r["prices"]["read_at"], "2026-12-03");
    for line in r["lines"].as_array().unwrap() {
        assert_eq!(line["account"], dev.as_str(), "only the opted-in account");
    }

    let out = report(&args("csv"), &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "account,region,schedule,instance_type,instances,instance_hours,stopped_hours,saved,currency"
    );
    assert!(
        rows.contains(
            &format!("{dev},eu-west-1,uk-office-hours,m5.large,2,336.00,236.00,25.25,USD").as_str()
        ),
        "{csv}"
    );
    assert!(
        rows.contains(
            &format!("{dev},eu-west-1,uk-office-hours,c7g.xlarge,1,168.00,118.00,,").as_str()
        ),
        "{csv}"
    );
    assert_eq!(rows.len(), 4, "a header and three lines: {csv}");

    let out = report(&args("table"), &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "from 2026-12-07T00:00:00Z to 2026-12-14T00:00:00Z (168.0 hours)",
        "uk-office-hours",
        "354.0",
        "25.25 (1 unpriced)",
        "no price for: c7g.xlarge (1)",
        "instances not counted: 1 opted-out, 1 spot, 1 unknown-schedule",
        "accounts not covered: 2 not-opted-in",
    ] {
        assert!(table.contains(needle), "{needle:?} in\n{table}");
    }
    assert_eq!(
        moto.snapshot(&accounts, &["eu-west-1"]),
        before,
        "a report changes nothing"
    );
}

/// The default `--prices aws`: the prices of the regions and types the report found come
/// from the Price List API's GetProducts (a loopback stand-in: moto has no `pricing`), one
/// query per region and type with the filters for Linux on-demand, every page read, the
/// lowest price taken; a caller who may not read it gets hours only and the reason; `--prices
/// none` asks nothing.
#[test]
fn prices_come_from_the_price_list_api_or_hours_only_with_the_reason() {
    let moto = Moto::start();
    moto.seed(&json!({"accounts": [
        {"name": "dev", "tags": {"uptime-scheduler:enabled": "true"},
         "regions": {"eu-west-1": [
            {"count": 2, "type": "m5.large", "tags": {"Schedule": "uk-office-hours"}},
            {"count": 1, "type": "t3.micro", "tags": {"Schedule": "mon-fri 09:00-17:00 America/New_York"}},
            {"count": 1, "type": "c7g.xlarge", "tags": {"Schedule": "uk-office-hours"}},
            {"count": 1, "type": "r6i.large", "spot": true, "tags": {"Schedule": "uk-office-hours"}}
         ]}}
    ]}));
    let stub = PriceListStub::start();
    let linux = |itype: &str, region: &str, usd: &str| {
        json!({"usd_per_hour": usd, "attributes": {
            "instanceType": itype, "regionCode": region, "operatingSystem": "Linux",
            "tenancy": "Shared", "preInstalledSw": "NA", "licenseModel": "No License required",
            "capacitystatus": "Used", "marketoption": "OnDemand"
        }})
    };
    let mut windows = linux("m5.large", "eu-west-1", "0.204");
    windows["attributes"]["operatingSystem"] = json!("Windows");
    stub.set(&json!({"products": [
        // Three Linux m5.large products: two pages; the lowest is on the second.
        linux("m5.large", "eu-west-1", "0.150"),
        linux("m5.large", "eu-west-1", "0.200"),
        linux("m5.large", "eu-west-1", "0.107"),
        windows,
        linux("m5.large", "us-east-1", "0.096"),
        linux("t3.micro", "eu-west-1", "0.0114"),
    ]}));
    let mut env = common::at(moto.endpoint()).to_vec();
    env.push(("AWS_ENDPOINT_URL_PRICING", stub.endpoint()));
    let schedules = examples("schedules.json");
    let args = |prices, output| week(&schedules, prices, output);

    let out = report(&args("aws", "json"), &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let prices = &r["prices"];
    assert_eq!(prices["currency"], "USD", "{r}");
    assert_eq!(
        prices["source"],
        "AWS Price List API (GetProducts: Linux, shared tenancy, on-demand)"
    );
    let read_at: jiff::Timestamp = prices["read_at"].as_str().unwrap().parse().unwrap();
    assert!(jiff::Timestamp::now().duration_since(read_at).as_secs() < 600);
    let uk = &r["schedules"]["uk-office-hours"];
    assert!(
        close(uk["saved"].as_f64().unwrap(), 2.0 * 118.0 * 0.107),
        "{r}"
    );
    assert_eq!(
        uk["unpriced_instances"], 1,
        "no c7g.xlarge in the list: {r}"
    );
    let ny = &r["schedules"]["mon-fri 09:00-17:00 America/New_York"];
    assert!(close(ny["saved"].as_f64().unwrap(), 128.0 * 0.0114), "{r}");
    assert_eq!(r["unpriced_types"], json!({"c7g.xlarge": 1}));

    // One query per region and type counted (not the spot r6i.large), each fully filtered;
    // m5.large's took two pages.
    let requests = stub.requests();
    let mut asked: Vec<(String, usize)> = Vec::new();
    for req in &requests {
        assert_eq!(req["ServiceCode"], "AmazonEC2", "{req}");
        let filters: std::collections::BTreeMap<String, String> = req["Filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                assert_eq!(f["Type"], "TERM_MATCH", "{req}");
                (
                    f["Field"].as_str().unwrap().to_owned(),
                    f["Value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(filters["regionCode"], "eu-west-1");
        assert_eq!(filters["operatingSystem"], "Linux");
        assert_eq!(filters["tenancy"], "Shared");
        assert_eq!(filters["capacitystatus"], "Used");
        assert_eq!(filters["preInstalledSw"], "NA");
        assert_eq!(filters["marketoption"], "OnDemand");
        assert_eq!(filters["licenseModel"], "No License required");
        asked.push((filters["instanceType"].clone(), filters.len()));
    }
    asked.sort();
    assert_eq!(
        asked,
        [
            ("c7g.xlarge".to_owned(), 8),
            ("m5.large".to_owned(), 8),
            ("m5.large".to_owned(), 8),
            ("t3.micro".to_owned(), 8)
        ],
        "{requests:?}"
    );

    // A caller without pricing:GetProducts: hours only, the reason said, exit 0.
    stub.set(&json!({"products": [], "deny": true}));
    let out = report(&args("aws", "json"), &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r.get("prices").is_none(), "{r}");
    let why = r["prices_not_read"].as_str().unwrap();
    assert!(why.contains("AccessDeniedException"), "{why}");
    assert!(r["schedules"]["uk-office-hours"]["saved"] == 0.0, "{r}");
    assert!(close(
        r["schedules"]["uk-office-hours"]["stopped_hours"]
            .as_f64()
            .unwrap(),
        3.0 * 118.0
    ));
    let out = report(&args("aws", "table"), &env);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("prices: none, hours only (the AWS Price List API could not be read: AccessDeniedException"),
        "{table}"
    );

    // --prices none asks nothing.
    stub.set(&json!({"products": []}));
    let out = report(&args("none", "table"), &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("prices: none asked for (--prices none), hours only"),
        "{table}"
    );
    assert!(stub.requests().is_empty());
}

/// An endpoint nothing listens on: any AWS call would fail, so exit 2 proves no contact.
fn no_contact_env() -> [(&'static str, String); 2] {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    common::at(format!("http://127.0.0.1:{port}"))
}

#[test]
fn bad_flags_and_files_exit_2_naming_what_is_wrong_before_any_contact() {
    let env = no_contact_env();
    let dir = tempfile::tempdir().unwrap();
    let bad_prices = dir.path().join("prices.json");
    std::fs::write(
        &bad_prices,
        r#"{"currency": "USD", "source": "s", "read_at": "2026-12-01", "prices": {"eu-west-1": {"m5.large": -0.1}}}"#,
    )
    .unwrap();
    let bad_prices = bad_prices.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--from", "2026-12-07", "--to", "2026-12-01"], "--to"),
        (&["--from", "yesterday"], "--from"),
        (&["--from", "2026-01-01", "--to", "2027-06-01"], "366 days"),
        (&["--accounts", "111111111111,12"], "--accounts (value 2)"),
        (&["--ous", "root"], "--ous"),
        (&["--schedule", ""], "--schedule"),
        (&["--prices", bad_prices], "prices.eu-west-1.m5.large"),
        (&["--schedules", "no-such-file.json"], "--schedules"),
        (&["--regions", "mars-1"], "--regions"),
    ];
    for (args, named) in cases {
        let out = report(args, &env);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(named), "{args:?} should name {named}: {err}");
        assert!(
            !err.contains("dispatch failure"),
            "{args:?} contacted AWS: {err}"
        );
    }
}

/// The README's `report` example, run as written against its example Organization on the
/// emulator, prints exactly the README's output block.
#[test]
fn the_readmes_report_example_prints_what_the_readme_shows() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = &readme[readme.find("## What the schedules save").unwrap()..];
    let mut blocks = section.split("```").skip(1).step_by(2);
    let commands = blocks.next().unwrap();
    let shown = blocks.next().unwrap().trim_start_matches('\n');
    let joined = commands.replace("\\\n", " ");
    let line = joined
        .lines()
        .find(|l| l.contains("uptime-scheduler -- report"))
        .expect("the report command line");
    let args: Vec<&str> = line
        .split("uptime-scheduler -- report")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(
        commands.contains("< examples/report-org.json"),
        "the example seeds examples/report-org.json"
    );
    let moto = Moto::start();
    let org: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("examples/report-org.json")).unwrap(),
    )
    .unwrap();
    moto.seed(&org);
    let mut all = vec!["report"];
    all.extend(args);
    let out = common::command(&all, &common::at(moto.endpoint()))
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        printed, shown,
        "README.md's report output should be what the command prints:\n{printed}"
    );
}
