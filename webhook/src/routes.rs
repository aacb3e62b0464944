//! The HTTP surface: `POST /inject[/<key>/<value>…]`, `GET /ready`,
//! `/healthz`, `/metrics`, with the webhook contract's answers to bad
//! requests (415, 400, 413) and the API server's `?timeout=` honoured.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request as HttpRequest, Response as HttpResponse, StatusCode, Version};

use crate::admission::Decision;
use crate::budget::{Charge, SMALL_BODY, Short};
use crate::in_time::admit_in_time;
use crate::metrics::{DecisionLabel, Reason};
use crate::review::ReviewRequest;
use crate::scan;
use crate::state::State;

/// The largest body read, as the API server's own limit for a request
/// (3 MiB objects, doubled for the review around them).
pub const MAX_BODY: u64 = 6 << 20;

/// The most JSON values a review may hold. A pod of 20,000 containers
/// holds about 200,000; a 6 MB array of zeros, 3 million (and takes 100 MB
/// once parsed).
pub const MAX_JSON_VALUES: usize = 1_000_000;

/// A review this large once parsed (a pod of about 2,000 containers) is
/// parsed and injected while no other such review is.
const LARGE_REVIEW: usize = 4 << 20;

/// How long a request holding its body waits for its parsed review's
/// memory.
const PARSE_WAIT: Duration = Duration::from_secs(1);

/// The largest review whose answer is kept for identical pods (its pod
/// is copied to be kept; a larger one is handed over to injection).
pub const MAX_REUSED_BODY: usize = 64 << 10;

/// What the API server waits when it sends no `timeout` (its default and
/// maximum for webhooks is 30 s; most configurations say 10 s).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The most of a refused HTTP/2 request's body read away before the
/// refusal is sent (past it, the stream is reset after the answer).
const DRAIN_LIMIT: usize = 2 * MAX_BODY as usize;

/// The longest a refused HTTP/2 request's body is read away.
const DRAIN_TIME: Duration = Duration::from_secs(10);

pub(crate) type HttpBody = Full<Bytes>;

/// Which routes a listener serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Routes {
    /// Admission, health and metrics (the HTTPS port).
    All,
    /// Health and metrics only (the plain-HTTP metrics port).
    Monitoring,
}

/// Answers `request`, from `peer` (its address, whose share of the
/// request memory is bounded).
pub(crate) async fn serve(
    state: Arc<State>,
    routes: Routes,
    peer: Option<IpAddr>,
    request: HttpRequest<Incoming>,
) -> Result<HttpResponse<HttpBody>, Infallible> {
    let path = request.uri().path();
    let response = match (request.method(), path) {
        (&Method::GET, "/ready") => match state.unready_because() {
            None => text(StatusCode::OK, "ready\n"),
            Some(why) => text(StatusCode::SERVICE_UNAVAILABLE, why),
        },
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/metrics") => {
            let mut response = HttpResponse::new(Full::new(Bytes::from(state.encode_metrics())));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            );
            response
        }
        (&Method::POST, p) if routes == Routes::All && is_inject_path(p) => inject(&state, peer, request).await,
        (_, "/ready" | "/healthz" | "/metrics") => text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
        (_, p) if routes == Routes::All && is_inject_path(p) => {
            text(StatusCode::METHOD_NOT_ALLOWED, "admission reviews are POSTed\n")
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(response)
}

fn is_inject_path(path: &str) -> bool {
    path == "/inject" || path.starts_with("/inject/")
}

fn text(status: StatusCode, body: &'static str) -> HttpResponse<HttpBody> {
    let mut response = HttpResponse::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// A refusal of the HTTP request itself (not an admission answer). An
/// HTTP/1 connection is closed after it when the body was not read to its
/// end (HTTP/2 forbids the header: its unread bodies are drained, see
/// `drain`).
fn refuse(status: StatusCode, message: String, close: bool) -> HttpResponse<HttpBody> {
    tracing::warn!(status = status.as_u16(), "{message}");
    let mut response = HttpResponse::new(Full::new(Bytes::from(message + "\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    if close {
        response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// The API server's `?timeout=10s` (a Go duration).
fn timeout(query: Option<&str>) -> Duration {
    let value = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("timeout="))
        .and_then(|v| injit_runtime::gotime::parse_duration(v).ok())
        .filter(|nanos| *nanos > 0);
    value.map_or(DEFAULT_TIMEOUT, |nanos| Duration::from_nanos(nanos as u64).min(DEFAULT_TIMEOUT))
}

/// Reads and drops the unread body of an HTTP/2 request refused before
/// reading it, up to `DRAIN_LIMIT` bytes and `DRAIN_TIME`: a response
/// followed by RST_STREAM (which RFC 9113 allows) is dropped by clients
/// still sending, curl among them; a stream whose body was read to its end
/// closes without a reset.
async fn drain(mut body: Incoming) {
    // Not bounded by the request's deadline: a request refused for being
    // late is answered all the same.
    let until = tokio::time::Instant::now() + DRAIN_TIME;
    let mut read = 0;
    let reading = async {
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, Bytes::len);
            if read > DRAIN_LIMIT {
                return;
            }
        }
    };
    let _ = tokio::time::timeout_at(until, reading).await;
}

async fn inject(state: &Arc<State>, peer: Option<IpAddr>, request: HttpRequest<Incoming>) -> HttpResponse<HttpBody> {
    let http1 = request.version() < Version::HTTP_2;
    let start = Instant::now();
    let deadline = start + timeout(request.uri().query());
    // Refused before the body is read: HTTP/1 closes the connection after
    // the answer, HTTP/2 reads the body away first.
    let early = async |request: HttpRequest<Incoming>, status, message| {
        if !http1 {
            drain(request.into_body()).await;
        }
        refuse(status, message, http1)
    };
    if !is_json(request.headers().get(CONTENT_TYPE)) {
        let got = request.headers().get(CONTENT_TYPE).map_or("none".into(), |v| String::from_utf8_lossy(v.as_bytes()));
        let message = format!("Content-Type is {got:?}, expected \"application/json\"");
        return early(request, StatusCode::UNSUPPORTED_MEDIA_TYPE, message).await;
    }
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) || request.body().size_hint().lower() > MAX_BODY {
        let message = format!("the request body is larger than {MAX_BODY} bytes");
        return early(request, StatusCode::PAYLOAD_TOO_LARGE, message).await;
    }
    let refuse = |status, message, close| refuse(status, message, close && http1);
    let path = match crate::path_envs::decoded(request.uri().path()) {
        Ok(path) => path,
        Err(message) => return early(request, StatusCode::BAD_REQUEST, message).await,
    };
    let until = tokio::time::Instant::from_std(deadline);
    let small = declared.is_some_and(|n| n <= SMALL_BODY as u64);
    let mut charge = Charge::of(peer);
    // A declared body's memory is had before a byte of it is read: bodies
    // that stall hold budget, not memory.
    if let Some(n) = declared
        && let Err(short) = state.budget.take(&mut charge, n as usize, small, until).await
    {
        let (status, message) = no_memory(state, &short);
        return early(request, status, message).await;
    }
    let body = match read_body(state, request.into_body(), declared, &mut charge, until).await {
        Ok(body) => body,
        Err(Unread::TooLarge) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {MAX_BODY} bytes"),
                true,
            );
        }
        Err(Unread::Failed(e)) => {
            return refuse(StatusCode::BAD_REQUEST, format!("reading the request body: {e}"), true);
        }
        Err(Unread::Late) => {
            return refuse(StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time".to_owned(), true);
        }
        Err(Unread::NoMemory(short)) => {
            let (status, message) = no_memory(state, &short);
            return refuse(status, message, true);
        }
    };
    if body.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "the request body is empty".to_owned(), false);
    }
    // What parsing will take, known before parsing: absurd element counts
    // are refused, and the rest waits for its memory like the body did.
    let shape = scan::measure(&body);
    if shape.values > MAX_JSON_VALUES {
        state.metrics.requests_refused.get_or_create(&Reason { reason: "too_many_values" }).inc();
        let message = format!("the review holds {} JSON values; at most {MAX_JSON_VALUES} are accepted", shape.values);
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, message, false);
    }
    // Waited for a moment only: this request holds its body's memory
    // meanwhile, and requests holding bodies while each waits for what
    // the others hold would all wait to their deadlines. Giving up frees
    // a body for the next in line.
    let parse_by = until.min(tokio::time::Instant::now() + PARSE_WAIT);
    if let Err(short) = state.budget.take(&mut charge, shape.parsed_bytes, small, parse_by).await {
        let (status, message) = no_memory(state, &short);
        return refuse(status, message, false);
    }
    // A large review is parsed only once no other is being parsed or
    // injected: its injection takes a few times its parsed size more,
    // which the budget does not count. (Its memory is had first, so that
    // the review holding this never waits for budget held by those
    // waiting for it.)
    let large = if shape.parsed_bytes >= LARGE_REVIEW {
        match tokio::time::timeout_at(until, Arc::clone(&state.large).acquire_owned()).await {
            Ok(Ok(permit)) => Some(permit),
            _ => {
                state.metrics.requests_refused.get_or_create(&Reason { reason: "no_memory" }).inc();
                let message = "the server is busy with another large review: this one could not start before its \
                               deadline; retry"
                    .to_owned();
                return refuse(StatusCode::SERVICE_UNAVAILABLE, message, false);
            }
        }
    } else {
        None
    };
    // Large pods are not kept for reuse (the table is bounded in answers
    // and in bytes, `answers::MAX_BYTES`: a large pod would crowd out the
    // replicas reuse is for).
    let reusable = body.len() <= MAX_REUSED_BODY && large.is_none();
    let review = match ReviewRequest::parse(&body) {
        Ok(review) => review,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, format!("not an admission review: {}", e.0), false),
    };
    let sent_pod = if reusable { review.object_json(&body).map(Box::from) } else { None };
    drop(body);
    state.metrics.requests.inc();
    let pod = review.pod_name();
    let (uid, api_version, namespace) = (review.uid.clone(), review.api_version.clone(), review.namespace.clone());
    let (response, decision) = admit_in_time(state, review, sent_pod, path, deadline, reusable, large).await;
    let elapsed = start.elapsed();
    record(state, &decision, elapsed);
    let reason = match &decision {
        Decision::Skipped(r) | Decision::Failed(r) => *r,
        _ => "",
    };
    let message = response.message.as_deref().or(response.warnings.first().map(String::as_str)).unwrap_or("");
    let micros = elapsed.as_micros() as u64;
    match decision {
        Decision::Failed(_) => {
            tracing::warn!(uid, namespace, pod, decision = decision.label(), reason, duration_us = micros, "{message}")
        }
        _ => tracing::info!(uid, namespace, pod, decision = decision.label(), reason, duration_us = micros, "admitted"),
    }
    let mut http = HttpResponse::new(Full::new(Bytes::from(response.review_json(&api_version, &uid))));
    http.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // The review's memory is given back once it is answered.
    drop(charge);
    http
}

/// Why a body was not read whole.
enum Unread {
    TooLarge,
    Late,
    NoMemory(Short),
    Failed(hyper::Error),
}

/// Reads a body of at most `MAX_BODY` bytes by `until`. A body of unknown
/// length is charged to the budget as its buffer grows.
async fn read_body(
    state: &State,
    mut incoming: Incoming,
    declared: Option<u64>,
    charge: &mut Charge,
    until: tokio::time::Instant,
) -> Result<Vec<u8>, Unread> {
    let max = MAX_BODY as usize;
    // Declared: the budget is already held, and the length enforced by
    // hyper, so the buffer never grows.
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    let reading = async {
        while let Some(frame) = incoming.frame().await {
            let Ok(data) = frame.map_err(Unread::Failed)?.into_data() else { continue };
            let wanted = body.len() + data.len();
            if wanted > max {
                return Err(Unread::TooLarge);
            }
            if wanted > body.capacity() {
                let capacity = wanted.max(body.capacity() * 2).min(max);
                // A body of unknown length (or longer than declared, which
                // hyper refuses first).
                state.budget.take(charge, capacity - body.capacity(), false, until).await.map_err(Unread::NoMemory)?;
                body.reserve_exact(capacity - body.len());
            }
            body.extend_from_slice(&data);
        }
        Ok(())
    };
    match tokio::time::timeout_at(until, reading).await {
        Ok(Ok(())) => Ok(body),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Unread::Late),
    }
}

/// The answer to a request that got no memory, counted.
fn no_memory(state: &State, short: &Short) -> (StatusCode, String) {
    let mib = |bytes: usize| bytes.div_ceil(1 << 20);
    let (reason, status, message) = match *short {
        Short::Never { needed, pool } => (
            "too_large_parsed",
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the review would take about {} MiB of memory once parsed; requests may take {} MiB at most",
                mib(needed),
                mib(pool)
            ),
        ),
        Short::Late { needed } => (
            "no_memory",
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the server is busy: the {} KiB of memory this request needs were not free before its deadline; \
                 retry",
                needed.div_ceil(1024)
            ),
        ),
    };
    state.metrics.requests_refused.get_or_create(&Reason { reason }).inc();
    (status, message)
}

fn record(state: &State, decision: &Decision, elapsed: Duration) {
    let metrics = &state.metrics;
    match decision {
        Decision::Injected => {
            metrics.successes.inc();
            metrics.injection_time.observe(elapsed.as_secs_f64());
        }
        Decision::Skipped(reason) => {
            metrics.skips.get_or_create(&Reason { reason }).inc();
        }
        Decision::Failed(reason) => {
            metrics.failures.get_or_create(&Reason { reason }).inc();
        }
        Decision::Ignored => {}
    }
    metrics.latency.get_or_create(&DecisionLabel { decision: decision.label() }).observe(elapsed.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_servers_timeout_is_read_as_a_go_duration() {
        assert_eq!(timeout(Some("timeout=10s")), Duration::from_secs(10));
        assert_eq!(timeout(Some("a=b&timeout=1500ms")), Duration::from_millis(1500));
        assert_eq!(timeout(Some("timeout=nonsense")), DEFAULT_TIMEOUT);
        assert_eq!(timeout(Some("timeout=-3s")), DEFAULT_TIMEOUT);
        assert_eq!(timeout(None), DEFAULT_TIMEOUT);
    }

    #[test]
    fn only_json_bodies_are_admission_reviews() {
        let json = |s: &'static str| is_json(Some(&HeaderValue::from_static(s)));
        assert!(json("application/json"));
        assert!(json("Application/JSON; charset=utf-8"));
        assert!(!json("text/plain"));
        assert!(!json("application/jsonx"));
        assert!(!is_json(None));
    }
}
