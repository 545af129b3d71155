use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_documents::SERVICE, nsk_documents::build)
}
