use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_vouchers::SERVICE, nsk_vouchers::build)
}
