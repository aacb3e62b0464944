//! What every request handler shares: the injector serving now (swapped
//! whole on reload) and the cluster state it injects with (swapped whole
//! when the cluster changes), the metrics, and whether the server is
//! draining.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use injit_inject::{ClusterState, Injector};
use tokio::sync::Semaphore;

use crate::admission::OnError;
use crate::answers::Answers;
use crate::budget::{Budget, SMALL_POOL};
use crate::metrics::Metrics;

/// A config being served: its injector, the cluster state it injects
/// with, and the answers computed under both.
pub struct Serving {
    pub injector: Arc<Injector>,
    pub cluster: Arc<ClusterState>,
    pub answers: Answers,
}

pub struct State {
    serving: RwLock<Arc<Serving>>,
    /// How many answers each config keeps for identical pods (0: none).
    answer_capacity: usize,
    generation: AtomicU64,
    draining: AtomicBool,
    /// Cleared while a cluster state is awaited: a replica that has not
    /// seen the cluster yet would inject differently from one that has.
    cluster_synced: AtomicBool,
    pub metrics: Arc<Metrics>,
    pub on_error: OnError,
    /// Injections run off the async workers, at most one per core at a
    /// time: more would only share the cores, and a request waiting here
    /// can still be answered before its deadline.
    pub workers: Arc<Semaphore>,
    /// The memory request bodies and parsed reviews may take.
    pub(crate) budget: Budget,
    /// Held while a large review is parsed and injected: that takes memory the
    /// budget does not count, a few times the parsed review's.
    pub(crate) large: Arc<Semaphore>,
}

impl State {
    /// `workers`: injections at once (`None`: one per core);
    /// `request_memory`: the bytes bodies and parsed reviews in flight may
    /// take, besides a reserve for small bodies.
    pub fn new(
        injector: Injector,
        on_error: OnError,
        answer_capacity: usize,
        workers: Option<usize>,
        request_memory: usize,
    ) -> State {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let workers = workers.unwrap_or(cores).max(1);
        let metrics = Arc::new(Metrics::default());
        report_backends(&metrics, &injector);
        State {
            serving: RwLock::new(Arc::new(serving(Arc::new(injector), Arc::default(), answer_capacity))),
            answer_capacity,
            generation: AtomicU64::new(1),
            draining: AtomicBool::new(false),
            cluster_synced: AtomicBool::new(true),
            metrics,
            on_error,
            workers: Arc::new(Semaphore::new(workers)),
            budget: Budget::new(request_memory, SMALL_POOL),
            large: Arc::new(Semaphore::new(1)),
        }
    }

    /// The config to use for one request (it stays alive for the request
    /// even if a reload replaces it meanwhile).
    pub fn serving(&self) -> Arc<Serving> {
        Arc::clone(&self.serving.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Serves `injector` from now on (with the cluster state serving now).
    pub fn swap(&self, injector: Injector) {
        report_backends(&self.metrics, &injector);
        let mut serving = self.serving.write().unwrap_or_else(|e| e.into_inner());
        *serving = Arc::new(self::serving(Arc::new(injector), Arc::clone(&serving.cluster), self.answer_capacity));
        drop(serving);
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Injects with `cluster` from now on (the ProxyConfig resources,
    /// Namespaces and Nodes a watcher last saw). Answers computed under the
    /// previous state are not reused, unless it is the same state: most
    /// events a watcher sees (a Node's heartbeat, a label) change nothing
    /// injection reads, and must not empty the answers kept.
    pub fn set_cluster_state(&self, cluster: Arc<ClusterState>) {
        let mut serving = self.serving.write().unwrap_or_else(|e| e.into_inner());
        if !(self.cluster_synced() && *serving.cluster == *cluster) {
            *serving = Arc::new(self::serving(Arc::clone(&serving.injector), cluster, self.answer_capacity));
        }
        self.cluster_synced.store(true, Ordering::Relaxed);
    }

    /// The cluster state injections use now (`ClusterState::default()`,
    /// nothing known, until one is set).
    pub fn cluster_state(&self) -> Arc<ClusterState> {
        Arc::clone(&self.serving().cluster)
    }

    /// How many configs have been served (1 for the first).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Readiness fails from the moment shutdown starts, so that endpoints
    /// stop routing here while in-flight requests finish.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Not ready until [`State::set_cluster_state`] is first called: for a
    /// server that injects with the cluster's state.
    pub fn await_cluster_state(&self) {
        self.cluster_synced.store(false, Ordering::Relaxed);
        self.metrics.cluster_state_age.set(-1);
    }

    /// The metrics in the text format, with each template's backend as it
    /// is now: under `--backend auto` a template moves to native code once
    /// hot, after the config was loaded.
    pub fn encode_metrics(&self) -> String {
        self.metrics.template_backends(
            self.serving().injector.backends().map(|(template, backend)| (template, backend.name())),
        );
        self.metrics.encode()
    }

    pub fn is_ready(&self) -> bool {
        self.unready_because().is_none()
    }

    /// Why readiness fails, if it does, as `/ready` says it.
    pub fn unready_because(&self) -> Option<&'static str> {
        if self.draining.load(Ordering::Relaxed) {
            Some("shutting down\n")
        } else if !self.cluster_synced() {
            Some("waiting for the first sync of the cluster's state\n")
        } else {
            None
        }
    }

    /// Whether injections have the cluster's state (or are not to wait
    /// for it): until then a pod would be injected without its
    /// ProxyConfigs and nodes, as istiod never does (it serves once its
    /// informers have synced).
    pub fn cluster_synced(&self) -> bool {
        self.cluster_synced.load(Ordering::Relaxed)
    }
}

/// Logs each template that asked for native code but runs on the
/// evaluator, and sets `injit_template_backend` for the config.
fn report_backends(metrics: &Metrics, injector: &Injector) {
    for (template, e) in injector.fallbacks() {
        tracing::warn!(kind = "config", template, "template {template:?} runs on the evaluator: {e}");
    }
    metrics.template_backends(injector.backends().map(|(template, backend)| (template, backend.name())));
}

fn serving(injector: Arc<Injector>, cluster: Arc<ClusterState>, answer_capacity: usize) -> Serving {
    // Templates that read the clock or randomness give every pod its own
    // sidecar: nothing is reused.
    let capacity = if injector.is_deterministic() { answer_capacity } else { 0 };
    Serving { injector, cluster, answers: Answers::new(capacity) }
}

#[cfg(test)]
mod tests {
    use injit_compiler::Backend;
    use injit_inject::{ConfigSource, Options, Sources};

    use super::State;

    fn injector(templates: &str, backend: Backend) -> injit_inject::Injector {
        let config = format!("policy: enabled\ntemplates:\n{templates}");
        let sources = Sources { config: Some(ConfigSource::new("config.yaml", config)), mesh: None, values: None };
        sources.build(Options { backend, ..Options::default() }).expect("the config builds")
    }

    /// A cluster state set by a watcher serves every request from then
    /// on, survives a config reload, and is not mixed with answers
    /// computed under the previous one.
    #[test]
    fn the_cluster_state_is_swapped_whole_and_kept_across_reloads() {
        let state =
            State::new(injector("  sidecar: 'spec: {}'\n", Backend::Jit), Default::default(), 8, Some(1), 1 << 20);
        assert!(state.cluster_state().nodes().is_none(), "nothing known at first");
        let node =
            serde_json::json!({"metadata": {"name": "n1"}, "status": {"nodeInfo": {"kubeletVersion": "v1.34.0"}}});
        let cluster = std::sync::Arc::new(injit_inject::ClusterState::listed(&[], &[], &[node]).unwrap());
        let before = state.serving();
        state.set_cluster_state(std::sync::Arc::clone(&cluster));
        let after = state.serving();
        assert!(std::sync::Arc::ptr_eq(&after.cluster, &cluster));
        assert!(std::sync::Arc::ptr_eq(&after.injector, &before.injector), "the same config");
        assert!(!std::ptr::eq(&after.answers, &before.answers), "answers start afresh");
        assert_eq!(state.generation(), 1, "not a new config");
        // The same state again (an event about nothing injection reads):
        // the answers kept stay.
        state.set_cluster_state(std::sync::Arc::new((*cluster).clone()));
        assert!(std::sync::Arc::ptr_eq(&state.serving(), &after), "the same state: nothing swapped");
        state.swap(injector("  sidecar: 'spec: {}'\n", Backend::Jit));
        assert!(std::sync::Arc::ptr_eq(&state.cluster_state(), &cluster), "a reload keeps the cluster state");
    }

    /// `injit_template_backend` names each template of the config serving
    /// and the backend it runs on, and follows a reload.
    #[test]
    fn the_template_backend_metric_follows_the_config_serving() {
        let first = injector("  sidecar: 'spec: {}'\n  extra: 'metadata: {}'\n", Backend::Jit);
        let state = State::new(first, Default::default(), 0, Some(1), 1 << 20);
        let metrics = state.metrics.encode();
        assert!(metrics.contains("injit_template_backend{template=\"sidecar\",backend=\"jit\"} 1"), "{metrics}");
        assert!(metrics.contains("injit_template_backend{template=\"extra\",backend=\"jit\"} 1"), "{metrics}");
        state.swap(injector("  sidecar: 'spec: {}'\n", Backend::Eval));
        let metrics = state.metrics.encode();
        assert!(metrics.contains("injit_template_backend{template=\"sidecar\",backend=\"eval\"} 1"), "{metrics}");
        assert!(!metrics.contains("backend=\"jit\""), "the previous config's are gone: {metrics}");
        assert!(!metrics.contains("template=\"extra\""), "the previous config's are gone: {metrics}");
    }

    /// Under `--backend auto`, `injit_template_backend` says the evaluator
    /// until the template is hot, and native code once it runs on it.
    #[test]
    fn the_template_backend_metric_follows_the_tier_of_the_moment() {
        let state =
            State::new(injector("  sidecar: 'spec: {}'\n", Backend::Auto), Default::default(), 0, Some(1), 1 << 20);
        let metrics = state.encode_metrics();
        assert!(metrics.contains("injit_template_backend{template=\"sidecar\",backend=\"eval\"} 1"), "{metrics}");
        let injector = state.serving().injector.clone();
        let set = injector.template("sidecar", &serde_json::json!({})).expect("the sidecar template");
        let start = std::time::Instant::now();
        while set.backend() != Backend::Jit {
            set.render(&injit_runtime::Data::Null, &mut Vec::new()).expect("renders");
            assert!(start.elapsed() < std::time::Duration::from_secs(60), "never moved to native code");
        }
        let metrics = state.encode_metrics();
        assert!(metrics.contains("injit_template_backend{template=\"sidecar\",backend=\"jit\"} 1"), "{metrics}");
        assert!(!metrics.contains("backend=\"eval\""), "the tier before is gone: {metrics}");
    }
}
