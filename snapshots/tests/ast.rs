//! Readable syntax-tree dumps of template files: hand-written syntax
//! coverage, every Istio template, and the templates inside the legacy
//! 1.0/1.1 injector configs (with their `[[ ]]` delimiters).

mod common;

use std::path::Path;

use injit_grammar::{Delims, ParseOptions, dump, parse};
use injit_inject::find_templates;
use injit_runtime::Library;

fn dump_template(text: &str, delims: Delims) -> String {
    let lookup = |name: &str| Library::Istio.signature(name).is_some();
    let options = ParseOptions::new("t", &lookup).delims(delims);
    match parse(text, &options) {
        Ok(templates) => dump(&templates, text),
        Err(err) => panic!("does not parse: {err}"),
    }
}

fn dump_file(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("readable input");
    if let Some(config) = find_templates(&text) {
        let mut out = String::new();
        for t in &config.templates {
            out.push_str(&format!("# {}\n", t.key));
            out.push_str(&dump_template(&t.text, Delims::detect(&t.text)));
        }
        return out;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let delims = if name.starts_with("brackets_") { Delims::brackets() } else { Delims::default() };
    dump_template(&text, delims)
}

#[test]
fn syntax_trees() {
    insta::glob!("inputs/ast/*.tmpl", |path| insta::assert_snapshot!(dump_file(path)));
}

#[test]
fn istio_templates() {
    insta::glob!("istio/templates/*.yaml", |path| insta::assert_snapshot!(dump_file(path)));
}

#[test]
fn istio_legacy_configs() {
    insta::glob!("istio/legacy/*/config.yaml", |path| insta::assert_snapshot!(dump_file(path)));
}
