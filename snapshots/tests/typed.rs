//! Go's typed-data semantics on Istio's `SidecarTemplateData` (Kubernetes
//! objects and mesh-config messages), as the conformance kit documents them
//! for its typed mode, on both backends.

use injit_compiler::Backend;
use injit_testkit::batch::{Case, assert_ran_on, run_case};

/// Renders `template` over `data` decoded as `SidecarTemplateData`, with
/// sprig; returns the output or `error: <Go's text>`.
fn typed(template: &str, data: &str) -> String {
    let case: Case = serde_json::from_str(&format!(
        r#"{{"name":"typed","template":{},"data":{data},"typed":true,"sprig":true}}"#,
        serde_json::to_string(template).expect("template as JSON")
    ))
    .expect("case");
    let results = [Backend::Eval, Backend::Jit].map(|backend| {
        let r = run_case(&case, backend);
        assert_ran_on(&r, backend);
        match r.error {
            Some(e) => format!("error: {e}"),
            None => r.output.unwrap_or_default(),
        }
    });
    assert_eq!(results[0], results[1], "the backends differ on {template}");
    results[0].clone()
}

const POD: &str = r#"{
  "ObjectMeta": {"name": "web", "labels": {"app": "web"}},
  "Spec": {"containers": [
    {"name": "app", "image": "app:1", "ports": [{"name": "http", "containerPort": 9080}],
     "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}}
  ]},
  "TypeMeta": {"kind": "Deployment", "apiVersion": "apps/v1"},
  "DeploymentMeta": {"Name": "web", "Namespace": "default"},
  "ProxyConfig": {"interceptionMode": "TPROXY", "proxyMetadata": {"A": "1"}},
  "ProxyUID": 1337
}"#;

#[test]
fn nil_maps_index_to_the_zero_value() {
    // No annotations: a nil map[string]string.
    assert_eq!(typed(r#"[{{index .ObjectMeta.Annotations "k"}}]"#, POD), "[]");
    assert_eq!(typed(r#"[{{index .ObjectMeta.Labels "nope"}}]"#, POD), "[]");
    // As a field, a missing key is Go's invalid value.
    assert_eq!(typed("{{.ObjectMeta.Labels.nope}}", POD), "<no value>");
    assert_eq!(typed("{{.ObjectMeta.Labels.app}}", POD), "web");
}

#[test]
fn nil_pointer_fields_are_goes_error() {
    assert_eq!(
        typed("{{.Spec.SecurityContext.RunAsUser}}", POD),
        r#"error: template: t:1:7: executing "t" at <.Spec.SecurityContext.RunAsUser>: nil pointer evaluating *v1.PodSecurityContext.RunAsUser"#
    );
    assert_eq!(typed("{{if .Spec.SecurityContext}}set{{else}}unset{{end}}", POD), "unset");
}

/// `printableValue` follows a pointer before printing: a `*int64` or
/// `*bool` field prints its value, a nil one `<nil>`.
#[test]
fn pointers_to_scalars_print_what_they_point_to() {
    let pod = POD.replace(r#""Spec": {"#, r#""Spec": {"securityContext": {"runAsUser": 1337, "runAsNonRoot": true}, "#);
    assert_eq!(typed("{{.Spec.SecurityContext.RunAsUser}} {{.Spec.SecurityContext.RunAsNonRoot}}", &pod), "1337 true");
    assert_eq!(typed("{{.Spec.SecurityContext.RunAsGroup}}", &pod), "<nil>");
}

#[test]
fn int32_ports_compare_with_constants() {
    assert_eq!(
        typed("{{range .Spec.Containers}}{{range .Ports}}{{if eq .ContainerPort 9080}}yes{{end}}{{end}}{{end}}", POD),
        "yes"
    );
    assert_eq!(
        typed("{{range .Spec.Containers}}{{range .Ports}}{{printf \"%T\" .ContainerPort}}{{end}}{{end}}", POD),
        "int32"
    );
}

#[test]
fn resource_lists_have_methods_not_string_keys() {
    assert_eq!(typed("{{(index .Spec.Containers 0).Resources.Limits.Cpu}}", POD), "500m");
    assert_eq!(typed("{{(index .Spec.Containers 0).Resources.Requests.Cpu}}", POD), "0");
    // The struct prints through its generated `String` (it is reached
    // through a slice element: addressable); the map's values are
    // `Quantity` values, whose `String` needs a pointer: `%v` shows the
    // struct as `ParseQuantity` filled it.
    assert_eq!(
        typed("{{(index .Spec.Containers 0).Resources}}", POD),
        "&ResourceRequirements{Limits:ResourceList{cpu: {{500 -3} {<nil>} 500m DecimalSI},memory: {{1073741824 0} \
         {<nil>} 1Gi BinarySI},},Requests:ResourceList{},Claims:[]ResourceClaim{},}"
    );
    assert_eq!(
        typed("{{(index .Spec.Containers 0).Resources.Limits.cpu}}", POD),
        r#"error: template: t:1:26: executing "t" at <0>: can't evaluate field cpu in type v1.ResourceList"#
    );
    assert_eq!(
        typed(r#"{{index (index .Spec.Containers 0).Resources.Limits "cpu"}}"#, POD),
        r#"error: template: t:1:2: executing "t" at <index (index .Spec.Containers 0).Resources.Limits "cpu">: error calling index: value has type string; should be v1.ResourceName"#
    );
}

#[test]
fn enums_print_their_names_and_getters_are_nil_safe() {
    assert_eq!(
        typed("{{.ProxyConfig.InterceptionMode}} {{.ProxyConfig.InterceptionMode.String}}", POD),
        "TPROXY TPROXY"
    );
    assert_eq!(typed("{{printf \"%d\" .ProxyConfig.InterceptionMode}}", POD), "1");
    assert_eq!(typed("[{{.ProxyConfig.GetTracing.GetTlsSettings.GetCaCertificates}}]", POD), "[]");
    assert_eq!(typed("{{.ProxyConfig.HoldApplicationUntilProxyStarts.GetValue}}", POD), "false");
    assert_eq!(typed("{{.ProxyConfig.ProxyMetadata.A}}", POD), "1");
}

#[test]
fn struct_json_follows_declaration_order_and_omitempty() {
    assert_eq!(
        typed("{{range .Spec.Containers}}{{range .Ports}}{{toJson .}}{{end}}{{end}}", POD),
        r#"{"name":"http","containerPort":9080}"#
    );
    assert_eq!(typed("{{toJson .DeploymentMeta}}", POD), r#"{"Namespace":"default","Name":"web"}"#);
}

#[test]
fn unknown_fields_are_errors_with_the_type() {
    assert_eq!(
        typed("{{.ProxyImg}}", POD),
        r#"error: template: t:1:2: executing "t" at <.ProxyImg>: can't evaluate field ProxyImg in type inject.SidecarTemplateData"#
    );
}

#[test]
fn data_with_fields_go_lacks_is_refused() {
    let misspelt = POD.replace(r#""containerPort": 9080"#, r#""containerPrt": 9080"#);
    assert_eq!(typed("{{.ObjectMeta.Name}}", &misspelt), r#"error: json: unknown field "containerPrt""#);
    let top = POD.replace(r#""ProxyUID": 1337"#, r#""ProxyUid": 1337"#);
    assert_eq!(typed("{{.ObjectMeta.Name}}", &top), r#"error: json: unknown field "ProxyUid""#);
    let wrong = POD.replace(r#""ProxyUID": 1337"#, r#""ProxyUID": "1337""#);
    assert!(
        typed("x", &wrong)
            .contains("cannot unmarshal string into Go struct field SidecarTemplateData.ProxyUID of type int64")
    );
}

/// Issue 20's table, the rows injit now gives Go's output for (Go 1.23
/// over the real types; the typed corpus holds them all).
#[test]
fn methods_of_the_real_types_and_printing_through_them() {
    let pod = POD
        .replace(r#""Spec": {"#, r#""Spec": {"terminationGracePeriodSeconds": 30, "#)
        .replace(
            r#""image": "app:1","#,
            r#""image": "app:1", "startupProbe": {"httpGet": {"path": "/start", "port": 8080}},"#,
        )
        .replace(r#""name": "web", "labels""#, r#""name": "web", "namespace": "default", "labels""#);
    assert_eq!(typed("{{ .Spec.TerminationGracePeriodSeconds }}", &pod), "30");
    assert_eq!(typed("{{ (index .Spec.Containers 0).StartupProbe.HTTPGet.Port }}", &pod), "8080");
    assert_eq!(typed("{{ .ObjectMeta.GetNamespace }}", &pod), "default");
    assert_eq!(typed("{{ .ObjectMeta.CreationTimestamp.IsZero }}", &pod), "true");
    // `time.Time`'s String, promoted to metav1.Time: the zero time is UTC.
    assert_eq!(typed("{{ .ObjectMeta.CreationTimestamp }}", &pod), "0001-01-01 00:00:00 +0000 UTC");
    assert_eq!(typed("{{ (index .Spec.Containers 0).StartupProbe.HTTPGet.Port.IntValue }}", &pod), "8080");
    // `printf` receives a copy: IntOrString's String wants a pointer.
    assert_eq!(typed(r#"{{ printf "%v" (index .Spec.Containers 0).StartupProbe.HTTPGet.Port }}"#, &pod), "{0 8080 }");
}

/// `eq` on comparable typed values is Go's `==` on interfaces: structs
/// field by field, pointers by address (so the same field is equal to
/// itself, two containers' contexts are not, and two nil ones are).
#[test]
fn comparable_structs_and_pointers_compare_as_go_does() {
    let pod = POD.replace(
        r#""image": "app:1","#,
        r#""image": "app:1", "securityContext": {"runAsUser": 1}},
            {"name": "b", "image": "b", "securityContext": {"runAsUser": 1}},
            {"name": "c", "image": "c"}, {"name": "d", "image": "d","#,
    );
    let c = |i: usize| format!("(index .Spec.Containers {i}).SecurityContext");
    assert_eq!(typed("{{ eq .DeploymentMeta .DeploymentMeta }}", &pod), "true");
    assert_eq!(typed(&format!("{{{{ eq {} {} }}}}", c(0), c(0)), &pod), "true");
    assert_eq!(typed(&format!("{{{{ eq {} {} }}}}", c(0), c(1)), &pod), "false");
    assert_eq!(typed(&format!("{{{{ eq {} {} }}}}", c(2), c(3)), &pod), "true");
    assert_eq!(typed("{{ eq (index .Spec.Containers 0).Name (index .Spec.Containers 1).Name }}", &pod), "false");
}

/// `.String` is a method of the Kubernetes types (go-to-protobuf's, on
/// the pointer: template data is addressable), nil-safe.
#[test]
fn generated_string_methods_are_callable() {
    assert_eq!(
        typed("{{ (index .Spec.Containers 0).Resources.String }}", POD),
        "&ResourceRequirements{Limits:ResourceList{cpu: {{500 -3} {<nil>} 500m DecimalSI},memory: {{1073741824 0} \
         {<nil>} 1Gi BinarySI},},Requests:ResourceList{},Claims:[]ResourceClaim{},}"
    );
    assert_eq!(typed("{{ .Spec.SecurityContext.String }}", POD), "nil");
    assert_eq!(typed("{{ .TypeMeta.String }}", POD), "&TypeMeta{Kind:Deployment,APIVersion:apps/v1,}");
}
