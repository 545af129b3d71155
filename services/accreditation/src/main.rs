use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_accreditation::SERVICE, |config| async move {
        let app = nsk_accreditation::Application::build(config).await?;
        Ok((app.shutdown_token(), app.run()))
    })
}
