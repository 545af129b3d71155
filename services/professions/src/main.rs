use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_professions::SERVICE, |config| async move {
        let app = nsk_professions::Application::build(config).await?;
        Ok((app.shutdown_token(), app.run()))
    })
}
