//! The register's bulk path from the command line, through the gateway: the sample register
//! imports whole; a broken file is refused whole with a report naming each bad row and field;
//! the register exports as CSV and JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::process::Output;

use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::Value;

fn nsk_register(platform: &Platform, args: &[&str]) -> Output {
    std::process::Command::new(nsk_e2e::binary("nsk-register"))
        .args(args)
        .arg("--server")
        .arg(&platform.gateway)
        .env("NSK_TOKEN", platform.token(&[Role::AuthorizedBodyAdmin]))
        .current_dir(nsk_runtime::testing::workspace_root())
        .output()
        .unwrap()
}

async fn total(platform: &Platform) -> String {
    let list: Value = platform
        .http
        .get(platform.url("/v1/professions?pageSize=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["totalSize"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_broken_file_is_refused_whole_with_each_bad_row_and_field_named() {
    let platform = Platform::start("importbad").await;
    let output = nsk_register(
        &platform,
        &["import", "services/professions/samples/register-broken.csv"],
    );
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{report}");
    for (row, field, rule) in [
        ("2", "nkz_code", "must be 8 digits"),
        ("4", "nkz_code", "duplicates the NKZ code 72120001 of row 1"),
        ("5", "names.kk", "is required"),
        (
            "6",
            "standard",
            "not in the list of approved professional standards",
        ),
        ("7", "nqf_levels", "between 1 and 8"),
    ] {
        assert!(
            report.lines().any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.first() == Some(&row) && cols.get(1) == Some(&field) && l.contains(rule)
            }),
            "row {row} {field} ({rule}) missing from the report:\n{report}"
        );
    }
    assert!(report.contains("nothing was entered"), "{report}");
    assert_eq!(
        total(&platform).await,
        "0",
        "a refused import must enter nothing"
    );
}

#[tokio::test]
async fn the_sample_register_imports_whole_and_exports_as_csv_and_json() {
    let platform = Platform::start("import").await;
    let output = nsk_register(
        &platform,
        &["import", "services/professions/samples/register.csv"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("imported 300 professions"));
    assert_eq!(total(&platform).await, "300");

    // The same file again: every NKZ code is taken now, so it is refused whole.
    let again = nsk_register(
        &platform,
        &["import", "services/professions/samples/register.csv"],
    );
    assert!(!again.status.success());
    let again_report = String::from_utf8_lossy(&again.stderr);
    assert!(
        again_report.contains("is already in the register"),
        "{again_report}"
    );

    let csv = nsk_register(&platform, &["export", "--format", "csv"]);
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let text = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(text.lines().count(), 301, "a header and 300 rows");
    assert!(text
        .lines()
        .next()
        .unwrap()
        .starts_with("id,status,version,name_kk,name_ru,name_en,nkz_code"));
    assert!(text.contains("Дәнекерлеуші,Сварщик,Welder,72120001,25110,2;3;4,60"));

    let json = nsk_register(&platform, &["export", "--format", "json"]);
    let entries: Vec<Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(entries.len(), 300);
    assert_eq!(entries[0]["nkzCode"], "72120001");

    let before = nsk_register(&platform, &["export", "--as-of", "2026-01-01"]);
    assert_eq!(
        String::from_utf8(before.stdout).unwrap().lines().count(),
        1,
        "nothing was in the register then"
    );
}
