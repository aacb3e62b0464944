//! Hot reload: the certificate and config files are polled, and what
//! changed is loaded off the request path and swapped in whole; what fails
//! to load is logged, counted and ignored, and the previous one serves on.
//!
//! Polling the contents (not inotify) is what works with Kubernetes'
//! volume updates, which swap a symlink to a new directory, and with
//! editors that replace files. A change is loaded once two polls in a row
//! read the same bytes, so that a file caught half written (which may
//! still parse, as a shorter config) is never served.

use std::sync::Arc;
use std::time::Duration;

use injit_inject::Options;

use crate::config_files::ConfigFiles;
use crate::state::State;
use crate::tls::{CertFiles, Resolver};

pub(crate) struct Watch {
    pub(crate) state: Arc<State>,
    pub(crate) resolver: Arc<Resolver>,
    pub(crate) certs: CertFiles,
    pub(crate) config: ConfigFiles,
    pub(crate) options: Options,
    pub(crate) interval: Duration,
    /// What was last read, loaded or not: a file pair that failed to load
    /// is tried again only once it changes.
    pub(crate) seen_config: String,
    pub(crate) seen_certs: Option<Vec<u8>>,
    /// A change read once, waiting for the next poll to confirm it.
    pub(crate) pending_config: Option<String>,
    pub(crate) pending_certs: Option<Vec<u8>>,
}

impl Watch {
    pub(crate) async fn run(mut self) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            self.certificate().await;
            self.config().await;
        }
    }

    async fn certificate(&mut self) {
        let certs = self.certs.clone();
        let Ok(Some(bytes)) = tokio::task::spawn_blocking(move || certs.contents()).await else {
            // Missing for a moment while the files are replaced.
            return;
        };
        if self.seen_certs.as_ref() == Some(&bytes) {
            self.pending_certs = None;
            return;
        }
        if self.pending_certs.as_ref() != Some(&bytes) {
            self.pending_certs = Some(bytes);
            return;
        }
        self.pending_certs = None;
        self.seen_certs = Some(bytes);
        let certs = self.certs.clone();
        match tokio::task::spawn_blocking(move || certs.load()).await {
            Ok(Ok(key)) => {
                self.resolver.store(key);
                self.state.metrics.reload("certificate", true);
                tracing::info!(kind = "certificate", "serving the new certificate to new connections");
            }
            Ok(Err(e)) => {
                self.state.metrics.reload("certificate", false);
                tracing::error!(kind = "certificate", "kept the previous certificate: {e}");
            }
            Err(e) => tracing::error!(kind = "certificate", "loading the certificate: {e}"),
        }
    }

    async fn config(&mut self) {
        let files = self.config.clone();
        let sources = match tokio::task::spawn_blocking(move || files.read()).await {
            Ok(Ok(sources)) => sources,
            // Missing for a moment while the files are replaced.
            Ok(Err(_)) | Err(_) => return,
        };
        let fingerprint = ConfigFiles::fingerprint(&sources);
        if fingerprint == self.seen_config {
            self.pending_config = None;
            return;
        }
        if self.pending_config.as_ref() != Some(&fingerprint) {
            self.pending_config = Some(fingerprint);
            return;
        }
        self.pending_config = None;
        self.seen_config = fingerprint;
        let options = self.options.clone();
        match tokio::task::spawn_blocking(move || sources.build(options)).await {
            Ok(Ok(injector)) => {
                self.state.swap(injector);
                self.state.metrics.reload("config", true);
                tracing::info!(kind = "config", generation = self.state.generation(), "serving the new config");
            }
            Ok(Err(e)) => {
                self.state.metrics.reload("config", false);
                tracing::error!(kind = "config", "rejected the new config, the previous one keeps serving: {e}");
            }
            Err(e) => tracing::error!(kind = "config", "loading the config: {e}"),
        }
    }
}
