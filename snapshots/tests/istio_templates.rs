//! Every template of Istio's default injector config, rendered over the
//! typed `hello` pod (a Deployment's pod template) with the default mesh
//! config and values, on both backends: no errors, and the output snapshot.
//!
//! The gateway-controller templates (`waypoint`, `kube-gateway`,
//! `agentgateway*`) sit in the same config but Istio renders them with the
//! gateway controller's data, not `SidecarTemplateData`; over a pod they
//! fail exactly as Go's would, on their first controller-only field.

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
    for t in &templates.templates {
        let name = t.key.trim_start_matches("templates.");
        let controller_template = name.contains("gateway") && name != "gateway" || name == "waypoint";
        let render = |backend| {
            let options = CompileOptions {
                name: name.to_owned(),
                functions: FunctionSet::new(Library::Istio),
                backend,
                data_type,
                ..CompileOptions::default()
            };
            let set = TemplateSet::compile(&t.text, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut out = Vec::new();
            match set.render(&data, &mut out) {
                Ok(()) => String::from_utf8(out).expect("utf-8"),
                Err(e) if controller_template => format!("error: {e}"),
                Err(e) => panic!("{name}: {e}"),
            }
        };
        let output = render(Backend::Eval);
        if controller_template {
            assert!(output.contains("in type inject.SidecarTemplateData"), "{name}: {output}");
        }
        assert_eq!(render(Backend::Jit), output, "{name}: the backends differ");
        insta::assert_snapshot!(format!("default_{name}"), output);
    }
}
