use std::process::ExitCode;

fn main() -> ExitCode {
    nsk_runtime::main(nsk_documents::SERVICE, |config| async move {
        let app = nsk_documents::Application::build(config).await?;
        Ok((app.shutdown_token(), app.run()))
    })
}
