//! `injit serve`: the mutating admission webhook.

use clap::ValueEnum;
use injit_webhook::{CertFiles, ConfigFiles, OnError, Server, Settings, StartError};

use crate::args::ConfigArgs;
use crate::exit::{Code, CommandResult, Failure};

#[derive(clap::Args)]
#[command(after_help = crate::exit::SERVE)]
pub struct Args {
    /// The serving certificate (PEM, with its chain); reloaded when it
    /// changes
    #[arg(long = "tls-cert", value_name = "FILE")]
    tls_cert: String,
    /// The certificate's private key (PEM)
    #[arg(long = "tls-key", value_name = "FILE")]
    tls_key: String,
    /// A directory holding `config`, and optionally `values` and `mesh`,
    /// as Istio mounts its ConfigMaps (instead of the three file flags)
    #[arg(long = "config-dir", value_name = "DIR", conflicts_with_all = ["inject_config_file", "mesh_config_file", "values_file"])]
    config_dir: Option<String>,
    #[command(flatten)]
    config: ConfigArgs,
    /// The address to listen on
    #[arg(long, default_value = "0.0.0.0")]
    address: std::net::IpAddr,
    /// The HTTPS port for admission reviews (and /ready, /healthz, /metrics)
    #[arg(long, default_value_t = 9443)]
    port: u16,
    /// A plain-HTTP port serving /metrics, /ready and /healthz
    #[arg(long = "metrics-port")]
    metrics_port: Option<u16>,
    /// When injection fails: deny the pod (Istio's behaviour), or allow it
    /// without a sidecar and with a warning
    #[arg(long = "on-error", value_enum, default_value = "deny")]
    on_error: OnErrorArg,
    /// How often the certificate and config files are checked for changes
    #[arg(long = "reload-interval", default_value = "1s", value_parser = parse_duration)]
    reload_interval: std::time::Duration,
    /// How long requests in flight get to finish on SIGTERM
    #[arg(long = "shutdown-timeout", default_value = "25s", value_parser = parse_duration)]
    shutdown_timeout: std::time::Duration,
    /// On SIGTERM, how long readiness fails while connections are still
    /// accepted (endpoints take a moment to stop routing here)
    #[arg(long = "drain-delay", default_value = "5s", value_parser = parse_duration)]
    drain_delay: std::time::Duration,
    /// How many answers to identical pods (a ReplicaSet's replicas) are
    /// kept for reuse under one config; 0 turns reuse off. Templates that
    /// read the clock or randomness are never reused.
    #[arg(long = "answer-cache", default_value_t = 256)]
    answer_cache: usize,
    /// HTTPS connections held at once. Past it, the least recently active
    /// idle connection of the client holding the most is closed for the
    /// newcomer, which is refused only when every connection is busy
    #[arg(long = "max-connections", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// HTTPS connections one client (IP address) holds at once; past it,
    /// its own least recently active idle connection is closed
    #[arg(long = "max-connections-per-client", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections_per_client: u32,
    /// MiB that request bodies and parsed reviews in flight may take, besides
    /// 16 MiB kept for bodies of 256 KiB or less; more requests wait (until
    /// their deadline, then 503). At least 7: one 6 MiB body must fit
    #[arg(long = "request-memory", value_name = "MIB", default_value_t = 96, value_parser = clap::value_parser!(u32).range(7..=65536))]
    request_memory: u32,
    /// How many injections run at once (default: one per core); more
    /// requests wait for one to finish, within their timeout
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    workers: Option<u32>,
    /// Inject with the cluster state Istio's injector reads (ProxyConfig
    /// resources, Namespaces, Nodes), watched from the API server: with
    /// the pod's service account, else a kubeconfig as kubectl finds it;
    /// `false` injects from the config alone (no RBAC needed)
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    cluster: bool,
    /// The format of log lines
    #[arg(long = "log-format", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// The log level (`RUST_LOG` overrides it)
    #[arg(long = "log-level", default_value = "info")]
    log_level: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum OnErrorArg {
    Deny,
    Allow,
}

/// A Go duration (`1s`, `500ms`).
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let nanos = injit_runtime::gotime::parse_duration(text)?;
    u64::try_from(nanos).map(std::time::Duration::from_nanos).map_err(|_| format!("{text}: must not be negative"))
}

/// Starts logging, then serves until SIGTERM or SIGINT.
pub fn run(args: Args) -> CommandResult {
    init_logging(args.log_format, &args.log_level);
    let cluster = args.cluster;
    serve(settings(args), cluster)
}

/// The server's settings from the command line.
fn settings(args: Args) -> Settings {
    let certs = CertFiles { cert: args.tls_cert.into(), key: args.tls_key.into() };
    let config = match (&args.config_dir, &args.config) {
        (Some(dir), _) => ConfigFiles::Dir(dir.into()),
        (None, ConfigArgs { inject_config_file: None, mesh_config_file: None, values_file: None, .. }) => {
            ConfigFiles::Defaults
        }
        (None, c) => ConfigFiles::Files {
            config: c.inject_config_file.as_ref().map(Into::into),
            mesh: c.mesh_config_file.as_ref().map(Into::into),
            values: c.values_file.as_ref().map(Into::into),
        },
    };
    let mut settings = Settings::new(certs);
    settings.address = args.address;
    settings.port = args.port;
    settings.monitoring_port = args.metrics_port;
    settings.config = config;
    settings.options = args.config.options();
    settings.on_error = match args.on_error {
        OnErrorArg::Deny => OnError::Deny,
        OnErrorArg::Allow => OnError::Allow,
    };
    settings.reload_interval = args.reload_interval.max(std::time::Duration::from_millis(50));
    settings.shutdown_timeout = args.shutdown_timeout;
    settings.drain_delay = args.drain_delay;
    settings.answer_cache = args.answer_cache;
    settings.max_connections = args.max_connections as usize;
    settings.max_connections_per_client = args.max_connections_per_client as usize;
    settings.request_memory = (args.request_memory as usize) << 20;
    settings.workers = args.workers.map(|w| w as usize);
    settings
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Starts logging to standard error; `RUST_LOG` overrides `level`.
pub fn init_logging(format: LogFormat, level: &str) {
    use tracing_subscriber::EnvFilter;
    // Cranelift logs every function it compiles at info.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},cranelift_jit=warn,cranelift_codegen=warn")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
        LogFormat::Text => builder.with_ansi(false).init(),
    }
}

/// Runs the server until SIGTERM or SIGINT; SIGHUP reloads the files.
/// Failures to start are logged.
pub fn serve(settings: Settings, cluster: bool) -> CommandResult {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("starting the runtime: {e}");
            return Err(Failure::reported(Code::FAILED));
        }
    };
    runtime.block_on(async move {
        // Watched before anything else: SIGHUP's default action ends the
        // process, and a config that takes seconds to compile is a window.
        let hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("cannot watch SIGHUP: {e}");
                None
            }
        };
        let server = match Server::bind(settings).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("cannot start: {e}");
                let code = match e {
                    StartError::Listen { .. } | StartError::LoadConfig(_) => Code::FAILED,
                    StartError::Certificate(_) | StartError::ReadConfig(_) | StartError::Config(_) => Code::INPUT,
                };
                return Err(Failure::reported(code));
            }
        };
        let _cache = match cluster {
            true => match watch_cluster(std::sync::Arc::clone(server.state())).await {
                Ok(cache) => cache,
                Err(e) => {
                    tracing::error!("cannot start: {e}");
                    return Err(Failure::reported(Code::CLUSTER));
                }
            },
            false => None,
        };
        let monitoring = server.monitoring_addr().map(|a| a.to_string()).unwrap_or_default();
        tracing::info!(address = %server.local_addr(), monitoring, "serving admission reviews over HTTPS");
        if let Some(mut hangup) = hangup {
            let reload = server.reload_trigger();
            tokio::spawn(async move {
                while hangup.recv().await.is_some() {
                    tracing::info!("SIGHUP received: checking the certificate and config files now");
                    reload.check_now();
                }
            });
        }
        server.run(shutdown_signal()).await;
        Ok(Code::OK)
    })
}

/// Watches the cluster state the injector reads and hands every change to
/// the server (which is not ready before the first). Without a cluster
/// configured, the server injects from its config alone, as `--cluster
/// false`. The cache is kept for as long as it is to be watched.
async fn watch_cluster(
    state: std::sync::Arc<injit_webhook::State>,
) -> Result<Option<std::sync::Arc<injit_cluster::ClusterCache>>, injit_cluster::Error> {
    use injit_cluster::{Cluster, ClusterCache, ConnectOptions, Connection, WatchOptions};
    let cluster = match Cluster::connect(&ConnectOptions::new(None, None).for_watching()).await? {
        Connection::Cluster(cluster) => cluster,
        Connection::NotConfigured { .. } => {
            tracing::warn!(
                "no cluster configured (no service account, no kubeconfig): injecting without the cluster's \
                 ProxyConfigs, Namespaces and Nodes"
            );
            return Ok(None);
        }
    };
    tracing::info!(context = %cluster.endpoint().context, server = %cluster.endpoint().server, "watching the cluster");
    state.await_cluster_state();
    let cache = std::sync::Arc::new(ClusterCache::start(cluster, WatchOptions::default()));
    let mut snapshots = cache.subscribe();
    let (watched, fed) = (std::sync::Arc::clone(&cache), std::sync::Arc::clone(&state));
    tokio::spawn(async move {
        watched.ready().await;
        loop {
            let snapshot = std::sync::Arc::clone(&snapshots.borrow_and_update());
            let refused = |e: injit_inject::ClusterError| tracing::warn!("cluster object left out: {e}");
            let cluster = crate::cluster::cluster_state(
                snapshot.proxy_configs(),
                snapshot.objects(injit_cluster::Watched::Namespaces),
                snapshot.nodes(),
                refused,
            );
            fed.set_cluster_state(std::sync::Arc::new(cluster));
            // Events come in bursts (a large cluster's Nodes report every
            // few seconds): the state is rebuilt from the latest snapshot
            // at most a few times a second, not once per event.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            if snapshots.changed().await.is_err() {
                break;
            }
        }
    });
    // The age of what injections use, for alerting on an API server
    // that has been away too long.
    let watched = std::sync::Arc::clone(&cache);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Some(age) = watched.status().cache_age(std::time::SystemTime::now()) {
                state.metrics.cluster_state_age.set(age.as_secs() as i64);
            }
        }
    });
    Ok(Some(cache))
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot watch SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
    }
}
