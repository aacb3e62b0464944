//! Reading the parts of an API object every kind has: name, namespace,
//! string maps (labels, annotations, selectors) and the creation time, as
//! `metav1.ObjectMeta` decodes them (a `null` is as absent; anything else
//! of the wrong JSON type is an error).

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::ClusterError;

/// The identity of one object, for errors and ordering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ObjectRef {
    pub(crate) kind: &'static str,
    pub(crate) namespace: String,
    pub(crate) name: String,
}

impl ObjectRef {
    /// Reads `metadata.name` and `metadata.namespace` of `object`.
    pub(crate) fn of(kind: &'static str, object: &Value) -> Result<ObjectRef, ClusterError> {
        let mut id = ObjectRef { kind, namespace: String::new(), name: String::new() };
        if !object.is_object() {
            return Err(id.error("", format!("the object must be a JSON object, not {}", json_type(object))));
        }
        let metadata = object.get("metadata").filter(|m| !m.is_null());
        if let Some(m) = metadata.filter(|m| !m.is_object()) {
            return Err(id.error("metadata", format!("must be an object, not {}", json_type(m))));
        }
        id.name = id.optional_str(object, "metadata.name")?.unwrap_or_default().to_owned();
        id.namespace = id.optional_str(object, "metadata.namespace")?.unwrap_or_default().to_owned();
        Ok(id)
    }

    /// An error about `field` of this object.
    pub(crate) fn error(&self, field: &str, problem: impl Into<String>) -> ClusterError {
        let name = if self.name.is_empty() { "<unnamed>" } else { &self.name };
        let object = if self.namespace.is_empty() { name.to_owned() } else { format!("{}/{name}", self.namespace) };
        ClusterError { kind: self.kind, object, field: field.to_owned(), problem: problem.into() }
    }

    /// The field at the dotted `path`, `None` when absent or `null`.
    pub(crate) fn field<'v>(&self, object: &'v Value, path: &str) -> Result<Option<&'v Value>, ClusterError> {
        let mut at = object;
        let mut walked = String::new();
        for part in path.split('.') {
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(part);
            match at {
                Value::Object(map) => match map.get(part) {
                    None | Some(Value::Null) => return Ok(None),
                    Some(next) => at = next,
                },
                other => {
                    let parent = &walked[..walked.len() - part.len()].trim_end_matches('.');
                    return Err(self.error(parent, format!("must be an object, not {}", json_type(other))));
                }
            }
        }
        Ok(Some(at))
    }

    /// A string field, `None` when absent or `null`.
    pub(crate) fn optional_str<'v>(&self, object: &'v Value, path: &str) -> Result<Option<&'v str>, ClusterError> {
        match self.field(object, path)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.error(path, format!("must be a string, not {}", json_type(other)))),
        }
    }

    /// A `map[string]string` field (labels, annotations, `matchLabels`),
    /// `None` when absent or `null`.
    pub(crate) fn string_map(
        &self,
        object: &Value,
        path: &str,
    ) -> Result<Option<BTreeMap<String, String>>, ClusterError> {
        let Some(value) = self.field(object, path)? else { return Ok(None) };
        let Value::Object(map) = value else {
            return Err(self.error(path, format!("must be a map of strings, not {}", json_type(value))));
        };
        let mut out = BTreeMap::new();
        for (key, v) in map {
            match v {
                Value::String(s) => {
                    out.insert(key.clone(), s.clone());
                }
                // Go decodes a null map value as the empty string.
                Value::Null => {
                    out.insert(key.clone(), String::new());
                }
                other => {
                    return Err(
                        self.error(&format!("{path}.{key}"), format!("must be a string, not {}", json_type(other)))
                    );
                }
            }
        }
        Ok(Some(out))
    }

    /// `metadata.creationTimestamp` (RFC 3339) as a point in time; absent
    /// is Go's zero time, earlier than any other.
    pub(crate) fn creation_time(&self, object: &Value) -> Result<Timestamp, ClusterError> {
        const FIELD: &str = "metadata.creationTimestamp";
        match self.optional_str(object, FIELD)? {
            None => Ok(Timestamp::ZERO),
            Some(text) => Timestamp::parse_rfc3339(text)
                .ok_or_else(|| self.error(FIELD, format!("{text:?} is not an RFC 3339 time (2006-01-02T15:04:05Z)"))),
        }
    }
}

/// A point in time, ordered as Go's `time.Time.Compare` orders them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timestamp {
    /// Seconds since the Unix epoch.
    seconds: i64,
    nanos: u32,
}

impl Timestamp {
    /// Go's zero `time.Time` (January 1, year 1, UTC).
    pub(crate) const ZERO: Timestamp = Timestamp { seconds: -62_135_596_800, nanos: 0 };

    /// `metav1.Time`'s decoding: `time.Parse(time.RFC3339, text)`.
    pub(crate) fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let utc = injit_runtime::gotime::Location::utc();
        let time = injit_runtime::gotime::Time::parse_in_location("2006-01-02T15:04:05Z07:00", text, utc).ok()?;
        Some(Timestamp { seconds: time.sec, nanos: time.nsec })
    }
}

/// The JSON type of a value, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_order_as_times() {
        let t = |s| Timestamp::parse_rfc3339(s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(t("1970-01-01T00:00:00Z"), Timestamp { seconds: 0, nanos: 0 });
        assert_eq!(t("2024-02-29T12:00:00Z"), t("2024-02-29T13:30:00+01:30"));
        assert!(t("2024-01-01T00:00:00.5Z") > t("2024-01-01T00:00:00Z"));
        assert!(Timestamp::ZERO < t("0001-01-01T00:00:01Z"));
        assert_eq!(t("0001-01-01T00:00:00Z"), Timestamp::ZERO);
        assert_eq!(Timestamp::ZERO.seconds, injit_runtime::gotime::Time::zero().sec);
        for bad in ["2024-02-30T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "yesterday", ""] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn wrong_types_name_the_object_and_field() {
        let object = json!({"metadata": {"name": "pc", "namespace": "ns", "labels": {"a": 1}}});
        let id = ObjectRef::of("ProxyConfig", &object).unwrap();
        let e = id.string_map(&object, "metadata.labels").unwrap_err();
        assert_eq!(e.to_string(), "ProxyConfig ns/pc: metadata.labels.a: must be a string, not a number");
        let e = ObjectRef::of("Node", &json!({"metadata": {"name": 3}})).unwrap_err();
        assert_eq!(e.to_string(), "Node <unnamed>: metadata.name: must be a string, not a number");
        let e = id.optional_str(&json!({"spec": "x"}), "spec.image.imageType").unwrap_err();
        assert_eq!(e.to_string(), "ProxyConfig ns/pc: spec: must be an object, not a string");
    }
}
