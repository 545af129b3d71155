//! `nsk-register`: the register of professions from the command line.
//!
//! ```text
//! nsk-register import FILE.csv|FILE.json [--server URL] [--token TOKEN] [--request-id ID]
//! nsk-register export [--format csv|json] [--as-of YYYY-MM-DD] [--include-excluded]
//!                     [--out FILE] [--server URL]
//! ```
//! `--server` is the gateway (default `http://127.0.0.1:8080`, or `NSK_SERVER`); the token comes
//! from `--token` or `NSK_TOKEN`. An import is all or nothing: a file with any bad row is
//! refused whole, with every bad row and field listed. The CSV columns are those `export`
//! writes, so an export can be imported elsewhere.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use nsk_proto::nsk::common::v1::{BasisDocument, LocalizedText};
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::profession_registry_client::ProfessionRegistryClient;
use prost_reflect::{DescriptorPool, DynamicMessage};
use tonic::transport::Channel;
use tonic_types::StatusExt;

const COLUMNS: [&str; 15] = [
    "name_kk",
    "name_ru",
    "name_en",
    "nkz_code",
    "oked_code",
    "nqf_levels",
    "document_validity_months",
    "separate_skills_allowed",
    "separate_skills",
    "standard_id",
    "standard_version",
    "qualification_requirements_apply",
    "basis_number",
    "basis_date",
    "basis_title",
];

/// The rows of a file (row number, entry) and the rows that could not be read.
type ReadFile = (Vec<(usize, pb::Profession)>, Vec<Problem>);

/// A problem with one row of the file: row, field, rule.
struct Problem {
    row: usize,
    field: String,
    rule: String,
}

struct Options {
    command: String,
    file: Option<String>,
    server: String,
    token: Option<String>,
    request_id: String,
    format: Option<String>,
    as_of: String,
    include_excluded: bool,
    out: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let command = args.next().ok_or("give a command: import or export")?;
    let mut options = Options {
        command,
        file: None,
        server: std::env::var("NSK_SERVER").unwrap_or_else(|_| "http://127.0.0.1:8080".into()),
        token: std::env::var("NSK_TOKEN").ok().filter(|t| !t.is_empty()),
        request_id: String::new(),
        format: None,
        as_of: String::new(),
        include_excluded: false,
        out: None,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--server" => options.server = value()?,
            "--token" => options.token = Some(value()?),
            "--request-id" => options.request_id = value()?,
            "--format" => options.format = Some(value()?),
            "--as-of" => options.as_of = value()?,
            "--out" => options.out = Some(value()?),
            "--include-excluded" => options.include_excluded = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            file if options.file.is_none() => options.file = Some(file.to_string()),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("nsk-register: {message}");
            eprintln!(
                "usage: nsk-register import FILE [--server URL] [--token T] [--request-id ID]"
            );
            eprintln!("       nsk-register export [--format csv|json] [--as-of DATE] [--include-excluded] [--out FILE]");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("nsk-register: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match options.command.as_str() {
            "import" => import(&options).await,
            "export" => export(&options).await,
            other => Err(format!("unknown command {other}; use import or export")),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("nsk-register: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn client(server: &str) -> Result<ProfessionRegistryClient<Channel>, String> {
    let channel = Channel::from_shared(server.to_string())
        .map_err(|e| format!("--server {server}: {e}"))?
        .connect()
        .await
        .map_err(|e| format!("cannot reach {server}: {e}; is the platform running (make run)?"))?;
    Ok(ProfessionRegistryClient::new(channel).max_decoding_message_size(16 * 1024 * 1024))
}

fn read_rows(path: &str, format: Option<&str>) -> Result<ReadFile, String> {
    let format = format
        .map(str::to_string)
        .or_else(|| {
            path.rsplit_once('.')
                .map(|(_, ext)| ext.to_ascii_lowercase())
        })
        .unwrap_or_default();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    match format.as_str() {
        "csv" => read_csv(&text),
        "json" => read_json(&text),
        _ => Err(format!(
            "{path}: name a .csv or .json file, or pass --format csv|json"
        )),
    }
}

fn read_csv(text: &str) -> Result<ReadFile, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .clone();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == *c))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the header row lacks columns: {}",
            missing.join(", ")
        ));
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let row = index + 1;
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                problems.push(Problem {
                    row,
                    field: "row".into(),
                    rule: format!("is not valid CSV: {err}"),
                });
                continue;
            }
        };
        let get = |column: &str| {
            headers
                .iter()
                .position(|h| h == column)
                .and_then(|i| record.get(i))
                .unwrap_or_default()
                .to_string()
        };
        let mut number = |column: &str| -> i32 {
            let raw = get(column);
            if raw.is_empty() {
                return 0;
            }
            raw.parse().unwrap_or_else(|_| {
                problems.push(Problem {
                    row,
                    field: column.into(),
                    rule: format!("must be a whole number, not {raw:?}"),
                });
                0
            })
        };
        let document_validity_months = number("document_validity_months");
        let standard_version = number("standard_version");
        let mut levels = Vec::new();
        for raw in get("nqf_levels")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match raw.parse() {
                Ok(level) => levels.push(level),
                Err(_) => problems.push(Problem {
                    row,
                    field: "nqf_levels".into(),
                    rule: format!("must be levels separated by ';', not {raw:?}"),
                }),
            }
        }
        let flag = |column: &str| {
            matches!(
                get(column).to_ascii_lowercase().as_str(),
                "true" | "yes" | "1"
            )
        };
        let standard_id = get("standard_id");
        rows.push((
            row,
            pb::Profession {
                names: Some(LocalizedText {
                    kk: get("name_kk"),
                    ru: get("name_ru"),
                    en: get("name_en"),
                }),
                nkz_code: get("nkz_code"),
                oked_code: get("oked_code"),
                nqf_levels: levels,
                document_validity_months,
                separate_skills_allowed: flag("separate_skills_allowed"),
                separate_skills: get("separate_skills")
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                standard: (!standard_id.is_empty()).then_some(pb::StandardReference {
                    standard_id,
                    version: standard_version,
                }),
                qualification_requirements_apply: flag("qualification_requirements_apply"),
                inclusion_basis: Some(BasisDocument {
                    number: get("basis_number"),
                    date: get("basis_date"),
                    title: get("basis_title"),
                }),
                ..Default::default()
            },
        ));
    }
    Ok((rows, problems))
}

fn descriptor(name: &str) -> Result<prost_reflect::MessageDescriptor, String> {
    DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET)
        .map_err(|e| e.to_string())?
        .get_message_by_name(name)
        .ok_or_else(|| format!("{name} is missing from the contract"))
}

fn read_json(text: &str) -> Result<ReadFile, String> {
    let values: Vec<serde_json::Value> = serde_json::from_str(text)
        .map_err(|e| format!("the file is not a JSON array of professions: {e}"))?;
    let desc = descriptor("nsk.professions.v1.Profession")?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (index, value) in values.into_iter().enumerate() {
        let row = index + 1;
        match DynamicMessage::deserialize(desc.clone(), value)
            .map(|m| m.transcode_to::<pb::Profession>())
        {
            Ok(Ok(profession)) => rows.push((row, profession)),
            Ok(Err(err)) => problems.push(Problem {
                row,
                field: "row".into(),
                rule: err.to_string(),
            }),
            Err(err) => problems.push(Problem {
                row,
                field: "row".into(),
                rule: format!("is not a profession: {err}"),
            }),
        }
    }
    Ok((rows, problems))
}

fn print_report(problems: &mut [Problem]) {
    problems.sort_by(|a, b| (a.row, &a.field).cmp(&(b.row, &b.field)));
    eprintln!("{:>6}  {:<28}  rule", "row", "field");
    for p in problems.iter() {
        eprintln!("{:>6}  {:<28}  {}", p.row, p.field, p.rule);
    }
}

async fn import(options: &Options) -> Result<(), String> {
    let path = options.file.as_deref().ok_or("import needs a file")?;
    let token = options
        .token
        .as_deref()
        .ok_or("import needs a token: --token or NSK_TOKEN (make run prints how to get one)")?;
    let (rows, mut problems) = read_rows(path, options.format.as_deref())?;
    if !problems.is_empty() {
        print_report(&mut problems);
        return Err(format!(
            "{path} was refused before sending: fix the rows above; nothing was imported"
        ));
    }
    let total = rows.len() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:<12} [{bar:40}] {pos}/{len} rows ({per_sec})")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_message("sending");
    let request_id = options.request_id.clone();
    let sending = bar.clone();
    let stream = futures::stream::iter(rows.into_iter().enumerate().map(
        move |(i, (row, profession))| {
            sending.inc(1);
            if i + 1 == total as usize {
                sending.set_message("checking");
                sending.enable_steady_tick(Duration::from_millis(120));
            }
            pb::ImportProfessionsRequest {
                row: row as i32,
                profession: Some(profession),
                request_id: if i == 0 {
                    request_id.clone()
                } else {
                    String::new()
                },
            }
        },
    ));
    let mut request = tonic::Request::new(stream);
    let header = format!("Bearer {token}")
        .parse()
        .map_err(|_| "the token holds characters a header cannot")?;
    request.metadata_mut().insert("authorization", header);
    let result = client(&options.server)
        .await?
        .import_professions(request)
        .await;
    bar.finish_and_clear();
    match result {
        Ok(reply) => {
            println!(
                "imported {} professions from {path}",
                reply.into_inner().imported
            );
            Ok(())
        }
        Err(status) => {
            let details = status.get_error_details();
            if let Some(bad) = details.bad_request() {
                let mut problems: Vec<Problem> = bad
                    .field_violations
                    .iter()
                    .map(|v| {
                        // Fields come back as rows[N].field.
                        let (row, field) = v
                            .field
                            .strip_prefix("rows[")
                            .and_then(|rest| rest.split_once(']'))
                            .map(|(n, f)| {
                                (
                                    n.parse().unwrap_or(0),
                                    f.trim_start_matches('.').to_string(),
                                )
                            })
                            .unwrap_or((0, v.field.clone()));
                        Problem {
                            row,
                            field,
                            rule: v.description.clone(),
                        }
                    })
                    .collect();
                print_report(&mut problems);
            }
            Err(format!("{}: {}", path, status.message()))
        }
    }
}

async fn export(options: &Options) -> Result<(), String> {
    let format = options.format.clone().unwrap_or_else(|| "csv".into());
    if format != "csv" && format != "json" {
        return Err(format!("--format must be csv or json, not {format}"));
    }
    let request = pb::ExportProfessionsRequest {
        as_of: options.as_of.clone(),
        include_excluded: options.include_excluded,
    };
    let mut stream = client(&options.server)
        .await?
        .export_professions(request)
        .await
        .map_err(|s| s.message().to_string())?
        .into_inner();
    let out: Box<dyn Write> = match &options.out {
        Some(path) => {
            Box::new(std::fs::File::create(path).map_err(|e| format!("cannot write {path}: {e}"))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(out);
    let mut count = 0usize;
    if format == "csv" {
        let mut writer = csv::Writer::from_writer(&mut out);
        let mut header = vec!["id", "status", "version"];
        header.extend(COLUMNS);
        writer.write_record(&header).map_err(|e| e.to_string())?;
        while let Some(p) = stream
            .message()
            .await
            .map_err(|s| s.message().to_string())?
        {
            let names = p.names.clone().unwrap_or_default();
            let basis = p.inclusion_basis.clone().unwrap_or_default();
            let standard = p.standard.clone().unwrap_or_default();
            let status = pb::ProfessionStatus::try_from(p.status)
                .map(|s| s.as_str_name())
                .unwrap_or("");
            let join = |v: &[String]| v.join(";");
            let levels: Vec<String> = p.nqf_levels.iter().map(i32::to_string).collect();
            writer
                .write_record([
                    p.id.as_str(),
                    status,
                    &p.version.to_string(),
                    &names.kk,
                    &names.ru,
                    &names.en,
                    &p.nkz_code,
                    &p.oked_code,
                    &join(&levels),
                    &p.document_validity_months.to_string(),
                    &p.separate_skills_allowed.to_string(),
                    &join(&p.separate_skills),
                    &standard.standard_id,
                    &if standard.version > 0 {
                        standard.version.to_string()
                    } else {
                        String::new()
                    },
                    &p.qualification_requirements_apply.to_string(),
                    &basis.number,
                    &basis.date,
                    &basis.title,
                ])
                .map_err(|e| e.to_string())?;
            count += 1;
        }
        writer.flush().map_err(|e| e.to_string())?;
    } else {
        let desc = descriptor("nsk.professions.v1.Profession")?;
        out.write_all(b"[").map_err(|e| e.to_string())?;
        while let Some(p) = stream
            .message()
            .await
            .map_err(|s| s.message().to_string())?
        {
            let mut message = DynamicMessage::new(desc.clone());
            message.transcode_from(&p).map_err(|e| e.to_string())?;
            let json = serde_json::to_string(&message).map_err(|e| e.to_string())?;
            out.write_all(if count == 0 { b"\n  " } else { b",\n  " })
                .map_err(|e| e.to_string())?;
            out.write_all(json.as_bytes()).map_err(|e| e.to_string())?;
            count += 1;
        }
        out.write_all(b"\n]\n").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("exported {count} professions");
    Ok(())
}
