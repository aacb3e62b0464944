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
}
