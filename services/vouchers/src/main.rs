use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_vouchers::SERVICE, |config| async move {
        let app = nsk_vouchers::Application::build(config).await?;
        Ok((app.shutdown_token(), app.run()))
    })
}
