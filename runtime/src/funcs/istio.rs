//! Istio's injection functions (`pkg/kube/inject/template.go` at the
//! commit of the fixtures), installed over sprig's: semantics and quirks
//! as Istio's Go has them (`fromJSON` returning the string `"{}"` on bad
//! input, `indent` padding every line but the first, `valueOrDefault`
//! treating only `""` and nil as empty...).

use std::rc::Rc;
use std::sync::OnceLock;

use super::Body;
use crate::encoding::json::NumberMode;
use crate::encoding::json::value::{self as json, MARSHAL, owned_from_data};
use crate::encoding::yaml;
use crate::fmt::sprint;
use crate::funcs::CallCx;
use crate::types::{GoType, Type};
use crate::value::data::Data;
use crate::value::typed_field::DirectField;
use crate::value::{MapValue, Repr, Value};

type Result<'a> = std::result::Result<Value<'a>, String>;

/// The body of Istio function `name`.
pub(crate) fn body(name: &str) -> Option<Body> {
    let f: super::NativeFn = match name {
        "formatDuration" => format_duration,
        "isset" => isset,
        "excludeInboundPort" => exclude_inbound_port,
        "includeInboundPorts" => include_inbound_ports,
        "applicationPorts" => application_ports,
        "kubevirtInterfaces" | "excludeInterfaces" => identity,
        "annotation" => annotation,
        "valueOrDefault" => value_or_default,
        "toJSON" => to_json_map_compat,
        "fromJSON" => from_json,
        "structToJSON" => struct_to_json,
        "protoToJSON" => proto_to_json,
        "toYaml" => to_yaml,
        "indent" => indent,
        "directory" => directory,
        "contains" => contains,
        "toLower" => to_lower,
        "appendMultusNetwork" => append_multus_network,
        "env" => env,
        "omit" => omit,
        "strdict" => strdict,
        "toJsonMap" => to_json_map,
        "mergeMaps" => merge_maps,
        "omitNil" => omit_nil,
        "otelResourceAttributes" => otel_resource_attributes,
        _ => return None,
    };
    Some(Body::Native(f))
}

fn string<'a>(s: impl Into<Vec<u8>>) -> Result<'a> {
    Ok(Value::string(s.into()))
}

fn text(v: &Value<'_>) -> String {
    String::from_utf8_lossy(v.as_bytes().unwrap_or_default()).into_owned()
}

/// A struct field of typed data, by Go name.
fn go_field<'a>(v: &Value<'a>, name: &str) -> Value<'a> {
    match &v.unboxed().repr {
        Repr::Typed(t, d, place) => {
            crate::value::typed_field::field(*t, *d, *place, name, 0, Some(false), &|| t.name())
                .unwrap_or_else(|_| Value::invalid())
        }
        _ => Value::invalid(),
    }
}

/// The entries of a `map[string]string` (typed or made by a function).
fn string_map(v: &Value<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    v.unboxed()
        .map_entries()
        .into_iter()
        .map(|(k, v)| (k.as_bytes().unwrap_or_default().to_vec(), v.unboxed().as_bytes().unwrap_or_default().to_vec()))
        .collect()
}

fn string_map_value<'a>(entries: Vec<(Vec<u8>, Vec<u8>)>) -> Value<'a> {
    let mut map = MapValue::default();
    for (k, v) in entries {
        map.insert(Rc::from(k), Value::string(v));
    }
    Value::map(map, Type::StringMap)
}

/// `time.Duration.String()`.
pub(crate) fn duration_string(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".to_owned();
    }
    let negative = nanos < 0;
    let u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // Sub-second: ns, µs or ms with a fraction.
        let (unit, scale) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&fraction(u, scale));
        out.push_str(unit);
    } else {
        let total_seconds = u / 1_000_000_000;
        let frac = u % 1_000_000_000;
        let (hours, minutes, seconds) = (total_seconds / 3600, (total_seconds / 60) % 60, total_seconds % 60);
        if hours > 0 {
            out.push_str(&format!("{hours}h"));
        }
        if hours > 0 || minutes > 0 {
            out.push_str(&format!("{minutes}m"));
        }
        out.push_str(&fraction(seconds * 1_000_000_000 + frac, 1_000_000_000));
        out.push('s');
    }
    if negative { format!("-{out}") } else { out }
}

/// `value / scale` with its fraction, trailing zeros dropped (`1.5`).
fn fraction(value: u128, scale: u128) -> String {
    let whole = value / scale;
    let mut frac = value % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let mut digits = scale.to_string().len() - 1;
    while frac.is_multiple_of(10) {
        frac /= 10;
        digits -= 1;
    }
    format!("{whole}.{frac:0digits$}")
}

fn format_duration<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (seconds, nanos) = match &a[0].unboxed().repr {
        Repr::Typed(_, Some(Data::String(s)), _) => crate::gotime::parse_proto_duration(s).unwrap_or((0, 0)),
        _ => (0, 0),
    };
    string(duration_string(i128::from(seconds) * 1_000_000_000 + i128::from(nanos)))
}

fn isset<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let key = a[1].as_bytes().unwrap_or_default();
    Ok(Value::bool(a[0].unboxed().map_get(key).is_some()))
}

fn exclude_inbound_port<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let port = String::from_utf8_lossy(&sprint(&a[..1])).trim().to_owned();
    let list = text(&a[1]);
    if port.is_empty() || port == "0" {
        return string(list);
    }
    let mut out: Vec<&str> = Vec::new();
    // Go splits on commas and compares before trimming.
    for p in list.split(',') {
        if p == port {
            return string(list);
        }
        let p = p.trim();
        if !p.is_empty() {
            out.push(p);
        }
    }
    out.push(&port);
    string(out.join(","))
}

/// The ports of containers, skipping UDP and SCTP.
fn container_ports(containers: &Value<'_>, skip_proxy: bool) -> String {
    let containers = containers.unboxed();
    let mut parts = Vec::new();
    for i in 0..containers.len().unwrap_or(0) {
        let c = containers.index(i);
        if skip_proxy && text(&go_field(&c, "Name")) == "istio-proxy" {
            continue;
        }
        let ports = go_field(&c, "Ports");
        for j in 0..ports.len().unwrap_or(0) {
            let p = ports.index(j);
            if matches!(text(&go_field(&p, "Protocol")).as_str(), "UDP" | "SCTP") {
                continue;
            }
            parts.push(String::from_utf8_lossy(&sprint(&[go_field(&p, "ContainerPort")])).into_owned());
        }
    }
    parts.join(",")
}

fn include_inbound_ports<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(container_ports(&a[0], false))
}

fn application_ports<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(container_ports(&a[0], true))
}

fn identity<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(a[0].clone())
}

fn annotation<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let annotations = annotations_of(&a[0]);
    match annotations.map_get(a[1].as_bytes().unwrap_or_default()) {
        Some(v) => Ok(v.unboxed()),
        None => match &a[2].unboxed_cow().repr {
            // `fmt.Sprint` of a plain string is the string.
            Repr::Str(s, Type::String) => Ok(Value::new(Repr::Str(s.clone(), Type::String))),
            _ => string(sprint(&a[2..3])),
        },
    }
}

/// `meta.Annotations`: templates ask for it dozens of times per render,
/// always of a `metav1.ObjectMeta`, whose field is found once.
fn annotations_of<'a>(meta: &Value<'a>) -> Value<'a> {
    static FIELD: OnceLock<Option<(GoType, DirectField)>> = OnceLock::new();
    let field = FIELD.get_or_init(|| {
        let t = GoType::named("metav1.ObjectMeta")?;
        Some((t, DirectField::of(t, "Annotations")?))
    });
    match (&meta.unboxed_cow().repr, field) {
        (Repr::Typed(t, data, place), Some((object_meta, annotations))) if t == object_meta => {
            annotations.read(*data, *place)
        }
        _ => go_field(meta, "Annotations"),
    }
}

fn value_or_default<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let v = a[0].unboxed();
    let empty = match &v.repr {
        Repr::Invalid => true,
        Repr::Str(s, Type::String) => s.as_bytes().is_empty(),
        _ => false,
    };
    Ok(if empty { a[1].clone() } else { a[0].clone() })
}

/// `json.Marshal`, as Istio's functions call it.
fn marshal(v: &Value<'_>) -> std::result::Result<Vec<u8>, String> {
    json::marshal(v, MARSHAL)
}

/// The 1.1 `toJSON` of a `map[string]string`: `"{}"` for nil.
fn to_json_map_compat<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let v = a[0].unboxed();
    if v.is_nil() || !v.is_valid() {
        return string("{}");
    }
    string(marshal(&v).unwrap_or_else(|_| b"{}".to_vec()))
}

fn from_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    match Data::from_json(a[0].as_bytes().unwrap_or_default(), NumberMode::Float) {
        Ok(data) => Ok(owned_from_data(&data).boxed()),
        Err(_) => Ok(Value::str(b"{}").boxed()),
    }
}

fn struct_to_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    if !a[0].unboxed().is_valid() {
        return string("{}");
    }
    string(marshal(&a[0]).unwrap_or_else(|_| b"{}".to_vec()))
}

fn to_yaml<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let Ok(json) = marshal(&a[0]) else { return string("") };
    match yaml::node_from_json(&json) {
        Ok(node) => string(yaml::marshal(&node)),
        Err(_) => string(""),
    }
}

fn indent<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let spaces = a[0].unboxed();
    let n = match spaces.repr {
        Repr::Int(i, _) => i.unsigned_abs() as usize,
        _ => 0,
    };
    if n > super::sprig::MAX_BUILT_BYTES {
        return Err(format!("{n} bytes are more than injit builds into one string"));
    }
    let pad = " ".repeat(n);
    let source = a[1].as_bytes().unwrap_or_default();
    let mut out = Vec::with_capacity(source.len());
    for (i, line) in source.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
            out.extend_from_slice(pad.as_bytes());
        }
        out.extend_from_slice(line);
    }
    string(out)
}

fn directory<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let path = a[0].as_bytes().unwrap_or_default();
    let end = path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    string(&path[..end])
}

fn contains<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (needle, haystack) = (a[0].as_bytes().unwrap_or_default(), a[1].as_bytes().unwrap_or_default());
    Ok(Value::bool(needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)))
}

fn to_lower<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let s = String::from_utf8_lossy(a[0].as_bytes().unwrap_or_default());
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        injit_strconv::encode_rune(&mut out, injit_strconv::unicode::to_lower(c));
    }
    string(out)
}

fn append_multus_network<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (existing, network) = (text(&a[0]), text(&a[1]));
    if existing.is_empty() {
        return string(network);
    }
    if let Some(i) = existing.rfind(']') {
        let Ok(Data::Array(networks)) = Data::from_json(existing.as_bytes(), NumberMode::Float) else {
            return string(existing);
        };
        if networks.iter().any(|n| !matches!(n, Data::Object(_))) {
            return string(existing);
        }
        // `namespace/name`, as SplitQualifiedName reads it.
        let (ns, name) = network.split_once('/').unwrap_or(("", &network));
        for net in networks.iter() {
            let Data::Object(o) = net else { continue };
            let matches_name = matches!(o.get(b"name"), Some(Data::String(s)) if **s == *name);
            let net_ns = match o.get(b"namespace") {
                None | Some(Data::Null) => Some(""),
                Some(Data::String(s)) => Some(&**s),
                Some(_) => None,
            };
            if matches_name && net_ns == Some(ns) {
                return string(existing);
            }
        }
        let entry = if ns.is_empty() {
            format!(r#", {{"name": "{name}"}}"#)
        } else {
            format!(r#", {{"name": "{name}", "namespace": "{ns}"}}"#)
        };
        return string(format!("{}{entry}{}", &existing[..i], &existing[i..]));
    }
    if existing.split(',').any(|net| net.trim() == network) {
        return string(existing);
    }
    string(format!("{existing}, {network}"))
}

fn env<'a>(cx: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let value = if cx.allow_env { std::env::var(text(&a[0])).unwrap_or_default() } else { String::new() };
    if value.is_empty() { Ok(a[1].clone()) } else { string(value) }
}

fn omit<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let keys: Vec<&[u8]> = a[1..].iter().map(|k| k.as_bytes().unwrap_or_default()).collect();
    let kept = string_map(&a[0]).into_iter().filter(|(k, _)| !keys.contains(&k.as_slice())).collect();
    Ok(string_map_value(kept))
}

fn strdict<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for pair in a.chunks(2) {
        let key = pair[0].as_bytes().unwrap_or_default().to_vec();
        let value = pair.get(1).map(|v| v.as_bytes().unwrap_or_default().to_vec()).unwrap_or_default();
        entries.retain(|(k, _)| *k != key);
        entries.push((key, value));
    }
    Ok(string_map_value(entries))
}

fn merged(maps: &[Value<'_>]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    if maps.is_empty() {
        return None;
    }
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for m in maps {
        for (k, v) in string_map(m) {
            entries.retain(|(key, _)| *key != k);
            entries.push((k, v));
        }
    }
    Some(entries)
}

fn merge_maps<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(merged(a).map_or_else(|| Value::new(Repr::Nil(Type::StringMap)), string_map_value))
}

fn to_json_map<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    match merged(a) {
        None => string("null"),
        Some(entries) => string(marshal(&string_map_value(entries)).unwrap_or_default()),
    }
}

/// `omitNil`: nil map values and slice elements dropped, recursively; a
/// map or slice left empty becomes nil.
fn omit_nil<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(without_nils(&a[0]).0)
}

fn is_nil_value(v: &Value<'_>) -> bool {
    let inner = v.unboxed();
    !inner.is_valid() || matches!(inner.repr, Repr::Nil(Type::Any))
}

/// The value without nils, and whether anything changed.
fn without_nils<'a>(v: &Value<'a>) -> (Value<'a>, bool) {
    if is_nil_value(v) {
        return (Value::nil_interface(), true);
    }
    let inner = v.unboxed();
    let generic_map = matches!(inner.dyn_type(), Some(Type::AnyMap));
    let generic_slice = matches!(inner.dyn_type(), Some(Type::AnySlice));
    if generic_map {
        let entries = inner.map_entries();
        if !entries.iter().any(|(_, val)| without_nils(val).1) {
            return (v.clone(), false);
        }
        let mut map = MapValue::default();
        for (k, val) in entries {
            let (filtered, _) = without_nils(&val);
            if !is_nil_value(&filtered) {
                map.insert(Rc::from(k.as_bytes().unwrap_or_default()), filtered.into_element());
            }
        }
        if map.entries.is_empty() {
            return (Value::nil_interface(), true);
        }
        return (Value::map(map, Type::AnyMap).boxed(), true);
    }
    if generic_slice {
        let items: Vec<Value<'a>> = (0..inner.len().unwrap_or(0)).map(|i| inner.index(i)).collect();
        if !items.iter().any(|item| without_nils(item).1) {
            return (v.clone(), false);
        }
        let kept: Vec<Value<'a>> = items
            .iter()
            .map(|item| without_nils(item).0)
            .filter(|item| !is_nil_value(item))
            .map(Value::into_element)
            .collect();
        if kept.is_empty() {
            return (Value::nil_interface(), true);
        }
        return (Value::slice(kept, Type::AnySlice).boxed(), true);
    }
    (v.clone(), false)
}

fn otel_resource_attributes<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mesh = a[0].unboxed();
    let enabled = match &mesh.repr {
        Repr::Typed(_, Some(Data::Object(o)), _) => match o.get(b"extensionProviders") {
            Some(Data::Array(providers)) => providers.iter().any(|p| match p {
                Data::Object(p) => match p.get(b"opentelemetry") {
                    Some(Data::Object(otel)) => {
                        matches!(
                            otel.get(b"serviceAttributeEnrichment"),
                            Some(Data::String(s)) if &**s == "OTEL_SEMANTIC_CONVENTIONS"
                        ) || matches!(otel.get(b"serviceAttributeEnrichment"), Some(Data::Number(n)) if *n == 1.0)
                    }
                    _ => false,
                },
                _ => false,
            }),
            _ => false,
        },
        _ => false,
    };
    if !enabled {
        return string("");
    }
    let (annotations, labels) = (a[1].unboxed(), a[2].unboxed());
    let namespace = text(&a[3]);
    let containers = a[4].unboxed();
    let get = |m: &Value<'a>, k: &str| m.map_get(k.as_bytes()).map(|v| text(&v)).filter(|v| !v.is_empty());
    let mut attrs = Vec::new();
    if let Some(v) = get(&annotations, "resource.opentelemetry.io/service.namespace") {
        attrs.push(format!("service.namespace={v}"));
    } else if !namespace.is_empty() {
        attrs.push(format!("service.namespace={namespace}"));
    }
    let count = containers.len().unwrap_or(0);
    if let Some(v) = get(&annotations, "resource.opentelemetry.io/service.version") {
        attrs.push(format!("service.version={v}"));
    } else if let Some(v) = get(&labels, "app.kubernetes.io/version") {
        attrs.push(format!("service.version={v}"));
    } else if count == 1 {
        let image = text(&go_field(&containers.index(0), "Image"));
        let (image, digest) = match image.find('@') {
            Some(i) => (&image[..i], &image[i + 1..]),
            None => (image.as_str(), ""),
        };
        let tag = match (image.rfind('/'), image.rfind(':')) {
            (slash, Some(colon)) if slash.is_none_or(|s| colon > s) => &image[colon + 1..],
            _ => "",
        };
        match (tag.is_empty(), digest.is_empty()) {
            (false, false) => attrs.push(format!("service.version={tag}@{digest}")),
            (true, false) => attrs.push(format!("service.version={digest}")),
            (false, true) => attrs.push(format!("service.version={tag}")),
            (true, true) => {}
        }
    }
    if let Some(v) = get(&annotations, "resource.opentelemetry.io/service.instance.id") {
        attrs.push(format!("service.instance.id={v}"));
    } else if count > 0 {
        let name = text(&go_field(&containers.index(0), "Name"));
        attrs.push(format!("service.instance.id={namespace}.$(POD_NAME).{name}"));
    }
    string(attrs.join(","))
}

/// `protoToJSON`: a `ProxyConfig` without the fields equal to Istio's
/// defaults, as protobuf JSON (`jsonpb.Marshaler{}`).
fn proto_to_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let v = a[0].unboxed();
    let Repr::Typed(t, data, _) = v.repr else { return string("{}") };
    let data = data.filter(|d| !matches!(d, Data::Null));
    let Some(data) = data else { return string("{}") };
    let message = t.pointee().unwrap_or(t);
    let clean = message.def().is_some_and(|d| d.key == "meshconfig.ProxyConfig");
    let mut out = Vec::new();
    crate::encoding::protojson::write_message(&mut out, message, data, clean);
    string(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go() {
        assert_eq!(duration_string(23_000_000_000), "23s");
        assert_eq!(duration_string(60_000_000_000), "1m0s");
        assert_eq!(duration_string(3_600_000_000_000), "1h0m0s");
        assert_eq!(duration_string(1_500_000_000), "1.5s");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(duration_string(0), "0s");
        assert_eq!(duration_string(-2_000_000_000), "-2s");
    }
}
