//! Schemathesis against the running platform's own `/openapi.json`, with and without tokens:
//! cases generated from the document (25 per operation, a fixed seed, so a run repeats) must
//! find no server error and no answer the document does not describe. `make schemathesis`
//! runs the long version (more cases, every phase).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::path::PathBuf;
use std::process::Command;

use nsk_e2e::Platform;
use nsk_identity::Role;

/// Where `make deps` installs schemathesis (or `NSK_SCHEMATHESIS`).
fn schemathesis() -> PathBuf {
    let path = std::env::var_os("NSK_SCHEMATHESIS").map_or_else(
        || nsk_runtime::testing::workspace_root().join(".run/venv/bin/schemathesis"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "schemathesis is not installed at {}: run make deps",
        path.display()
    );
    path
}

fn examples() -> String {
    std::env::var("NSK_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".into())
}

#[tokio::test]
async fn generated_calls_find_no_server_error_and_no_answer_outside_the_document() {
    let platform = Platform::start("schemathesis").await;
    let st = schemathesis();
    let report_root = nsk_runtime::testing::workspace_root().join("target/schemathesis");
    let mut callers: Vec<(&str, Option<String>)> = vec![
        ("anonymous", None),
        ("nce-officer", Some(platform.token(&[Role::NceOfficer]))),
        (
            "authorized-body-admin",
            Some(platform.token(&[Role::AuthorizedBodyAdmin])),
        ),
        (
            "recognition-center",
            Some(nsk_e2e::walk::center_token("0001")),
        ),
        (
            "candidate",
            Some(nsk_e2e::walk::candidate_token("iin:900101300037")),
        ),
    ];
    // The long run (make schemathesis) takes every role.
    if std::env::var_os("NSK_SCHEMATHESIS_EVERY_ROLE").is_some() {
        for role in [
            Role::EmploymentOffice,
            Role::Auditor,
            Role::SectoralBody,
            Role::IndustryCouncil,
        ] {
            use nsk_runtime::testing::{office_token, sector_token, token};
            let subject = format!("schemathesis-{role}");
            let token = match role {
                Role::EmploymentOffice => office_token(&subject, "almaty"),
                Role::SectoralBody | Role::IndustryCouncil => {
                    sector_token(&subject, role, "Manufacturing")
                }
                _ => token(&subject, &[role], None),
            };
            callers.push((role.as_str(), Some(token)));
        }
    }
    let mut failed = Vec::new();
    for (who, token) in &callers {
        let dir = report_root.join(who);
        std::fs::create_dir_all(&dir).expect("the report folder");
        let mut command = Command::new(&st);
        // Its own cache (.schemathesis/) goes beside the reports, not into the sources.
        command
            .current_dir(&dir)
            .arg("run")
            .arg(platform.url("/openapi.json"))
            .args(["--url", &platform.url("")])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection",
            ])
            .args(["--max-examples", &examples()])
            .args(["--seed", "20261206"])
            .args(["--phases", "examples,coverage,fuzzing"])
            // One worker: CPython 3.11 can fail parsing lambdas from two threads at once (an
            // "AST constructor recursion depth mismatch" inside hypothesis), an error of the tool.
            .args(["--workers", "1"])
            .args(["--generation-database", "none"])
            .args(["--report", "junit"])
            .arg("--report-dir")
            .arg(&dir)
            .args(["--no-color", "--output-truncate", "true"]);
        if let Some(token) = token {
            command.args(["-H", &format!("Authorization: Bearer {token}")]);
        }
        let started = std::time::Instant::now();
        let output = command.output().expect("schemathesis runs");
        let text = String::from_utf8_lossy(&output.stdout);
        eprintln!(
            "schemathesis as {who}: {} in {:.0} s\n{}",
            output.status,
            started.elapsed().as_secs_f64(),
            text.lines()
                .rev()
                .take(12)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        );
        if !output.status.success() {
            let tail: String = text
                .chars()
                .rev()
                .take(6000)
                .collect::<String>()
                .chars()
                .rev()
                .collect();
            failed.push(format!("as {who}:\n{tail}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
