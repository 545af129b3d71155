use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_professions::SERVICE, nsk_professions::build)
}
