//! Untrusted strings: whoever creates a pod controls every string in it —
//! names, namespaces, labels and annotations (keys and values, and the
//! keys and strings of the JSON some annotations hold), owner references,
//! images, ports, env, args, volumes — and the workload's names derived
//! from them. Templates paste such strings into YAML, quoted
//! (`- name: "{{ $index }}"`) or not (`value: kubernetes://apis/{{
//! .TypeMeta.APIVersion }}/…`), so a string with a quote and a newline
//! could add fields to the sidecar or to the pod. Each string must reach
//! its own fields and nothing else.
//!
//! When any such string holds characters that mean something in YAML,
//! the pod is injected a second time from a *probe*: the same pod with
//! those characters replaced by `_` (the rest kept, so that the template
//! takes the same branches; JSON held in an annotation keeps its syntax
//! and has its keys and strings made plain, so that templates still parse
//! it). The two results must have the same shape, differing only in
//! strings that carried a probed value; otherwise the pod is refused with
//! an error naming the field. Pods without such strings pay one walk of
//! the pod.

use aho_corasick::AhoCorasick;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::proxy_config::PROXY_CONFIG_ANNOTATION;
use crate::workload::Workload;

/// How many values are tried one by one to find the one at fault, when
/// several are probed at once: the search costs one injection each, and
/// is only done for pods about to be refused.
const BLAME_TRIES: usize = 4;

const fn is_yaml_syntax(c: char) -> bool {
    matches!(
        c,
        // Unicode's control characters (`char::is_control`, not const).
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '"' | '\'' | '\\' | '#' | '{' | '}' | '[' | ']' | ',' | '&' | '!' | '|' | '>' | '%' | '@' | '`'
            // Line and paragraph separators (line breaks in YAML 1.1),
            // and the byte order mark.
            | '\u{2028}' | '\u{2029}' | '\u{feff}'
    )
}

/// Whether pasting `value` into YAML can change more than a scalar.
fn is_risky(value: &str) -> bool {
    if value.ends_with(':') || is_alias(value) {
        return true;
    }
    // Every string of a pod is asked: ASCII, nearly always, is looked up
    // a byte at a time, the rest of a string from its first other
    // character on (a char boundary, all before it being ASCII) as chars.
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if !b.is_ascii() {
            let rest = &value[i..];
            return rest.contains(": ") || rest.chars().any(is_yaml_syntax);
        }
        if ASCII_SYNTAX[usize::from(b)] || (b == b':' && bytes.get(i + 1) == Some(&b' ')) {
            return true;
        }
    }
    false
}

/// `is_yaml_syntax` of each ASCII character.
static ASCII_SYNTAX: [bool; 128] = {
    let mut table = [false; 128];
    let mut c = 0;
    while c < 128 {
        table[c] = is_yaml_syntax(c as u8 as char);
        c += 1;
    }
    table
};

/// Whether `value` pasted unquoted is an alias (`*name`) of an anchor
/// the template may define; a lone `*` is no alias, and common.
fn is_alias(value: &str) -> bool {
    value.len() > 1 && value.starts_with('*')
}

/// `value` with what YAML could read as syntax made plain.
pub fn plain(value: &str) -> String {
    let mut plain: String = value.chars().map(|c| if is_yaml_syntax(c) { '_' } else { c }).collect();
    if plain.contains(": ") {
        plain = plain.replace(": ", ":_");
    }
    if plain.ends_with(':') {
        plain.pop();
        plain.push('_');
    }
    if is_alias(&plain) {
        plain.replace_range(..1, "_");
    }
    plain
}

/// A string of the pod that needs the check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Risky {
    /// Where it is, for messages (`spec.containers[0].env[1].value`).
    pub field: String,
    pub value: String,
    /// Its probe: text that marks a string of the output as carrying it.
    pub token: String,
}

/// The pod and workload with every risky string made plain (save one
/// value, when looking for the one at fault).
pub struct Probe {
    pub pod: Value,
    pub workload: Workload,
    pub risky: Vec<Risky>,
}

impl Probe {
    /// The probe of `pod` and `workload`, if any string needs one.
    pub fn of(pod: &Value, workload: &Workload) -> Option<Probe> {
        // Most pods have no string to probe: then nothing is copied.
        let (changed, workload, risky) = Probe::walk(pod, workload, None);
        (!risky.is_empty()).then(|| Probe { pod: changed.unwrap_or_else(|| pod.clone()), workload, risky })
    }

    /// The probe with the strings equal to `kept` left as they are.
    fn except(pod: &Value, workload: &Workload, kept: Option<&str>) -> Probe {
        let (changed, workload, risky) = Probe::walk(pod, workload, kept);
        Probe { pod: changed.unwrap_or_else(|| pod.clone()), workload, risky }
    }

    /// The pod with its risky strings (but those equal to `kept`)
    /// replaced, if any was; the workload so; and what was replaced.
    fn walk(pod: &Value, workload: &Workload, kept: Option<&str>) -> (Option<Value>, Workload, Vec<Risky>) {
        let mut walk = Walk { kept, risky: Vec::new() };
        let changed = walk.value(pod, &mut Vec::new());
        let mut probe_workload = workload.clone();
        for (field, text) in [
            ("the workload's kind", &mut probe_workload.type_meta.kind),
            ("the workload's apiVersion", &mut probe_workload.type_meta.api_version),
            ("the workload's name", &mut probe_workload.deployment.name),
            ("the workload's namespace", &mut probe_workload.deployment.namespace),
        ] {
            if let Some(token) = walk.string(text, || field.to_owned()) {
                *text = token;
            }
        }
        (changed, probe_workload, walk.risky)
    }
}

/// One step of a path in the pod.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn field_name(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Key(k) => out.push_str(&format!("[{k:?}]")),
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The walk making a probe: copies only what it changes.
struct Walk<'k> {
    kept: Option<&'k str>,
    risky: Vec<Risky>,
}

impl Walk<'_> {
    /// The probe of a risky string (recorded), or `None`.
    fn string(&mut self, s: &str, field: impl FnOnce() -> String) -> Option<String> {
        if !is_risky(s) || self.kept == Some(s) {
            return None;
        }
        let token = plain(s);
        self.risky.push(Risky { field: field(), value: s.to_owned(), token: token.clone() });
        Some(token)
    }

    /// The probe of an annotation's text. Istio reads many as lists
    /// (ports, CIDRs, interfaces, template names, scrape targets), so the
    /// commas between items stay, each item probed on its own: a comma is
    /// syntax only inside a flow collection, where templates quote.
    fn list(&mut self, text: &str, field: impl FnOnce() -> String) -> Option<String> {
        if !text.contains(',') {
            return self.string(text, field);
        }
        let items: Vec<&str> = text.split(',').collect();
        if !items.iter().any(|item| is_risky(item) && self.kept != Some(text)) {
            return None;
        }
        let token = items.iter().map(|item| plain(item)).collect::<Vec<_>>().join(",");
        self.risky.push(Risky { field: field(), value: text.to_owned(), token: token.clone() });
        Some(token)
    }

    fn value<'v>(&mut self, value: &'v Value, path: &mut Vec<Step<'v>>) -> Option<Value> {
        match value {
            Value::String(s) => self.string(s, || field_name(path)).map(Value::String),
            Value::Array(items) => {
                // Only the items besides a probe are copied (as for
                // objects below): copying the whole list at each level of
                // a deep one copied the probed subtree once per level.
                let mut changed: Option<Vec<Value>> = None;
                for (i, item) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    let probe = self.value(item, path);
                    path.pop();
                    match (probe, &mut changed) {
                        (Some(probe), None) => {
                            let mut copy = Vec::with_capacity(items.len());
                            copy.extend_from_slice(&items[..i]);
                            copy.push(probe);
                            changed = Some(copy);
                        }
                        (Some(probe), Some(copy)) => copy.push(probe),
                        (None, Some(copy)) => copy.push(item.clone()),
                        (None, None) => {}
                    }
                }
                changed.map(Value::Array)
            }
            Value::Object(map) => {
                let annotations = matches!(path.as_slice(), [Step::Key("metadata"), Step::Key("annotations")]);
                let mut changed: Option<Map<String, Value>> = None;
                for (i, (key, item)) in map.iter().enumerate() {
                    let probe_key = self.string(key, || match field_name(path) {
                        of if of.is_empty() => format!("the key {}", shown(key)),
                        of => format!("the key {} of {of}", shown(key)),
                    });
                    path.push(Step::Key(key));
                    let probe = match item {
                        Value::String(text) if annotations => self.annotation(key, text, path),
                        _ => self.value(item, path),
                    };
                    path.pop();
                    if probe_key.is_some() || probe.is_some() {
                        let copy = changed.get_or_insert_with(|| map.iter().take(i).map(clone_entry).collect());
                        copy.insert(probe_key.unwrap_or_else(|| key.clone()), probe.unwrap_or_else(|| item.clone()));
                    } else if let Some(copy) = &mut changed {
                        copy.insert(key.clone(), item.clone());
                    }
                }
                changed.map(Value::Object)
            }
            _ => None,
        }
    }

    /// An annotation's value: JSON objects and arrays (which templates
    /// parse with `fromJSON`, as Istio's do with `userVolume`) and the
    /// ProxyConfig YAML (which the injector parses) keep their syntax,
    /// with their own keys and strings probed; other values are text.
    fn annotation<'v>(&mut self, key: &str, text: &'v str, path: &mut Vec<Step<'v>>) -> Option<Value> {
        let structured = if key == PROXY_CONFIG_ANNOTATION {
            crate::yaml::document(text, injit_runtime::NumberMode::JsonNumber)
                .ok()
                .map(|data| crate::object::from_data(&data))
                .filter(|v| v.is_object() || v.is_array())
        } else if text.trim_start().starts_with(['{', '[']) {
            serde_json::from_str::<Value>(text).ok()
        } else {
            None
        };
        let Some(tree) = structured else { return self.list(text, || field_name(path)).map(Value::String) };
        let outer = field_name(path);
        let mut inner = Walk { kept: self.kept, risky: Vec::new() };
        let probe = inner.value(&tree, &mut Vec::new())?;
        for mut risky in inner.risky {
            risky.field = format!("{} in {outer}", risky.field);
            self.risky.push(risky);
        }
        Some(Value::String(serde_json::to_string(&probe).expect("JSON serialises")))
    }
}

fn clone_entry((k, v): (&String, &Value)) -> (String, Value) {
    (k.clone(), v.clone())
}

/// Runs `inject` on the pod and, when a string needs the check, on its
/// probe; refuses a result whose shape a string changed.
pub fn guarded(
    pod: &Value,
    workload: &Workload,
    inject: impl Fn(&Value, &Workload) -> Result<Value, Error>,
) -> Result<Value, Error> {
    let Some(probe) = Probe::of(pod, workload) else { return inject(pod, workload) };
    let result = inject(pod, workload);
    let out_of_time = |r: &Result<Value, Error>| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::Deadline);
    if out_of_time(&result) {
        return result;
    }
    let probed = inject(&probe.pod, &probe.workload);
    if out_of_time(&probed) {
        // The time ran out, which no string of the pod is to blame for.
        return probed;
    }
    let probed = match (probed, &result) {
        (Ok(probed), _) => probed,
        // Plain strings do not inject either: the syntax is not at fault.
        (Err(_), Err(_)) => return result,
        // Nothing to compare with: the pod cannot be checked, and a pod
        // that cannot be checked is not injected (else a string that
        // breaks the probe would let the others through).
        (Err(e), Ok(_)) => {
            let culprits: Vec<&Risky> = probe.risky.iter().collect();
            return Err(Error::new(ErrorKind::UntrustedString, Fault::Unchecked(e.to_string()).message(&culprits)));
        }
    };
    let carriers = Carriers::of(&probe.risky);
    let fault = match &result {
        Ok(injected) => carriers.difference(injected, &probed).map(Fault::Changed),
        Err(e) => Some(Fault::Broke(e.to_string())),
    };
    let Some(fault) = fault else { return result };
    let culprits = blame(pod, workload, &probe, &probed, &carriers, &inject);
    Err(Error::new(ErrorKind::UntrustedString, fault.message(&culprits)))
}

/// How a probed string showed its syntax.
enum Fault {
    /// The injected pod differs from the probe's at this JSON pointer.
    Changed(String),
    /// The pod does not inject while its probe does.
    Broke(String),
    /// The pod injects, but its probe does not.
    Unchecked(String),
}

impl Fault {
    fn message(&self, culprits: &[&Risky]) -> String {
        let mut named: Vec<String> = culprits
            .iter()
            .take(3)
            .map(|r| match shown(&r.value) {
                // A key names itself.
                value if r.field.contains(&value) => r.field.clone(),
                value => format!("{} = {value}", r.field),
            })
            .collect();
        if culprits.len() > 3 {
            named.push(format!("and {} more", culprits.len() - 3));
        }
        let named = named.join(", ");
        match self {
            Fault::Changed(at) => format!(
                "{named}: the value changes the injected pod beyond its own field (at {at}); \
                 quotes, newlines and YAML syntax are not allowed there"
            ),
            Fault::Broke(e) => format!("{named}: the value breaks the injection template: {e}"),
            Fault::Unchecked(e) => format!(
                "{named}: quotes, newlines and YAML syntax are not allowed there: the pod does not inject \
                 with them made plain ({e}), so what they change cannot be checked"
            ),
        }
    }
}

/// A value for a message: quoted, and cut short when long.
fn shown(value: &str) -> String {
    const MOST: usize = 80;
    match value.char_indices().nth(MOST) {
        Some((end, _)) => format!("{:?}…", &value[..end]),
        None => format!("{value:?}"),
    }
}

/// The probed values at fault: when several distinct values were probed,
/// each of the first few is left as it is, the rest made plain, and those
/// whose pod still differs from the probe's are named; all of them when
/// no one does alone.
fn blame<'r>(
    pod: &Value,
    workload: &Workload,
    probe: &'r Probe,
    probed: &Value,
    carriers: &Carriers,
    inject: &impl Fn(&Value, &Workload) -> Result<Value, Error>,
) -> Vec<&'r Risky> {
    // The first few distinct values, which is all that are tried (a pod
    // may carry a hundred thousand).
    let mut values: Vec<&str> = Vec::new();
    for r in &probe.risky {
        if values.len() == BLAME_TRIES.max(2) {
            break;
        }
        if !values.contains(&r.value.as_str()) {
            values.push(&r.value);
        }
    }
    if values.len() > 1 {
        for value in values.iter().take(BLAME_TRIES) {
            let alone = Probe::except(pod, workload, Some(value));
            let at_fault = match inject(&alone.pod, &alone.workload) {
                Ok(injected) => carriers.difference(&injected, probed).is_some(),
                Err(_) => true,
            };
            if at_fault {
                return probe.risky.iter().filter(|r| r.value == *value).collect();
            }
        }
    }
    probe.risky.iter().collect()
}

/// Tells which strings of the probe's result carry a probed value.
struct Carriers {
    any: Option<AhoCorasick>,
    /// Tokens long enough to be a value's own (see `difference`).
    long: Option<AhoCorasick>,
}

impl Carriers {
    fn of(risky: &[Risky]) -> Carriers {
        let build = |shortest: usize| {
            let tokens: Vec<&str> =
                risky.iter().map(|r| r.token.as_str()).filter(|t| t.len() >= shortest.max(1)).collect();
            if tokens.is_empty() { None } else { AhoCorasick::new(tokens).ok() }
        };
        Carriers { any: build(1), long: build(3) }
    }

    fn carries(matcher: &Option<AhoCorasick>, s: &str) -> bool {
        matcher.as_ref().is_some_and(|m| m.is_match(s))
    }

    /// Where `got` and `probe` differ other than in strings carrying a
    /// probed value (a JSON pointer), if anywhere.
    fn difference(&self, got: &Value, probe: &Value) -> Option<String> {
        let mut path = String::new();
        self.walk(got, probe, &mut path)
    }

    fn walk(&self, got: &Value, probe: &Value, path: &mut String) -> Option<String> {
        match (got, probe) {
            // A string that stayed a string: any value carried there,
            // however short (`C#` probes as `C_`; the field is its own).
            (Value::String(_), Value::String(p)) if Carriers::carries(&self.any, p) => None,
            // Where a value made something else of a string, only a token
            // long enough to be the value's own exempts it: a lone `#`
            // probes as `_`, which many strings contain.
            (_, Value::String(p)) if Carriers::carries(&self.long, p) => None,
            (Value::Object(g), Value::Object(p)) => {
                if g.len() != p.len() {
                    return Some(first_unpaired(g, p, path));
                }
                for (key, value) in g {
                    // A key from the pod comes back as its probe.
                    let Some(probe_value) = p.get(key).or_else(|| p.get(&plain(key))) else {
                        return Some(pointer(path, key));
                    };
                    let len = path.len();
                    push_pointer(path, key);
                    let found = self.walk(value, probe_value, path);
                    path.truncate(len);
                    if found.is_some() {
                        return found;
                    }
                }
                None
            }
            (Value::Array(g), Value::Array(p)) if g.len() == p.len() => {
                for (i, (g, p)) in g.iter().zip(p).enumerate() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    let found = self.walk(g, p, path);
                    path.truncate(len);
                    if found.is_some() {
                        return found;
                    }
                }
                None
            }
            _ if got == probe => None,
            _ => Some(if path.is_empty() { "/".to_owned() } else { path.clone() }),
        }
    }
}

/// The first key of either object without a partner in the other.
fn first_unpaired(got: &Map<String, Value>, probe: &Map<String, Value>, path: &str) -> String {
    let extra = got.keys().find(|k| !probe.contains_key(*k) && !probe.contains_key(&plain(k)));
    let missing = || {
        // Each key of `got` made plain once, not once for each of `probe`'s.
        let plain_got: std::collections::HashSet<String> = got.keys().map(|g| plain(g)).collect();
        probe.keys().find(|k| !got.contains_key(*k) && !plain_got.contains(*k))
    };
    match extra.or_else(missing) {
        Some(key) => pointer(path, key),
        None => {
            if path.is_empty() {
                "/".to_owned()
            } else {
                path.to_owned()
            }
        }
    }
}

fn pointer(path: &str, key: &str) -> String {
    let mut out = path.to_owned();
    push_pointer(&mut out, key);
    out
}

/// Appends `/key`, escaped as RFC 6901 says.
fn push_pointer(path: &mut String, key: &str) {
    path.push('/');
    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `is_risky` as first written: each character decoded.
    fn is_risky_by_chars(value: &str) -> bool {
        value.contains(": ") || value.ends_with(':') || is_alias(value) || value.chars().any(is_yaml_syntax)
    }

    #[test]
    fn risky_strings_are_found_a_byte_at_a_time_as_a_char_at_a_time() {
        let pieces = [
            "", "a", " ", ":", ": ", "*", "*x", "#", "\t", "\u{7f}", "\u{85}", "é", "é:", "é: ", "\u{2028}",
            "\u{feff}", "日本", "{", "-", "x:y", "%", "~",
        ];
        let mut checked = 0;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let s = format!("{a}{b}{c}");
                    assert_eq!(is_risky(&s), is_risky_by_chars(&s), "{s:?}");
                    checked += 1;
                }
            }
        }
        // The control characters `is_yaml_syntax` names are Unicode's.
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            assert_eq!(c.is_control(), matches!(c, '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}'), "{c:?}");
        }
        for c in (0..0x3000).filter_map(char::from_u32) {
            for s in [c.to_string(), format!("a{c}"), format!("é{c}b")] {
                assert_eq!(is_risky(&s), is_risky_by_chars(&s), "{s:?}");
            }
        }
        assert_eq!(checked, pieces.len().pow(3));
    }

    fn fields(pod: &Value) -> Vec<String> {
        Probe::of(pod, &Workload::default()).map(|p| p.risky.into_iter().map(|r| r.field).collect()).unwrap_or_default()
    }

    /// A template pasting `text` as YAML, read back.
    fn yaml(text: &str) -> Result<Value, Error> {
        let docs =
            crate::object::yaml_documents(text).map_err(|e| Error::new(ErrorKind::RenderedYaml, e.to_string()))?;
        Ok(docs.into_iter().next().unwrap_or_default())
    }

    fn annotation<'p>(pod: &'p Value, key: &str) -> &'p str {
        crate::pod::annotation(pod, key).unwrap_or_default()
    }

    #[test]
    fn every_string_of_the_pod_is_checked() {
        let pod = json!({
            "metadata": {
                "name": "web",
                "labels": {"app": "web", "a\"b": "c"},
                "annotations": {
                    "sidecar.istio.io/proxyImage": "evil\"\n  privileged: true",
                    "sidecar.istio.io/logLevel": "debug",
                    "traffic.sidecar.istio.io/includeOutboundIPRanges": "*",
                    "proxy.istio.io/config": "holdApplicationUntilProxyStarts: true",
                    "example.com/note": "a: b",
                    "example.com/ports": "80,443",
                    "example.com/list": "a,{b}",
                    "sidecar.istio.io/userVolume": r#"{"x\"\n  hostPID: true": {"emptyDir": {}}}"#,
                    "sidecar.istio.io/status": r#"{"containers":["istio-proxy"]}"#,
                },
                "ownerReferences": [{"apiVersion": "apps/v1\n  hostPID: true", "kind": "ReplicaSet"}],
            },
            "spec": {"containers": [{"name": "web", "image": "nginx", "args": ["--a=1,2"]}]},
        });
        assert_eq!(
            fields(&pod),
            [
                "metadata.annotations[\"example.com/list\"]",
                "metadata.annotations[\"example.com/note\"]",
                "metadata.annotations[\"sidecar.istio.io/proxyImage\"]",
                "the key \"x\\\"\\n  hostPID: true\" in metadata.annotations[\"sidecar.istio.io/userVolume\"]",
                "the key \"a\\\"b\" of metadata.labels",
                "metadata.ownerReferences[0].apiVersion",
                "spec.containers[0].args[0]",
            ]
        );
        let probe = Probe::of(&pod, &Workload::default()).unwrap();
        // JSON keeps its syntax, its keys and strings made plain.
        assert_eq!(annotation(&probe.pod, "sidecar.istio.io/userVolume"), r#"{"x__  hostPID:_true":{"emptyDir":{}}}"#);
        assert_eq!(probe.pod["metadata"]["labels"], json!({"app": "web", "a_b": "c"}));
        // Lists keep their commas.
        assert_eq!(annotation(&probe.pod, "example.com/list"), "a,_b_");
        assert_eq!(annotation(&probe.pod, "example.com/ports"), "80,443");
        // Untouched where nothing is risky.
        assert_eq!(probe.pod["spec"]["containers"][0]["image"], "nginx");
        assert_eq!(annotation(&probe.pod, "sidecar.istio.io/status"), r#"{"containers":["istio-proxy"]}"#);
        // The ProxyConfig's strings, read as YAML.
        let config = json!({"metadata": {"annotations": {
            "proxy.istio.io/config": "proxyMetadata:\n  A: \"x\\\"\\n  privileged: true\"\n  B: fine\n",
        }}});
        let probe = Probe::of(&config, &Workload::default()).unwrap();
        assert_eq!(
            annotation(&probe.pod, "proxy.istio.io/config"),
            r#"{"proxyMetadata":{"A":"x__  privileged:_true","B":"fine"}}"#
        );
        assert!(Probe::of(&json!({"metadata": {"name": "plain"}}), &Workload::default()).is_none());
    }

    #[test]
    fn the_workloads_names_are_checked() {
        let mut workload = Workload::default();
        workload.type_meta.api_version = "apps/v1\n  command: [id]".to_owned();
        let probe = Probe::of(&json!({}), &workload).unwrap();
        assert_eq!(probe.workload.type_meta.api_version, "apps/v1_  command:__id_");
        assert_eq!(probe.risky[0].field, "the workload's apiVersion");
        // Pasted unquoted, as Istio's template pastes ISTIO_META_OWNER.
        let inject = |_: &Value, w: &Workload| yaml(&format!("env:\n- value: {}\n", w.type_meta.api_version));
        let e = guarded(&json!({}), &workload, inject).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UntrustedString);
        assert!(e.message().starts_with("the workload's apiVersion = \"apps/v1"), "{e}");
        assert!(e.message().contains("(at /env/0/command)"), "{e}");
    }

    /// Keys made plain collide (`a"b` and `a'b` are both `a_b`), so the
    /// probe has fewer: finding which, among 50,000, is one pass, not one
    /// per key (which took minutes, holding a worker).
    #[test]
    fn many_keys_to_pair_are_paired_in_linear_time() {
        let mut labels = Map::new();
        labels.insert("a\"b".to_owned(), json!("x"));
        labels.insert("a'b".to_owned(), json!("x"));
        for i in 0..50_000 {
            labels.insert(format!("k{i}\""), json!("v"));
        }
        let pod = json!({"metadata": {"labels": labels}});
        let start = std::time::Instant::now();
        let e = guarded(&pod, &Workload::default(), |pod, _| Ok(pod.clone())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UntrustedString);
        assert!(e.message().starts_with("the key \"a\\\"b\" of metadata.labels: "), "the one at fault: {e}");
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "{:?}", start.elapsed());
    }

    /// A string deep in nested lists is probed without copying the lists
    /// around it once per level of nesting.
    #[test]
    fn a_probe_deep_in_lists_copies_each_list_once() {
        let mut deep = Value::Array((0..200_000).map(|i| json!(format!("s{i}"))).chain([json!("a\"b")]).collect());
        for _ in 0..2_000 {
            deep = Value::Array(vec![deep]);
        }
        let mut pod = json!({"metadata": {"annotations": {}}, "spec": {}});
        pod["spec"]["x"] = deep;
        let start = std::time::Instant::now();
        let probe = Probe::of(&pod, &Workload::default()).expect("a string to probe");
        // Milliseconds; copying per level took tens of seconds.
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "{:?}", start.elapsed());
        let mut at = &probe.pod["spec"]["x"];
        while at[0].is_array() {
            at = &at[0];
        }
        assert_eq!((at[0].as_str(), at[200_000].as_str()), (Some("s0"), Some("a_b")));
    }

    #[test]
    fn running_out_of_time_is_not_blamed_on_a_string() {
        let pod = json!({"metadata": {"annotations": {"sidecar.istio.io/proxyImage": "r.io/p@sha256:1"}}});
        assert!(Probe::of(&pod, &Workload::default()).is_some(), "a string the probe checks");
        // The deadline passes between the pod's injection and its probe's,
        // or before the pod's.
        for expired_on in [1, 0] {
            let calls = std::cell::Cell::new(0);
            let inject = |_: &Value, _: &Workload| {
                calls.set(calls.get() + 1);
                if calls.get() > expired_on { Err(crate::deadline::Expired.into()) } else { Ok(json!({})) }
            };
            let e = guarded(&pod, &Workload::default(), inject).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Deadline, "expired after {expired_on} injections: {e}");
        }
    }

    #[test]
    fn a_value_that_adds_a_field_is_refused_by_name() {
        let pod = json!({"metadata": {"annotations": {"sidecar.istio.io/proxyImage": "x\"\nprivileged: \"true"}}});
        let inject = |pod: &Value, _: &Workload| {
            yaml(&format!("image: \"{}\"\n", annotation(pod, "sidecar.istio.io/proxyImage")))
        };
        let e = guarded(&pod, &Workload::default(), inject).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UntrustedString);
        assert!(e.message().contains("sidecar.istio.io/proxyImage"), "{e}");
        assert!(e.message().contains("/privileged"), "{e}");
        let fine = json!({"metadata": {"annotations": {"sidecar.istio.io/proxyImage": "a'b#c"}}});
        assert_eq!(guarded(&fine, &Workload::default(), inject).unwrap(), json!({"image": "a'b#c"}));
    }

    #[test]
    fn json_keys_are_names_not_yaml() {
        // Istio's template: `- name: "{{ $index }}"` for each key of the
        // userVolume JSON, its value through toYaml.
        let inject = |pod: &Value, _: &Workload| {
            let volumes: Map<String, Value> =
                serde_json::from_str(annotation(pod, "sidecar.istio.io/userVolume")).unwrap_or_default();
            let mut text = String::from("volumes:\n");
            for (name, volume) in volumes {
                text.push_str(&format!("- name: \"{name}\"\n  {}\n", serde_json::to_string(&volume).unwrap()));
            }
            yaml(&text.replace("\n  {", "\n  v: {"))
        };
        let hostile =
            r#"{"x\"\n  emptyDir: {}\nhostPID: true\nserviceAccountName: istiod\nz:\n- name: \"y": {"emptyDir": {}}}"#;
        let pod = json!({"metadata": {"annotations": {"sidecar.istio.io/userVolume": hostile}}});
        let e = guarded(&pod, &Workload::default(), inject).unwrap_err();
        assert!(e.message().starts_with("the key \"x\\\"\\n  emptyDir"), "{e}");
        assert!(
            e.message().contains("in metadata.annotations[\"sidecar.istio.io/userVolume\"]: the value changes"),
            "{e}"
        );
        let fine =
            json!({"metadata": {"annotations": {"sidecar.istio.io/userVolume": r#"{"data": {"emptyDir": {}}}"#}}});
        let injected = guarded(&fine, &Workload::default(), inject).unwrap();
        assert_eq!(injected["volumes"][0]["name"], "data");
    }

    #[test]
    fn short_values_reach_their_own_fields() {
        // The pod's own annotations come back in the injected pod, and a
        // short proxyMetadata value becomes an env entry.
        let inject = |pod: &Value, _: &Workload| -> Result<Value, Error> {
            let config =
                crate::yaml::document(annotation(pod, "proxy.istio.io/config"), injit_runtime::NumberMode::JsonNumber)
                    .map_err(|e| Error::new(ErrorKind::RenderedYaml, e.to_string()))?;
            let separator = crate::object::from_data(&config)["proxyMetadata"]["SEP"].clone();
            Ok(json!({"metadata": pod["metadata"].clone(), "env": [{"name": "SEP", "value": separator}]}))
        };
        for value in ["C#", "#", "@", "!!", "'a", "\"\"", ","] {
            let pod = json!({"metadata": {"annotations": {
                "example.com/language": value,
                "proxy.istio.io/config": format!("proxyMetadata: {{SEP: {}}}", serde_json::to_string(value).unwrap()),
            }}});
            let injected = guarded(&pod, &Workload::default(), inject).unwrap_or_else(|e| panic!("{value:?}: {e}"));
            assert_eq!(injected["env"][0]["value"], json!(value));
        }
        // A short value that makes a string into something else is still
        // refused: `#` pasted unquoted leaves a null.
        let pod = json!({"metadata": {"annotations": {"sidecar.istio.io/logLevel": "#"}}});
        let paste =
            |pod: &Value, _: &Workload| yaml(&format!("level: {}\n", annotation(pod, "sidecar.istio.io/logLevel")));
        let e = guarded(&pod, &Workload::default(), paste).unwrap_err();
        assert!(e.message().contains("/level"), "{e}");
    }

    #[test]
    fn the_value_at_fault_is_named_among_several() {
        let pod = json!({
            "metadata": {"annotations": {"a": "x,y", "b": "p\"\nhostPID: true\nq: \"", "c": "{z}"}},
            "spec": {"containers": [{"name": "c", "args": ["sh -c \"x\""]}]},
        });
        let inject = |pod: &Value, _: &Workload| {
            yaml(&format!("a: {}\nb: \"{}\"\n", annotation(pod, "a").replace(',', " "), annotation(pod, "b")))
        };
        let e = guarded(&pod, &Workload::default(), inject).unwrap_err();
        assert!(e.message().starts_with("metadata.annotations.b = \"p\\\"\\nhostPID: true"), "{e}");
        assert!(!e.message().contains("spec.containers"), "{e}");
    }

    #[test]
    fn the_probe_keeps_what_templates_branch_on() {
        assert_eq!(plain("docker.io/proxy:1.0\u{1}\"x: y:"), "docker.io/proxy:1.0__x:_y_");
        assert_eq!(plain("*anchor,\u{2028}"), "_anchor__");
        let inject = |pod: &Value, _: &Workload| {
            let image = annotation(pod, "sidecar.istio.io/proxyImage");
            Ok(if image.contains('/') {
                json!({"image": image})
            } else {
                json!({"image": "default", "pull": "Always"})
            })
        };
        let pod = json!({"metadata": {"annotations": {"sidecar.istio.io/proxyImage": "r.io/p:1\u{1}"}}});
        assert_eq!(guarded(&pod, &Workload::default(), inject).unwrap(), json!({"image": "r.io/p:1\u{1}"}));
    }

    #[test]
    fn keys_from_the_pod_come_back_as_their_probes() {
        let pod = json!({"metadata": {"labels": {"a,b": "1"}}});
        let inject = |pod: &Value, _: &Workload| Ok(json!({"labels": pod["metadata"]["labels"].clone(), "n": 1}));
        assert_eq!(guarded(&pod, &Workload::default(), inject).unwrap(), json!({"labels": {"a,b": "1"}, "n": 1}));
    }
}
