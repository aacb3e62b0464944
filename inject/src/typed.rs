//! Round trips through Go types: what `json.Unmarshal` into a typed
//! object and `json.Marshal` back make of a JSON tree. Istio decodes every
//! merged pod into `corev1.Pod`, so unknown fields vanish, `omitempty`
//! fields at their zero value vanish, zero-valued required fields appear
//! (`resources: {}`), quantities become canonical (`1024Mi` → `1Gi`), and
//! values of the wrong type are errors.

use std::sync::{Arc, OnceLock};

use injit_runtime::Kind;
use injit_runtime::encoding::json::check::PathStep;
use injit_runtime::encoding::json::{check, normalize, typed};
use injit_runtime::types::{GoType, Ty};
use injit_strconv::FloatFormat;
use serde_json::{Map, Value};

/// A Go type the injector round-trips through.
#[derive(Clone, Copy, Debug)]
pub struct Typed {
    go: GoType,
}

impl Typed {
    /// The type with schema key `key` (`corev1.Pod`, `appsv1.Deployment`).
    pub fn named(key: &str) -> Typed {
        let go = GoType::named(key).unwrap_or_else(|| panic!("the schema has no {key}"));
        Typed { go }
    }

    pub fn pod() -> Typed {
        Typed::named("corev1.Pod")
    }

    /// An empty `corev1.Pod` as Go encodes it (what templates merge into),
    /// made once.
    pub fn empty_pod() -> Arc<Value> {
        static EMPTY: OnceLock<Arc<Value>> = OnceLock::new();
        let empty = EMPTY.get_or_init(|| {
            Arc::new(Typed::pod().normalize(&Value::Object(Map::new())).expect("an empty pod decodes"))
        });
        Arc::clone(empty)
    }

    pub fn container() -> Typed {
        Typed::named("corev1.Container")
    }

    /// `value` decoded into the type and encoded again.
    pub fn normalize(self, value: &Value) -> Result<Value, String> {
        typed::round_trip(self.go, value)
    }

    /// The same, reusing `value`'s keys and strings.
    pub fn normalize_owned(self, mut value: Value) -> Result<Value, String> {
        normalize::normalize(self.go, &mut value)?;
        Ok(value)
    }

    /// Whether `value` is as this type encodes it already
    /// ([`Typed::normalize`] would succeed and change nothing), found
    /// without copying it.
    pub fn is_normalized(self, value: &Value) -> bool {
        normalize::is_normalized(self.go, value)
    }

    /// [`Typed::normalize_owned`] of `value`, which was normalized as this
    /// type before `patch` was strategically merged into it
    /// ([`crate::merge`]): only what the patch reached is decoded and
    /// encoded again.
    pub fn normalize_patched(self, value: &mut Value, patch: &Value) -> Result<(), String> {
        normalize::normalize_patched(self.go, value, patch, crate::merge::merge_key)
    }

    /// What `sigs.k8s.io/yaml.Unmarshal` into this type does to YAML read
    /// generically: a number or boolean where the Go type has a string
    /// becomes its text (`15001` → `"15001"`; floats as 32-bit `%g`).
    /// Types with their own decoding (quantities, int-or-string) are left
    /// alone.
    pub fn coerce_yaml_scalars(self, value: &mut Value) {
        coerce(self.go, value);
    }

    /// Whether `value` decodes as this type (`json.Unmarshal`'s error if
    /// not).
    pub fn check(self, value: &Value) -> Result<(), String> {
        check::check(self.go, value)
    }

    /// Whether a value of this type that decodes still does with the
    /// scalar at `path` replaced by `scalar`; `None` when only checking
    /// the whole can say.
    pub fn scalar_decodes_at(self, path: &[PathStep<'_>], scalar: &Value) -> Option<bool> {
        check::check_scalar_at(self.go, path, scalar)
    }

    /// Whether the round trip of a value of this type, which it leaves as
    /// it is, does so with the scalar at `path` replaced by `scalar`
    /// (neither of them a zero value); `None` when only the round trip of
    /// the whole can say.
    pub fn scalar_kept_at(self, path: &[PathStep<'_>], scalar: &Value) -> Option<bool> {
        normalize::scalar_kept_at(self.go, path, scalar)
    }

    /// What `sigs.k8s.io/yaml.Unmarshal` of a YAML document into this
    /// type accepts: its scalars coerced, then decoded.
    pub fn decode_yaml(self, value: &mut Value) -> Result<(), String> {
        self.coerce_yaml_scalars(value);
        self.check(value)
    }

    /// `json.Marshal` of the value as this type, as text (HTML characters
    /// escaped, as `json.Marshal` does).
    pub fn to_json(self, value: &Value) -> Result<String, String> {
        typed::to_text(self.go, value, true)
    }
}

fn coerce(t: GoType, value: &mut Value) {
    if t.special().is_some() {
        return;
    }
    match t.expr() {
        Ty::Ptr(e) => coerce(GoType(e), value),
        Ty::Slice(e) => {
            if let Value::Array(items) = value {
                items.iter_mut().for_each(|item| coerce(GoType(e), item));
            }
        }
        Ty::Map(_, v) => {
            if let Value::Object(map) = value {
                map.values_mut().for_each(|item| coerce(GoType(v), item));
            }
        }
        Ty::Any => {}
        _ if t.kind() == Kind::String => {
            let text = match value {
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => i.to_string(),
                    (None, Some(u)) => u.to_string(),
                    _ => injit_strconv::format_float_bits(
                        n.as_f64().unwrap_or(0.0),
                        FloatFormat::General { upper: false },
                        -1,
                        32,
                    ),
                }),
                _ => None,
            };
            if let Some(text) = text {
                *value = Value::String(text);
            }
        }
        _ => {
            if let Value::Object(map) = value {
                for (key, item) in map.iter_mut() {
                    if let Some((field, _)) = check::find_json_field(t, key) {
                        coerce(field, item);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pod_round_trip_is_goes() {
        let pod = json!({
            "metadata": {"name": "p", "unknown": 1},
            "spec": {"containers": [{"name": "a", "image": "i", "resources": {"limits": {"cpu": "2000m", "memory": "1024Mi"}}}],
                     "volumes": [{"name": "v", "emptyDir": null}]},
        });
        let out = Typed::pod().normalize(&pod).expect("decodes");
        assert_eq!(
            out,
            json!({
                "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "a", "image": "i", "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}],
                         "volumes": [{"name": "v"}]},
                "status": {},
            })
        );
    }

    #[test]
    fn yaml_scalars_become_strings_where_go_wants_strings() {
        let mut spec =
            json!({"containers": [{"name": "p", "args": ["-p", 15001, true, 0.1], "ports": [{"containerPort": 80}]}]});
        Typed::named("inject.SidecarInjectionSpec").coerce_yaml_scalars(&mut spec);
        assert_eq!(
            spec,
            json!({"containers": [{"name": "p", "args": ["-p", "15001", "true", "0.1"], "ports": [{"containerPort": 80}]}]})
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let pod = json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": "x"}]}]}});
        assert!(Typed::pod().normalize(&pod).unwrap_err().contains("cannot unmarshal string"));
    }
}
