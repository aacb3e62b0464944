//! `metav1.LabelSelector` as Kubernetes evaluates it (`matchLabels` and
//! `matchExpressions`, ANDed; the empty selector matches everything), and
//! a Service's plain `map[string]string` selector.

use serde_json::Value;

/// Whether `selector` has neither labels nor expressions.
pub fn is_empty(selector: &Value) -> bool {
    let labels = selector.get("matchLabels").and_then(Value::as_object);
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    labels.is_none_or(|m| m.is_empty()) && expressions.is_none_or(|e| e.is_empty())
}

/// Why `metav1.LabelSelectorAsSelector` refuses `selector`, if it does:
/// an operator other than `In`, `NotIn`, `Exists`, `DoesNotExist`; `In`
/// or `NotIn` without values, `Exists` or `DoesNotExist` with some; a key
/// that is not a qualified name or a value that is not a label value
/// (`labels.NewRequirement`). Istio skips such a never/always selector.
pub fn invalid(selector: &Value) -> Option<String> {
    if let Some(m) = selector.get("matchLabels").and_then(Value::as_object) {
        for (key, value) in m {
            if !is_qualified_name(key) {
                return Some(format!("invalid label key {key:?}"));
            }
            let value = value.as_str().unwrap_or_default();
            if !is_label_value(value) {
                return Some(format!("invalid label value: {value:?}"));
            }
        }
    }
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    for expr in expressions.into_iter().flatten() {
        let key = expr.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = expr
            .get("values")
            .and_then(Value::as_array)
            .map(|v| v.iter().map(|v| v.as_str().unwrap_or_default()).collect())
            .unwrap_or_default();
        let operator = expr.get("operator").and_then(Value::as_str).unwrap_or_default();
        match operator {
            "In" | "NotIn" if values.is_empty() => {
                return Some("for 'in', 'notin' operators, values set can't be empty".to_owned());
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                return Some("values set must be empty for exists and does not exist".to_owned());
            }
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => return Some(format!("{other:?} is not a valid label selector operator")),
        }
        if !is_qualified_name(key) {
            return Some(format!("invalid label key {key:?}"));
        }
        if let Some(value) = values.iter().find(|v| !is_label_value(v)) {
            return Some(format!("invalid label value: {value:?}"));
        }
    }
    None
}

/// `validation.IsQualifiedName`: an optional DNS subdomain prefix and `/`,
/// then a name of 1-63 alphanumerics, `-`, `_`, `.`, alphanumeric at both ends.
fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let subdomain = |p: &str| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|label| {
                !label.is_empty()
                    && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
    };
    !name.is_empty() && is_label_value(name) && prefix.is_none_or(subdomain)
}

/// `validation.IsValidLabelValue`: empty, or at most 63 alphanumerics,
/// `-`, `_`, `.`, beginning and ending with an alphanumeric.
fn is_label_value(value: &str) -> bool {
    let edge = |b: Option<&u8>| b.is_none_or(u8::is_ascii_alphanumeric);
    value.len() <= 63
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && edge(value.as_bytes().first())
        && edge(value.as_bytes().last())
}

/// Whether `labels` satisfy `selector`. An operator Kubernetes does not
/// know matches nothing (the API server would have refused it).
pub fn matches(selector: &Value, labels: &[(String, String)]) -> bool {
    let label = |k: &str| labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Some(m) = selector.get("matchLabels").and_then(Value::as_object)
        && m.iter().any(|(k, v)| label(k) != v.as_str())
    {
        return false;
    }
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    expressions.into_iter().flatten().all(|expr| {
        let key = expr.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = expr
            .get("values")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match expr.get("operator").and_then(Value::as_str) {
            Some("In") => label(key).is_some_and(|v| values.contains(&v)),
            Some("NotIn") => label(key).is_none_or(|v| !values.contains(&v)),
            Some("Exists") => label(key).is_some(),
            Some("DoesNotExist") => label(key).is_none(),
            _ => false,
        }
    })
}

/// A Service's selector (`spec.selector`, a plain map) against pod labels:
/// every pair must be present. A Service without a selector selects no
/// pod (its endpoints are managed by hand).
pub fn service_selects(selector: &Value, labels: &[(String, String)]) -> bool {
    match selector.as_object() {
        Some(m) if !m.is_empty() => {
            m.iter().all(|(k, v)| labels.iter().any(|(name, value)| name == k && Some(value.as_str()) == v.as_str()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn kubernetes_selector_semantics() {
        let pod = labels(&[("app", "a"), ("tier", "web")]);
        assert!(matches(&json!({}), &pod), "the empty selector selects everything");
        assert!(matches(&json!({"matchLabels": {"app": "a"}}), &pod));
        assert!(!matches(&json!({"matchLabels": {"app": "b"}}), &pod));
        let expr = |op: &str, values: &[&str]| json!({"matchExpressions": [{"key": "tier", "operator": op, "values": values}]});
        assert!(matches(&expr("In", &["web", "db"]), &pod));
        assert!(!matches(&expr("NotIn", &["web"]), &pod));
        assert!(matches(&expr("NotIn", &["web"]), &labels(&[])), "NotIn holds for a missing label");
        assert!(matches(&expr("Exists", &[]), &pod));
        assert!(!matches(&expr("DoesNotExist", &[]), &pod));
        assert!(!matches(&expr("Gt", &["1"]), &pod));
        assert!(service_selects(&json!({"app": "a"}), &pod));
        assert!(!service_selects(&json!({"app": "a", "v": "1"}), &pod));
        assert!(!service_selects(&json!({}), &pod), "no selector, no pods");
    }

    #[test]
    fn invalid_selectors_are_named_as_apimachinery_names_them() {
        let expr = |key: &str, op: &str, values: &[&str]| json!({"matchExpressions": [{"key": key, "operator": op, "values": values}]});
        for valid in [
            expr("tier", "In", &["web"]),
            expr("example.com/tier", "NotIn", &["", "a.b_c-d"]),
            expr("tier", "Exists", &[]),
            json!({"matchLabels": {"app.kubernetes.io/name": "x", "empty": ""}}),
            json!({}),
        ] {
            assert_eq!(invalid(&valid), None, "{valid}");
        }
        for (bad, why) in [
            (expr("tier", "Exists", &["x"]), "values set must be empty"),
            (expr("tier", "NotIn", &[]), "values set can't be empty"),
            (expr("tier", "Gt", &["1"]), "not a valid label selector operator"),
            (expr("tier", "In", &["not valid!"]), "invalid label value"),
            (json!({"matchLabels": {"tier": "-x"}}), "invalid label value"),
        ] {
            assert!(invalid(&bad).is_some_and(|e| e.contains(why)), "{bad}: {:?}", invalid(&bad));
        }
        for key in ["bad key!", "team/", "/x", "Example.com/x", &"k".repeat(64)] {
            assert!(invalid(&expr(key, "Exists", &[])).is_some(), "{key}");
            assert!(invalid(&json!({"matchLabels": {key: "v"}})).is_some(), "{key}");
        }
    }
}
