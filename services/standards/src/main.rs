use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_standards::SERVICE, |config| async move {
        let app = nsk_standards::Application::build(config).await?;
        Ok((app.shutdown_token(), app.run()))
    })
}
