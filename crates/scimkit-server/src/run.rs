//! Starting and stopping: [`start`] for programs and tests, [`main_with_args`] for the binary.

use crate::args::{parse_args, USAGE};
use crate::connection::serve;
use crate::error::ConfigError;
use crate::options::Options;
use crate::server::Server;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server started by [`start`].
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    server: Server,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's state.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Stops accepting, lets in-flight requests finish (within the shutdown grace period) and
    /// waits for that.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Binds [`Options::listen`], builds the [`Server`] and serves it on the current tokio
/// runtime until [`Running::stop`].
///
/// # Errors
/// [`ConfigError::Listen`] when the address cannot be bound; [`Server::new`]'s errors.
pub async fn start(options: &Options) -> Result<Running, ConfigError> {
    let listener =
        TcpListener::bind(options.listen)
            .await
            .map_err(|source| ConfigError::Listen {
                addr: options.listen,
                source,
            })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ConfigError::Listen {
            addr: options.listen,
            source,
        })?;
    let server = Server::new(options, addr)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = server.app();
    let task = tokio::spawn(serve(
        listener,
        app,
        options.connections,
        options.request_limits,
        async {
            let _ = stopped.await;
        },
    ));
    Ok(Running {
        addr,
        server,
        stop,
        task,
    })
}

/// The `scimkit-server` program: parses `args` (without the program name) and the
/// environment, prints the start-up lines, serves until SIGTERM or Ctrl-C. Exit status 0 after
/// a signal, 2 for a configuration error, 1 when the address cannot be bound or serving fails.
pub fn main_with_args(args: impl IntoIterator<Item = String>) -> ExitCode {
    let args: Vec<String> = args.into_iter().collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse_args(args, &|k| std::env::var(k).ok()) {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    let level = if options.quiet {
        tracing::Level::WARN
    } else {
        tracing::Level::INFO
    };
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .with_max_level(level)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scimkit-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(options))
}

async fn run(options: Options) -> ExitCode {
    let listener = match TcpListener::bind(options.listen).await {
        Ok(l) => l,
        Err(source) => {
            return fail(&ConfigError::Listen {
                addr: options.listen,
                source,
            })
        }
    };
    let addr = listener.local_addr().unwrap_or(options.listen);
    let server = match Server::new(&options, addr) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    for line in server.startup_lines() {
        println!("{line}");
    }
    for warning in options.warnings() {
        tracing::warn!("{warning}");
    }
    for (tenant, warning) in server.provisioning().all_warnings() {
        tracing::warn!("tenant {tenant}: {}", warning.message);
    }
    println!("SIGTERM or Ctrl-C stops the server.");
    let app = server.app();
    match serve(
        listener,
        app,
        options.connections,
        options.request_limits,
        shutdown_signal(),
    )
    .await
    {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("scimkit-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn fail(e: &ConfigError) -> ExitCode {
    eprintln!("scimkit-server: {e}");
    match e {
        ConfigError::Listen { .. } => ExitCode::FAILURE,
        _ => ExitCode::from(2),
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
