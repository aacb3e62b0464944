//! The HTTPS server: TLS (1.2+, HTTP/2 and HTTP/1.1 by ALPN) over the
//! swappable certificate, connections watched for graceful shutdown, the
//! reload watcher, and an optional plain-HTTP port for monitoring.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use injit_inject::{Caller, Injector, Options};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::admission::OnError;
use crate::config_files::{ConfigFiles, ReadError};
use crate::connections::{Refusal, Slot, Table};
use crate::reload::{Contents, Watch};
use crate::routes::{self, Routes};
use crate::state::State;
use crate::tls::{self, CertError, CertFiles, Resolver};

/// A client gets this long to finish its TLS handshake, and to send a
/// request's headers (the first request's from when it connected).
pub(crate) const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP/2 flow-control windows, per stream and per connection.
const H2_WINDOW: u32 = 64 << 10;

/// How long a connection told to close, with no request in flight, is
/// kept for the peer to read the last bytes (the GOAWAY, the answer).
const CLOSE_GRACE: Duration = Duration::from_secs(1);

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
    /// Connections served at once: past it, the least recently active
    /// idle connection of the client holding the most is closed for the
    /// newcomer (which is refused only when none is idle).
    pub max_connections: usize,
    /// Connections one client (IP address) holds at once: past it, its
    /// own least recently active idle connection is closed.
    pub max_connections_per_client: usize,
    /// How many answers to identical pods are kept per config (0: none).
    pub answer_cache: usize,
    /// The bytes request bodies and parsed reviews in flight may take
    /// (besides a reserve for small bodies); more requests wait.
    pub request_memory: usize,
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
            max_connections: 1024,
            max_connections_per_client: 512,
            answer_cache: 256,
            request_memory: 96 << 20,
            workers: None,
        }
    }
}

/// Why the server cannot start: what it was doing, and the error it met
/// as `source()`.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the serving certificate: {0}")]
    Certificate(#[source] CertError),
    #[error("the injector config: {0}")]
    ReadConfig(#[source] ReadError),
    /// Loading the config panicked.
    #[error("loading the injector config: {0}")]
    LoadConfig(#[source] tokio::task::JoinError),
    #[error("the injector config: {0}")]
    Config(#[source] injit_inject::Error),
    #[error("listening on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

/// A server with its certificate and config loaded and its ports bound.
pub struct Server {
    settings: Settings,
    state: Arc<State>,
    resolver: Arc<Resolver>,
    listener: TcpListener,
    monitoring: Option<TcpListener>,
    seen_config: String,
    seen_certs: Option<Vec<u8>>,
    reload_now: Arc<tokio::sync::Notify>,
}

/// Makes a running server check its certificate and config files at once.
#[derive(Clone)]
pub struct ReloadTrigger(Arc<tokio::sync::Notify>);

impl ReloadTrigger {
    /// A change found is loaded at once, without the second poll that
    /// otherwise confirms the files are written whole.
    pub fn check_now(&self) {
        self.0.notify_one();
    }
}

impl Server {
    /// Loads the certificate and the config (compiling the templates) and
    /// binds the ports; any failure here stops the start.
    pub async fn bind(settings: Settings) -> Result<Server, StartError> {
        // Noted before loading: a rotation in between then reads as a
        // change and is loaded, rather than passing for what was loaded.
        let seen_certs = settings.certs.contents().ok();
        let key = settings.certs.load().map_err(StartError::Certificate)?;
        let sources = settings.config.read().map_err(StartError::ReadConfig)?;
        let seen_config = ConfigFiles::fingerprint(&sources);
        let options = settings.options.clone();
        // Tried on the reference pods first: a config that makes invalid
        // pods does not start.
        let build = move || sources.build_checked(options, Caller::Webhook).inspect(Injector::compile_all);
        let injector =
            tokio::task::spawn_blocking(build).await.map_err(StartError::LoadConfig)?.map_err(StartError::Config)?;
        for warning in injector.config().invalid_selectors() {
            tracing::warn!(kind = "config", "{}: {warning}", injector.config().file);
        }
        let bind = |port: u16| async move {
            let addr = SocketAddr::new(settings.address, port);
            TcpListener::bind(addr).await.map_err(|source| StartError::Listen { addr, source })
        };
        let listener = bind(settings.port).await?;
        let monitoring = match settings.monitoring_port {
            Some(port) => Some(bind(port).await?),
            None => None,
        };
        let state = Arc::new(State::new(
            injector,
            settings.on_error,
            settings.answer_cache,
            settings.workers,
            settings.request_memory,
        ));
        tls::report_expiry(&state.metrics, &key, &settings.certs.cert);
        Ok(Server {
            state,
            resolver: Arc::new(Resolver::new(key)),
            listener,
            monitoring,
            seen_config,
            seen_certs,
            settings,
            reload_now: Arc::new(tokio::sync::Notify::new()),
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

    pub fn reload_trigger(&self) -> ReloadTrigger {
        ReloadTrigger(Arc::clone(&self.reload_now))
    }

    /// Serves until `shutdown` completes, then stops accepting, lets
    /// in-flight requests finish (up to the shutdown timeout) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server { settings, state, resolver, listener, monitoring, seen_config, seen_certs, reload_now } = self;
        let watch = Watch {
            state: Arc::clone(&state),
            resolver: Arc::clone(&resolver),
            certs: settings.certs.clone(),
            config: settings.config.clone(),
            options: settings.options.clone(),
            interval: settings.reload_interval,
            config_files: Contents::loaded(Some(seen_config)),
            cert_files: Contents::loaded(seen_certs),
            now: reload_now,
        };
        let reload = tokio::spawn(watch.run());
        let monitoring = monitoring.map(|l| tokio::spawn(serve_monitoring(l, Arc::clone(&state))));
        let acceptor = TlsAcceptor::from(Arc::new(tls::server_config(resolver)));
        // The protocol is known from ALPN: no preface sniffing, whose wait
        // has no timeout.
        let http1 = Arc::new(http_builder().http1_only());
        let http2 = Arc::new(http_builder().http2_only());
        let table =
            Table::new(settings.max_connections, settings.max_connections_per_client, Arc::clone(&state.metrics));
        let mut refusals = RefusalLog::default();
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
            let slot = match table.admit(peer.ip()) {
                Ok(slot) => slot,
                Err(refusal) => {
                    state.metrics.connection_closed(refusal.reason());
                    refusals.note(peer, refusal);
                    continue;
                }
            };
            let (acceptor, http1, http2, state) =
                (acceptor.clone(), Arc::clone(&http1), Arc::clone(&http2), Arc::clone(&state));
            tokio::spawn(serve_connection(tcp, peer, slot, acceptor, http1, http2, state));
        }
        let in_flight = table.in_flight();
        tracing::info!(in_flight, "shutting down: no new connections; finishing the requests in flight");
        drop(listener);
        reload.abort();
        // Idle connections close now; busy ones after their requests.
        table.close_all();
        tokio::select! {
            () = table.answered() => tracing::info!("every request answered; exiting"),
            () = tokio::time::sleep(settings.shutdown_timeout) => {
                let in_flight = table.in_flight();
                tracing::warn!(in_flight, "shutdown timeout reached with {in_flight} requests still in flight; exiting")
            }
        }
        // A moment for the last answers and GOAWAYs to be flushed.
        let closed = async {
            while table.open() > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, closed).await;
        if let Some(monitoring) = monitoring {
            monitoring.abort();
        }
    }
}

/// Logs refused connections at most once a second: a flood of them is
/// what the metric counts.
#[derive(Default)]
struct RefusalLog {
    last: Option<std::time::Instant>,
    unlogged: u64,
}

impl RefusalLog {
    fn note(&mut self, peer: SocketAddr, refusal: Refusal) {
        self.unlogged += 1;
        if self.last.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
            return;
        }
        let why = match refusal {
            Refusal::Full => "every connection has a request in flight",
            Refusal::PeerFull => "this client's connections all have a request in flight",
        };
        tracing::warn!(%peer, refused = self.unlogged, "refusing connections: {why}");
        self.last = Some(std::time::Instant::now());
        self.unlogged = 0;
    }
}

/// One HTTPS connection, from the TLS handshake to its close: closed when
/// no request has started within `CLIENT_TIMEOUT` of its arrival (HTTP/2
/// included, whose preface hyper waits for without a timeout), or when the
/// table tells it to (evicted while idle, or shutting down).
async fn serve_connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    slot: Slot,
    acceptor: TlsAcceptor,
    http1: Arc<auto::Builder<TokioExecutor>>,
    http2: Arc<auto::Builder<TokioExecutor>>,
    state: Arc<State>,
) {
    let first_request_by = tokio::time::Instant::now() + CLIENT_TIMEOUT;
    let connection = Arc::clone(slot.connection());
    let metrics = Arc::clone(&state.metrics);
    let _ = tcp.set_nodelay(true);
    let tls = tokio::select! {
        tls = tokio::time::timeout_at(first_request_by, acceptor.accept(tcp)) => match tls {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => return tracing::debug!(%peer, "TLS handshake failed: {e}"),
            Err(_) => {
                metrics.connection_closed("no_request");
                return tracing::debug!(%peer, "TLS handshake timed out");
            }
        },
        () = connection.closed() => return,
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    let builder = if h2 { http2 } else { http1 };
    let slot = Arc::new(slot);
    let service = {
        let slot = Arc::clone(&slot);
        service_fn(move |request| {
            let in_flight = slot.begin();
            let state = Arc::clone(&state);
            async move {
                let response = routes::serve(state, Routes::All, Some(peer.ip()), request).await;
                drop(in_flight);
                response
            }
        })
    };
    let serving = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(serving);
    let mut waiting_for_first = true;
    loop {
        tokio::select! {
            done = serving.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(%peer, "connection: {e}");
                }
                return;
            }
            () = connection.closed() => {
                // A peer that never sent a request gets no goodbye: it
                // would hold the connection a while longer.
                if !connection.started() {
                    return;
                }
                break;
            }
            () = tokio::time::sleep_until(first_request_by), if waiting_for_first => {
                waiting_for_first = false;
                if !connection.started() {
                    slot.leave();
                    metrics.connection_closed("no_request");
                    return tracing::debug!(%peer, "no request within {} s: closing", CLIENT_TIMEOUT.as_secs());
                }
            }
        }
    }
    // HTTP/1 closes after the response in progress, HTTP/2 sends GOAWAY:
    // requests in flight are answered; then the peer gets a moment to
    // read the last bytes, and a peer that ignores the GOAWAY is dropped.
    serving.as_mut().graceful_shutdown();
    loop {
        tokio::select! {
            _ = serving.as_mut() => return,
            () = connection.idle() => {}
        }
        if tokio::time::timeout(CLOSE_GRACE, serving.as_mut()).await.is_ok() || connection.in_flight() == 0 {
            return;
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
        // What a connection's peer may send unread: HTTP/2's default
        // rather than hyper's 1 MiB, which over a thousand connections
        // whose requests wait for memory would be a gigabyte.
        .initial_stream_window_size(H2_WINDOW)
        .initial_connection_window_size(H2_WINDOW)
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(CLIENT_TIMEOUT);
    builder
}

async fn serve_monitoring(listener: TcpListener, state: Arc<State>) {
    // Probes and scrapers speak HTTP/1.1; sniffing for an HTTP/2 preface
    // would wait for it without a timeout.
    let builder = Arc::new(http_builder().http1_only());
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let (builder, state) = (Arc::clone(&builder), Arc::clone(&state));
        tokio::spawn(async move {
            let service =
                service_fn(move |request| routes::serve(Arc::clone(&state), Routes::Monitoring, None, request));
            let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
        });
    }
}
