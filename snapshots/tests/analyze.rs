//! `injit analyze` on the seed's cases: findings as the stable JSON CI
//! reads, one snapshot per input file (`inputs/analyze/*.yaml`).

use std::path::Path;

use injit::commands::analyze::{self, json, read_manifests};
use injit_inject::analyze::IstioEra;
use serde_json::Value;

fn findings(path: &Path) -> Value {
    findings_in(path, IstioEra::Current)
}

fn findings_in(path: &Path, era: IstioEra) -> Value {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let manifests = read_manifests(std::slice::from_ref(&name), |_| Ok(text.clone())).expect("the manifest reads");
    json(&analyze::findings(&manifests, era))
}

#[test]
fn findings_as_json() {
    insta::glob!("inputs/analyze/*.yaml", |path| insta::assert_json_snapshot!(findings(path)));
}

fn codes(file: &str) -> Vec<(String, String)> {
    codes_in(file, IstioEra::Current)
}

fn codes_in(file: &str, era: IstioEra) -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/analyze").join(file);
    findings_in(&path, era)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_bookinfo_style_manifest_has_no_findings() {
    assert_eq!(codes("bookinfo.yaml"), []);
}

#[test]
fn the_sleep_sample_needs_its_app_label() {
    assert_eq!(codes("sleep-with-app.yaml"), []);
    let without: Vec<String> = codes("sleep-without-app.yaml").into_iter().map(|(c, _)| c).collect();
    assert_eq!(without, ["missing-app-label", "missing-version-label"]);
}

#[test]
fn port_names_declare_protocols() {
    let found = codes("port-names.yaml");
    let ports: Vec<&str> = found.iter().map(|(_, m)| m.split(':').next().unwrap()).collect();
    assert_eq!(ports, ["port 9091", "port 8081", "port 9000"], "{found:?}");
    assert!(found[1].1.contains("\"http2foo\""), "{found:?}");
    assert_eq!(found[2].0, "unnamed-port");
}

/// Istio 1.0/1.1 wanted one Service per pod; current Istio allows
/// several, so long as their ports agree.
#[test]
fn a_pod_in_two_services_and_the_sidecars_rules() {
    let legacy: Vec<String> = codes_in("two-services.yaml", IstioEra::Legacy).into_iter().map(|(c, _)| c).collect();
    assert_eq!(legacy, ["multiple-services", "proxy-uid", "proxy-uid", "reserved-port", "host-network", "no-service"]);
    let current: Vec<String> = codes("two-services.yaml").into_iter().map(|(c, _)| c).collect();
    assert_eq!(current, ["proxy-uid", "proxy-uid", "reserved-port", "host-network", "no-service"]);
}

#[test]
fn services_giving_one_port_two_protocols_or_one_target_two_ports_conflict() {
    let found = codes("port-conflicts.yaml");
    let names: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(names, ["port-protocol-conflict", "conflicting-target-ports"], "{found:?}");
    assert!(found[0].1.contains("port 53 with different protocols: dns-tcp (TCP), dns-udp (UDP)"), "{found:?}");
    assert!(
        found[1].1.contains("targetPort \"8080\" from different ports: web (port 80), web-alt (port 8000)"),
        "{found:?}"
    );
}

#[test]
fn a_misspelt_field_in_a_pod_template_is_an_error_with_the_name_meant() {
    let found = codes("typo.yaml");
    assert_eq!(found[0].0, "unknown-field");
    assert!(found[0].1.starts_with("spec.template.spec.containers[0].imagePullPolicyy: unknown field"));
    assert!(
        found[1]
            .1
            .starts_with("spec.template.spec.contaners: unknown field \"contaners\" (did you mean `containers`?)")
    );
}

#[test]
fn the_sidecar_itself_and_deliberate_choices_are_not_findings() {
    assert_eq!(codes("sidecar-exemptions.yaml"), Vec::<(String, String)>::new());
}
