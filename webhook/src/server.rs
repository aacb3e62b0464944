//! The HTTPS server: TLS (1.2+, HTTP/2 and HTTP/1.1 by ALPN) over the
//! swappable certificate, connections watched for graceful shutdown, the
//! reload watcher, and an optional plain-HTTP port for monitoring.

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use injit_inject::{Caller, Injector, Options};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::admission::OnError;
use crate::config_files::ConfigFiles;
use crate::reload::{Contents, Watch};
use crate::routes::{self, Routes};
use crate::state::State;
use crate::tls::{self, CertFiles, Resolver};

/// A client gets this long to finish its TLS handshake, and to send a
/// request's headers.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// How `injit serve` runs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub address: IpAddr,
    pub port: u16,
    /// A plain-HTTP port for `/metrics`, `/ready` and `/healthz`.
    pub monitoring_port: Option<u16>,
    pub certs: CertFiles,
    pub config: ConfigFiles,
    pub options: Options,
    pub on_error: OnError,
    /// How often the certificate and config files are checked for changes.
    pub reload_interval: Duration,
    /// How long in-flight requests get to finish on shutdown.
    pub shutdown_timeout: Duration,
    /// How long the server keeps accepting after readiness fails on
    /// shutdown, while endpoints stop routing to it.
    pub drain_delay: Duration,
    /// Connections served at once; more are closed on arrival.
    pub max_connections: usize,
    /// How many answers to identical pods are kept per config (0: none).
    pub answer_cache: usize,
    /// How many injections run at once; `None`: one per core.
    pub workers: Option<usize>,
}

impl Settings {
    /// The defaults: port 9443 on every address, Istio's embedded config.
    pub fn new(certs: CertFiles) -> Settings {
        Settings {
            address: IpAddr::from([0, 0, 0, 0]),
            port: 9443,
            monitoring_port: None,
            certs,
            config: ConfigFiles::Defaults,
            options: Options::default(),
            on_error: OnError::Deny,
            reload_interval: Duration::from_secs(1),
            shutdown_timeout: Duration::from_secs(25),
            drain_delay: Duration::from_secs(5),
            max_connections: 4096,
            answer_cache: 256,
            workers: None,
        }
    }
}

/// Why the server cannot start.
#[derive(Debug)]
pub struct StartError(pub String);

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// A server with its certificate and config loaded and its ports bound.
pub struct Server {
    settings: Settings,
    state: Arc<State>,
    resolver: Arc<Resolver>,
    listener: TcpListener,
    monitoring: Option<TcpListener>,
    seen_config: String,
    seen_certs: Option<Vec<u8>>,
}

impl Server {
    /// Loads the certificate and the config (compiling the templates) and
    /// binds the ports; any failure here stops the start.
    pub async fn bind(settings: Settings) -> Result<Server, StartError> {
        let key = settings.certs.load().map_err(|e| StartError(format!("the serving certificate: {e}")))?;
        let seen_certs = settings.certs.contents();
        let sources = settings.config.read().map_err(|e| StartError(format!("the injector config: {e}")))?;
        let seen_config = ConfigFiles::fingerprint(&sources);
        let options = settings.options.clone();
        // Tried on the reference pods first: a config that makes invalid
        // pods does not start.
        let build = move || sources.build_checked(options, Caller::Webhook).inspect(Injector::compile_all);
        let injector = tokio::task::spawn_blocking(build)
            .await
            .map_err(|e| StartError(format!("loading the injector config: {e}")))?
            .map_err(|e| StartError(format!("the injector config: {e}")))?;
        for warning in injector.config().invalid_selectors() {
            tracing::warn!(kind = "config", "{}: {warning}", injector.config().file);
        }
        let bind = |port: u16| async move {
            let addr = SocketAddr::new(settings.address, port);
            TcpListener::bind(addr).await.map_err(|e| StartError(format!("listening on {addr}: {e}")))
        };
        let listener = bind(settings.port).await?;
        let monitoring = match settings.monitoring_port {
            Some(port) => Some(bind(port).await?),
            None => None,
        };
        Ok(Server {
            state: Arc::new(State::new(injector, settings.on_error, settings.answer_cache, settings.workers)),
            resolver: Arc::new(Resolver::new(key)),
            listener,
            monitoring,
            seen_config,
            seen_certs,
            settings,
        })
    }

    /// The HTTPS address (with the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn monitoring_addr(&self) -> Option<SocketAddr> {
        self.monitoring.as_ref().map(|l| l.local_addr().expect("a bound listener has an address"))
    }

    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting, lets
    /// in-flight requests finish (up to the shutdown timeout) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server { settings, state, resolver, listener, monitoring, seen_config, seen_certs } = self;
        let watch = Watch {
            state: Arc::clone(&state),
            resolver: Arc::clone(&resolver),
            certs: settings.certs.clone(),
            config: settings.config.clone(),
            options: settings.options.clone(),
            interval: settings.reload_interval,
            config_files: Contents::loaded(Some(seen_config)),
            cert_files: Contents::loaded(seen_certs),
        };
        let reload = tokio::spawn(watch.run());
        let monitoring = monitoring.map(|l| tokio::spawn(serve_monitoring(l, Arc::clone(&state))));
        let acceptor = TlsAcceptor::from(Arc::new(tls::server_config(resolver)));
        // The protocol is known from ALPN: no preface sniffing, whose wait
        // has no timeout.
        let http1 = Arc::new(http_builder().http1_only());
        let http2 = Arc::new(http_builder().http2_only());
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(tokio::sync::Semaphore::new(settings.max_connections));
        tokio::pin!(shutdown);
        let mut drain_until = None;
        loop {
            let drained = async {
                match drain_until {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let (tcp, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, most likely: back off.
                        tracing::warn!("accepting a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
                () = &mut shutdown, if drain_until.is_none() => {
                    // Readiness fails first; connections are still taken
                    // while endpoints stop routing here.
                    state.start_draining();
                    tracing::info!(delay_ms = settings.drain_delay.as_millis() as u64, "draining: readiness fails");
                    drain_until = Some(tokio::time::Instant::now() + settings.drain_delay);
                    continue;
                }
                () = drained => break,
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                tracing::warn!(%peer, "refusing a connection: {} connections open", settings.max_connections);
                continue;
            };
            let (acceptor, http1, http2, state, watcher) =
                (acceptor.clone(), Arc::clone(&http1), Arc::clone(&http2), Arc::clone(&state), graceful.watcher());
            tokio::spawn(async move {
                let _slot = slot;
                let _ = tcp.set_nodelay(true);
                let tls = match tokio::time::timeout(CLIENT_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => return tracing::debug!(%peer, "TLS handshake failed: {e}"),
                    Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
                };
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                let builder = if h2 { http2 } else { http1 };
                let service = service_fn(move |request| routes::serve(Arc::clone(&state), Routes::All, request));
                if let Err(e) = watcher.watch(builder.serve_connection(TokioIo::new(tls), service)).await {
                    tracing::debug!(%peer, "connection: {e}");
                }
            });
        }
        tracing::info!("shutting down: no new connections; finishing the requests in flight");
        drop(listener);
        reload.abort();
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("every request answered; exiting"),
            () = tokio::time::sleep(settings.shutdown_timeout) => {
                tracing::warn!("shutdown timeout reached with requests still in flight; exiting")
            }
        }
        if let Some(monitoring) = monitoring {
            monitoring.abort();
        }
    }
}

fn http_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(CLIENT_TIMEOUT).keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(CLIENT_TIMEOUT);
    builder
}

async fn serve_monitoring(listener: TcpListener, state: Arc<State>) {
    let builder = Arc::new(http_builder());
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let (builder, state) = (Arc::clone(&builder), Arc::clone(&state));
        tokio::spawn(async move {
            let service = service_fn(move |request| routes::serve(Arc::clone(&state), Routes::Monitoring, request));
            let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
        });
    }
}
