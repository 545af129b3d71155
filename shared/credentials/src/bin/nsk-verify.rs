//! `nsk-verify`: checks a document's credential offline, as an employer would, against the
//! platform's keys and the center's status list cached beforehand.
//!
//! ```text
//! nsk-verify [--cache DIR] --refresh <platform URL> [credential.jwt ...]
//!     fetches the platform's keys, and the status list of each credential's center; keeps
//!     each credential by its serial number
//! nsk-verify [--cache DIR] [--at <RFC 3339 time>] <credential.jwt | serial number>
//!     checks the signature, the validity dates and the status, with no network (as of now,
//!     or of the time given)
//! ```
//!
//! The cache is `--cache`, else `$NSK_VERIFY_CACHE`, else `./nsk-verify-cache`. The answer is
//! one of VALID (exit 0), NOT VALID — cancelled, expired, altered or not the platform's
//! (exit 1) — or COULD NOT CHECK THE STATUS when the cached list is missing or older than its
//! lifetime (exit 2): never "valid" on a stale list. Usage errors exit 64.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nsk_credentials::{bit_at, verify};
use serde_json::Value;

const USAGE: &str = "usage: nsk-verify [--cache DIR] --refresh <platform URL> [credential.jwt ...]\n       nsk-verify [--cache DIR] [--at <RFC 3339 time>] <credential.jwt | serial number>";

enum Verdict {
    Valid(String),
    NotValid(String),
    CouldNotCheck(String),
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut cache = std::env::var("NSK_VERIFY_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("nsk-verify-cache"));
    if let Some(at) = args.iter().position(|a| a == "--cache") {
        let Some(dir) = args.get(at + 1).cloned() else {
            eprintln!("{USAGE}");
            return ExitCode::from(64);
        };
        cache = PathBuf::from(dir);
        args.drain(at..=at + 1);
    }
    if let Some(at) = args.iter().position(|a| a == "--refresh") {
        let Some(url) = args.get(at + 1).cloned() else {
            eprintln!("{USAGE}");
            return ExitCode::from(64);
        };
        args.drain(at..=at + 1);
        return match refresh(&cache, url.trim_end_matches('/'), &args) {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("nsk-verify: {e}");
                ExitCode::from(2)
            }
        };
    }
    let mut now = chrono::Utc::now();
    if let Some(at) = args.iter().position(|a| a == "--at") {
        let Some(when) = args
            .get(at + 1)
            .and_then(|w| chrono::DateTime::parse_from_rfc3339(w).ok())
        else {
            eprintln!("--at takes a time like 2027-01-15T10:00:00+05:00\n{USAGE}");
            return ExitCode::from(64);
        };
        now = when.with_timezone(&chrono::Utc);
        args.drain(at..=at + 1);
    }
    let [target] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(64);
    };
    match check(&cache, target, now) {
        Verdict::Valid(facts) => {
            println!("VALID\n{facts}");
            ExitCode::SUCCESS
        }
        Verdict::NotValid(why) => {
            println!("NOT VALID: {why}");
            ExitCode::from(1)
        }
        Verdict::CouldNotCheck(why) => {
            println!("COULD NOT CHECK THE STATUS: {why}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The cached list's file for the list at `url` (its last path segment: the center number).
fn list_file(cache: &Path, url: &str) -> PathBuf {
    let name: String = url
        .rsplit('/')
        .next()
        .unwrap_or("list")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    cache.join("status-lists").join(format!("{name}.jwt"))
}

fn serial_of(payload: &Value) -> String {
    payload["credentialSubject"]["qualification"]["serialNumber"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// Fetches the keys and the status lists the credentials name; keeps the credentials.
fn refresh(cache: &Path, url: &str, credentials: &[String]) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| e.to_string())?;
        let get = |address: String| {
            let http = http.clone();
            async move {
                let reply = http
                    .get(&address)
                    .send()
                    .await
                    .map_err(|e| format!("{address}: {e}"))?;
                if !reply.status().is_success() {
                    return Err(format!("{address}: HTTP {}", reply.status()));
                }
                reply.text().await.map_err(|e| format!("{address}: {e}"))
            }
        };
        for dir in ["status-lists", "credentials"] {
            std::fs::create_dir_all(cache.join(dir)).map_err(|e| e.to_string())?;
        }
        let keys = get(format!("{url}/v1/credential-keys")).await?;
        let jwks: Value = serde_json::from_str(&keys).map_err(|_| "the keys are not JSON")?;
        std::fs::write(cache.join("keys.json"), &keys).map_err(|e| e.to_string())?;
        let mut lists = Vec::new();
        for file in credentials {
            let jws = read(Path::new(file))?;
            let (_, payload) = verify(&jws, &jwks).map_err(|e| format!("{file}: {e}"))?;
            let serial = serial_of(&payload);
            std::fs::write(
                cache.join("credentials").join(format!("{serial}.jwt")),
                jws.trim(),
            )
            .map_err(|e| e.to_string())?;
            let list = payload["credentialStatus"]["statusListCredential"]
                .as_str()
                .ok_or_else(|| format!("{file}: no status list named"))?
                .to_string();
            if !lists.contains(&list) {
                let body = get(list.clone()).await?;
                std::fs::write(list_file(cache, &list), body.trim()).map_err(|e| e.to_string())?;
                lists.push(list);
            }
        }
        Ok(format!(
            "cached in {}: {} key(s), {} status list(s), {} credential(s)",
            cache.display(),
            jwks["keys"].as_array().map_or(0, Vec::len),
            lists.len(),
            credentials.len()
        ))
    })
}

fn instant(value: &Value) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(value.as_str()?).ok()
}

/// The verdict on the credential in `target` (a file, or a serial number cached earlier).
fn check(cache: &Path, target: &str, now: chrono::DateTime<chrono::Utc>) -> Verdict {
    let file = if Path::new(target).is_file() {
        PathBuf::from(target)
    } else {
        cache.join("credentials").join(format!("{target}.jwt"))
    };
    let jws = match read(&file) {
        Ok(jws) => jws,
        Err(e) => return Verdict::CouldNotCheck(format!("no credential: {e}")),
    };
    let jwks: Value = match read(&cache.join("keys.json")).map(|k| serde_json::from_str(&k)) {
        Ok(Ok(jwks)) => jwks,
        _ => {
            return Verdict::CouldNotCheck(format!(
                "no platform keys in {} (run nsk-verify --refresh <platform URL>)",
                cache.display()
            ))
        }
    };
    let payload = match verify(&jws, &jwks) {
        Ok((_, payload)) => payload,
        Err(e) => return Verdict::NotValid(e),
    };
    match (
        instant(&payload["validFrom"]),
        instant(&payload["validUntil"]),
    ) {
        (Some(from), _) if now < from => {
            return Verdict::NotValid(format!("valid only from {from}"))
        }
        (_, Some(until)) if now > until => {
            return Verdict::NotValid(format!("expired: valid until {until}"))
        }
        (None, _) | (_, None) => return Verdict::NotValid("no validity dates".into()),
        _ => {}
    }
    let status = &payload["credentialStatus"];
    let (Some(list_url), Some(index)) = (
        status["statusListCredential"].as_str(),
        status["statusListIndex"]
            .as_str()
            .and_then(|i| i.parse::<u64>().ok()),
    ) else {
        return Verdict::NotValid("the credential names no status entry".into());
    };
    let list_jws = match read(&list_file(cache, list_url)) {
        Ok(list) => list,
        Err(_) => {
            return Verdict::CouldNotCheck(format!(
                "no cached status list {list_url} (run nsk-verify --refresh)"
            ))
        }
    };
    let list = match verify(&list_jws, &jwks) {
        Ok((_, list)) => list,
        Err(e) => return Verdict::CouldNotCheck(format!("the cached status list: {e}")),
    };
    if list["id"] != list_url {
        return Verdict::CouldNotCheck(format!(
            "the cached list is {}, not {list_url}",
            list["id"]
        ));
    }
    match instant(&list["validUntil"]) {
        Some(until) if now <= until => {}
        Some(until) => {
            return Verdict::CouldNotCheck(format!(
                "the cached status list was good until {until}; refresh it (nsk-verify --refresh)"
            ))
        }
        None => return Verdict::CouldNotCheck("the cached list states no lifetime".into()),
    }
    let encoded = list["credentialSubject"]["encodedList"]
        .as_str()
        .unwrap_or("");
    match bit_at(encoded, index) {
        Ok(true) => Verdict::NotValid(format!(
            "cancelled: entry {index} of {list_url} is set (as of {})",
            list["validFrom"].as_str().unwrap_or("?")
        )),
        Ok(false) => {
            let s = &payload["credentialSubject"];
            let q = &s["qualification"];
            Verdict::Valid(format!(
                "serial number: {}\nholder: {}\nprofession: {}, NQF level {}\nrecognition center: {} ({})\nvalid until: {}\nstatus as of: {}",
                q["serialNumber"].as_str().unwrap_or(""),
                s["name"].as_str().unwrap_or(""),
                q["profession"].as_str().unwrap_or(""),
                q["nqfLevel"],
                s["recognitionCenter"]["name"].as_str().unwrap_or(""),
                s["recognitionCenter"]["number"].as_str().unwrap_or(""),
                payload["validUntil"].as_str().unwrap_or(""),
                list["validFrom"].as_str().unwrap_or(""),
            ))
        }
        Err(e) => Verdict::CouldNotCheck(format!("the cached status list: {e}")),
    }
}
