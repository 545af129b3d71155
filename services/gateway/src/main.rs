use std::process::ExitCode;

fn main() -> ExitCode {
    let config = match nsk_config::GatewayConfig::load(&nsk_config::Env::from_process()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("nsk-gateway: {err}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("nsk-gateway: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let _telemetry = match nsk_telemetry::init("gateway", config.log_format) {
            Ok(guard) => guard,
            Err(err) => {
                eprintln!("nsk-gateway: {err}");
                return ExitCode::from(2);
            }
        };
        let app = match nsk_gateway::Application::build(config).await {
            Ok(app) => app,
            Err(err) => {
                eprintln!("nsk-gateway: cannot start: {err:#}");
                return ExitCode::FAILURE;
            }
        };
        let shutdown = app.shutdown_token();
        tokio::spawn(async move {
            nsk_runtime::termination_signal().await;
            shutdown.cancel();
        });
        match app.run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("nsk-gateway: {err:#}");
                ExitCode::FAILURE
            }
        }
    })
}
