//! Answering before the API server gives up: an admission waits for one
//! of a bounded number of workers, and is answered as a failure (under
//! `--on-error`) if it has not started or not finished by its deadline.
//! The injection itself stops at that deadline too, so that a request
//! nobody waits for any more gives its worker to the next.
//!
//! An injection whose work is small and bounded runs on the async worker
//! that read the review ([`Place::Here`]): a review small enough for its
//! answer to be kept (64 KiB), naming at most [`MAX_TEMPLATES_HERE`]
//! templates (a pod may name the same template thousands of times, which
//! a small review would not bound). Handing such an injection to another
//! thread and back (two wake-ups and context switches) cost about as much
//! CPU as the injection itself: every pod different, 4,600–5,900
//! admissions/s handed over against 7,600–8,300 run here (oha, 16
//! connections, one 2-core machine; `docs/benchmarks.md`). It is answered
//! when it finishes, at the latest at the end of the injection's step
//! during which its deadline passed. Any other runs on a blocking thread ([`Place::Apart`]) and is
//! answered at its deadline whatever happens, the async workers staying
//! free for other connections and health checks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use injit_inject::{Deadline, Injector};
use serde_json::Value;

use crate::admission::{Decision, OnError, admit_object};
use crate::answers::Key;
use crate::review::{Response, ReviewRequest};
use crate::state::State;

/// Why a request is answered as a failure at its deadline: the
/// injection was still `queued` for a worker, or `running`.
pub(crate) fn late_message(what: &str) -> String {
    format!("the sidecar injection did not finish within the request's timeout ({what})")
}

/// Admits `review`, answering by `deadline` (less a margin for the
/// answer to travel back). A pod whose answer may be kept (`sent_pod`,
/// its JSON as sent) and that was answered before under the config
/// serving now is answered again without any work; `small`: the review's
/// work is small enough to run here.
pub(crate) async fn admit_in_time(
    state: &Arc<State>,
    mut review: ReviewRequest,
    sent_pod: Option<Box<[u8]>>,
    path: String,
    deadline: Instant,
    small: bool,
    large: Option<OwnedSemaphorePermit>,
) -> (Response, Decision) {
    if review.is_pod_create() && !state.cluster_synced() {
        let message = "the cluster's state (ProxyConfigs, Namespaces, Nodes) has not been read yet; retry".to_owned();
        return (state.on_error.answer(message), Decision::Failed("not_synced"));
    }
    let serving = state.serving();
    let place = place_of(&serving.injector, review.object.as_ref(), small);
    let margin = (deadline - Instant::now()).min(Duration::from_secs(30)) / 20;
    let answer_by = tokio::time::Instant::from_std(deadline - margin);
    let mut reuse = None;
    if review.is_pod_create()
        && let Some(pod) = sent_pod
    {
        let key = Key::new(&review.namespace, &path, &pod);
        if let Some(answer) = serving.answers.get(&key) {
            state.metrics.reused.inc();
            return answer;
        }
        reuse = Some((key.hash(), pod));
    }
    let on_error = state.on_error;
    let object = review.object.take();
    run_in_time(&state.workers, answer_by, on_error, place, move |deadline| {
        let (response, decision) =
            admit_object(&serving.injector, &serving.cluster, &review, object, &path, on_error, deadline);
        drop(large);
        let Some((hash, pod)) = &reuse else { return (response, decision) };
        // Encoded once, here, for this answer and every reuse of it.
        let response = response.with_encoded_patch();
        serving.answers.put(&Key::with_hash(*hash, &review.namespace, &path, pod), &response, &decision);
        (response, decision)
    })
    .await
}

/// Most templates a pod may name for its injection to run here.
pub(crate) const MAX_TEMPLATES_HERE: usize = 2;

/// Where the injection of `pod` runs: here when its work is small and
/// bounded (`small`: the review is small enough for its answer to be
/// kept), apart otherwise.
fn place_of(injector: &Injector, pod: Option<&Value>, small: bool) -> Place {
    let few_templates = pod.is_none_or(|pod| injector.templates_rendered(pod) <= MAX_TEMPLATES_HERE);
    if small && few_templates { Place::Here } else { Place::Apart }
}

/// Where an injection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// On the async worker that read the request, answered when it
    /// finishes: for work small and bounded.
    Here,
    /// On a blocking thread, answered by the deadline whatever happens.
    Apart,
}

/// Runs `work` once one of `workers` is free, at `place`, and answers by
/// `answer_by`: work that has not started by then is never started
/// (`queued`); work still running `Apart` is answered for (`running`) and
/// told to stop through its `Deadline` (work running `Here` stops at it
/// and answers itself); and work that panics is answered as an internal
/// failure, never a dropped connection.
pub(crate) async fn run_in_time<W>(
    workers: &Arc<Semaphore>,
    answer_by: tokio::time::Instant,
    on_error: OnError,
    place: Place,
    work: W,
) -> (Response, Decision)
where
    W: FnOnce(Deadline) -> (Response, Decision) + Send + 'static,
{
    let late = |what: &str| (on_error.answer(late_message(what)), Decision::Failed("timeout"));
    let permit = match tokio::time::timeout_at(answer_by, Arc::clone(workers).acquire_owned()).await {
        Ok(Ok(permit)) if tokio::time::Instant::now() < answer_by => permit,
        // Nobody waits for the answer any more: do not start the work.
        _ => return late("queued"),
    };
    let deadline = Deadline::at(answer_by.into_std());
    let panicked = |panic: &dyn std::fmt::Display| {
        // The worker's permit was released as the panic unwound.
        tracing::error!("the injection panicked: {panic}");
        let message = "the sidecar injection failed unexpectedly (a defect in injit: its log has the details)";
        (on_error.answer(message.to_owned()), Decision::Failed("internal"))
    };
    if place == Place::Here {
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let answer = work(deadline);
            drop(permit);
            answer
        }));
        return answer.unwrap_or_else(|panic| panicked(&panic_message(&*panic)));
    }
    let running = tokio::task::spawn_blocking(move || {
        let answer = work(deadline);
        drop(permit);
        answer
    });
    match tokio::time::timeout_at(answer_by, running).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(panic)) => panicked(&panic),
        Err(_) => late("running"),
    }
}

/// What a panic's payload says, as a join error would show it.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload.downcast_ref::<&str>().copied().or(payload.downcast_ref::<String>().map(String::as_str));
    text.unwrap_or("Box<dyn Any>").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick(_: Deadline) -> (Response, Decision) {
        (Response::allow(), Decision::Injected)
    }

    fn soon(millis: u64) -> tokio::time::Instant {
        tokio::time::Instant::now() + Duration::from_millis(millis)
    }

    fn message(response: &Response) -> &str {
        response.message.as_deref().unwrap_or_default()
    }

    #[tokio::test]
    async fn work_that_cannot_get_a_worker_before_the_deadline_is_never_started() {
        for place in [Place::Here, Place::Apart] {
            let workers = Arc::new(Semaphore::new(1));
            let _busy = Arc::clone(&workers).acquire_owned().await.unwrap();
            let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = Arc::clone(&started);
            let (response, decision) = run_in_time(&workers, soon(50), OnError::Deny, place, move |_| {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                quick(Deadline::NONE)
            })
            .await;
            assert_eq!(decision, Decision::Failed("timeout"), "{place:?}");
            assert!(!response.allowed);
            assert_eq!(message(&response), late_message("queued"));
            assert!(
                !started.load(std::sync::atomic::Ordering::SeqCst),
                "{place:?}: the work ran although nobody waited"
            );
        }
    }

    #[tokio::test]
    async fn work_running_past_the_deadline_is_answered_for_and_told_to_stop() {
        let workers = Arc::new(Semaphore::new(1));
        let (stopped_tx, stopped_rx) = std::sync::mpsc::channel();
        let (response, decision) = run_in_time(&workers, soon(100), OnError::Allow, Place::Apart, move |deadline| {
            // Runs until its deadline tells it to stop, as the injector does,
            // and takes a while more to get there (it checks between steps):
            // the answer does not wait for it.
            while deadline.check().is_ok() {
                std::thread::sleep(Duration::from_millis(5));
            }
            stopped_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            quick(deadline)
        })
        .await;
        assert_eq!(decision, Decision::Failed("timeout"));
        // Allowed through, with the reason as a warning.
        assert!(response.allowed && response.patch.is_none());
        assert_eq!(response.warnings, [format!("injit: the sidecar was not injected: {}", late_message("running"))]);
        stopped_rx.recv_timeout(Duration::from_secs(5)).expect("the work saw its deadline pass and stopped");
        // Its worker is free again.
        let permit = tokio::time::timeout(Duration::from_secs(5), Arc::clone(&workers).acquire_owned()).await;
        assert!(permit.is_ok(), "the worker was not given back");
    }

    #[tokio::test]
    async fn a_panicking_injection_is_answered_under_on_error_and_frees_its_worker() {
        for place in [Place::Here, Place::Apart] {
            let workers = Arc::new(Semaphore::new(1));
            let (response, decision) =
                run_in_time(&workers, soon(5_000), OnError::Deny, place, |_| panic!("a defect")).await;
            assert_eq!(decision, Decision::Failed("internal"), "{place:?}");
            assert!(!response.allowed);
            assert!(message(&response).contains("failed unexpectedly"), "{response:?}");
            // The permit was dropped while unwinding: the next request runs.
            let (response, decision) = run_in_time(&workers, soon(5_000), OnError::Deny, place, quick).await;
            assert_eq!((response.allowed, decision), (true, Decision::Injected), "{place:?}");
        }
    }

    #[tokio::test]
    async fn work_done_in_time_is_its_own_answer() {
        for place in [Place::Here, Place::Apart] {
            let workers = Arc::new(Semaphore::new(1));
            let (response, decision) = run_in_time(&workers, soon(5_000), OnError::Deny, place, quick).await;
            assert_eq!((response.allowed, decision), (true, Decision::Injected), "{place:?}");
        }
    }

    #[test]
    fn small_reviews_naming_few_templates_run_here() {
        let injector = injit_inject::Sources::default().build(Default::default()).expect("the default config");
        let pod = |templates: Option<&str>| {
            let annotations = templates.map(|t| serde_json::json!({"inject.istio.io/templates": t}));
            serde_json::json!({"metadata": {"name": "p", "annotations": annotations}, "spec": {}})
        };
        let cases = [
            (None, true, Place::Here),
            (Some("sidecar"), true, Place::Here),
            (Some("sidecar,grpc-agent"), true, Place::Here),
            (Some("sidecar,sidecar,sidecar"), true, Place::Apart),
            (None, false, Place::Apart),
        ];
        for (templates, small, place) in cases {
            assert_eq!(place_of(&injector, Some(&pod(templates)), small), place, "{templates:?}, small: {small}");
        }
        assert_eq!(place_of(&injector, None, true), Place::Here, "no pod: answered at once");
    }

    /// Work run here answers itself once it stops at its deadline, and
    /// gives its worker back.
    #[tokio::test]
    async fn work_run_here_past_its_deadline_answers_when_it_stops() {
        let workers = Arc::new(Semaphore::new(1));
        let (response, decision) = run_in_time(&workers, soon(50), OnError::Deny, Place::Here, |deadline| {
            while deadline.check().is_ok() {
                std::thread::sleep(Duration::from_millis(5));
            }
            (OnError::Deny.answer(late_message("running")), Decision::Failed("timeout"))
        })
        .await;
        assert_eq!(decision, Decision::Failed("timeout"));
        assert_eq!(message(&response), late_message("running"));
        assert!(Arc::clone(&workers).try_acquire_owned().is_ok(), "the worker was not given back");
    }
}
