//! The proxy's user and group on OpenShift: the top of the namespace's
//! pre-allocated UID range and of its first supplemental group range
//! (`GetProxyIDs` and `openshift.go` in Istio's `pkg/kube/inject`, Istio
//! 86c9f01f, themselves copied from OpenShift's `library-go`). Anything
//! missing or malformed falls back to 1337, as Istio does; the parse
//! errors are kept for logs.

use std::collections::BTreeMap;

use serde_json::Value;

use super::go_scan::{self, ScanError};
use crate::json_pointer::Pointer;
use crate::pod::{self, Containers};

/// The UID range OpenShift assigns a namespace (`1000620000/10000`).
pub const UID_RANGE_ANNOTATION: &str = "openshift.io/sa.scc.uid-range";
/// The supplemental group ranges, comma-separated.
pub const SUPPLEMENTAL_GROUPS_ANNOTATION: &str = "openshift.io/sa.scc.supplemental-groups";
/// The proxy's user and group everywhere else (`DefaultProxyUIDInt`).
pub const DEFAULT_PROXY_ID: i64 = 1337;

/// An ID range: `start/size` or `start-end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub start: u32,
    pub end: u32,
}

/// Why a namespace's annotations give no range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("unable to find annotation {0}")]
    Missing(&'static str),
    #[error("found annotation {0} but it was empty")]
    Empty(&'static str),
    #[error("unable to find groups using {SUPPLEMENTAL_GROUPS_ANNOTATION} and {UID_RANGE_ANNOTATION} annotations")]
    NoGroups,
    #[error("{annotation}: {value:?}: {source}")]
    Malformed { annotation: &'static str, value: String, source: ScanError },
}

/// `ParseBlock`: `start/size` (the end wraps as Go's `uint32` does when
/// the size is 0) or `start-end` (not checked to be ordered).
pub fn parse_block(text: &str) -> Result<Block, ScanError> {
    if text.contains('/') {
        let (start, size) = go_scan::two_u32(text, '/')?;
        return Ok(Block { start, end: start.wrapping_add(size).wrapping_sub(1) });
    }
    let (start, end) = go_scan::two_u32(text, '-')?;
    Ok(Block { start, end })
}

/// `getPreallocatedUIDRange`.
pub fn uid_range(annotations: &BTreeMap<String, String>) -> Result<Block, RangeError> {
    let value = annotations.get(UID_RANGE_ANNOTATION).ok_or(RangeError::Missing(UID_RANGE_ANNOTATION))?;
    if value.is_empty() {
        return Err(RangeError::Empty(UID_RANGE_ANNOTATION));
    }
    parse_block(value).map_err(|source| RangeError::Malformed {
        annotation: UID_RANGE_ANNOTATION,
        value: value.clone(),
        source,
    })
}

/// `getPreallocatedSupplementalGroups`: the supplemental groups
/// annotation, or the UID range when it is absent (not when it is empty);
/// every comma-separated range must parse.
pub fn supplemental_groups(annotations: &BTreeMap<String, String>) -> Result<Vec<Block>, RangeError> {
    let (annotation, value) = match annotations.get(SUPPLEMENTAL_GROUPS_ANNOTATION) {
        Some(v) => (SUPPLEMENTAL_GROUPS_ANNOTATION, v),
        None => (
            UID_RANGE_ANNOTATION,
            annotations.get(UID_RANGE_ANNOTATION).ok_or(RangeError::Missing(SUPPLEMENTAL_GROUPS_ANNOTATION))?,
        ),
    };
    if value.is_empty() {
        return Err(RangeError::NoGroups);
    }
    value
        .split(',')
        .map(|segment| {
            parse_block(segment).map_err(|source| RangeError::Malformed { annotation, value: value.clone(), source })
        })
        .collect()
}

/// `GetProxyIDs`: the proxy's UID and GID for a pod in a namespace with
/// these annotations (`None`: the namespace is not known).
pub fn proxy_ids(annotations: Option<&BTreeMap<String, String>>) -> (i64, i64) {
    let Some(annotations) = annotations else { return (DEFAULT_PROXY_ID, DEFAULT_PROXY_ID) };
    let uid = uid_range(annotations).map_or(DEFAULT_PROXY_ID, |b| i64::from(b.end));
    let gid = supplemental_groups(annotations)
        .ok()
        .and_then(|groups| groups.first().map(|b| i64::from(b.end)))
        .unwrap_or(DEFAULT_PROXY_ID);
    (uid, gid)
}

/// OpenShift gives every container of a pod the same `runAsUser`, so a
/// user `istio-proxy` carrying the app's user would defeat traffic
/// capture: Istio's webhook drops the proxy's `runAsUser` and
/// `runAsGroup` when its user equals the app's (`isSidecarUserMatchingAppUser`
/// in `webhook.go`: the last container setting a user on each side, unset
/// counting as 0, so two unset users match too).
pub(crate) fn forget_proxy_user_copied_from_app(pod: &mut Value) {
    let user = |c: &Value| c.at("/securityContext/runAsUser").and_then(Value::as_i64);
    let (mut proxy_user, mut app_user) = (0, 0);
    for c in pod::containers(pod, Containers::Regular).iter().chain(pod::containers(pod, Containers::Init)) {
        match pod::name_of(c) {
            pod::PROXY => proxy_user = user(c).unwrap_or(proxy_user),
            pod::VALIDATION | pod::INIT => {}
            _ => app_user = user(c).unwrap_or(app_user),
        }
    }
    if proxy_user != app_user {
        return;
    }
    // `FindSidecar`: among the containers first, then the init containers.
    let which =
        if pod::find(pod, Containers::Regular, pod::PROXY).is_some() { Containers::Regular } else { Containers::Init };
    let sidecar = pod::find_mut(pod, which, pod::PROXY);
    if let Some(context) = sidecar.and_then(|c| c.get_mut("securityContext")).and_then(Value::as_object_mut) {
        context.remove("runAsUser");
        context.remove("runAsGroup");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn istios_test_namespace() {
        let ns = annotations(&[
            (UID_RANGE_ANNOTATION, "1000620000/10000"),
            (SUPPLEMENTAL_GROUPS_ANNOTATION, "1000620000/10000"),
        ]);
        assert_eq!(proxy_ids(Some(&ns)), (1_000_629_999, 1_000_629_999));
        assert_eq!(proxy_ids(None), (1337, 1337));
    }

    #[test]
    fn groups_fall_back_to_the_uid_range_and_take_the_first_range() {
        assert_eq!(proxy_ids(Some(&annotations(&[(UID_RANGE_ANNOTATION, "5-9")]))), (9, 9));
        let ns = annotations(&[(UID_RANGE_ANNOTATION, "100/10"), (SUPPLEMENTAL_GROUPS_ANNOTATION, "200-210,300/5")]);
        assert_eq!(proxy_ids(Some(&ns)), (109, 210));
        let ns = annotations(&[(SUPPLEMENTAL_GROUPS_ANNOTATION, "200/1")]);
        assert_eq!(proxy_ids(Some(&ns)), (1337, 200));
    }

    #[test]
    fn malformed_annotations_fall_back_to_1337_with_a_reason() {
        let ns = annotations(&[(UID_RANGE_ANNOTATION, "abc"), (SUPPLEMENTAL_GROUPS_ANNOTATION, "")]);
        assert_eq!(proxy_ids(Some(&ns)), (1337, 1337));
        assert_eq!(uid_range(&ns).unwrap_err().to_string(), "openshift.io/sa.scc.uid-range: \"abc\": expected integer");
        assert_eq!(supplemental_groups(&ns), Err(RangeError::NoGroups));
        // One bad range spoils all: Istio keeps 1337 for the group.
        let ns = annotations(&[(UID_RANGE_ANNOTATION, "1/1"), (SUPPLEMENTAL_GROUPS_ANNOTATION, "10/2,x")]);
        assert_eq!(proxy_ids(Some(&ns)), (1, 1337));
        let ns = annotations(&[(UID_RANGE_ANNOTATION, "")]);
        assert_eq!(uid_range(&ns), Err(RangeError::Empty(UID_RANGE_ANNOTATION)));
        assert_eq!(proxy_ids(Some(&ns)), (1337, 1337));
        assert_eq!(uid_range(&BTreeMap::new()), Err(RangeError::Missing(UID_RANGE_ANNOTATION)));
    }

    #[test]
    fn the_proxy_forgets_the_apps_user_only() {
        let pod = |proxy: Value| {
            serde_json::json!({"spec": {"containers": [
                {"name": "app", "securityContext": {"runAsUser": 1000620000}},
                {"name": "istio-proxy", "securityContext": proxy},
            ]}})
        };
        let mut same =
            pod(serde_json::json!({"runAsUser": 1000620000, "runAsGroup": 5, "readOnlyRootFilesystem": false}));
        forget_proxy_user_copied_from_app(&mut same);
        assert_eq!(
            same["spec"]["containers"][1]["securityContext"],
            serde_json::json!({"readOnlyRootFilesystem": false})
        );
        let mut own = pod(serde_json::json!({"runAsUser": 7}));
        forget_proxy_user_copied_from_app(&mut own);
        assert_eq!(own["spec"]["containers"][1]["securityContext"], serde_json::json!({"runAsUser": 7}));
    }

    #[test]
    fn blocks_wrap_and_ignore_trailing_text_as_go() {
        assert_eq!(parse_block("0/0"), Ok(Block { start: 0, end: u32::MAX }));
        assert_eq!(parse_block("10/5 extra"), Ok(Block { start: 10, end: 14 }));
        assert_eq!(parse_block("9-3"), Ok(Block { start: 9, end: 3 }));
        assert_eq!(parse_block("10"), Err(ScanError::UnexpectedEof));
    }
}
