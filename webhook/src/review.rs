//! `AdmissionReview` in `admission.k8s.io/v1` and `v1beta1`: reading the
//! request, writing the response in the request's version with its `uid`.

use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::error::Category;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use injit_inject::json_pointer::Pointer;

/// The versions a review may come in.
pub const VERSIONS: [&str; 2] = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"];

/// Most bytes of one warning the API server keeps (it truncates to 256
/// runes).
const WARNING_RUNES: usize = 256;

/// The parts of an admission request injection looks at.
#[derive(Debug)]
pub struct ReviewRequest {
    pub api_version: String,
    pub uid: String,
    pub kind: String,
    pub resource: String,
    pub sub_resource: String,
    pub operation: String,
    pub namespace: String,
    pub name: String,
    pub dry_run: bool,
    pub object: Option<Value>,
    /// Where `object` was in the body it was read from: identical pods
    /// are told apart by these bytes (`answers.rs`).
    pub object_span: Option<Range<usize>>,
}

/// Why a body is not an admission review (answered with HTTP 400).
#[derive(Debug, PartialEq, Eq)]
pub struct BadReview(pub String);

/// A review as sent, read in one pass: what injection does not look at
/// (`userInfo`, `oldObject`, `options`) is skipped without being built.
/// A key of the review or its request given twice is refused (the API
/// server never sends one); within the pod, the last one counts, as in
/// any JSON tree.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "apiVersion")]
    api_version: Option<Value>,
    kind: Option<Value>,
    #[serde(borrow)]
    request: Option<Request<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    uid: Option<Value>,
    kind: Option<Value>,
    resource: Option<Value>,
    sub_resource: Option<Value>,
    operation: Option<Value>,
    namespace: Option<Value>,
    name: Option<Value>,
    dry_run: Option<Value>,
    #[serde(borrow)]
    object: Option<&'a RawValue>,
}

impl ReviewRequest {
    /// Reads a review from a request body.
    pub fn parse(body: &[u8]) -> Result<ReviewRequest, BadReview> {
        let envelope: Envelope = serde_json::from_slice(body).map_err(|e| match e.classify() {
            Category::Data => BadReview(format!("the body is not an AdmissionReview object: {e}")),
            _ => BadReview(format!("the body is not JSON: {e}")),
        })?;
        // A struct also reads from a JSON array, by position.
        if body.trim_ascii_start().first() != Some(&b'{') {
            return Err(BadReview("the body is not an AdmissionReview object".to_owned()));
        }
        let text = |value: &Option<Value>| value.as_ref().and_then(Value::as_str).unwrap_or_default().to_owned();
        let api_version = text(&envelope.api_version);
        if !VERSIONS.contains(&api_version.as_str()) {
            return Err(BadReview(format!(
                "apiVersion {api_version:?} is not an admission review version ({})",
                VERSIONS.join(", ")
            )));
        }
        if envelope.kind.as_ref().and_then(Value::as_str) != Some("AdmissionReview") {
            return Err(BadReview("kind must be AdmissionReview".to_owned()));
        }
        let Some(request) = envelope.request else {
            return Err(BadReview("the review has no request".to_owned()));
        };
        let uid = match request.uid {
            None => return Err(BadReview("the request has no uid".to_owned())),
            Some(Value::String(uid)) if !uid.is_empty() => uid,
            Some(Value::String(_)) => return Err(BadReview("the request's uid is empty".to_owned())),
            Some(other) => return Err(BadReview(format!("the request's uid must be a string, not {other}"))),
        };
        let nested = |outer: &Option<Value>, key: &str| {
            outer.as_ref().and_then(|o| o.get(key)).and_then(Value::as_str).unwrap_or_default().to_owned()
        };
        let (object, object_span) = match request.object {
            None => (None, None),
            Some(raw) => {
                let object = serde_json::from_str(raw.get())
                    .map_err(|e| BadReview(format!("request.object cannot be read: {e}")))?;
                // Within `body`: the raw value is borrowed from it (and if
                // it were not, the pod would merely not be kept for reuse).
                let span = (raw.get().as_ptr() as usize)
                    .checked_sub(body.as_ptr() as usize)
                    .map(|start| start..start + raw.get().len())
                    .filter(|span| span.end <= body.len());
                (Some(object), span)
            }
        };
        Ok(ReviewRequest {
            api_version,
            uid,
            kind: nested(&request.kind, "kind"),
            resource: nested(&request.resource, "resource"),
            sub_resource: text(&request.sub_resource),
            operation: text(&request.operation),
            namespace: text(&request.namespace),
            name: text(&request.name),
            dry_run: request.dry_run.as_ref().and_then(Value::as_bool).unwrap_or(false),
            object,
            object_span,
        })
    }

    /// The request's object as sent, in `body` (the body it was read
    /// from).
    pub fn object_json<'b>(&self, body: &'b [u8]) -> Option<&'b [u8]> {
        self.object_span.clone().and_then(|span| body.get(span))
    }

    /// The pod's name for messages and logs: a pod named from
    /// `generateName` (a ReplicaSet's) has no name yet.
    pub fn pod_name(&self) -> String {
        self.pod_name_in(self.object.as_ref())
    }

    /// `pod_name`, reading `object` for the request's object.
    pub fn pod_name_in(&self, object: Option<&Value>) -> String {
        if !self.name.is_empty() {
            return self.name.clone();
        }
        let meta = |key: &str| object.and_then(|o| o.at(&format!("/metadata/{key}"))).and_then(Value::as_str);
        match meta("name").filter(|n| !n.is_empty()) {
            Some(name) => name.to_owned(),
            None => format!("{}<generated>", meta("generateName").unwrap_or_default()),
        }
    }

    /// Whether this is what the injector mutates: a pod being created.
    pub fn is_pod_create(&self) -> bool {
        self.kind == "Pod" && self.resource == "pods" && self.sub_resource.is_empty() && self.operation == "CREATE"
    }
}

/// An admission response.
#[derive(Clone, Debug, Default)]
pub struct Response {
    pub allowed: bool,
    /// JSON Patch operations, as JSON.
    pub patch: Option<Vec<u8>>,
    /// Why the request is refused.
    pub message: Option<String>,
    pub warnings: Vec<String>,
    /// `patch` in base64, written once for an answer that is kept and
    /// sent again ([`Response::with_encoded_patch`]): encoding was the
    /// largest part of answering an identical pod.
    pub(crate) patch_base64: Option<Arc<str>>,
}

impl Response {
    pub fn allow() -> Response {
        Response { allowed: true, ..Response::default() }
    }

    pub fn deny(message: impl Into<String>) -> Response {
        Response { allowed: false, message: Some(message.into()), ..Response::default() }
    }

    /// This response with its patch's base64 written now, once, for
    /// every time it is sent (its `patch` is not to change after).
    pub fn with_encoded_patch(mut self) -> Response {
        self.patch_base64 = self.encoded_patch().map(Arc::from);
        self
    }

    fn encoded_patch(&self) -> Option<String> {
        let patch = self.patch.as_ref().filter(|p| !p.is_empty())?;
        Some(injit_runtime::encoding::base64::encode(patch))
    }

    /// The review to send back, in the request's version.
    pub fn to_review(&self, api_version: &str, uid: &str) -> Value {
        let mut response = Map::new();
        response.insert("uid".to_owned(), Value::String(uid.to_owned()));
        response.insert("allowed".to_owned(), Value::Bool(self.allowed));
        if let Some(patch) = self.patch.as_ref().filter(|p| !p.is_empty()) {
            response.insert("patchType".to_owned(), Value::String("JSONPatch".to_owned()));
            response.insert("patch".to_owned(), Value::String(injit_runtime::encoding::base64::encode(patch)));
        }
        if let Some(message) = &self.message {
            response.insert("status".to_owned(), json!({"message": message}));
        }
        if !self.warnings.is_empty() {
            let warnings =
                self.warnings.iter().map(|w| Value::String(w.chars().take(WARNING_RUNES).collect())).collect();
            response.insert("warnings".to_owned(), Value::Array(warnings));
        }
        json!({"apiVersion": api_version, "kind": "AdmissionReview", "response": Value::Object(response)})
    }

    /// [`Response::to_review`] as JSON text, written directly: the patch,
    /// most of an answer, goes in as base64 without a JSON string's
    /// escaping scan (its alphabet needs none).
    pub fn review_json(&self, api_version: &str, uid: &str) -> Vec<u8> {
        // Encoded here unless it was once for all (and then not copied).
        let encoded = if self.patch_base64.is_none() { self.encoded_patch() } else { None };
        let patch = self.patch_base64.as_deref().or(encoded.as_deref());
        let mut out = Vec::with_capacity(160 + uid.len() + patch.map_or(0, str::len));
        let string = |out: &mut Vec<u8>, s: &str| serde_json::to_writer(out, s).expect("writing to a Vec cannot fail");
        // Keys in the order a `serde_json::Map` keeps them: sorted.
        out.extend_from_slice(b"{\"apiVersion\":");
        string(&mut out, api_version);
        out.extend_from_slice(b",\"kind\":\"AdmissionReview\",\"response\":{\"allowed\":");
        out.extend_from_slice(if self.allowed { b"true" } else { b"false" });
        if let Some(patch) = &patch {
            out.extend_from_slice(b",\"patch\":\"");
            out.extend_from_slice(patch.as_bytes());
            out.extend_from_slice(b"\",\"patchType\":\"JSONPatch\"");
        }
        if let Some(message) = &self.message {
            out.extend_from_slice(b",\"status\":{\"message\":");
            string(&mut out, message);
            out.push(b'}');
        }
        out.extend_from_slice(b",\"uid\":");
        string(&mut out, uid);
        if !self.warnings.is_empty() {
            out.extend_from_slice(b",\"warnings\":[");
            for (i, warning) in self.warnings.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let end = warning.char_indices().nth(WARNING_RUNES).map_or(warning.len(), |(at, _)| at);
                string(&mut out, &warning[..end]);
            }
            out.push(b']');
        }
        out.extend_from_slice(b"}}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviews_are_written_as_their_json_tree_serialises() {
        let long = "é\"\n".repeat(WARNING_RUNES);
        let responses = [
            Response::allow(),
            Response::deny("no <pod> \"here\"\n"),
            Response {
                allowed: true,
                patch: Some(r#"[{"op":"add","path":"/a","value":"\u2028é"}]"#.as_bytes().to_vec()),
                ..Response::default()
            },
            Response {
                allowed: true,
                patch: Some(Vec::new()),
                warnings: vec!["w".into(), long],
                ..Response::default()
            },
            Response {
                allowed: false,
                patch: Some(b"[]".to_vec()),
                message: Some(String::new()),
                warnings: vec![String::new()],
                ..Response::default()
            },
        ];
        for response in &responses {
            for (version, uid) in [("admission.k8s.io/v1", "u-1"), ("admission.k8s.io/v1beta1", "\u{1}\"\\")] {
                let expected = serde_json::to_vec(&response.to_review(version, uid)).expect("JSON");
                assert_eq!(response.review_json(version, uid), expected, "{response:?}");
                let kept = response.clone().with_encoded_patch();
                assert_eq!(kept.review_json(version, uid), expected, "{response:?}, its patch encoded once");
            }
        }
    }

    /// The pod is also kept as the bytes it was sent as (answers to
    /// identical pods are reused by them); what injection does not read
    /// is skipped, but must still be JSON; and only an object is a review.
    #[test]
    fn the_pod_is_read_with_the_bytes_it_came_in() {
        let pod = r#"{ "metadata" : {"name":"p\u00e9"},"spec":{"containers":[ ]} }"#;
        let body = format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u",
               "userInfo":{{"username":"x","groups":["a"]}},"oldObject":null,"object": {pod} ,"options":{{}}}}}}"#
        );
        let review = ReviewRequest::parse(body.as_bytes()).expect("a review");
        assert_eq!(review.object_json(body.as_bytes()), Some(pod.as_bytes()));
        assert_eq!(review.object.as_ref().and_then(|o| o.pointer("/metadata/name")), Some(&json!("p\u{e9}")));
        let without =
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":null}}"#;
        let review = ReviewRequest::parse(without).expect("a review");
        assert!(review.object.is_none() && review.object_json(without).is_none());
        let refused = |body: &str| ReviewRequest::parse(body.as_bytes()).map(|_| ()).map_err(|e| e.0);
        let positional = r#"["admission.k8s.io/v1","AdmissionReview",{"uid":"u"}]"#;
        assert_eq!(refused(positional), Err("the body is not an AdmissionReview object".to_owned()));
        let skipped_but_broken =
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","userInfo":{"a":}}}"#;
        assert!(refused(skipped_but_broken).is_err_and(|e| e.starts_with("the body is not JSON")));
        let twice = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","uid":"v"}}"#;
        assert!(refused(twice).is_err_and(|e| e.contains("duplicate field `uid`")));
        let request_of_another_type = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":5}"#;
        assert!(
            refused(request_of_another_type).is_err_and(|e| e.starts_with("the body is not an AdmissionReview object"))
        );
    }

    /// Nesting is bounded where a tree is built (the pod: `serde_json`'s
    /// limit of 128 levels, refused by name) and costs no stack where the
    /// review is skipped.
    #[test]
    fn deep_nesting_is_refused_in_the_pod_and_skipped_elsewhere() {
        let deep = |levels: usize| format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
        let review = |user_info: &str, object: &str| {
            format!(
                r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","userInfo":{user_info},"object":{object}}}}}"#
            )
        };
        let in_pod = review("{}", &format!(r#"{{"metadata":{{"labels":{}}}}}"#, deep(200)));
        let refused = ReviewRequest::parse(in_pod.as_bytes()).map(|_| ()).map_err(|e| e.0);
        assert!(refused.is_err_and(|e| e.starts_with("request.object cannot be read: recursion limit exceeded")));
        let skipped = review(&deep(100_000), r#"{"metadata":{}}"#);
        assert!(ReviewRequest::parse(skipped.as_bytes()).is_ok());
    }

    #[test]
    fn reviews_are_read_and_answered_in_their_version() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE","namespace":"ns","object":{"metadata":{}}}}"#;
        let r = ReviewRequest::parse(body).unwrap();
        assert!(r.is_pod_create());
        let response = Response { allowed: true, patch: Some(b"[]".to_vec()), ..Response::default() };
        let review = response.to_review(&r.api_version, &r.uid);
        assert_eq!(review["apiVersion"], "admission.k8s.io/v1beta1");
        assert_eq!(review["response"]["uid"], "u1");
        assert_eq!(review["response"]["patch"], "W10=");
        assert!(
            ReviewRequest::parse(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}"#)
                .is_err()
        );
        assert!(ReviewRequest::parse(b"{").is_err());
        let uid = |uid: &str| {
            let body =
                format!(r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":{uid}}}}}"#);
            ReviewRequest::parse(body.as_bytes()).map(|r| r.uid).map_err(|e| e.0)
        };
        assert_eq!(uid(r#""u2""#), Ok("u2".to_owned()));
        assert_eq!(uid("5"), Err("the request's uid must be a string, not 5".to_owned()));
        assert_eq!(uid(r#""""#), Err("the request's uid is empty".to_owned()));
        let empty = Response { allowed: true, patch: Some(Vec::new()), ..Response::default() }
            .to_review("admission.k8s.io/v1", "u");
        assert!(empty["response"].get("patchType").is_none(), "no patchType without a patch");
    }
}
