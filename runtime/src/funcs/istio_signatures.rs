//! Istio's `InjectionFuncmap` (`pkg/kube/inject/template.go`), which Istio
//! installs over sprig's functions.

use super::signature::Signature;

const ANY: &str = "interface {}";
const STRINGS: &str = "map[string]string";
const CONTAINERS: &str = "[]v1.Container";

pub(crate) static ISTIO: &[Signature] = &[
    Signature::new("formatDuration", &["*durationpb.Duration"], false, &["string"]),
    Signature::new("isset", &[STRINGS, "string"], false, &["bool"]),
    Signature::new("excludeInboundPort", &[ANY, "string"], false, &["string"]),
    Signature::new("includeInboundPorts", &[CONTAINERS], false, &["string"]),
    Signature::new("kubevirtInterfaces", &["string"], false, &["string"]),
    Signature::new("excludeInterfaces", &["string"], false, &["string"]),
    Signature::new("applicationPorts", &[CONTAINERS], false, &["string"]),
    Signature::new("annotation", &["v1.ObjectMeta", "string", ANY], false, &["string"]),
    Signature::new("valueOrDefault", &[ANY, ANY], false, &[ANY]),
    Signature::new("toJSON", &[STRINGS], false, &["string"]),
    Signature::new("fromJSON", &["string"], false, &[ANY]),
    Signature::new("structToJSON", &[ANY], false, &["string"]),
    Signature::new("protoToJSON", &["protoiface.MessageV1"], false, &["string"]),
    Signature::new("toYaml", &[ANY], false, &["string"]),
    Signature::new("indent", &["int", "string"], false, &["string"]),
    Signature::new("directory", &["string"], false, &["string"]),
    Signature::new("contains", &["string", "string"], false, &["bool"]),
    Signature::new("toLower", &["string"], false, &["string"]),
    Signature::new("appendMultusNetwork", &["string", "string"], false, &["string"]),
    Signature::new("env", &["string", "string"], false, &["string"]),
    Signature::new("omit", &[STRINGS, "[]string"], true, &[STRINGS]),
    Signature::new("strdict", &["[]string"], true, &[STRINGS]),
    Signature::new("toJsonMap", &["[]map[string]string"], true, &["string"]),
    Signature::new("mergeMaps", &["[]map[string]string"], true, &[STRINGS]),
    Signature::new("omitNil", &[ANY], false, &[ANY]),
    Signature::new(
        "otelResourceAttributes",
        &["*v1alpha1.MeshConfig", STRINGS, STRINGS, "string", CONTAINERS],
        false,
        &["string"],
    ),
];
