use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use guichet::serve::config::LogFormat;
use guichet::serve::{self, Settings};

#[derive(clap::Args)]
pub struct Args {
    /// Configuration file (TOML); secrets come from GUICHET__… variables or a secrets file
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the configuration)
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(args.config.as_deref())?;
    if let Some(listen) = args.listen {
        settings.listen = listen;
    }
    serve::telemetry::init(&settings.log)?;
    // The banner is for a terminal: a log collector reading JSON lines gets the log line only.
    let banner = settings.log.format == LogFormat::Text;
    let demo = args.config.is_none() && banner;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let running = serve::start(settings).await?;
        let base = format!("http://{}", running.address);
        let communes: Vec<&str> = running.state.communes.keys().map(String::as_str).collect();
        tracing::info!(address = %running.address, communes = %communes.join(","), "listening");
        if banner {
            println!("guichet serve: listening on {base} (communes: {})", communes.join(", "));
        }
        if demo {
            println!("Try it:");
            println!(
                "  curl -s -X POST {base}/api/v1/conversations -H 'Content-Type: application/json' \\\n       -d '{{\"from\":\"+33612345678\",\"text\":\"je voudrais refaire mon passeport\"}}'"
            );
            println!("  then POST {{\"text\": \"…\"}} to {base}/api/v1/conversations/<conversation_id>/turns");
            println!("  API description: {base}/api/v1/openapi.json   health: {base}/readyz   metrics: {base}/metrics");
            println!("  console (standardistes, staff, operators): {base}/console/");
        }
        running.run_until(shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
