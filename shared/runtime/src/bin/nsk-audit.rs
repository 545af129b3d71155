//! `nsk-audit`: the auditors' command over a service's audit trail.
//!
//! ```text
//! nsk-audit verify --database nsk_documents
//! nsk-audit list --database nsk_documents [--actor A] [--subject S] [--limit 50]
//! ```
//!
//! `verify` walks the whole hash chain and names the first broken link (exit status 1), or says
//! how many entries it holds (0). `list` prints the newest entries, optionally of one actor or
//! one subject. The server is `DATABASE_URL` (default: the local PostgreSQL).

use std::process::ExitCode;

use nsk_db::audit::{verify, Verdict};

const USAGE: &str = "usage: nsk-audit verify --database NAME
       nsk-audit list --database NAME [--actor A] [--subject S] [--limit N]";

struct Args {
    command: String,
    database: String,
    actor: Option<String>,
    subject: Option<String>,
    limit: i64,
}

fn parse(args: Vec<String>) -> Result<Args, String> {
    let mut args = args.into_iter();
    let command = args.next().ok_or_else(|| USAGE.to_string())?;
    let mut parsed = Args {
        command,
        database: String::new(),
        actor: None,
        subject: None,
        limit: 50,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--database" => parsed.database = value()?,
            "--actor" => parsed.actor = Some(value()?),
            "--subject" => parsed.subject = Some(value()?),
            "--limit" => {
                parsed.limit = value()?
                    .parse()
                    .map_err(|_| "--limit must be a whole number".to_string())?
            }
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    if parsed.database.is_empty() {
        return Err(format!("--database is required\n{USAGE}"));
    }
    Ok(parsed)
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&format!("{base}/{}", args.database))
        .await
        .map_err(|e| format!("cannot open database {}: {e}", args.database))?;
    match args.command.as_str() {
        "verify" => match verify(&pool).await.map_err(|e| e.to_string())? {
            Verdict::Intact { entries } => {
                println!("intact: {entries} entries, each chained to the one before");
                Ok(ExitCode::SUCCESS)
            }
            Verdict::Broken { seq, why } => {
                println!("broken at entry {seq}: {why}");
                Ok(ExitCode::from(1))
            }
        },
        "list" => {
            let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(
                "SELECT seq, to_char(at, 'YYYY-MM-DD HH24:MI:SS'), actor, action, subject, detail
                   FROM audit_log
                  WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR subject = $2)
                  ORDER BY seq DESC LIMIT $3",
            )
            .bind(&args.actor)
            .bind(&args.subject)
            .bind(args.limit)
            .fetch_all(&pool)
            .await
            .map_err(|e| e.to_string())?;
            for (seq, at, actor, action, subject, detail) in rows {
                println!("{seq}\t{at}\t{actor}\t{action}\t{subject}\t{detail}");
            }
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other}\n{USAGE}")),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1).collect()) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}
