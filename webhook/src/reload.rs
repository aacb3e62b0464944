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

use tokio::sync::Notify;

use injit_inject::{Caller, Injector, Options};

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
    pub(crate) config_files: Contents<String>,
    pub(crate) cert_files: Contents<Vec<u8>>,
    /// Notified to check the files at once (SIGHUP).
    pub(crate) now: Arc<Notify>,
}

/// Files that cannot be read. Missing for one poll is how a volume
/// update looks; the same failure two polls in a row is reported (logged,
/// and counted as `result="unreadable"`) once, until the files read again.
#[derive(Default)]
struct Unreadable {
    last: Option<String>,
    reported: bool,
}

impl Unreadable {
    /// A poll failed with `error`: whether to report it now.
    fn failed(&mut self, error: String) -> bool {
        let again = self.last.as_ref() == Some(&error);
        self.last = Some(error);
        let report = again && !self.reported;
        self.reported |= report;
        report
    }

    fn read(&mut self) {
        *self = Unreadable::default();
    }
}

/// What a set of files held when last loaded (or refused: files that
/// failed to load are tried again only once they change), a change read
/// once, waiting for the next poll to confirm it, and whether the files
/// could be read.
pub(crate) struct Contents<T> {
    seen: Option<T>,
    pending: Option<T>,
    unreadable: Unreadable,
}

impl<T: PartialEq> Contents<T> {
    /// The contents just loaded.
    pub(crate) fn loaded(seen: Option<T>) -> Contents<T> {
        Contents { seen, pending: None, unreadable: Unreadable::default() }
    }

    /// Whether `now` is a change to load: different from what was
    /// loaded, and the same as the previous poll read (or read when
    /// told to check now, as SIGHUP does after the files are written).
    fn settled(&mut self, now: T, at_once: bool) -> bool {
        self.unreadable.read();
        if self.seen.as_ref() == Some(&now) {
            self.pending = None;
            return false;
        }
        if !at_once && self.pending.as_ref() != Some(&now) {
            self.pending = Some(now);
            return false;
        }
        self.pending = None;
        self.seen = Some(now);
        true
    }
}

impl Watch {
    pub(crate) async fn run(mut self) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            let at_once = tokio::select! {
                _ = ticker.tick() => false,
                () = self.now.notified() => true,
            };
            self.certificate(at_once).await;
            self.config(at_once).await;
        }
    }

    async fn certificate(&mut self, at_once: bool) {
        let certs = self.certs.clone();
        let read = tokio::task::spawn_blocking(move || certs.contents()).await;
        let bytes = match read.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())) {
            Ok(bytes) => bytes,
            Err(e) => return report_unreadable(&self.state, "certificate", &mut self.cert_files, e),
        };
        if !self.cert_files.settled(bytes, at_once) {
            return;
        }
        let certs = self.certs.clone();
        match tokio::task::spawn_blocking(move || certs.load()).await {
            Ok(Ok(key)) => {
                self.state.metrics.reload("certificate", true);
                crate::tls::report_expiry(&self.state.metrics, &key, &self.certs.cert);
                self.resolver.store(key);
                tracing::info!(kind = "certificate", "serving the new certificate to new connections");
            }
            Ok(Err(e)) => {
                self.state.metrics.reload("certificate", false);
                tracing::error!(kind = "certificate", "kept the previous certificate: {e}");
            }
            Err(e) => tracing::error!(kind = "certificate", "loading the certificate: {e}"),
        }
    }

    async fn config(&mut self, at_once: bool) {
        let files = self.config.clone();
        let read = tokio::task::spawn_blocking(move || files.read()).await;
        let sources = match read.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())) {
            Ok(sources) => sources,
            Err(e) => return report_unreadable(&self.state, "config", &mut self.config_files, e),
        };
        if !self.config_files.settled(ConfigFiles::fingerprint(&sources), at_once) {
            return;
        }
        let options = self.options.clone();
        // Tried on the reference pods before it serves: a config that
        // makes invalid pods (one cut short, say) is rejected like one that
        // does not parse.
        let build = move || sources.build_checked(options, Caller::Webhook).inspect(Injector::compile_all);
        match tokio::task::spawn_blocking(build).await {
            Ok(Ok(injector)) => {
                for warning in injector.config().invalid_selectors() {
                    tracing::warn!(kind = "config", "{}: {warning}", injector.config().file);
                }
                // Counted first: whoever sees the new config serving sees
                // the reload counted too.
                self.state.metrics.reload("config", true);
                self.state.swap(injector);
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

/// Files of `kind` that `files` tracks could not be read: reported once
/// the failure lasts.
fn report_unreadable<T>(state: &State, kind: &'static str, files: &mut Contents<T>, error: String) {
    if files.unreadable.failed(error.clone()) {
        state.metrics.reload_unreadable(kind);
        tracing::error!(kind, "cannot read the files, the previous {kind} keeps serving: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::{Contents, Unreadable};

    #[test]
    fn a_read_failure_is_reported_once_it_lasts() {
        let mut files = Unreadable::default();
        assert!(!files.failed("gone".into()), "missing for one poll: a volume update");
        assert!(!files.failed("other".into()));
        assert!(files.failed("other".into()), "the same failure twice");
        assert!(!files.failed("other".into()), "reported once");
        files.read();
        assert!(!files.failed("other".into()));
        assert!(files.failed("other".into()), "reported again after the files read");
    }

    #[test]
    fn a_change_counts_once_two_polls_agree() {
        let mut files = Contents::loaded(Some("a"));
        assert!(!files.settled("a", false));
        assert!(!files.settled("b", false), "read once");
        assert!(!files.settled("c", false), "still changing");
        assert!(files.settled("c", false));
        assert!(!files.settled("c", false), "loaded");
    }

    #[test]
    fn a_change_checked_at_once_counts_at_once() {
        let mut files = Contents::loaded(Some("a"));
        assert!(!files.settled("a", true), "no change");
        assert!(files.settled("b", true));
        assert!(!files.settled("b", true), "loaded");
    }
}
