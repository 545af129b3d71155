//! The shape every service keeps (README, "Inside a service"): handlers are thin, nothing but
//! the service's wiring imports its gRPC handlers (so jobs, consumers, cases and the store
//! form no circle with them), and the store holds SQL only. Read from the sources, so that a
//! change that breaks the shape fails here, naming the file and the line.

use std::path::{Path, PathBuf};

const SERVICES: [&str; 5] = [
    "professions",
    "standards",
    "accreditation",
    "vouchers",
    "documents",
];

/// The longest a gRPC handler may be, in lines, signature to closing brace.
const MAX_HANDLER_LINES: usize = 60;

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn src_of(service: &str) -> PathBuf {
    nsk_runtime::testing::workspace_root()
        .join("services")
        .join(service)
        .join("src")
}

fn is_handlers(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "grpc.rs")
        || path.components().any(|c| c.as_os_str() == "grpc")
}

#[test]
fn nothing_but_the_wiring_imports_the_grpc_handlers() {
    let mut found = Vec::new();
    for service in SERVICES {
        let src = src_of(service);
        for path in sources(&src) {
            if is_handlers(&path) || path == src.join("lib.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            for (n, line) in text.lines().enumerate() {
                if line.contains("crate::grpc") || line.contains("super::grpc") {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the handlers are imported by the rest of the service (conversions belong in convert):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_store_holds_sql_only_and_imports_no_case_conversion_or_handler() {
    let mut found = Vec::new();
    for service in SERVICES {
        for path in sources(&src_of(service)) {
            let in_store = path.file_name().is_some_and(|n| n == "store.rs")
                || path.components().any(|c| c.as_os_str() == "store");
            if !in_store {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            for (n, line) in text.lines().enumerate() {
                let imports = ["crate::grpc", "crate::cases", "crate::convert", "nsk_proto"];
                if imports.iter().any(|i| line.contains(i)) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the store reaches beyond SQL:\n{}",
        found.join("\n")
    );
}

#[test]
fn sql_is_written_only_in_the_store() {
    let mut found = Vec::new();
    for service in SERVICES {
        for path in sources(&src_of(service)) {
            let in_store = path.file_name().is_some_and(|n| n == "store.rs")
                || path.components().any(|c| c.as_os_str() == "store");
            if in_store {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            for (n, line) in text.lines().enumerate() {
                if line.contains("sqlx::query") {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside the store:\n{}",
        found.join("\n")
    );
}

/// The handlers of `text`: (name, first line, line count) of each `async fn` inside an
/// `impl ... for ...` block, measured to the line that closes it at its own indentation.
fn handlers(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut in_service_impl = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("impl ") && line.contains(" for ") {
            in_service_impl = true;
        } else if line.starts_with('}') {
            in_service_impl = false;
        }
        let trimmed = line.trim_start();
        if in_service_impl && trimmed.starts_with("async fn ") {
            let indent = line.len() - trimmed.len();
            let name = trimmed["async fn ".len()..]
                .split(['(', '<'])
                .next()
                .unwrap_or_default()
                .to_string();
            let close = format!("{}}}", " ".repeat(indent));
            let end = (i..lines.len())
                .find(|&j| lines[j] == close)
                .unwrap_or(lines.len() - 1);
            out.push((name, i + 1, end - i + 1));
            i = end;
        }
        i += 1;
    }
    out
}

#[test]
fn every_grpc_handler_is_thin() {
    let mut long = Vec::new();
    let mut counted = 0;
    for service in SERVICES {
        for path in sources(&src_of(service))
            .into_iter()
            .filter(|p| is_handlers(p))
        {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            for (name, line, length) in handlers(&text) {
                counted += 1;
                if length > MAX_HANDLER_LINES {
                    long.push(format!(
                        "{}:{line}: {name} is {length} lines",
                        path.display()
                    ));
                }
            }
        }
    }
    // The five services have well over fifty handlers: a parser that found few is broken.
    assert!(counted > 50, "only {counted} handlers found");
    assert!(
        long.is_empty(),
        "handlers over {MAX_HANDLER_LINES} lines (move the work into a case):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_handler_measure_counts_a_handler_to_its_closing_brace() {
    let text = "impl Api for X {\n    async fn short(\n        &self,\n    ) -> R {\n        one();\n    }\n\n    async fn other(&self) {\n        if x {\n        }\n    }\n}\n";
    assert_eq!(
        handlers(text),
        vec![("short".to_string(), 2, 5), ("other".to_string(), 8, 4)]
    );
}
