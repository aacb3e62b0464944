//! The injector's configuration: the injector config (templates and the
//! injection policy), the mesh config (with Istio's defaults) and the
//! Helm values, each given as the bare text `kubectl get cm ... -o
//! jsonpath` prints or as a whole ConfigMap (`-o yaml`).

use std::collections::BTreeMap;
use std::fmt;

use injit_grammar::{Delims, LineIndex};
use serde_json::{Map, Value};

use crate::embedded::{ConfigEra, OffsetMap, find_templates};
use crate::object::{get, yaml_documents};
use crate::yaml::YamlError;

/// A configuration file that cannot be used: which, where and why.
/// `Display` is `FILE:LINE: WHY` (`FILE: WHY` without a line); `source()`
/// is the YAML error underneath, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file's name (a path, or `<default ...>` for Istio's defaults).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub kind: ConfigErrorKind,
}

/// Why a configuration file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigErrorKind {
    /// The text does not read as YAML; `what` names what was expected
    /// (`YAML`, `values`, `mesh config`).
    #[error("invalid {what}: {}", .source.message)]
    Yaml { what: &'static str, source: YamlError },
    /// A ConfigMap without the key its text should be under.
    #[error("the ConfigMap has no data.{key}")]
    NoConfigMapKey { key: &'static str },
    #[error("not an injector config: no `templates` or `template`")]
    NotInjectorConfig,
    /// A key of an injector config that has the wrong type.
    #[error("`{key}` must be {wanted}")]
    WrongType { key: &'static str, wanted: &'static str },
    /// Neither an injector config nor a sidecar template (read as a
    /// template it would inject a pod with no sidecar).
    #[error(
        "not an injector config (no `templates` or `template`) nor a sidecar template (no `{{{{ }}}}` actions); \
         is it the mesh config or the values?"
    )]
    NotConfigNorTemplate,
    #[error("values must be a map")]
    ValuesNotMap,
    /// One of the three files given in another's place: its keys are the
    /// other kind's (`key` is one of them).
    #[error("this is {found}, not {wanted} (it has `{key}`)")]
    WrongKind { found: &'static str, wanted: &'static str, key: String },
    #[error("the mesh config must be a map")]
    MeshNotMap,
    /// The mesh config does not decode as a `MeshConfig`.
    #[error("invalid mesh config: {0}")]
    InvalidMesh(String),
    /// The mesh config's `defaultConfig` is not a valid ProxyConfig.
    #[error("invalid mesh config: defaultConfig: {0}")]
    InvalidDefaultConfig(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.kind),
            None => write!(f, "{}: {}", self.file, self.kind),
        }
    }
}

impl std::error::Error for ConfigError {
    /// What `kind` wraps (its text is already part of this error's).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

fn error(file: &str, line: Option<usize>, kind: ConfigErrorKind) -> ConfigError {
    ConfigError { file: file.to_owned(), line, kind }
}

/// The error for text that is not YAML, at the YAML error's line.
fn invalid_yaml<'f>(file: &'f str, what: &'static str) -> impl FnOnce(YamlError) -> ConfigError + 'f {
    move |e| error(file, Some(e.line), ConfigErrorKind::Yaml { what, source: e })
}

/// `policy`: whether pods without an explicit choice are injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Enabled,
    Disabled,
    /// Any other value: Istio then injects nothing.
    Invalid,
}

/// One template of the config, with where its text sits in the file.
#[derive(Clone, Debug)]
pub struct TemplateSource {
    pub name: String,
    pub text: String,
    pub offsets: OffsetMap,
    pub delims: Delims,
}

/// The injector config (`istio-sidecar-injector`'s `config`).
#[derive(Clone, Debug)]
pub struct InjectorConfig {
    /// Where it was read from, for messages.
    pub file: String,
    pub source: String,
    pub era: ConfigEra,
    pub policy: Policy,
    pub templates: Vec<TemplateSource>,
    pub default_templates: Vec<String>,
    pub aliases: BTreeMap<String, Vec<String>>,
    pub never_inject_selector: Vec<Value>,
    pub always_inject_selector: Vec<Value>,
    pub injected_annotations: BTreeMap<String, String>,
}

/// The text of `key` in a ConfigMap's `data`, or the file itself when it
/// is not a ConfigMap.
fn unwrap_config_map(file: &str, text: &str, key: &'static str) -> Result<String, ConfigError> {
    let docs = yaml_documents(text).map_err(invalid_yaml(file, "YAML"))?;
    let first = docs.into_iter().find(|d| !d.is_null());
    match first {
        Some(doc) if get(&doc, &["kind"]).and_then(Value::as_str) == Some("ConfigMap") => {
            match get(&doc, &["data", key]).and_then(Value::as_str) {
                Some(inner) => Ok(inner.to_owned()),
                None => Err(error(file, None, ConfigErrorKind::NoConfigMapKey { key })),
            }
        }
        _ => Ok(text.to_owned()),
    }
}

impl InjectorConfig {
    /// Reads an injector config (bare, or a ConfigMap's `data.config`).
    pub fn parse(file: &str, text: &str) -> Result<InjectorConfig, ConfigError> {
        let embedded = find_templates(text).ok_or_else(|| error(file, None, ConfigErrorKind::NotInjectorConfig))?;
        let config_text = unwrap_config_map(file, text, "config")?;
        let doc =
            yaml_documents(&config_text).map_err(invalid_yaml(file, "YAML"))?.into_iter().next().unwrap_or(Value::Null);
        let strings = |key: &str| -> Vec<String> {
            match get(&doc, &[key]) {
                Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
                _ => Vec::new(),
            }
        };
        let policy = match get(&doc, &["policy"]).and_then(Value::as_str) {
            Some("enabled") => Policy::Enabled,
            Some("disabled") => Policy::Disabled,
            _ => Policy::Invalid,
        };
        let mut default_templates = strings("defaultTemplates");
        if default_templates.is_empty() {
            default_templates.push("sidecar".to_owned());
        }
        let aliases = match get(&doc, &["aliases"]) {
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| {
                    let names = v.as_array().map(|a| a.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect());
                    (k.clone(), names.unwrap_or_default())
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        let selectors = |key: &str| match get(&doc, &[key]) {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        let injected_annotations = crate::object::string_map(&doc, &["injectedAnnotations"]).into_iter().collect();
        let templates = embedded
            .templates
            .into_iter()
            .map(|t| {
                let delims = Delims::detect(&t.text);
                TemplateSource { name: t.name, text: t.text, offsets: t.offsets, delims }
            })
            .collect();
        Ok(InjectorConfig {
            file: file.to_owned(),
            source: text.to_owned(),
            era: embedded.era,
            policy,
            templates,
            default_templates,
            aliases,
            never_inject_selector: selectors("neverInjectSelector"),
            always_inject_selector: selectors("alwaysInjectSelector"),
            injected_annotations,
        })
    }

    /// What `istioctl kube-inject --injectConfigFile` accepts: a config,
    /// or (when the file is not one) the `sidecar` template itself. A file
    /// that is neither (the mesh config or the values given in its place,
    /// an empty file, `templates` that is not a map) is an error: read as
    /// a template it would inject a pod with no sidecar.
    pub fn parse_or_template(file: &str, text: &str) -> Result<InjectorConfig, ConfigError> {
        if find_templates(text).is_some() {
            return InjectorConfig::parse(file, text);
        }
        let root = yaml_documents(text).ok().and_then(|docs| docs.into_iter().next());
        for (key, wanted) in [("templates", "a map of template names to template texts"), ("template", "a string")] {
            if root.as_ref().is_some_and(|r| r.get(key).is_some()) {
                return Err(error(file, None, ConfigErrorKind::WrongType { key, wanted }));
            }
        }
        let delims = Delims::detect(text);
        if !text.contains(delims.left()) {
            return Err(error(file, None, ConfigErrorKind::NotConfigNorTemplate));
        }
        let era = if delims == Delims::default() { ConfigEra::Current } else { ConfigEra::Legacy };
        Ok(InjectorConfig {
            file: file.to_owned(),
            source: text.to_owned(),
            era,
            policy: Policy::Enabled,
            templates: vec![TemplateSource {
                name: "sidecar".to_owned(),
                text: text.to_owned(),
                offsets: OffsetMap::identity(),
                delims,
            }],
            default_templates: vec!["sidecar".to_owned()],
            aliases: BTreeMap::new(),
            never_inject_selector: Vec::new(),
            always_inject_selector: Vec::new(),
            injected_annotations: BTreeMap::new(),
        })
    }

    /// The never/always selectors Kubernetes cannot parse, each with
    /// why: Istio warns about them and skips them, as the decision here
    /// does.
    pub fn invalid_selectors(&self) -> Vec<String> {
        let lists = [
            ("neverInjectSelector", &self.never_inject_selector),
            ("alwaysInjectSelector", &self.always_inject_selector),
        ];
        lists
            .into_iter()
            .flat_map(|(key, selectors)| {
                selectors.iter().enumerate().filter_map(move |(i, selector)| {
                    crate::selector::invalid(selector).map(|why| format!("{key}[{i}] is skipped: {why}"))
                })
            })
            .collect()
    }

    /// The 1-based file line of byte `offset` of template `t`.
    pub fn file_line(&self, t: &TemplateSource, offset: u32) -> usize {
        self.file_position(t, offset).0
    }

    /// The 1-based file line and byte column of byte `offset` of template
    /// `t` (the template's scalar's start when its YAML style hides the
    /// correspondence).
    pub fn file_position(&self, t: &TemplateSource, offset: u32) -> (usize, usize) {
        let file_offset = t.offsets.to_file(offset).min(self.source.len() as u32);
        let (line, column) = LineIndex::new(&self.source).line_col(file_offset);
        (line as usize, column as usize)
    }
}

/// `mesh.DefaultMeshConfig()`, embedded: what a given mesh config is laid
/// over.
pub fn mesh_defaults() -> Value {
    match yaml_documents(defaults::MESH_DEFAULTS).ok().and_then(|docs| docs.into_iter().next()) {
        Some(map @ Value::Object(_)) => map,
        _ => panic!("the embedded mesh defaults are a YAML map"),
    }
}

/// The Helm values (`istio-sidecar-injector`'s `values`): JSON or YAML, or a
/// ConfigMap holding them.
pub fn parse_values(file: &str, text: &str) -> Result<Value, ConfigError> {
    let inner = unwrap_config_map(file, text, "values")?;
    let doc = yaml_documents(&inner).map_err(invalid_yaml(file, "values"))?;
    match doc.into_iter().next() {
        Some(Value::Object(map)) => {
            given_as(&map, Kind::Values).map_err(|kind| error(file, None, kind))?;
            Ok(Value::Object(map))
        }
        Some(Value::Null) | None => Ok(Value::Object(Default::default())),
        Some(_) => Err(error(file, Some(1), ConfigErrorKind::ValuesNotMap)),
    }
}

/// The three files `kube-inject` and `serve` read, told apart by their
/// keys, so that one given in another's place is named as such rather
/// than read as an empty or odd version of the other.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Injector,
    Values,
    Mesh,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Injector => "an injector config",
            Kind::Values => "the injector values",
            Kind::Mesh => "a mesh config",
        }
    }

    /// Keys only this kind has at the top (the chart's `values` keys,
    /// an injector config's own, MeshConfig fields values never hold).
    fn own_keys(self) -> &'static [&'static str] {
        match self {
            Kind::Injector => &[
                "templates",
                "template",
                "defaultTemplates",
                "neverInjectSelector",
                "alwaysInjectSelector",
                "injectedAnnotations",
            ],
            Kind::Values => &["global", "sidecarInjectorWebhook", "istio_cni", "gateways", "pilot"],
            Kind::Mesh => &[
                "defaultConfig",
                "rootNamespace",
                "trustDomain",
                "accessLogFile",
                "enablePrometheusMerge",
                "extensionProviders",
                "defaultProviders",
                "outboundTrafficPolicy",
                "ingressControllerMode",
            ],
        }
    }
}

/// An error when `map`, given as `wanted`, has another kind's keys and
/// none of its own.
fn given_as(map: &Map<String, Value>, wanted: Kind) -> Result<(), ConfigErrorKind> {
    let has = |kind: Kind| map.keys().find(|k| kind.own_keys().contains(&k.as_str()));
    if has(wanted).is_some() {
        return Ok(());
    }
    for found in [Kind::Injector, Kind::Values, Kind::Mesh].into_iter().filter(|k| *k != wanted) {
        if let Some(key) = has(found) {
            return Err(ConfigErrorKind::WrongKind { found: found.name(), wanted: wanted.name(), key: key.clone() });
        }
    }
    Ok(())
}

/// A mesh config's fields decode as a `MeshConfig` (Istio reads it with
/// `protomarshal.ApplyYAML`), and its `defaultConfig` is a valid
/// ProxyConfig overlay.
fn check_mesh(user: &Map<String, Value>) -> Result<(), ConfigErrorKind> {
    let fields = Value::Object(crate::proxy_config::camel_keys(user));
    let t = injit_runtime::types::GoType::named("meshconfig.MeshConfig").expect("the schema has MeshConfig");
    // Decoding the MeshConfig decodes its `defaultConfig` too.
    injit_runtime::encoding::json::check::check_proto(t, &fields).map_err(ConfigErrorKind::InvalidMesh)?;
    match fields.get("defaultConfig") {
        Some(Value::Object(overlay)) => crate::proxy_config::validate(&crate::proxy_config::camel_keys(overlay))
            .map_err(ConfigErrorKind::InvalidDefaultConfig),
        _ => Ok(()),
    }
}

/// The mesh config with Istio's defaults under it (`mesh.ApplyMeshConfig`),
/// or a ConfigMap's `data.mesh`: the file's top-level fields replace the
/// defaults', except `defaultConfig` (merged as a pod's ProxyConfig
/// annotation is), `defaultProviders` (field by field),
/// `extensionProviders` (by name) and `trustDomainAliases` (a union).
pub fn parse_mesh(file: &str, text: &str, defaults: &Value) -> Result<Value, ConfigError> {
    let inner = unwrap_config_map(file, text, "mesh")?;
    let doc = yaml_documents(&inner).map_err(invalid_yaml(file, "mesh config"))?;
    let user = match doc.into_iter().next() {
        Some(Value::Object(map)) => map,
        Some(Value::Null) | None => Map::new(),
        Some(_) => return Err(error(file, Some(1), ConfigErrorKind::MeshNotMap)),
    };
    given_as(&user, Kind::Mesh).map_err(|kind| error(file, None, kind))?;
    check_mesh(&user).map_err(|kind| error(file, None, kind))?;
    let mut mesh = match defaults {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    for (key, value) in user {
        let key = crate::proxy_config::lower_camel(&key);
        if value.is_null() {
            continue;
        }
        match (key.as_str(), value) {
            ("defaultConfig", Value::Object(overlay)) => {
                let base = mesh.entry("defaultConfig").or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(base) = base {
                    crate::proxy_config::merge(base, overlay);
                }
            }
            ("defaultProviders", Value::Object(overlay)) => {
                let base = mesh.entry("defaultProviders").or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(base) = base {
                    base.extend(overlay);
                }
            }
            ("extensionProviders", Value::Array(providers)) => {
                let base = mesh.entry("extensionProviders").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(base) = base {
                    for p in providers {
                        let name = p.get("name").cloned();
                        match base.iter_mut().find(|b| b.get("name") == name.as_ref()) {
                            Some(existing) => *existing = p,
                            None => base.push(p),
                        }
                    }
                }
            }
            ("trustDomainAliases", Value::Array(aliases)) => {
                let base = mesh.entry("trustDomainAliases").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(base) = base {
                    let mut all: Vec<String> =
                        base.iter().chain(aliases.iter()).filter_map(|a| a.as_str().map(str::to_owned)).collect();
                    all.sort();
                    all.dedup();
                    *base = all.into_iter().map(Value::String).collect();
                }
            }
            (_, value) => {
                mesh.insert(key, value);
            }
        }
    }
    Ok(Value::Object(mesh))
}

/// Istio's current default configuration (the chart's defaults, as the
/// fixtures render them): what `kube-inject` uses without config flags.
/// `inject/defaults/README.md` says where each file comes from.
pub mod defaults {
    /// Which Istio the embedded defaults are, for `--version` and notes.
    pub const ISTIO: &str = "Istio 1.31 (charts of istio/istio 86c9f01f, proxy image docker.io/istio/proxyv2:1.31.0)";
    pub const CONFIG: &str = include_str!("../defaults/config.yaml");
    pub const MESH: &str = include_str!("../defaults/mesh.yaml");
    pub const VALUES: &str = include_str!("../defaults/values.json");
    /// `mesh.DefaultMeshConfig()`: what a given mesh config is laid over.
    pub const MESH_DEFAULTS: &str = include_str!("../defaults/mesh-defaults.yaml");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mesh config given as the values, or an injector config as the
    /// mesh config, is named as such, not read as an odd version of the
    /// other.
    #[test]
    fn a_file_given_in_anothers_place_is_named() {
        let err = parse_values("mesh.yaml", defaults::MESH).unwrap_err().to_string();
        assert_eq!(err, "mesh.yaml: this is a mesh config, not the injector values (it has `defaultConfig`)");
        let err = parse_mesh("config.yaml", defaults::CONFIG, &Value::Null).unwrap_err().to_string();
        assert!(err.starts_with("config.yaml: this is an injector config, not a mesh config (it has `"), "{err}");
        let err = parse_mesh("values.json", defaults::VALUES, &Value::Null).unwrap_err().to_string();
        assert!(err.starts_with("values.json: this is the injector values, not a mesh config (it has `"), "{err}");
        // Each accepts its own, and the empty file.
        assert!(parse_values("v", defaults::VALUES).is_ok() && parse_values("v", "{}").is_ok());
        assert!(parse_mesh("m", defaults::MESH, &Value::Null).is_ok() && parse_mesh("m", "", &Value::Null).is_ok());
    }

    /// `--version` names the proxy image the embedded values give.
    #[test]
    fn the_embedded_istio_names_the_embedded_proxy_image() {
        let values: serde_json::Value = serde_json::from_str(defaults::VALUES).expect("JSON");
        let image = format!(
            "{}/proxyv2:{}",
            values["global"]["hub"].as_str().unwrap(),
            values["global"]["tag"].as_str().unwrap()
        );
        assert!(defaults::ISTIO.contains(&image), "{image} in {}", defaults::ISTIO);
    }

    #[test]
    fn invalid_selectors_are_named() {
        let text = "policy: enabled\nneverInjectSelector:\n- matchExpressions:\n  - {key: tier, operator: Exists, values: [x]}\n\
                    - matchLabels: {app: ok}\nalwaysInjectSelector:\n- matchLabels: {'bad key!': x}\n\
                    templates:\n  sidecar: |\n    spec: {}\n";
        let config = InjectorConfig::parse("config.yaml", text).expect("a config");
        assert_eq!(
            config.invalid_selectors(),
            [
                "neverInjectSelector[0] is skipped: values set must be empty for exists and does not exist",
                "alwaysInjectSelector[0] is skipped: invalid label key \"bad key!\"",
            ]
        );
    }
}
