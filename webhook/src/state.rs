//! What every request handler shares: the injector serving now (swapped
//! whole on reload), the metrics, and whether the server is draining.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use injit_inject::Injector;
use tokio::sync::Semaphore;

use crate::admission::OnError;
use crate::metrics::Metrics;

pub struct State {
    injector: RwLock<Arc<Injector>>,
    generation: AtomicU64,
    draining: AtomicBool,
    pub metrics: Metrics,
    pub on_error: OnError,
    /// Injections run off the async workers, at most one per core at a
    /// time: more would only share the cores, and a request waiting here
    /// can still be answered before its deadline.
    pub workers: Arc<Semaphore>,
}

impl State {
    pub fn new(injector: Injector, on_error: OnError) -> State {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        State {
            injector: RwLock::new(Arc::new(injector)),
            generation: AtomicU64::new(1),
            draining: AtomicBool::new(false),
            metrics: Metrics::default(),
            on_error,
            workers: Arc::new(Semaphore::new(cores)),
        }
    }

    /// The injector to use for one request (it stays alive for the request
    /// even if a reload replaces it meanwhile).
    pub fn injector(&self) -> Arc<Injector> {
        Arc::clone(&self.injector.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Serves `injector` from now on.
    pub fn swap(&self, injector: Injector) {
        *self.injector.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(injector);
        self.generation.fetch_add(1, Ordering::Relaxed);
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

    pub fn is_ready(&self) -> bool {
        !self.draining.load(Ordering::Relaxed)
    }
}
