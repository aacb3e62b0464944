//! `injit analyze` on the seed's cases: findings as the stable JSON CI
//! reads, one snapshot per input file (`inputs/analyze/*.yaml`).

use std::path::Path;

use injit::commands::analyze::{self, json, read_manifests};
use serde_json::Value;

fn findings(path: &Path) -> Value {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let manifests = read_manifests(std::slice::from_ref(&name), |_| Ok(text.clone())).expect("the manifest reads");
    json(&analyze::findings(&manifests))
}

#[test]
fn findings_as_json() {
    insta::glob!("inputs/analyze/*.yaml", |path| insta::assert_json_snapshot!(findings(path)));
}

fn codes(file: &str) -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/analyze").join(file);
    findings(&path)["findings"]
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

#[test]
fn a_pod_in_two_services_and_the_sidecars_rules() {
    let found: Vec<String> = codes("two-services.yaml").into_iter().map(|(c, _)| c).collect();
    assert_eq!(found, ["multiple-services", "proxy-uid", "proxy-uid", "reserved-port", "host-network", "no-service"]);
}

#[test]
fn the_sidecar_itself_and_deliberate_choices_are_not_findings() {
    assert_eq!(codes("sidecar-exemptions.yaml"), Vec::<(String, String)>::new());
}
