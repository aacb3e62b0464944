//! Answers reused for identical pods. A rollout creates its replicas from
//! one ReplicaSet, and the API server sends the webhook the same pod for
//! each (no name, uid or timestamp yet: `generateName` only), so the same
//! injection would be computed hundreds of times at the moment the cluster
//! is busiest. Under one config, injection is a pure function of the pod,
//! its namespace and the URL path, unless a template reads the clock or
//! randomness, in which case nothing is reused.
//!
//! A small table holds recent answers; a hit is checked by full equality
//! of the pod as sent, never by hash alone. Pods are compared as the bytes
//! the review carried them in: the API server writes a pod's JSON the same
//! way each time (Go's encoder: fields in declaration order, map keys
//! sorted), so identical pods arrive as identical bytes, and keying on
//! them costs a copy of the text rather than a copy of the tree (and a
//! pod written another way is merely computed again). The table lives
//! with the config it was computed under and is dropped with it on
//! reload.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use crate::admission::Decision;
use crate::review::Response;

struct Entry {
    hash: u64,
    namespace: String,
    path: String,
    pod: Box<[u8]>,
    response: Response,
    decision: Decision,
}

impl Entry {
    /// The heap it holds, near enough.
    fn bytes(&self) -> usize {
        let response = &self.response;
        self.namespace.len()
            + self.path.len()
            + self.pod.len()
            + response.patch.as_ref().map_or(0, Vec::len)
            + response.patch_base64.as_ref().map_or(0, |p| p.len())
            + response.message.as_ref().map_or(0, String::len)
            + response.warnings.iter().map(String::len).sum::<usize>()
    }
}

/// Most bytes the kept answers hold together: their pods are small, but
/// a URL path (up to 64 KiB) and the patch it shapes, twice (as JSON and
/// in base64), are not bounded by the pod.
pub const MAX_BYTES: usize = 16 << 20;

/// Recent answers, most recent last.
pub struct Answers {
    capacity: usize,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    entries: VecDeque<Entry>,
    /// What the entries hold (`Entry::bytes`).
    bytes: usize,
}

/// What identifies a request's answer.
pub struct Key<'r> {
    hash: u64,
    namespace: &'r str,
    path: &'r str,
    pod: &'r [u8],
}

impl<'r> Key<'r> {
    /// The key of a request for `pod` (its JSON as the review sent it) in
    /// `namespace`, to the URL `path`.
    pub fn new(namespace: &'r str, path: &'r str, pod: &'r [u8]) -> Key<'r> {
        let mut hasher = DefaultHasher::new();
        namespace.hash(&mut hasher);
        path.hash(&mut hasher);
        pod.hash(&mut hasher);
        Key { hash: hasher.finish(), namespace, path, pod }
    }

    /// The key of the same request again, without hashing the pod again.
    pub fn with_hash(hash: u64, namespace: &'r str, path: &'r str, pod: &'r [u8]) -> Key<'r> {
        Key { hash, namespace, path, pod }
    }

    fn is_of(&self, entry: &Entry) -> bool {
        entry.hash == self.hash
            && entry.namespace == self.namespace
            && entry.path == self.path
            && *entry.pod == *self.pod
    }

    pub fn hash(&self) -> u64 {
        self.hash
    }
}

impl Answers {
    pub fn new(capacity: usize) -> Answers {
        Answers { capacity, table: Mutex::new(Table { entries: VecDeque::with_capacity(capacity), bytes: 0 }) }
    }

    pub fn get(&self, key: &Key<'_>) -> Option<(Response, Decision)> {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.entries.iter().rev().find(|e| key.is_of(e)).map(|e| (e.response.clone(), e.decision.clone()))
    }

    /// Keeps an answer worth reusing: injections and skips (failures are
    /// rare, and their messages are better recomputed).
    pub fn put(&self, key: &Key<'_>, response: &Response, decision: &Decision) {
        if self.capacity == 0 || matches!(decision, Decision::Failed(_) | Decision::Ignored) {
            return;
        }
        let entry = Entry {
            hash: key.hash,
            namespace: key.namespace.to_owned(),
            path: key.path.to_owned(),
            pod: key.pod.into(),
            response: response.clone(),
            decision: decision.clone(),
        };
        let bytes = entry.bytes();
        // One answer would crowd out most others.
        if bytes > MAX_BYTES / 16 {
            return;
        }
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if table.entries.iter().any(|e| key.is_of(e)) {
            return;
        }
        while table.entries.len() == self.capacity || table.bytes + bytes > MAX_BYTES {
            let Some(oldest) = table.entries.pop_front() else { break };
            table.bytes -= oldest.bytes();
        }
        table.bytes += bytes;
        table.entries.push_back(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_found_only_for_the_same_pod_namespace_and_path() {
        let answers = Answers::new(2);
        let pod = br#"{"metadata":{"generateName":"a-"},"spec":{"containers":[{"name":"c"}]}}"#;
        let other = br#"{"metadata":{"generateName":"b-"},"spec":{"containers":[{"name":"c"}]}}"#;
        let response = Response { allowed: true, patch: Some(b"[1]".to_vec()), ..Response::default() };
        answers.put(&Key::new("ns", "/inject", pod), &response, &Decision::Injected);
        assert_eq!(answers.get(&Key::new("ns", "/inject", pod)).map(|a| a.0.patch), Some(Some(b"[1]".to_vec())));
        assert!(answers.get(&Key::new("other", "/inject", pod)).is_none());
        assert!(answers.get(&Key::new("ns", "/inject/net/n2", pod)).is_none());
        assert!(answers.get(&Key::new("ns", "/inject", other)).is_none());
        // Bounded: the oldest goes first.
        answers.put(&Key::new("ns", "/inject", other), &response, &Decision::Injected);
        answers.put(&Key::new("n3", "/inject", other), &response, &Decision::Injected);
        assert!(answers.get(&Key::new("ns", "/inject", pod)).is_none());
        assert!(answers.get(&Key::new("n3", "/inject", other)).is_some());
        // Failures are not kept.
        answers.put(&Key::new("f", "/inject", pod), &Response::deny("no"), &Decision::Failed("template"));
        assert!(answers.get(&Key::new("f", "/inject", pod)).is_none());
    }

    /// Answers to long URL paths (each a 64 KiB pod, a 60 KiB path and a
    /// patch carrying the path's environment) stay within `MAX_BYTES`
    /// however many there are, and one larger than a sixteenth is not kept.
    #[test]
    fn the_answers_kept_are_bounded_in_bytes() {
        let answers = Answers::new(256);
        let pod = vec![b' '; 64 << 10];
        let patch = vec![b'p'; 100 << 10];
        let response = Response { allowed: true, patch: Some(patch), ..Response::default() }.with_encoded_patch();
        for i in 0..256 {
            let path = format!("/inject/k{i}/{}", "v".repeat(60 << 10));
            answers.put(&Key::new("ns", &path, &pod), &response, &Decision::Injected);
        }
        let table = answers.table.lock().unwrap();
        assert!(table.bytes <= MAX_BYTES, "{} bytes", table.bytes);
        assert_eq!(table.bytes, table.entries.iter().map(Entry::bytes).sum::<usize>());
        assert!(table.entries.len() > 10, "the latest are kept: {}", table.entries.len());
        drop(table);
        let huge = Response { allowed: true, patch: Some(vec![b'p'; MAX_BYTES / 8]), ..Response::default() };
        answers.put(&Key::new("ns", "/inject", &pod), &huge, &Decision::Injected);
        assert!(answers.get(&Key::new("ns", "/inject", &pod)).is_none());
    }
}
