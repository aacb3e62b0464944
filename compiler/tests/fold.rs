//! Partial evaluation, shown: each `inputs/fold/NAME.tmpl` is compiled with
//! the `bound` part of `NAME.json` known, and the snapshot holds the folded
//! IR and the output over `bound` + `data` (which must equal the unfolded
//! template's, on both backends).

use injit_testkit::batch::assert_backend;
use std::sync::Arc;

use injit_compiler::ir::ProcId;
use injit_compiler::{Backend, CompileOptions, FunctionSet, TemplateSet};
use injit_runtime::{Data, Library, NumberMode, Object};

fn object(data: &Data) -> Vec<(Box<str>, Data)> {
    match data {
        Data::Object(o) => o.iter().map(|(k, v)| (k.into(), v.clone())).collect(),
        _ => Vec::new(),
    }
}

fn fold_case(path: &std::path::Path) -> String {
    let source = std::fs::read_to_string(path).expect("template");
    let json = std::fs::read_to_string(path.with_extension("json")).expect("data");
    let spec = Data::from_json(json.as_bytes(), NumberMode::Float).expect("json");
    let Data::Object(spec) = spec else { panic!("{} is not an object", path.display()) };
    let bound = spec.get(b"bound").cloned().unwrap_or(Data::Null);
    let mut all = object(&bound);
    all.extend(object(spec.get(b"data").unwrap_or(&Data::Null)));
    let data = Data::Object(Object::new(all));

    let compile = |bound: Option<Arc<Data>>, backend| {
        let options =
            CompileOptions { functions: FunctionSet::new(Library::Sprig), bound, backend, ..CompileOptions::default() };
        let set = TemplateSet::compile(&source, &options).expect("compiles");
        assert_backend(&set, backend, &path.display().to_string());
        set
    };
    let render = |set: &TemplateSet| {
        let mut out = Vec::new();
        let result = set.render(&data, &mut out).map_err(|e| e.to_string());
        (String::from_utf8_lossy(&out).into_owned(), result)
    };
    let plain = render(&compile(None, Backend::Eval));
    let folded = compile(Some(Arc::new(bound)), Backend::Eval);
    assert_eq!(render(&folded), plain, "folding changed the output");
    assert_eq!(render(&compile(folded.program().bound.clone(), Backend::Jit)), plain, "native code differs");
    let main_len = |set: &TemplateSet| {
        let program = set.program();
        program.procs[program.proc(&CompileOptions::default().name).expect("the main template")].code.len()
    };
    format!(
        "main template instructions: {} unfolded, {} folded\n\n{}\n--- output\n{}",
        main_len(&compile(None, Backend::Eval)),
        main_len(&folded),
        folded.program(),
        plain.0
    )
}

#[test]
fn folded_templates() {
    insta::glob!("inputs/fold/*.tmpl", |path| insta::assert_snapshot!(fold_case(path)));
}

/// Typed data (Istio's `SidecarTemplateData`, as the injector renders it)
/// with `.Values` bound: lookups and calls on it fold, what reads the pod
/// stays, and the output is the unfolded template's on both backends.
#[test]
fn typed_data_with_bound_values_renders_as_unfolded() {
    use injit_runtime::types::GoType;
    let source = r#"image: {{ .Values.global.hub }}/{{ .Values.global.proxy.image }}:{{ .Values.global.tag }}
{{- if .Values.global.proxy.privileged }} privileged{{ end }}
{{- with .Values.global.proxy.resources }} {{ toJson . }}{{ end }}
missing: {{ .Values.nope }} {{ index .Values "global" "tag" }}
{{ range .Spec.Containers }}{{ .Name }}:{{ annotation $.ObjectMeta "x" $.Values.global.tag }};{{ end }}
{{ .Values.global.proxy | toYaml }}"#;
    let values = r#"{"global":{"hub":"docker.io/istio","tag":"1.24","proxy":{"image":"proxyv2","privileged":false,
        "resources":{"limits":{"cpu":"2"},"requests":{"cpu":"100m"}}}}}"#;
    let pod = r#"{"ObjectMeta":{"name":"p","annotations":{"x":"from-pod"}},
        "Spec":{"containers":[{"name":"app"},{"name":"side"}]}}"#;
    let values = Data::from_json(values.as_bytes(), NumberMode::Float).expect("values");
    let mut all = object(&Data::from_json(pod.as_bytes(), NumberMode::Float).expect("pod"));
    all.push(("Values".into(), values.clone()));
    let data = Data::Object(Object::new(all));
    let bound = Arc::new(Data::Object(Object::new(vec![("Values".into(), values)])));
    let data_type = Some(GoType::named("inject.SidecarTemplateData").expect("schema type"));
    let compile = |bound: Option<Arc<Data>>, backend| {
        let options = CompileOptions {
            functions: FunctionSet::new(Library::Istio),
            bound,
            backend,
            data_type,
            ..CompileOptions::default()
        };
        let set = TemplateSet::compile(source, &options).expect("compiles");
        assert_backend(&set, backend, "typed data");
        set
    };
    let render = |set: &TemplateSet| {
        let mut out = Vec::new();
        let result = set.render(&data, &mut out).map_err(|e| e.to_string());
        (String::from_utf8_lossy(&out).into_owned(), result)
    };
    let plain_set = compile(None, Backend::Eval);
    let plain = render(&plain_set);
    assert!(plain.1.is_ok() && plain.0.contains("from-pod"), "{plain:?}");
    for backend in [Backend::Eval, Backend::Jit] {
        let folded = compile(Some(Arc::clone(&bound)), backend);
        assert_eq!(render(&folded), plain, "{backend:?}");
        let main = ProcId::new(0);
        let (before, after) = (plain_set.program().procs[main].code.len(), folded.program().procs[main].code.len());
        assert!(after * 2 < before, "{before} instructions unfolded, {after} folded");
    }
}
