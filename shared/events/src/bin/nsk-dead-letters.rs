//! Inspects and replays a service's dead letters.
//!
//! ```text
//! nsk-dead-letters list --service documents
//! nsk-dead-letters replay --service documents --offset 3
//! ```
//! The broker and the topic prefix come from the environment, as for the services
//! (`KAFKA_BROKERS`, `NSK_TOPIC_PREFIX`). `list` prints one letter a line: its offset, when and
//! in which group it failed, the event (type and id) and where it was, and the error. `replay`
//! puts the event back on its topic once its cause is fixed.

use std::process::ExitCode;
use std::time::Duration;

use nsk_config::{Env, KafkaConfig};

const USAGE: &str =
    "usage: nsk-dead-letters list --service SERVICE | replay --service SERVICE --offset N";

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(err) => {
            eprintln!("nsk-dead-letters: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(std::env::args().skip(1).collect())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("nsk-dead-letters: {message}");
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let mut args = args.into_iter();
    let command = args.next().ok_or("name a command: list or replay")?;
    let (mut service, mut offset) = (None, None);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--service" => service = Some(value),
            "--offset" => {
                offset = Some(value.parse::<i64>().map_err(|_| {
                    format!(
                        "--offset must be a whole number (an offset `list` printed), got {value:?}"
                    )
                })?)
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let service = service.ok_or("--service is required")?;
    if !nsk_config::SERVICES.contains(&service.as_str()) {
        return Err(format!(
            "--service must be one of {}, got {service:?}",
            nsk_config::SERVICES.join(", ")
        ));
    }
    let kafka = kafka_config()?;
    let topic = kafka.dead_letter_topic_of(&service);
    match command.as_str() {
        "list" => {
            let letters = nsk_events::dead_letters::list(&kafka, &topic, Duration::from_secs(10))
                .map_err(|e| format!("cannot read {topic}: {e}"))?;
            if letters.is_empty() {
                println!("{topic}: no dead letters");
            }
            for l in letters {
                let when = l
                    .letter
                    .failed_at
                    .as_ref()
                    .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
                    .map_or_else(|| "?".to_string(), |t| t.to_rfc3339());
                let event = l.envelope.as_ref().map_or_else(
                    || "(not an event envelope)".to_string(),
                    |e| format!("{} {}", e.event_type, e.event_id),
                );
                println!(
                    "{}\t{when}\t{}\t{event}\tfrom {}[{}]@{}\t{}",
                    l.offset,
                    l.letter.consumer_group,
                    l.letter.source_topic,
                    l.letter.source_partition,
                    l.letter.source_offset,
                    l.letter.error
                );
            }
            Ok(())
        }
        "replay" => {
            let offset = offset.ok_or("replay needs --offset N (see list)")?;
            match nsk_events::dead_letters::replay(&kafka, &topic, offset)
                .await
                .map_err(|e| format!("cannot replay: {e}"))?
            {
                Some(l) => {
                    println!(
                        "replayed letter {offset} to {}: {}",
                        l.letter.source_topic,
                        l.envelope
                            .map_or_else(|| "(not an event envelope)".into(), |e| e.event_id)
                    );
                    Ok(())
                }
                None => Err(format!("{topic} has no letter at offset {offset}")),
            }
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

fn kafka_config() -> Result<KafkaConfig, String> {
    KafkaConfig::load(&Env::from_process()).map_err(|e| e.to_string())
}
