use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_recognition::SERVICE, nsk_recognition::build)
}
