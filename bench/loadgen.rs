//! A load generator for `injit serve`: AdmissionReviews over verified TLS
//! on keep-alive connections, closed loop (as fast as answers come) or
//! open loop at a fixed rate, with latency counted from when each request
//! was due whenever the server was still busy then (so a stalled server
//! cannot hide its queue).
//!
//! cargo run --release --example loadgen -- --addr 127.0.0.1:9443 \
//!     --ca ca.crt --body review.json --connections 16 --duration 10s [--rate 5000] \
//!     [--requests-per-connection N] [--unique]

#[path = "tls_client.rs"]
mod tls_client;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tls_client::connector;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

struct Args {
    addr: String,
    ca: String,
    body: String,
    path: String,
    connections: usize,
    duration: Duration,
    rate: Option<f64>,
    /// Reconnect after this many requests (new TLS handshakes).
    per_connection: Option<u64>,
    /// Make every pod different: `BENCHSEQ` in the body becomes a counter.
    unique: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:9443".into(),
        ca: String::new(),
        body: String::new(),
        path: "/inject".into(),
        connections: 16,
        duration: Duration::from_secs(10),
        rate: None,
        per_connection: None,
        unique: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => args.addr = value()?,
            "--ca" => args.ca = value()?,
            "--body" => args.body = value()?,
            "--path" => args.path = value()?,
            "--connections" => args.connections = value()?.parse().map_err(|e| format!("--connections: {e}"))?,
            "--duration" => {
                let v = value()?;
                let secs: f64 = v.trim_end_matches('s').parse().map_err(|e| format!("--duration: {e}"))?;
                args.duration = Duration::from_secs_f64(secs);
            }
            "--rate" => args.rate = Some(value()?.parse().map_err(|e| format!("--rate: {e}"))?),
            "--unique" => args.unique = true,
            "--requests-per-connection" => {
                args.per_connection = Some(value()?.parse().map_err(|e| format!("--requests-per-connection: {e}"))?)
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.ca.is_empty() || args.body.is_empty() {
        return Err("--ca and --body are required".into());
    }
    Ok(args)
}

#[derive(Default)]
struct Outcome {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

async fn connection(
    args: Arc<Args>,
    connector: TlsConnector,
    body: Bytes,
    index: usize,
    start: Instant,
    stop: Arc<AtomicBool>,
    reconnects: Arc<AtomicU64>,
) -> Outcome {
    let mut outcome = Outcome::default();
    let interval = args.rate.map(|r| Duration::from_secs_f64(args.connections as f64 / r));
    // Spread the connections' schedules over one interval.
    let mut due = start + interval.map_or(Duration::ZERO, |i| i.mul_f64(index as f64 / args.connections as f64));
    let mut sender: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>> = None;
    let mut sent_on_connection = 0;
    let mut sequence = 0u64;
    let mut last_done = start;
    let text = if args.unique { String::from_utf8_lossy(&body).into_owned() } else { String::new() };
    while !stop.load(Ordering::Relaxed) {
        if interval.is_some() {
            tokio::time::sleep_until(due.into()).await;
        } else {
            due = Instant::now();
        }
        if args.per_connection.is_some_and(|n| sent_on_connection >= n) {
            sender = None;
        }
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            sent_on_connection = 0;
            reconnects.fetch_add(1, Ordering::Relaxed);
            let connected = async {
                let tcp = TcpStream::connect(&args.addr).await.map_err(|e| e.to_string())?;
                tcp.set_nodelay(true).map_err(|e| e.to_string())?;
                let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
                let tls = connector.connect(name, tcp).await.map_err(|e| format!("TLS: {e}"))?;
                let (s, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.map_err(|e| e.to_string())?;
                tokio::spawn(conn);
                Ok::<_, String>(s)
            };
            match connected.await {
                Ok(s) => sender = Some(s),
                Err(e) => {
                    outcome.errors += 1;
                    outcome.first_error.get_or_insert(e);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let s = sender.as_mut().expect("connected");
        sent_on_connection += 1;
        // Latency counts from when the request was due if the server was
        // still busy with the previous one then (its queue), else from when
        // it was sent (the client's own timer is coarse, not the server).
        let from = if last_done > due { due } else { Instant::now() };
        let request = hyper::Request::post(args.path.as_str())
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(if args.unique {
                sequence += 1;
                Bytes::from(text.replace("BENCHSEQ", &format!("{index}-{sequence}")))
            } else {
                body.clone()
            }))
            .expect("a request");
        let result = async {
            s.ready().await.map_err(|e| e.to_string())?;
            let response = s.send_request(request).await.map_err(|e| e.to_string())?;
            let status = response.status();
            let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            if status != hyper::StatusCode::OK {
                return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)));
            }
            let text = std::str::from_utf8(&bytes).map_err(|e| e.to_string())?;
            if !text.contains("\"allowed\":true") {
                return Err(format!("not allowed: {text}"));
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => outcome.latencies_us.push(from.elapsed().as_micros().min(u32::MAX as u128) as u32),
            Err(e) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert(e);
                sender = None;
            }
        }
        last_done = Instant::now();
        if let Some(interval) = interval {
            due += interval;
        }
    }
    outcome
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn main() {
    let args = match parse_args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let connector = connector(&args.ca, b"http/1.1").unwrap_or_else(|e| {
        eprintln!("loadgen: {e}");
        std::process::exit(2)
    });
    let body = Bytes::from(std::fs::read(&args.body).unwrap_or_else(|e| {
        eprintln!("loadgen: {}: {e}", args.body);
        std::process::exit(2)
    }));
    let threads = std::env::var("LOADGEN_THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().expect("a runtime");
    runtime.block_on(async move {
        let stop = Arc::new(AtomicBool::new(false));
        let reconnects = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..args.connections)
            .map(|i| {
                tokio::spawn(connection(
                    Arc::clone(&args),
                    connector.clone(),
                    body.clone(),
                    i,
                    start,
                    Arc::clone(&stop),
                    Arc::clone(&reconnects),
                ))
            })
            .collect();
        tokio::time::sleep(args.duration).await;
        stop.store(true, Ordering::Relaxed);
        let elapsed = start.elapsed().as_secs_f64();
        let mut all = Vec::new();
        let mut errors = 0;
        let mut first_error = None;
        for task in tasks {
            let outcome = task.await.expect("a connection task");
            all.extend(outcome.latencies_us);
            errors += outcome.errors;
            first_error = first_error.or(outcome.first_error);
        }
        all.sort_unstable();
        let mode = args.rate.map_or("closed loop".to_owned(), |r| format!("open loop at {r} req/s"));
        println!(
            "{mode}, {} connections, {elapsed:.1} s: {} ok, {errors} failed, {:.0} req/s; latency ms p50 {:.3} p90 {:.3} p99 {:.3} p99.9 {:.3} max {:.3}; {} connects",
            args.connections,
            all.len(),
            all.len() as f64 / elapsed,
            percentile(&all, 0.5),
            percentile(&all, 0.9),
            percentile(&all, 0.99),
            percentile(&all, 0.999),
            percentile(&all, 1.0),
            reconnects.load(Ordering::Relaxed),
        );
        if let Some(e) = first_error {
            println!("first error: {e}");
        }
        if errors > 0 {
            std::process::exit(1);
        }
    });
}
