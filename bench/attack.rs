//! Availability attacks on `injit serve` (docs/security.md, "Availability"),
//! each bounded in time, against a server on loopback only, while a
//! legitimate client sends the sleep pod every 100 ms and must see it
//! injected:
//!
//! - `idle-h2`: a client (127.0.0.2) opens HTTP/2 connections and sends
//!   nothing, not even the preface, holding as many as it can;
//! - `stalled`: 150 HTTP/1.1 clients each declare a 6 MiB body, send
//!   5.9 MB of it and stall;
//! - `arrays`: 6 clients at once send 6 MB reviews whose pod has
//!   `spec.x = [0,0,…]` (3 million values), then 6 of 999,000 values
//!   (under the value limit: the memory budget has to hold them);
//! - `big-pod`: one pod of 20,000 sleep containers, timed, while small
//!   pods keep being sent.
//!
//! With `--pid`, the server's peak RSS (VmHWM, reset before each attack
//! through /proc/PID/clear_refs) is printed after each.
//!
//!   cargo run --release --example attack -- --addr 127.0.0.1:9443 --ca ca.crt \
//!       --review webhook/benches/sleep-review.json --pid PID [--seconds 10] [ATTACK...]

#[path = "tls_client.rs"]
mod tls_client;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use serde_json::{Value, json};
use tls_client::connector;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

const ATTACKS: [&str; 4] = ["idle-h2", "stalled", "arrays", "big-pod"];

struct Args {
    addr: SocketAddr,
    ca: String,
    review: String,
    pid: Option<u32>,
    seconds: u64,
    attacks: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 9443)),
        ca: String::new(),
        review: String::new(),
        pid: None,
        seconds: 10,
        attacks: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => args.addr = value()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--ca" => args.ca = value()?,
            "--review" => args.review = value()?,
            "--pid" => args.pid = Some(value()?.parse().map_err(|e| format!("--pid: {e}"))?),
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?;
                if !(1..=120).contains(&args.seconds) {
                    return Err("--seconds: 1 to 120".into());
                }
            }
            attack if ATTACKS.contains(&attack) => args.attacks.push(attack.to_owned()),
            other => return Err(format!("unknown argument {other} (attacks: {})", ATTACKS.join(", "))),
        }
    }
    if !args.addr.ip().is_loopback() {
        return Err(format!("--addr {}: only a server on loopback is attacked", args.addr));
    }
    if args.ca.is_empty() || args.review.is_empty() {
        return Err("--ca and --review are required".into());
    }
    if args.attacks.is_empty() {
        args.attacks = ATTACKS.iter().map(|a| a.to_string()).collect();
    }
    Ok(args)
}

struct Ctx {
    addr: SocketAddr,
    h1: TlsConnector,
    h2: TlsConnector,
    /// The sleep pod's review.
    review: Value,
    pid: Option<u32>,
    seconds: u64,
}

impl Ctx {
    /// A TLS connection from `source` (a loopback address).
    async fn connect(&self, source: IpAddr, h2: bool) -> Result<TlsStream<TcpStream>, String> {
        let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
        socket.bind(SocketAddr::new(source, 0)).map_err(|e| format!("binding {source}: {e}"))?;
        let tcp = socket.connect(self.addr).await.map_err(|e| e.to_string())?;
        let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
        let connector = if h2 { &self.h2 } else { &self.h1 };
        connector.connect(name, tcp).await.map_err(|e| format!("TLS: {e}"))
    }

    /// One review on a new HTTP/2 connection from 127.0.0.1, as the API
    /// server sends it: the status and body.
    async fn post(&self, body: Bytes, timeout: Duration) -> Result<(u16, Bytes), String> {
        let exchange = async {
            let tls = self.connect(IpAddr::from([127, 0, 0, 1]), true).await?;
            let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            let request = hyper::Request::post(format!("https://localhost/inject?timeout={}s", timeout.as_secs()))
                .header("content-type", "application/json")
                .body(Full::new(body))
                .map_err(|e| e.to_string())?;
            let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok((status, bytes))
        };
        tokio::time::timeout(timeout + Duration::from_secs(1), exchange).await.map_err(|_| "timed out".to_owned())?
    }

    fn clear_peak(&self) {
        if let Some(pid) = self.pid
            && let Err(e) = std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        {
            eprintln!("attack: resetting the peak RSS of {pid}: {e} (peaks are since the start)");
        }
    }

    /// VmRSS and VmHWM, in MiB.
    fn memory(&self) -> String {
        let Some(pid) = self.pid else { return "server memory: no --pid".into() };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            return format!("server memory: /proc/{pid}/status unreadable (exited?)");
        };
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .map_or("?".to_owned(), |kib| format!("{:.0} MiB", kib as f64 / 1024.0))
        };
        format!("server RSS {} now, peak {}", field("VmRSS:"), field("VmHWM:"))
    }
}

fn sleep_review(base: &Value, uid: &str) -> Value {
    let mut review = base.clone();
    review["request"]["uid"] = json!(uid);
    review
}

/// The legitimate client: the sleep pod every 100 ms on a new HTTP/2
/// connection, each answer checked, until `stop`.
async fn legitimate(ctx: Arc<Ctx>, stop: Arc<AtomicBool>) -> Probe {
    let mut probe = Probe::default();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let body = serde_json::to_vec(&sleep_review(&ctx.review, &format!("legit-{i}"))).unwrap_or_default();
        let start = Instant::now();
        match ctx.post(Bytes::from(body), Duration::from_secs(5)).await {
            Ok((200, answer)) if String::from_utf8_lossy(&answer).contains("\"patch\"") => {
                probe.latencies_ms.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            Ok((status, answer)) => {
                probe.failed += 1;
                probe.first_error.get_or_insert(format!("HTTP {status}: {}", String::from_utf8_lossy(&answer)));
            }
            Err(e) => {
                probe.failed += 1;
                probe.first_error.get_or_insert(e);
            }
        }
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(start.elapsed())).await;
    }
    probe
}

#[derive(Default)]
struct Probe {
    latencies_ms: Vec<f64>,
    failed: usize,
    first_error: Option<String>,
}

impl Probe {
    fn report(mut self) -> String {
        let ok = self.latencies_ms.len();
        let total = ok + self.failed;
        self.latencies_ms.sort_by(f64::total_cmp);
        let at = |p: f64| self.latencies_ms.get(((ok as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0);
        let mut line = format!(
            "legitimate client: {ok}/{total} injected ({:.0}%), latency ms p50 {:.1} p99 {:.1} max {:.1}",
            if total == 0 { 0.0 } else { 100.0 * ok as f64 / total as f64 },
            at(0.5),
            at(0.99),
            at(1.0)
        );
        if let Some(e) = self.first_error {
            line.push_str(&format!("; first failure: {}", e.chars().take(200).collect::<String>()));
        }
        line
    }
}

/// Runs `attack` for the context's seconds with the legitimate client
/// alongside; prints what both saw.
async fn with_legitimate<F>(ctx: &Arc<Ctx>, name: &str, attack: F)
where
    F: std::future::Future<Output = String>,
{
    println!("== {name}");
    ctx.clear_peak();
    let stop = Arc::new(AtomicBool::new(false));
    let prober = tokio::spawn(legitimate(Arc::clone(ctx), Arc::clone(&stop)));
    let outcome = attack.await;
    stop.store(true, Ordering::Relaxed);
    let probe = prober.await.map(Probe::report).unwrap_or_else(|e| format!("the legitimate client failed: {e}"));
    println!("{outcome}");
    println!("{probe}");
    println!("{}", ctx.memory());
}

/// Opens HTTP/2 connections from 127.0.0.2 that never send the preface,
/// up to 64 handshakes at a time and 4096 held, reopening closed ones.
async fn idle_h2(ctx: Arc<Ctx>) -> String {
    let held = Arc::new(AtomicUsize::new(0));
    let opened = Arc::new(AtomicUsize::new(0));
    let closed_by_server = Arc::new(AtomicUsize::new(0));
    let end = Instant::now() + Duration::from_secs(ctx.seconds);
    let mut most = 0;
    let mut workers = Vec::new();
    for _ in 0..64 {
        let (ctx, held, opened, closed) =
            (Arc::clone(&ctx), Arc::clone(&held), Arc::clone(&opened), Arc::clone(&closed_by_server));
        workers.push(tokio::spawn(async move {
            let mut idle = Vec::new();
            while Instant::now() < end {
                if held.load(Ordering::Relaxed) >= 4096 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                let Ok(Ok(mut tls)) =
                    tokio::time::timeout(Duration::from_secs(2), ctx.connect(IpAddr::from([127, 0, 0, 2]), true)).await
                else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                opened.fetch_add(1, Ordering::Relaxed);
                held.fetch_add(1, Ordering::Relaxed);
                let (held, closed) = (Arc::clone(&held), Arc::clone(&closed));
                // Held until the server closes it or the attack ends.
                idle.push(tokio::spawn(async move {
                    let mut buf = [0u8; 256];
                    let left = end.saturating_duration_since(Instant::now());
                    let read = async {
                        loop {
                            match tls.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(_) => {}
                            }
                        }
                    };
                    if tokio::time::timeout(left, read).await.is_ok() {
                        closed.fetch_add(1, Ordering::Relaxed);
                    }
                    held.fetch_sub(1, Ordering::Relaxed);
                }));
            }
            for task in idle {
                let _ = task.await;
            }
        }));
    }
    let mut samples = Vec::new();
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = held.load(Ordering::Relaxed);
        most = most.max(now);
        samples.push(now.to_string());
    }
    for worker in workers {
        let _ = worker.await;
    }
    format!(
        "idle HTTP/2 attacker: {} connections opened, held at most {most} (each second: {}), {} closed by the server",
        opened.load(Ordering::Relaxed),
        samples.join(" "),
        closed_by_server.load(Ordering::Relaxed)
    )
}

/// 150 HTTP/1.1 clients declare 6 MiB bodies, send 5.9 MB and stall.
async fn stalled(ctx: Arc<Ctx>) -> String {
    let end = Instant::now() + Duration::from_secs(ctx.seconds);
    let sent = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for i in 0..150u32 {
        let (ctx, sent) = (Arc::clone(&ctx), Arc::clone(&sent));
        clients.push(tokio::spawn(async move {
            // From 127.0.1.x: many clients, as the attack has.
            let source = IpAddr::from([127, 0, 1, (i % 250) as u8 + 1]);
            let Ok(mut tls) = ctx.connect(source, false).await else { return None };
            let head = format!(
                "POST /inject?timeout=30s HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                6 << 20
            );
            let chunk = vec![b' '; 64 << 10];
            let writing = async {
                tls.write_all(head.as_bytes()).await?;
                let mut n = 0;
                while n < 5_900_000 {
                    tls.write_all(&chunk).await?;
                    n += chunk.len();
                    sent.fetch_add(chunk.len(), Ordering::Relaxed);
                }
                tls.flush().await
            };
            // The server may not read it all: writing stops at the end.
            let left = end.saturating_duration_since(Instant::now());
            let _ = tokio::time::timeout(left, writing).await;
            let left = end.saturating_duration_since(Instant::now());
            // Then stall, reading whatever answer comes.
            let mut answer = Vec::new();
            let _ = tokio::time::timeout(left, tls.read_to_end(&mut answer)).await;
            Some(String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned())
        }));
    }
    let mut answers = std::collections::BTreeMap::new();
    for client in clients {
        let answer = client.await.ok().flatten().unwrap_or_else(|| "no connection".into());
        let answer = if answer.is_empty() { "no answer".to_owned() } else { answer };
        *answers.entry(answer).or_insert(0) += 1;
    }
    format!(
        "150 stalled 6 MiB bodies: {:.0} MB sent in all; their answers: {answers:?}",
        sent.load(Ordering::Relaxed) as f64 / 1e6
    )
}

/// 6 clients at once send `rounds` reviews each of `elements` zeros.
async fn arrays(ctx: Arc<Ctx>, elements: usize) -> String {
    let end = Instant::now() + Duration::from_secs(ctx.seconds);
    let mut review = sleep_review(&ctx.review, "zeros");
    review["request"]["object"]["spec"]["x"] = json!(vec![0; elements]);
    let body = Bytes::from(serde_json::to_vec(&review).unwrap_or_default());
    let size = body.len();
    let mut clients = Vec::new();
    for _ in 0..6 {
        let (ctx, body) = (Arc::clone(&ctx), body.clone());
        clients.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            // Each with the API server's usual 10 s timeout; the last one
            // may end up to that much past the attack.
            while Instant::now() < end {
                match ctx.post(body.clone(), Duration::from_secs(10)).await {
                    Ok((status, _)) => statuses.push(status.to_string()),
                    Err(e) => statuses.push(e),
                }
            }
            statuses
        }));
    }
    let mut answers = std::collections::BTreeMap::new();
    for client in clients {
        for status in client.await.unwrap_or_default() {
            *answers.entry(status).or_insert(0) += 1;
        }
    }
    format!("6 clients sending reviews of {elements} zeros ({:.1} MB each): answers {answers:?}", size as f64 / 1e6)
}

/// A pod of 20,000 sleep containers, timed.
async fn big_pod(ctx: Arc<Ctx>) -> String {
    let mut review = sleep_review(&ctx.review, "big-pod");
    let template = review["request"]["object"]["spec"]["containers"][0].clone();
    let containers: Vec<Value> = (0..20_000)
        .map(|i| {
            let mut c = template.clone();
            c["name"] = json!(format!("sleep-{i}"));
            c
        })
        .collect();
    review["request"]["object"]["spec"]["containers"] = json!(containers);
    let body = serde_json::to_vec(&review).unwrap_or_default();
    let size = body.len();
    if size as u64 > 6 << 20 {
        return format!("the review of 20,000 containers is {size} bytes, over 6 MiB: not sent");
    }
    let start = Instant::now();
    let outcome = match ctx.post(Bytes::from(body), Duration::from_secs(30)).await {
        Ok((status, answer)) => {
            let text = String::from_utf8_lossy(&answer);
            let verdict = if text.contains("\"patch\"") {
                "injected".to_owned()
            } else {
                format!("not injected: {}", text.chars().take(300).collect::<String>())
            };
            format!("HTTP {status}, {verdict}")
        }
        Err(e) => e,
    };
    format!(
        "one pod of 20,000 containers ({:.1} MB review): {outcome} in {:.0} ms",
        size as f64 / 1e6,
        start.elapsed().as_secs_f64() * 1000.0
    )
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("attack: {e}");
            std::process::exit(2);
        }
    };
    let setup = || -> Result<Ctx, String> {
        let text = std::fs::read_to_string(&args.review).map_err(|e| format!("{}: {e}", args.review))?;
        Ok(Ctx {
            addr: args.addr,
            h1: connector(&args.ca, b"http/1.1")?,
            h2: connector(&args.ca, b"h2")?,
            review: serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.review))?,
            pid: args.pid,
            seconds: args.seconds,
        })
    };
    let ctx = match setup() {
        Ok(ctx) => Arc::new(ctx),
        Err(e) => {
            eprintln!("attack: {e}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("attack: a runtime: {e}");
            std::process::exit(1);
        }
    };
    runtime.block_on(async move {
        println!("{} before the attacks", ctx.memory());
        for attack in &args.attacks {
            match attack.as_str() {
                "idle-h2" => with_legitimate(&ctx, "idle HTTP/2 connections", idle_h2(Arc::clone(&ctx))).await,
                "stalled" => with_legitimate(&ctx, "stalled bodies", stalled(Arc::clone(&ctx))).await,
                "arrays" => {
                    with_legitimate(&ctx, "6 x 6 MB arrays", arrays(Arc::clone(&ctx), 3_000_000)).await;
                    with_legitimate(&ctx, "6 x 999,000-element arrays", arrays(Arc::clone(&ctx), 999_000)).await;
                }
                "big-pod" => with_legitimate(&ctx, "20,000 containers", big_pod(Arc::clone(&ctx))).await,
                _ => {}
            }
            // Let the server settle between attacks (closed connections,
            // freed memory).
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
}
