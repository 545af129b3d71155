//! `make chaos`: the platform under faults, then the checker (`nsk_e2e::chaos`). Prints each
//! fault as it is injected, the checker's table, and as its last line
//! `checker: faults=N acknowledged=N lost=N duplicated=N unexpected=N converged_s=S`; exits
//! non-zero if anything was lost, duplicated or unexpected.
//!
//! `nsk-chaos [--seed N] [--short] [--outage SECONDS]`: the seed draws the faults and their points (default: the
//! clock's, printed so that a run can be repeated).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a harness: a failed unwrap is a failed run

use std::process::ExitCode;

use nsk_e2e::chaos::{Options, Run};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = args
        .iter()
        .position(|a| a == "--seed")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse::<u64>().expect("--seed takes a number"))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(1)
        });
    let mut options = if args.iter().any(|a| a == "--short") {
        Options::short(seed)
    } else {
        Options::full(seed)
    };
    if let Some(seconds) = args
        .iter()
        .position(|a| a == "--outage")
        .and_then(|i| args.get(i + 1))
    {
        options.outage =
            std::time::Duration::from_secs(seconds.parse().expect("--outage takes seconds"));
    }
    println!(
        "chaos: seed {seed}, {} faults over {} s of workload, a broker outage of {} s{}",
        options.faults,
        options.workload.as_secs(),
        options.outage.as_secs(),
        if options.restart_postgres {
            ", PostgreSQL restarts"
        } else {
            ""
        }
    );
    let mut run = Run::start(options).await;
    let report = run.report().await;
    println!("{}", report.summary());
    if report.clean() {
        ExitCode::SUCCESS
    } else {
        // The broker's data and log, and where the processes' logs are, for whoever looks.
        run.keep();
        ExitCode::FAILURE
    }
}
