//! Starting and stopping: [`start`] for programs and tests, [`main_with_args`] for the binary.

use crate::args::USAGE;
use crate::config::load;
use crate::connection::serve;
use crate::error::ConfigError;
use crate::logging::init_logging;
use crate::options::{Options, Storage};
use crate::server::Server;
use std::net::SocketAddr;
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// A server started by [`start`].
#[derive(Debug)]
pub struct Running {
    addrs: Vec<SocketAddr>,
    metrics_addr: Option<SocketAddr>,
    server: Server,
    stop: watch::Sender<bool>,
    tasks: JoinSet<std::io::Result<()>>,
}

impl Running {
    /// The first bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Every bound SCIM address, in the order configured.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The bound metrics address, when metrics have their own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The server's state.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Stops accepting, lets in-flight requests finish (within the shutdown grace period),
    /// waits for that, and closes the storage.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        let _ = self.wait().await;
        self.server.close_storage().await;
    }

    /// Waits until every listener has stopped (after a stop signal and the drain); the first
    /// serving error, if any.
    async fn wait(&mut self) -> std::io::Result<()> {
        let mut result = Ok(());
        while let Some(done) = self.tasks.join_next().await {
            if let Ok(Err(e)) = done {
                result = result.and(Err(e));
            }
        }
        result
    }
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ConfigError> {
    let fail = |source| ConfigError::Listen { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(fail)?;
    let bound = listener.local_addr().map_err(fail)?;
    Ok((listener, bound))
}

/// Binds every listen address (and the metrics address), builds the [`Server`] and serves it
/// on the current tokio runtime until [`Running::stop`].
///
/// # Errors
/// [`ConfigError::Listen`] when an address cannot be bound; [`Server::new`]'s errors.
pub async fn start(options: &Options) -> Result<Running, ConfigError> {
    start_with(options, |server| server).await
}

/// [`start`], with `prepare` applied to the [`Server`] before it serves (e.g.
/// [`Server::with_readiness`]).
///
/// # Errors
/// As [`start`].
pub async fn start_with(
    options: &Options,
    prepare: impl FnOnce(Server) -> Server,
) -> Result<Running, ConfigError> {
    let mut listeners = Vec::new();
    for addr in options.listen_addresses() {
        listeners.push(bind(addr).await?);
    }
    let metrics = match options.metrics.listen {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let server = prepare(Server::new(options, listeners[0].1).await?);
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let addrs = listeners.iter().map(|(_, a)| *a).collect();
    let metrics_addr = metrics.as_ref().map(|(_, a)| *a);
    let apps = listeners
        .into_iter()
        .map(|(l, _)| (l, server.app()))
        .chain(metrics.map(|(l, _)| (l, server.metrics_app())));
    for (listener, app) in apps {
        let mut stopped = stopped.clone();
        tasks.spawn(serve(
            listener,
            app,
            options.connections,
            options.request_limits,
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            },
        ));
    }
    Ok(Running {
        addrs,
        metrics_addr,
        server,
        stop,
        tasks,
    })
}

/// The `scimkit-server` program: reads `args` (without the program name), the environment
/// and the configuration file, prints the start-up lines, serves until SIGTERM or SIGINT, then
/// drains. Exit status 0 after a signal or a valid `--check-config`, 2 for a configuration
/// error, 1 when an address cannot be bound or serving fails.
pub fn main_with_args(args: impl IntoIterator<Item = String>) -> ExitCode {
    let args: Vec<String> = args.into_iter().collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let loaded = match load(args, &|k| std::env::var(k).ok()) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    if loaded.check_only {
        return match runtime() {
            Ok(runtime) => runtime.block_on(check(&loaded.options)),
            Err(code) => code,
        };
    }
    init_logging(loaded.options.log_format);
    match runtime() {
        Ok(runtime) => runtime.block_on(run(loaded.options)),
        Err(code) => code,
    }
}

/// The multi-threaded tokio runtime the program runs on.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("scimkit-server: cannot start the runtime: {e}");
            ExitCode::FAILURE
        })
}

/// `--check-config`: builds everything but the sockets and the storage (over memory, so that
/// nothing is written); prints a summary without secrets.
async fn check(options: &Options) -> ExitCode {
    if let Err(e) = check_storage(&options.storage) {
        return fail(&e);
    }
    let in_memory = Options {
        storage: Storage::Memory,
        ..options.clone()
    };
    match Server::new(&in_memory, options.listen).await {
        Ok(server) => {
            println!("configuration is valid");
            println!("  storage: {}", describe_storage(&options.storage));
            if matches!(options.storage, Storage::Postgres(_)) {
                println!("  {}", options.database_pool.describe());
            }
            for line in server.startup_lines() {
                // Generated tokens are not the ones a real start would generate: not shown.
                if !line.contains("Authorization: Bearer") && !line.starts_with("storage:") {
                    println!("  {line}");
                }
            }
            for warning in options.warnings() {
                println!("  warning: {warning}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

async fn run(options: Options) -> ExitCode {
    let signal = shutdown_signal();
    let mut running = match start(&options).await {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    for line in running.server().startup_lines() {
        tracing::info!("{line}");
    }
    for addr in running.addrs() {
        tracing::info!("listening on {addr}");
    }
    if let Some(addr) = running.metrics_addr() {
        tracing::info!("metrics on http://{addr}/metrics");
    }
    for warning in options.warnings() {
        tracing::warn!("{warning}");
    }
    let warnings = running.server().provisioning().all_warnings().await;
    for (tenant, warning) in warnings.unwrap_or_default() {
        tracing::warn!("tenant {tenant}: {}", warning.message);
    }
    tracing::info!("SIGTERM or Ctrl-C stops the server.");
    signal.await;
    let _ = running.stop.send(true);
    let served = running.wait().await;
    running.server().close_storage().await;
    match served {
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

/// What `--check-config` can check of storage without writing: a SQLite file's directory
/// exists.
fn check_storage(storage: &Storage) -> Result<(), ConfigError> {
    if let Storage::Sqlite(path) = storage {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if dir.is_some_and(|d| !d.is_dir()) {
            return Err(ConfigError::invalid(
                "db",
                format!("the directory of {} does not exist", path.display()),
            ));
        }
    }
    Ok(())
}

fn describe_storage(storage: &Storage) -> String {
    match storage {
        Storage::Sqlite(path) if path.exists() => format!("sqlite:{} (exists)", path.display()),
        Storage::Sqlite(path) => format!("sqlite:{} (created at start)", path.display()),
        other => other.backend().to_string(),
    }
}

fn fail(e: &ConfigError) -> ExitCode {
    eprintln!("scimkit-server: {e}");
    match e {
        ConfigError::Listen { .. } => ExitCode::FAILURE,
        _ => ExitCode::from(2),
    }
}

/// SIGINT (Ctrl-C) or SIGTERM, listened for from this call on (not from the first poll), so
/// that a signal sent as soon as start-up is announced is not missed.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut term, mut int) = signals;
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term.take()) => {}
                () = wait(int.take()) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: no new connections; draining in-flight requests");
    }
}
