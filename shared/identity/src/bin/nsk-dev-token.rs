//! Mints a signed development token from the local dev key.
//!
//! ```text
//! nsk-dev-token --role authorized-body-admin [--role auditor] [--subject admin-1]
//!               [--center 0042] [--region almaty] [--sector S] [--ttl-minutes 60]
//!               [--key deploy/dev-keys/dev-jwt.key.pem] [--issuer nsk-dev] [--audience nsk-registry]
//! ```
//! Prints the token on stdout, so that `TOKEN=$(nsk-dev-token --role ...)` works.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use nsk_identity::{dev, Role, TokenRequest, TokenSigner};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("nsk-dev-token: {message}");
            eprintln!(
                "usage: nsk-dev-token --role ROLE [--role ROLE] [--subject S] [--center NNNN] [--region R] [--sector S] \
                 [--ttl-minutes N] [--key PEM] [--issuer I] [--audience A]"
            );
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<String, String> {
    let mut request = TokenRequest {
        subject: String::new(),
        key: None,
        ttl: Duration::from_secs(3600),
        ..Default::default()
    };
    let mut key = PathBuf::from(dev::PRIVATE_KEY);
    let mut issuer = dev::ISSUER.to_string();
    let mut audience = dev::AUDIENCE.to_string();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--role" => request.roles.push(value()?.parse::<Role>()?),
            "--subject" => request.subject = value()?,
            "--center" => {
                let center = value()?;
                if center.len() != 4 || !center.chars().all(|c| c.is_ascii_digit()) {
                    return Err(format!(
                        "--center must be a 4-digit center number, got {center:?}"
                    ));
                }
                request.center = Some(center);
            }
            "--region" => request.region = Some(value()?),
            "--sector" => request.sector = Some(value()?),
            "--ttl-minutes" => {
                let raw = value()?;
                let minutes: u64 = raw
                    .parse()
                    .map_err(|_| format!("--ttl-minutes must be a number, got {raw:?}"))?;
                request.ttl = Duration::from_secs(minutes.saturating_mul(60));
                if request.ttl > nsk_identity::MAX_TOKEN_LIFETIME || minutes == 0 {
                    return Err(format!(
                        "--ttl-minutes must be 1 to {}: the platform refuses longer-lived tokens",
                        nsk_identity::MAX_TOKEN_LIFETIME.as_secs() / 60
                    ));
                }
            }
            "--key" => key = PathBuf::from(value()?),
            "--issuer" => issuer = value()?,
            "--audience" => audience = value()?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if request.roles.is_empty() {
        return Err("at least one --role is needed".into());
    }
    if request.subject.is_empty() {
        request.subject = format!("dev-{}", request.roles[0]);
    }
    let signer = TokenSigner::from_pem_file(&key, &issuer, &audience).map_err(|e| e.to_string())?;
    signer
        .mint(&request)
        .map_err(|e| format!("cannot sign the token: {e}"))
}
