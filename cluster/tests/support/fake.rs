//! An in-process Kubernetes API server for tests: HTTP/1.1 on 127.0.0.1,
//! objects held in memory, GET of an object, lists and watch streams in
//! the API's wire format (`wire.rs`), and the failures a real server
//! gives: 403 for a forbidden resource, 410 for a compacted version, and
//! dropped connections while "down". It runs on a thread of its own, so
//! synchronous tests (the CLI's) and async ones use it alike.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::wire;

/// One stored object and where the API serves it.
#[derive(Clone)]
struct Stored {
    root: String,
    plural: String,
    namespace: Option<String>,
    name: String,
    object: Value,
}

/// A watch being served: what it filters on, and its body's sender.
struct Watcher {
    root: String,
    plural: String,
    namespace: Option<String>,
    send: mpsc::UnboundedSender<Result<Bytes, std::io::Error>>,
}

#[derive(Default)]
struct State {
    objects: Vec<Stored>,
    /// Every change, for watches that start from an older version.
    log: Vec<(u64, Stored, &'static str)>,
    version: u64,
    /// Watches from a version below this get 410.
    compacted: u64,
    watchers: Vec<Watcher>,
    /// Plurals whose every request is refused with 403.
    forbidden: Vec<String>,
    /// Plurals whose watches (only) are refused with 403.
    unwatchable: Vec<String>,
    /// Watches that went silent: open, never sent to again.
    stalled: Vec<Watcher>,
    /// Plurals the server does not serve (a CRD not installed): 404.
    missing: Vec<String>,
    /// When set, requests without `Authorization: Bearer TOKEN` get 401.
    token: Option<String>,
    down: bool,
    requests: Vec<String>,
}

/// The plural and group/version of the kinds tests store.
fn plural_of(kind: &str) -> String {
    match kind {
        "ProxyConfig" => "proxyconfigs".to_owned(),
        other => format!("{}s", other.to_lowercase()),
    }
}

fn root_of(api_version: &str) -> String {
    match api_version.split_once('/') {
        Some(_) => format!("/apis/{api_version}"),
        None => format!("/api/{api_version}"),
    }
}

impl State {
    fn bump(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    fn put(&mut self, mut object: Value) {
        let kind = object["kind"].as_str().expect("objects have a kind").to_owned();
        let api_version = object["apiVersion"].as_str().expect("objects have an apiVersion").to_owned();
        let name = object["metadata"]["name"].as_str().expect("objects have a name").to_owned();
        let namespace = object["metadata"]["namespace"].as_str().map(str::to_owned);
        let version = self.bump();
        object["metadata"]["resourceVersion"] = Value::String(version.to_string());
        let stored = Stored { root: root_of(&api_version), plural: plural_of(&kind), namespace, name, object };
        let existing = self.objects.iter().position(|s| same(s, &stored));
        let change = match existing {
            Some(i) => {
                self.objects[i] = stored.clone();
                "MODIFIED"
            }
            None => {
                self.objects.push(stored.clone());
                "ADDED"
            }
        };
        self.notify(version, stored, change);
    }

    fn delete(&mut self, kind: &str, namespace: Option<&str>, name: &str) {
        let plural = plural_of(kind);
        let Some(i) = self
            .objects
            .iter()
            .position(|s| s.plural == plural && s.namespace.as_deref() == namespace && s.name == name)
        else {
            return;
        };
        let mut stored = self.objects.remove(i);
        let version = self.bump();
        stored.object["metadata"]["resourceVersion"] = Value::String(version.to_string());
        self.notify(version, stored, "DELETED");
    }

    fn notify(&mut self, version: u64, stored: Stored, change: &'static str) {
        let line = line(&wire::event(change, &stored.object));
        self.watchers.retain(|w| !matches(w, &stored) || w.send.send(Ok(line.clone())).is_ok());
        self.log.push((version, stored, change));
    }
}

fn same(a: &Stored, b: &Stored) -> bool {
    a.root == b.root && a.plural == b.plural && a.namespace == b.namespace && a.name == b.name
}

fn matches(w: &Watcher, s: &Stored) -> bool {
    w.root == s.root && w.plural == s.plural && (w.namespace.is_none() || w.namespace == s.namespace)
}

fn line(v: &Value) -> Bytes {
    let mut text = serde_json::to_vec(v).expect("JSON");
    text.push(b'\n');
    Bytes::from(text)
}

/// The fake API server. Stops when dropped.
pub struct FakeApi {
    pub addr: SocketAddr,
    /// The CA of its serving certificate, when it speaks HTTPS.
    pub ca_pem: Option<String>,
    state: Arc<Mutex<State>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeApi {
    /// Plain HTTP.
    pub fn start() -> FakeApi {
        FakeApi::start_with(None)
    }

    /// HTTPS with a certificate for 127.0.0.1 from a fresh CA, as real API
    /// servers speak.
    pub fn start_tls() -> FakeApi {
        FakeApi::start_with(Some(super::tls::serving()))
    }

    fn start_with(tls: Option<super::tls::Serving>) -> FakeApi {
        let state = Arc::new(Mutex::new(State::default()));
        let (stop, stopped) = oneshot::channel();
        let (bound, addr) = std::sync::mpsc::channel();
        let served = state.clone();
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        let acceptor = tls.map(|t| t.acceptor);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(serve(served, acceptor, bound, stopped));
        });
        let addr = addr.recv().expect("the fake API server binds");
        FakeApi { addr, ca_pem, state, stop: Some(stop), thread: Some(thread) }
    }

    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Requires `Authorization: Bearer TOKEN` from now on (401 otherwise).
    pub fn require_token(&self, token: &str) {
        self.state.lock().unwrap().token = Some(token.to_owned());
    }

    /// Creates or replaces an object (ADDED or MODIFIED to watchers).
    pub fn put(&self, object: Value) {
        self.state.lock().unwrap().put(object);
    }

    pub fn delete(&self, kind: &str, namespace: Option<&str>, name: &str) {
        self.state.lock().unwrap().delete(kind, namespace, name);
    }

    /// Refuses every request on `plural` with 403.
    pub fn forbid(&self, plural: &str) {
        self.state.lock().unwrap().forbidden.push(plural.to_owned());
    }

    /// Serves no `plural` (404 for its paths), as when its CRD is not
    /// installed; `install` undoes it.
    pub fn uninstall(&self, plural: &str) {
        self.state.lock().unwrap().missing.push(plural.to_owned());
    }

    pub fn install(&self, plural: &str) {
        self.state.lock().unwrap().missing.retain(|p| p != plural);
    }

    /// Refuses watches of `plural` with 403, as a role granting only
    /// `get` and `list` does.
    pub fn forbid_watch(&self, plural: &str) {
        self.state.lock().unwrap().unwatchable.push(plural.to_owned());
    }

    /// Every open watch goes silent, as when the API server's node dies
    /// or a middlebox drops the flow: no error, no end, no more events.
    pub fn stall_watches(&self) {
        let mut state = self.state.lock().unwrap();
        let watchers: Vec<Watcher> = state.watchers.drain(..).collect();
        state.stalled.extend(watchers);
    }

    /// Undoes [`FakeApi::forbid`].
    pub fn allow(&self, plural: &str) {
        self.state.lock().unwrap().forbidden.retain(|p| p != plural);
    }

    /// Forgets the change log up to now, as etcd's compaction does: a
    /// watch from an older version gets 410 Gone (open watches go on).
    pub fn compact(&self) {
        let mut state = self.state.lock().unwrap();
        state.compacted = state.version;
    }

    /// Breaks every open watch mid-stream, as a dropped connection does.
    pub fn drop_watches(&self) {
        for w in self.state.lock().unwrap().watchers.drain(..) {
            let _ = w.send.send(Err(std::io::Error::other("connection dropped")));
        }
    }

    /// While down, open watches break mid-stream and every new connection
    /// is closed unanswered.
    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
        if down {
            self.drop_watches();
        }
    }

    /// Sends a BOOKMARK at the current version to every open watch.
    pub fn bookmark(&self) {
        let mut state = self.state.lock().unwrap();
        let version = state.version;
        state.watchers.retain(|w| {
            let line = line(&wire::bookmark("Object", "v1", version));
            w.send.send(Ok(line)).is_ok()
        });
    }

    /// Every request so far, as `GET /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// A kubeconfig in `dir` whose `context` points at this server (with
    /// its CA, when it speaks HTTPS).
    pub fn kubeconfig(&self, dir: &Path, context: &str) -> PathBuf {
        self.kubeconfig_with_token(dir, context, None)
    }

    /// The same, with a bearer token for the user.
    pub fn kubeconfig_with_token(&self, dir: &Path, context: &str, token: Option<&str>) -> PathBuf {
        let mut cluster = String::new();
        if let Some(ca) = &self.ca_pem {
            let path = dir.join(format!("{context}-ca.crt"));
            std::fs::write(&path, ca).expect("the CA is written");
            cluster = format!("\n    certificate-authority: {}", path.display());
        }
        let user = token.map_or("{}".to_owned(), |t| format!("{{token: {t}}}"));
        write_kubeconfig_with(dir, &self.url(), context, &cluster, &user)
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A kubeconfig file with one context for `server`.
pub fn write_kubeconfig(dir: &Path, server: &str, context: &str) -> PathBuf {
    write_kubeconfig_with(dir, server, context, "", "{}")
}

/// `cluster` is more of the cluster's fields, `user` the user's map.
fn write_kubeconfig_with(dir: &Path, server: &str, context: &str, cluster: &str, user: &str) -> PathBuf {
    let path = dir.join(format!("{context}.kubeconfig"));
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {server}{cluster}\n\
         contexts:\n- name: {context}\n  context:\n    cluster: fake\n    user: tester\n\
         current-context: {context}\nusers:\n- name: tester\n  user: {user}\n"
    );
    std::fs::write(&path, text).expect("the kubeconfig is written");
    path
}

async fn serve(
    state: Arc<Mutex<State>>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    bound: std::sync::mpsc::Sender<SocketAddr>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    bound.send(listener.local_addr().unwrap()).unwrap();
    loop {
        let (socket, _) = tokio::select! {
            accepted = listener.accept() => match accepted { Ok(a) => a, Err(_) => continue },
            _ = &mut stop => return,
        };
        if state.lock().unwrap().down {
            drop(socket);
            continue;
        }
        let state = state.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| answer(state.clone(), req));
            let http = hyper::server::conn::http1::Builder::new();
            let _ = match tls {
                Some(tls) => match tls.accept(socket).await {
                    Ok(stream) => http.serve_connection(TokioIo::new(stream), service).await,
                    Err(_) => return,
                },
                None => http.serve_connection(TokioIo::new(socket), service).await,
            };
        });
    }
}

/// A response body: whole, or a watch stream fed by a channel.
enum ApiBody {
    Whole(Full<Bytes>),
    Stream(mpsc::UnboundedReceiver<Result<Bytes, std::io::Error>>),
}

impl Body for ApiBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            ApiBody::Whole(full) => Pin::new(full).poll_frame(cx).map_err(|never: Infallible| match never {}),
            ApiBody::Stream(rx) => rx.poll_recv(cx).map(|item| item.map(|r| r.map(Frame::data))),
        }
    }
}

fn json_response(code: u16, body: &Value) -> Response<ApiBody> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .header("content-type", "application/json")
        .body(ApiBody::Whole(Full::new(Bytes::from(serde_json::to_vec(body).unwrap()))))
        .unwrap()
}

/// What a path asks for.
struct Target {
    root: String,
    plural: String,
    namespace: Option<String>,
    name: Option<String>,
}

fn parse_path(path: &str) -> Option<Target> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (root, rest) = match segments.as_slice() {
        ["api", v, rest @ ..] => (format!("/api/{v}"), rest),
        ["apis", g, v, rest @ ..] => (format!("/apis/{g}/{v}"), rest),
        _ => return None,
    };
    let owned = |s: &&str| s.to_string();
    let (plural, namespace, name) = match rest {
        [plural] => (owned(plural), None, None),
        [plural, name] => (owned(plural), None, Some(owned(name))),
        ["namespaces", ns, plural] => (owned(plural), Some(owned(ns)), None),
        ["namespaces", ns, plural, name] => (owned(plural), Some(owned(ns)), Some(owned(name))),
        _ => return None,
    };
    Some(Target { root, plural, namespace, name })
}

fn query(req: &Request<Incoming>) -> BTreeMap<String, String> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decoded(v)))
        .collect()
}

/// A query value as sent (`app%3Dx` is `app=x`; `+` is a space).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `object`'s labels match a label selector's equality and
/// existence terms (`a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-ANDed), the
/// forms kubectl's `-l` takes besides set terms.
fn selected(selector: Option<&str>, object: &Value) -> bool {
    let labels = &object["metadata"]["labels"];
    let label = |key: &str| labels.get(key.trim()).and_then(Value::as_str);
    selector.unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty()).all(|term| {
        if let Some((k, v)) = term.split_once("!=") {
            label(k) != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            label(k) == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            label(k).is_none()
        } else {
            label(term).is_some()
        }
    })
}

async fn answer(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Result<Response<ApiBody>, Infallible> {
    let mut state_guard = state.lock().unwrap();
    let state = &mut *state_guard;
    // Down: a request on a connection kept alive from before breaks too
    // (a watch opened here now would never be dropped by `set_down`).
    if state.down {
        let (send, receive) = mpsc::unbounded_channel();
        let _ = send.send(Err(std::io::Error::other("the API server is down")));
        return Ok(Response::builder().status(200).body(ApiBody::Stream(receive)).unwrap());
    }
    state.requests.push(format!("{} {}", req.method(), req.uri()));
    if let Some(token) = &state.token {
        let bearer = format!("Bearer {token}");
        if req.headers().get("authorization").and_then(|v| v.to_str().ok()) != Some(bearer.as_str()) {
            return Ok(json_response(401, &wire::unauthorized()));
        }
    }
    let Some(target) = parse_path(req.uri().path()) else {
        return Ok(json_response(404, &wire::no_such_path()));
    };
    if state.missing.contains(&target.plural) {
        return Ok(json_response(404, &wire::no_such_path()));
    }
    let q = query(&req);
    let watching = q.get("watch").is_some_and(|w| w == "true" || w == "1");
    let verb = match (&target.name, watching) {
        (Some(_), _) => "get",
        (None, true) => "watch",
        (None, false) => "list",
    };
    if state.forbidden.contains(&target.plural) || (verb == "watch" && state.unwatchable.contains(&target.plural)) {
        let group = target.root.strip_prefix("/apis/").and_then(|g| g.split('/').next()).unwrap_or("");
        let body = wire::forbidden(
            "system:serviceaccount:default:tester",
            verb,
            &target.plural,
            group,
            target.namespace.as_deref(),
            target.name.as_deref(),
        );
        return Ok(json_response(403, &body));
    }
    let in_scope = |s: &Stored| {
        s.root == target.root
            && s.plural == target.plural
            && (target.namespace.is_none() || s.namespace == target.namespace)
    };
    if let Some(name) = &target.name {
        // `namespaces/NAME` and `nodes/NAME` are cluster-scoped gets.
        let found = state.objects.iter().find(|s| in_scope(s) && &s.name == name);
        return Ok(match found {
            Some(s) => json_response(200, &s.object),
            None => {
                let group = target.root.strip_prefix("/apis/").and_then(|g| g.split('/').next()).unwrap_or("");
                json_response(404, &wire::not_found(&target.plural, group, name))
            }
        });
    }
    let (kind, api_version) = list_kind(&target);
    if !watching {
        let items = state
            .objects
            .iter()
            .filter(|s| in_scope(s) && selected(q.get("labelSelector").map(String::as_str), &s.object))
            .map(|s| {
                let mut item = s.object.clone();
                // Built-in kinds' list items carry no type; custom resources' do.
                if target.root.starts_with("/api/") {
                    let map = item.as_object_mut().unwrap();
                    map.remove("kind");
                    map.remove("apiVersion");
                }
                item
            })
            .collect();
        return Ok(json_response(200, &wire::list(&kind, &api_version, state.version, items)));
    }
    let from: u64 = q.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
    let (send, receive) = mpsc::unbounded_channel();
    if from < state.compacted {
        let _ = send.send(Ok(line(&wire::expired(from, state.compacted))));
    } else {
        let watcher = Watcher { root: target.root, plural: target.plural, namespace: target.namespace, send };
        for (version, stored, change) in &state.log {
            if *version > from && matches(&watcher, stored) {
                let _ = watcher.send.send(Ok(line(&wire::event(change, &stored.object))));
            }
        }
        state.watchers.push(watcher);
    }
    let response = Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(ApiBody::Stream(receive))
        .unwrap();
    Ok(response)
}

/// The list kind and apiVersion of a collection.
fn list_kind(target: &Target) -> (String, String) {
    let kind = match target.plural.as_str() {
        "configmaps" => "ConfigMap",
        "namespaces" => "Namespace",
        "nodes" => "Node",
        "proxyconfigs" => "ProxyConfig",
        "pods" => "Pod",
        "deployments" => "Deployment",
        "mutatingwebhookconfigurations" => "MutatingWebhookConfiguration",
        other => other,
    };
    let api_version = target.root.trim_start_matches("/apis/").trim_start_matches("/api/").to_owned();
    (kind.to_owned(), api_version)
}
