//! Every template of Istio's default injector config, on both backends, with
//! the data Istio renders it with: no errors, and the output snapshot.
//!
//! The injection templates render over the typed `hello` pod (a
//! Deployment's pod template) with the default mesh config and values. The
//! gateway-controller templates (`waypoint`, `kube-gateway`,
//! `agentgateway*`) sit in the same config but Istio's gateway deployment
//! controller renders them, with its own data (`inject.GatewayTemplateData`):
//! they render over the Gateways of Istio's `TestConfigureIstioGateway`
//! cases (`istio/gateway/`), and the objects the controller would apply
//! from the output equal that test's goldens.

mod common;

use std::path::Path;

use injit_compiler::{Backend, CompileOptions, FunctionSet, TemplateSet};
use injit_inject::find_templates;
use injit_runtime::types::GoType;
use injit_runtime::{Data, Library, NumberMode, Object};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(path: &Path) -> Data {
    injit_inject::yaml::document(&read(path), NumberMode::Float).expect("valid YAML")
}

fn get<'d>(data: &'d Data, path: &[&str]) -> &'d Data {
    path.iter().fold(data, |d, key| match d {
        Data::Object(o) => o.get(key.as_bytes()).unwrap_or_else(|| panic!("no {key}")),
        _ => panic!("not an object at {key}"),
    })
}

fn text(s: &str) -> Data {
    Data::String(s.into())
}

/// `SidecarTemplateData` for the hello Deployment under the default config.
fn template_data(dir: &Path) -> Data {
    let config = dir.join("configs/default");
    let deployment = yaml(&dir.join("testdata/hello.yaml"));
    let mesh = yaml(&config.join("mesh.yaml"));
    let values = Data::from_json(read(&config.join("values.json")).as_bytes(), NumberMode::Float).expect("values");
    let global = get(&values, &["global"]);
    let image = |name: &str| {
        let hub = get(global, &["hub"]);
        let tag = get(global, &["tag"]);
        match (hub, tag) {
            (Data::String(h), Data::String(t)) => format!("{h}/{name}:{t}"),
            _ => panic!("hub and tag"),
        }
    };
    let number = |n: f64| Data::Number(n);
    Data::Object(Object::new(vec![
        (
            "TypeMeta".into(),
            Data::Object(Object::new(vec![
                ("kind".into(), text("Deployment")),
                ("apiVersion".into(), text("apps/v1")),
            ])),
        ),
        (
            "DeploymentMeta".into(),
            Data::Object(Object::new(vec![("Name".into(), text("hello")), ("Namespace".into(), text(""))])),
        ),
        ("ObjectMeta".into(), get(&deployment, &["spec", "template", "metadata"]).clone()),
        ("Spec".into(), get(&deployment, &["spec", "template", "spec"]).clone()),
        ("ProxyConfig".into(), get(&mesh, &["defaultConfig"]).clone()),
        ("MeshConfig".into(), mesh.clone()),
        ("Values".into(), values.clone()),
        ("Revision".into(), text("")),
        ("NativeSidecars".into(), Data::Bool(true)),
        ("ProxyImage".into(), text(&image("proxyv2"))),
        ("ProxyInitImage".into(), text(&image("proxyv2"))),
        ("ProxyUID".into(), number(1337.0)),
        ("ProxyGID".into(), number(1337.0)),
        ("InboundTrafficPolicyMode".into(), text("passthrough")),
        ("CompliancePolicy".into(), text("")),
    ]))
}

#[test]
fn default_config_templates_render_over_the_hello_pod() {
    let dir = common::data_dir().join("istio");
    let config = read(&dir.join("configs/default/config.yaml"));
    let templates = find_templates(&config).expect("an injector config");
    let data = template_data(&dir);
    let data_type = GoType::named("inject.SidecarTemplateData");
    assert!(templates.templates.len() >= 8, "the config's templates");
    let mut gateway_cases = 0;
    for t in &templates.templates {
        let name = t.key.trim_start_matches("templates.");
        let case = gateway_case(name);
        let (data, data_type) = match case {
            Some(case) => (gateway_data(&dir, case).0, GoType::named("inject.GatewayTemplateData")),
            None => (data.clone(), data_type),
        };
        let render = |backend| {
            let options = CompileOptions {
                name: name.to_owned(),
                functions: FunctionSet::new(Library::Istio),
                backend,
                data_type,
                ..CompileOptions::default()
            };
            let set = TemplateSet::compile(&t.text, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
            injit_testkit::batch::assert_backend(&set, backend, name);
            let mut out = Vec::new();
            set.render(&data, &mut out).unwrap_or_else(|e| panic!("{name}: {e}"));
            String::from_utf8(out).expect("utf-8")
        };
        let output = render(Backend::Eval);
        assert_eq!(render(Backend::Jit), output, "{name}: the backends differ");
        if let Some(case) = case {
            let controller = gateway_data(&dir, case).1;
            let golden = read(&dir.join("gateway").join(format!("{case}.golden.yaml")));
            assert_eq!(applied(&output, &controller), golden_objects(&golden), "{name}: Istio's {case} golden");
            gateway_cases += 1;
        }
        insta::assert_snapshot!(format!("default_{name}"), output);
    }
    assert_eq!(gateway_cases, 4, "the gateway-controller templates");
}

/// The `TestConfigureIstioGateway` case a gateway-controller template is
/// tested with (`None` for the injection templates).
fn gateway_case(template: &str) -> Option<&'static str> {
    match template {
        "kube-gateway" => Some("simple"),
        "waypoint" => Some("waypoint"),
        "agentgateway" => Some("agentgateway"),
        "agentgateway-waypoint" => Some("agentgateway-waypoint"),
        _ => None,
    }
}

fn yaml_value(text: &str) -> serde_json::Value {
    let mut docs = injit_inject::object::yaml_documents(text).expect("valid YAML");
    assert_eq!(docs.len(), 1, "one document");
    docs.remove(0)
}

/// The controller's template data for a case (`istio/gateway/CASE.input.yaml`
/// with `mesh.DefaultProxyConfig()` and `mesh.DefaultMeshConfig()`), and the
/// controller that applies the output.
fn gateway_data(dir: &Path, case: &str) -> (Data, String) {
    let mut input = yaml_value(&read(&dir.join("gateway").join(format!("{case}.input.yaml"))));
    let object = input.as_object_mut().expect("an object");
    let controller = object.remove("controller").and_then(|c| c.as_str().map(str::to_owned)).expect("controller");
    object.insert("ProxyConfig".into(), yaml_value(&read(&dir.join("defaults/DefaultProxyConfig.yaml"))));
    object.insert("MeshConfig".into(), yaml_value(&read(&dir.join("defaults/DefaultMeshConfig.yaml"))));
    let json = serde_json::to_vec(&input).expect("JSON");
    (Data::from_json(&json, NumberMode::Float).expect("data"), controller)
}

/// What the controller applies from a rendered template
/// (`DeploymentController.render` and `apply`): each YAML document as a
/// generic object, the `HorizontalPodAutoscaler` and `PodDisruptionBudget`
/// left out (they need an overlay, and the cases have none), and
/// `gateway.istio.io/managed` set to the controller's name.
fn applied(rendered: &str, controller: &str) -> Vec<serde_json::Value> {
    let docs = injit_inject::object::yaml_documents(rendered).expect("the output is YAML");
    let mut out = Vec::new();
    for mut doc in docs.into_iter().filter(|d| !d.is_null()) {
        if matches!(doc["kind"].as_str(), Some("HorizontalPodAutoscaler" | "PodDisruptionBudget")) {
            continue;
        }
        let metadata =
            doc.as_object_mut().expect("an object").entry("metadata").or_insert_with(|| serde_json::json!({}));
        let labels =
            metadata.as_object_mut().expect("metadata").entry("labels").or_insert_with(|| serde_json::json!({}));
        labels
            .as_object_mut()
            .expect("labels")
            .insert("gateway.istio.io/managed".into(), controller.replace('/', "-").into());
        out.push(doc);
    }
    out
}

/// A golden's applied objects (the Gateway's controller-version patch
/// left out).
fn golden_objects(golden: &str) -> Vec<serde_json::Value> {
    let docs = injit_inject::object::yaml_documents(golden).expect("the golden is YAML");
    docs.into_iter().filter(|d| !d.is_null() && d["kind"] != "Gateway").collect()
}
