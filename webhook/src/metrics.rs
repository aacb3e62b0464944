//! Prometheus metrics: Istio's injection metric names (so existing
//! dashboards and alerts keep working), a latency histogram fine enough
//! for a sub-millisecond webhook, and reload outcomes.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabel {
    pub decision: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadResult {
    pub kind: &'static str,
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TemplateBackend {
    pub template: String,
    pub backend: &'static str,
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    pub requests: Counter,
    pub successes: Counter,
    pub skips: Family<Reason, Counter>,
    pub failures: Family<Reason, Counter>,
    pub injection_time: Histogram,
    pub latency: Family<DecisionLabel, Histogram>,
    pub reloads: Family<ReloadResult, Counter>,
    /// Answers reused for pods identical to one answered before.
    pub reused: Counter,
    /// When the serving certificate expires (Unix seconds).
    pub certificate_expiry: Gauge,
    /// HTTPS connections open.
    pub connections: Gauge,
    /// HTTPS connections the server closed, by reason.
    pub connections_closed: Family<Reason, Counter>,
    /// Requests being answered.
    pub requests_in_flight: Gauge,
    /// Requests refused before their review was parsed, by reason.
    pub requests_refused: Family<Reason, Counter>,
    /// 1 for each template of the config serving and the backend it runs
    /// on (`jit`, or `eval` when asked for or when native code could not
    /// be generated).
    pub template_backends: Family<TemplateBackend, Gauge>,
    /// Seconds since the cluster state was last known current (-1 before
    /// the first sync; absent without a cluster).
    pub cluster_state_age: Gauge,
}

fn latency_histogram() -> Histogram {
    Histogram::new([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Counter::default();
        let successes = Counter::default();
        let skips = Family::<Reason, Counter>::default();
        let failures = Family::<Reason, Counter>::default();
        let injection_time = Histogram::new([0.1, 1.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0]);
        let latency = Family::<DecisionLabel, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let reloads = Family::<ReloadResult, Counter>::default();
        let reused = Counter::default();
        let certificate_expiry = Gauge::default();
        let connections = Gauge::default();
        let connections_closed = Family::<Reason, Counter>::default();
        let requests_in_flight = Gauge::default();
        let cluster_state_age = Gauge::default();
        let requests_refused = Family::<Reason, Counter>::default();
        let template_backends = Family::<TemplateBackend, Gauge>::default();
        registry.register(
            "sidecar_injection_requests",
            "Total number of sidecar injection requests.",
            requests.clone(),
        );
        registry.register(
            "sidecar_injection_success",
            "Total number of successful sidecar injection requests.",
            successes.clone(),
        );
        registry.register(
            "sidecar_injection_skip",
            "Total number of skipped sidecar injection requests, by reason.",
            skips.clone(),
        );
        registry.register(
            "sidecar_injection_failure",
            "Total number of failed sidecar injection requests, by reason.",
            failures.clone(),
        );
        registry.register(
            "sidecar_injection_time_seconds",
            "Total time taken for injection in seconds.",
            injection_time.clone(),
        );
        registry.register(
            "injit_admission_duration_seconds",
            "Time to answer an admission review, by decision.",
            latency.clone(),
        );
        registry.register("injit_reloads", "Config and certificate reloads, by outcome.", reloads.clone());
        registry.register(
            "injit_answers_reused",
            "Answers reused for pods identical to one answered before.",
            reused.clone(),
        );
        registry.register(
            "injit_certificate_expiry_timestamp_seconds",
            "When the serving certificate expires, in seconds since the Unix epoch.",
            certificate_expiry.clone(),
        );
        registry.register("injit_connections", "HTTPS connections open.", connections.clone());
        registry.register(
            "injit_connections_closed",
            "HTTPS connections closed by the server: evicted (idle, to make room for a newcomer), \
             refused (on arrival: every connection busy), refused_peer (on arrival: the client's share \
             busy), no_request (no request within 10 s of connecting).",
            connections_closed.clone(),
        );
        registry.register("injit_requests_in_flight", "HTTP requests being answered.", requests_in_flight.clone());
        registry.register(
            "injit_requests_refused",
            "Requests refused before their review was parsed: too_many_values, too_large_parsed \
             (more memory than requests may take), no_memory (none free before the deadline).",
            requests_refused.clone(),
        );
        registry.register(
            "injit_cluster_state_age_seconds",
            "Seconds since the cluster state (ProxyConfigs, Namespaces, Nodes) was last known current: grows while \
             the API server is unreachable and injections use the last state seen; -1 before the first sync.",
            cluster_state_age.clone(),
        );
        registry.register(
            "injit_template_backend",
            "1 for each template of the config serving, labelled with the backend its renders run on when \
             scraped: jit (native code), or eval (the evaluator: asked for with --backend eval, not yet hot under \
             --backend auto, or native code could not be generated).",
            template_backends.clone(),
        );
        Metrics {
            registry,
            requests,
            successes,
            skips,
            failures,
            injection_time,
            latency,
            reloads,
            reused,
            certificate_expiry,
            connections,
            connections_closed,
            requests_in_flight,
            requests_refused,
            template_backends,
            cluster_state_age,
        }
    }
}

impl Metrics {
    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn connection_closed(&self, reason: &'static str) {
        self.connections_closed.get_or_create(&Reason { reason }).inc();
    }

    /// The templates of the config now serving and the backend each runs
    /// on, replacing the previous config's.
    pub fn template_backends<'a>(&self, backends: impl Iterator<Item = (&'a str, &'static str)>) {
        self.template_backends.clear();
        for (template, backend) in backends {
            self.template_backends.get_or_create(&TemplateBackend { template: template.to_owned(), backend }).set(1);
        }
    }

    pub fn reload(&self, kind: &'static str, ok: bool) {
        self.reloads.get_or_create(&ReloadResult { kind, result: if ok { "ok" } else { "rejected" } }).inc();
    }

    /// Files that could not be read for two polls in a row.
    pub fn reload_unreadable(&self, kind: &'static str) {
        self.reloads.get_or_create(&ReloadResult { kind, result: "unreadable" }).inc();
    }
}
