//! Istio's injection functions and their documented edge cases (istio/istio
//! `pkg/kube/inject/template.go`), over typed data, on both backends.

use injit_compiler::{Backend, TemplateSet};
use injit_runtime::funcs::CallCx;
use injit_testkit::batch::{Case, assert_backend, assert_ran_on, case_data, case_options, run_case};

const DATA: &str = r#"{
  "ObjectMeta": {"name": "web", "namespace": "shop",
    "annotations": {"set": "1", "empty": "", "k8s.v1.cni.cncf.io/networks": "[{\"name\": \"a\"}]"},
    "labels": {"app.kubernetes.io/version": "v7"}},
  "Spec": {"containers": [
    {"name": "app", "image": "reg.io/app:1.2@sha256:abc",
     "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}, {"containerPort": 9000, "protocol": "SCTP"}]},
    {"name": "istio-proxy", "ports": [{"containerPort": 15090}]}
  ]},
  "ProxyConfig": {"configPath": "./etc/istio/proxy", "binaryPath": "/usr/local/bin/envoy",
    "drainDuration": "45s", "terminationDrainDuration": "5s", "statusPort": 15020, "proxyAdminPort": 15000,
    "statNameLength": 189, "discoveryAddress": "istiod.istio-system.svc:15012",
    "controlPlaneAuthPolicy": "MUTUAL_TLS", "interceptionMode": "TPROXY", "proxyMetadata": {}},
  "MeshConfig": {"extensionProviders": [{"name": "otel", "opentelemetry": {"serviceAttributeEnrichment": "OTEL_SEMANTIC_CONVENTIONS"}}]},
  "Values": {"res": {"limits": {"cpu": null, "memory": "1Gi"}, "requests": {"cpu": null}}, "list": [1, null, "x"]}
}"#;

fn render(template: &str) -> String {
    let case: Case = serde_json::from_str(&format!(
        r#"{{"name":"istio","template":{},"data":{DATA},"typed":true,"funcs":"istio"}}"#,
        serde_json::to_string(template).expect("template")
    ))
    .expect("case");
    let results = [Backend::Eval, Backend::Jit].map(|backend| {
        let r = run_case(&case, backend);
        assert_ran_on(&r, backend);
        r.error.map_or_else(|| r.output.unwrap_or_default(), |e| format!("error: {e}"))
    });
    assert_eq!(results[0], results[1], "the backends differ on {template}");
    results[0].clone()
}

#[test]
fn exclude_inbound_port() {
    assert_eq!(render(r#"{{excludeInboundPort 15020 "80,81"}}"#), "80,81,15020");
    // Already there: the list comes back untouched (spaces and all).
    assert_eq!(render(r#"{{excludeInboundPort 15020 "80,15020, 81"}}"#), "80,15020, 81");
    // Entries are compared before trimming, then trimmed and joined.
    assert_eq!(render(r#"{{excludeInboundPort 15020 " 80 , 15020"}}"#), "80,15020,15020");
    assert_eq!(render(r#"{{excludeInboundPort 0 " a "}}|{{excludeInboundPort "" "b"}}"#), " a |b");
    assert_eq!(render(r#"{{excludeInboundPort "15021" ""}}"#), "15021");
}

#[test]
fn container_ports() {
    assert_eq!(render("{{includeInboundPorts .Spec.Containers}}"), "80,15090");
    assert_eq!(render("{{applicationPorts .Spec.Containers}}"), "80");
}

#[test]
fn annotation_and_isset() {
    assert_eq!(
        render(
            r#"{{annotation .ObjectMeta "set" "d"}}|{{annotation .ObjectMeta "empty" "d"}}|{{annotation .ObjectMeta "none" "d"}}"#
        ),
        "1||d"
    );
    // An enum default prints its name; a float64 with %v.
    assert_eq!(
        render(
            r#"{{annotation .ObjectMeta "none" .ProxyConfig.InterceptionMode}}|{{annotation .ObjectMeta "none" 1.5}}"#
        ),
        "TPROXY|1.5"
    );
    assert_eq!(
        render(
            r#"{{isset .ObjectMeta.Annotations "empty"}} {{isset .ObjectMeta.Annotations "none"}} {{isset .ObjectMeta.Labels "x"}}"#
        ),
        "true false false"
    );
}

#[test]
fn value_or_default() {
    assert_eq!(
        render(
            r#"{{valueOrDefault "" "d"}}|{{valueOrDefault .Values.missing "d"}}|{{valueOrDefault 0 "d"}}|{{valueOrDefault false "d"}}"#
        ),
        "d|d|0|false"
    );
}

#[test]
fn indent_is_istios_not_sprigs() {
    // Istio's `indent` pads every line but the first; sprig's `nindent` stays.
    assert_eq!(render(r#"[{{indent 2 "a\nb\nc"}}]"#), "[a\n  b\n  c]");
    assert_eq!(render(r#"[{{nindent 2 "a\nb"}}]"#), "[\n  a\n  b]");
}

#[test]
fn append_multus_network() {
    assert_eq!(render(r#"{{appendMultusNetwork "" "istio-cni"}}"#), "istio-cni");
    assert_eq!(
        render(r#"{{appendMultusNetwork "a, istio-cni" "istio-cni"}}|{{appendMultusNetwork "a,b" "istio-cni"}}"#),
        "a, istio-cni|a,b, istio-cni"
    );
    assert_eq!(
        render(r#"{{appendMultusNetwork (index .ObjectMeta.Annotations "k8s.v1.cni.cncf.io/networks") "istio-cni"}}"#),
        r#"[{"name": "a"}, {"name": "istio-cni"}]"#
    );
    assert_eq!(
        render(r#"{{appendMultusNetwork "[{\"name\": \"istio-cni\"}]" "istio-cni"}}"#),
        r#"[{"name": "istio-cni"}]"#
    );
    assert_eq!(
        render(r#"{{appendMultusNetwork "[{\"name\": \"x\"}]" "kube-system/istio-cni"}}"#),
        r#"[{"name": "x"}, {"name": "istio-cni", "namespace": "kube-system"}]"#
    );
    // Not JSON after all: left alone.
    assert_eq!(render(r#"{{appendMultusNetwork "[broken" "istio-cni"}}"#), "[broken, istio-cni");
    assert_eq!(render(r#"{{appendMultusNetwork "broken]" "istio-cni"}}"#), "broken]");
}

#[test]
fn json_functions() {
    assert_eq!(render(r#"{{fromJSON "not json"}}|{{(fromJSON "{\"a\":[1,2]}").a}}"#), "{}|[1 2]");
    assert_eq!(
        render("{{structToJSON (index .Spec.Containers 0).Ports}}"),
        r#"[{"containerPort":80},{"containerPort":53,"protocol":"UDP"},{"containerPort":9000,"protocol":"SCTP"}]"#
    );
    assert_eq!(render("{{structToJSON .Values.missing}}"), "{}");
    assert_eq!(
        render("{{toJSON .ObjectMeta.Labels}}|{{toJSON .Spec.NodeSelector}}"),
        r#"{"app.kubernetes.io/version":"v7"}|{}"#
    );
}

#[test]
fn proto_to_json_strips_istios_defaults() {
    // Every field equal to mesh.DefaultProxyConfig() goes; TPROXY stays.
    assert_eq!(render("{{protoToJSON .ProxyConfig}}"), r#"{"interceptionMode":"TPROXY"}"#);
}

#[test]
fn to_yaml_and_omit_nil() {
    assert_eq!(render("{{toYaml .Values.res}}"), "limits:\n  cpu: null\n  memory: 1Gi\nrequests:\n  cpu: null\n");
    assert_eq!(render("{{toYaml (omitNil .Values.res)}}"), "limits:\n  memory: 1Gi\n");
    assert_eq!(render("{{omitNil .Values.list}}"), "[1 x]");
}

#[test]
fn string_maps() {
    assert_eq!(render(r#"{{omit (strdict "a" "1" "b" "2" "c") "b"}}"#), "map[a:1 c:]");
    assert_eq!(render(r#"{{toJsonMap (strdict "b" "1") (strdict "b" "2" "a" "3")}}"#), r#"{"a":"3","b":"2"}"#);
    assert_eq!(
        render(r#"{{mergeMaps .ObjectMeta.Labels (strdict "x" "y")}}"#),
        "map[app.kubernetes.io/version:v7 x:y]"
    );
}

#[test]
fn small_helpers() {
    assert_eq!(
        render(r#"{{directory "/var/run/x.sock"}}|{{directory "x"}}|{{contains "ab" "cabd"}}|{{toLower "ÀBC"}}"#),
        "/var/run/||true|àbc"
    );
    assert_eq!(
        render(r#"{{kubevirtInterfaces "net1"}}|{{excludeInterfaces "eth1"}}|{{env "INJIT_SURELY_UNSET" "dflt"}}"#),
        "net1|eth1|dflt"
    );
}

/// `env` with the environment allowed or not, on both backends.
fn render_env(template: &str, allow_env: bool) -> String {
    let case: Case = serde_json::from_str(&format!(
        r#"{{"name":"istio","template":{},"data":{DATA},"typed":true,"funcs":"istio"}}"#,
        serde_json::to_string(template).expect("template")
    ))
    .expect("case");
    let data = case_data(&case).expect("the data decodes");
    let results = [Backend::Eval, Backend::Jit].map(|backend| {
        let mut options = case_options(&case, backend).expect("options");
        options.call_cx = CallCx { allow_env, ..CallCx::default() };
        let set = TemplateSet::compile(template, &options).expect("compiles");
        assert_backend(&set, backend, template);
        let mut out = Vec::new();
        set.render(&data, &mut out).expect("renders");
        String::from_utf8(out).expect("UTF-8")
    });
    assert_eq!(results[0], results[1], "the backends differ on {template}");
    results[0].clone()
}

#[test]
fn env_reads_the_environment_only_when_allowed() {
    // PATH is set wherever cargo runs tests; it is read, not written.
    let path = std::env::var("PATH").expect("PATH is set");
    assert!(!path.is_empty());
    let template = r#"{{env "PATH" "dflt"}}|{{env "INJIT_SURELY_UNSET" "dflt"}}"#;
    assert_eq!(render_env(template, true), format!("{path}|dflt"));
    // Off (the default): the template sees an empty environment.
    assert_eq!(render_env(template, false), "dflt|dflt");
}

#[test]
fn otel_resource_attributes() {
    assert_eq!(
        render(
            "{{otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels .ObjectMeta.Namespace .Spec.Containers}}"
        ),
        "service.namespace=shop,service.version=v7,service.instance.id=shop.$(POD_NAME).app"
    );
}
