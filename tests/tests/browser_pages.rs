//! The pages in a real browser (Debian's Chromium, driven by `tests/browser/pages.mjs` with
//! playwright-core): each status at the QR code's address, the language switch and the choice
//! kept, a search, the keyboard, no script needed, and axe-core finding no serious violation.
//! The platform and its data are real, made here; screenshots land in `target/browser/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::seed::public_data;
use nsk_e2e::Platform;

#[tokio::test]
async fn a_person_checks_each_status_switches_language_searches_and_the_pages_pass_axe() {
    let platform = Platform::start("browser").await;
    let data = public_data(&platform).await;
    let root = nsk_runtime::testing::workspace_root();
    let script = root.join("tests/browser/pages.mjs");
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .exists(),
        "the browser tests' packages are missing: run make deps"
    );
    let shots = root.join("target/browser");
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .env("NSK_BASE_URL", &platform.gateway)
        .env("NSK_SCREENSHOTS", &shots)
        .env("NSK_VALID", &data.valid)
        .env("NSK_EXPIRED", &data.expired)
        .env("NSK_CANCELLED", &data.cancelled)
        .env(
            "NSK_UNKNOWN",
            format!("25110-72120051-3-150923-{}-99999999", data.center),
        )
        .output()
        .await
        .expect("node runs (make deps installs it with the browser)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // Every check ran: the script stops at the first failure, so count what it reported.
    assert!(stdout.matches("ok: ").count() >= 30, "{stdout}");
    for shot in [
        "verify-valid-kk",
        "verify-expired-kk",
        "verify-cancelled-kk",
        "verify-unknown-kk",
        "verify-cancelled-ru",
        "professions-ru",
    ] {
        let file = shots.join(format!("{shot}.png"));
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(bytes > 10_000, "{} is missing or empty", file.display());
    }
}
