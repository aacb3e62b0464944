//! A progress line on standard error for long work over many items
//! (`analyze` over a large folder, `kube-inject` over a long manifest).
//!
//! Nothing is printed for work that ends within a second, so quick runs
//! stay silent. A thread of its own prints it, so a line appears while
//! one item is slow (a file on a slow disk, a pipe) too. On a terminal
//! the line is rewritten in place and erased at the end; elsewhere
//! (`--progress always` in a CI log) a line is printed each second.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// When to show progress: `auto` on a terminal only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum When {
    #[default]
    Auto,
    Always,
    Never,
}

/// How long work runs before the first line.
pub const AFTER: Duration = Duration::from_secs(1);

/// A running progress line; [`Progress::finish`] (or drop) ends it.
pub struct Progress {
    shared: Arc<Shared>,
    printer: Option<JoinHandle<()>>,
}

struct Shared {
    /// What the command is doing and what it counts: `analyze`, `files`.
    command: &'static str,
    unit: &'static str,
    total: AtomicUsize,
    done: AtomicUsize,
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Progress {
    /// Progress on standard error, shown as `when` says.
    pub fn stderr(command: &'static str, unit: &'static str, total: usize, when: When) -> Progress {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        let show = match when {
            When::Auto => terminal,
            When::Always => true,
            When::Never => false,
        };
        let out: Option<Box<dyn Write + Send>> = show.then(|| Box::new(std::io::stderr()) as Box<dyn Write + Send>);
        Progress::to(out, command, unit, total, terminal, AFTER)
    }

    /// Progress written to `out` (none: nothing shown), first after
    /// `after`; `terminal` rewrites one line in place.
    pub fn to(
        out: Option<Box<dyn Write + Send>>,
        command: &'static str,
        unit: &'static str,
        total: usize,
        terminal: bool,
        after: Duration,
    ) -> Progress {
        let shared = Arc::new(Shared {
            command,
            unit,
            total: AtomicUsize::new(total),
            done: AtomicUsize::new(0),
            stopped: Mutex::new(false),
            wake: Condvar::new(),
        });
        let printer = out.map(|out| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || print_until_stopped(&shared, out, terminal, after))
        });
        Progress { shared, printer }
    }

    /// One more item is done.
    pub fn advance(&self) {
        self.shared.done.fetch_add(1, Ordering::Relaxed);
    }

    /// `done` of `total` items are done (the total known once the work
    /// has looked at its input).
    pub fn set(&self, done: usize, total: usize) {
        self.shared.total.store(total, Ordering::Relaxed);
        self.shared.done.store(done, Ordering::Relaxed);
    }

    /// Ends the line (erasing it on a terminal) before the command prints
    /// its result.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        *self.shared.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.shared.wake.notify_all();
        if let Some(printer) = self.printer.take() {
            let _ = printer.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits `after`, then prints the count until stopped: every 200 ms on a
/// terminal, every second elsewhere.
fn print_until_stopped(shared: &Shared, mut out: Box<dyn Write + Send>, terminal: bool, after: Duration) {
    let period = if terminal { Duration::from_millis(200) } else { Duration::from_secs(1) };
    let mut wait = after;
    let mut printed = false;
    loop {
        let stopped = shared.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let (stopped, _) = shared.wake.wait_timeout_while(stopped, wait, |s| !*s).unwrap_or_else(|e| e.into_inner());
        if *stopped {
            break;
        }
        drop(stopped);
        let line = format!(
            "{}: {}/{} {}",
            shared.command,
            shared.done.load(Ordering::Relaxed),
            shared.total.load(Ordering::Relaxed),
            shared.unit
        );
        // A progress line that cannot be written is not worth an error.
        let _ = if terminal { write!(out, "\r{line}\x1b[K") } else { writeln!(out, "{line}") };
        let _ = out.flush();
        printed = true;
        wait = period;
    }
    if terminal && printed {
        let _ = write!(out, "\r\x1b[K");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }

        /// The text once something is written (a loaded machine may be
        /// slow to run the printer).
        fn first_text(&self) -> String {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while self.text().is_empty() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            self.text()
        }
    }

    #[test]
    fn quick_work_prints_nothing() {
        let out = Captured::default();
        let progress = Progress::to(Some(Box::new(out.clone())), "analyze", "files", 3, false, AFTER);
        progress.advance();
        progress.finish();
        assert_eq!(out.text(), "");
    }

    #[test]
    fn slow_work_prints_the_count_while_an_item_is_still_running() {
        let out = Captured::default();
        let after = Duration::from_millis(50);
        let progress = Progress::to(Some(Box::new(out.clone())), "analyze", "files", 2, false, after);
        progress.advance();
        // The second item is slow: the line comes while it runs.
        let seen = out.first_text();
        progress.finish();
        assert!(seen.starts_with("analyze: 1/2 files\n"), "{seen:?}");
    }

    #[test]
    fn a_terminal_line_is_rewritten_and_erased() {
        let out = Captured::default();
        let after = Duration::from_millis(20);
        let progress = Progress::to(Some(Box::new(out.clone())), "kube-inject", "documents", 5, true, after);
        progress.advance();
        out.first_text();
        progress.finish();
        let text = out.text();
        assert!(text.starts_with("\rkube-inject: 1/5 documents\x1b[K"), "{text:?}");
        assert!(text.ends_with("\r\x1b[K"), "{text:?}");
        assert!(!text.contains('\n'), "{text:?}");
    }

    #[test]
    fn nothing_is_shown_without_a_writer() {
        let progress = Progress::to(None, "analyze", "files", 1, true, Duration::ZERO);
        progress.advance();
        progress.finish();
    }
}
