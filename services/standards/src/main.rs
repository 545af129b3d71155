use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_standards::SERVICE, nsk_standards::build)
}
