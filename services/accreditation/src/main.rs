use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_accreditation::SERVICE, nsk_accreditation::build)
}
