//! Render speed on the conformance kit's bench template (an Istio-shaped
//! 5 KB sidecar template over a pod), beside the `gotmpl` crate, a Rust
//! interpreter of Go templates, given the sprig functions the template uses.
//!
//! Go's own figure comes from the kit's oracle (`bench/run.sh` prints both).

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};

// The allocator of the `injit` binary and the webhook (gotmpl gets it too).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use injit_compiler::{Backend, CompileOptions, FunctionSet, TemplateSet};
use injit_runtime::Library;
use injit_runtime::{Data, NumberMode, Object};

fn read(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn bench(c: &mut Criterion) {
    let source = read("bench/conformance/sidecar.tmpl");
    let json = read("bench/conformance/pod.json");
    let expected = read("bench/conformance/expected.out");

    let data = Data::from_json(json.as_bytes(), NumberMode::Float).expect("bench data parses");
    // What an injector knows when its config loads.
    let config: Vec<(Box<str>, Data)> = match &data {
        Data::Object(o) => o
            .iter()
            .filter(|(k, _)| matches!(*k, "Values" | "MeshConfig" | "ProxyConfig"))
            .map(|(k, v)| (k.into(), v.clone()))
            .collect(),
        _ => Vec::new(),
    };
    let config = Arc::new(Data::Object(Object::new(config)));
    let compile = |backend, bound: Option<Arc<Data>>| {
        let options =
            CompileOptions { functions: FunctionSet::new(Library::Sprig), backend, bound, ..CompileOptions::default() };
        let set = TemplateSet::compile(&source, &options).expect("bench template compiles");
        assert_eq!(set.backend(), backend, "{:?}", set.jit_error());
        let mut out = Vec::new();
        set.render(&data, &mut out).expect("bench template renders");
        assert_eq!(String::from_utf8_lossy(&out), expected, "injit's output differs from Go's");
        set
    };
    let eval = compile(Backend::Eval, None);
    let jit = compile(Backend::Jit, None);
    let eval_bound = compile(Backend::Eval, Some(Arc::clone(&config)));
    let jit_bound = compile(Backend::Jit, Some(Arc::clone(&config)));

    let gotmpl = gotmpl_side::template(&source);
    let gotmpl_data = gotmpl_side::value(&serde_json::from_str(&json).expect("bench data parses"));
    let gotmpl_out = gotmpl.execute_to_string(&gotmpl_data).expect("gotmpl renders");
    // gotmpl's stand-in sprig functions are close, not exact: compare sizes.
    assert!(gotmpl_out.len().abs_diff(expected.len()) < expected.len() / 20, "gotmpl renders something else");

    let mut group = c.benchmark_group("render/sidecar.tmpl");
    for (name, set) in
        [("injit-eval", &eval), ("injit-jit", &jit), ("injit-eval-bound", &eval_bound), ("injit-jit-bound", &jit_bound)]
    {
        group.bench_function(name, |b| {
            let mut out = Vec::with_capacity(expected.len());
            b.iter(|| {
                out.clear();
                set.render(std::hint::black_box(&data), &mut out).unwrap();
            })
        });
    }
    group.bench_function("gotmpl", |b| {
        let mut out = Vec::with_capacity(expected.len());
        b.iter(|| {
            out.clear();
            gotmpl.execute(&mut out, std::hint::black_box(&gotmpl_data)).unwrap();
        })
    });
    group.finish();
}

/// gotmpl with hand-written versions of the sprig functions the bench
/// template calls (gotmpl ships Go's builtins only).
mod gotmpl_side {
    use super::*;
    use gotmpl::{Template, Value};

    pub(super) fn value(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            // encoding/json decodes every number as float64.
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or_default()),
            serde_json::Value::String(s) => Value::String(s.as_str().into()),
            serde_json::Value::Array(items) => Value::List(items.iter().map(value).collect()),
            serde_json::Value::Object(map) => {
                Value::Map(Arc::new(map.iter().map(|(k, v)| (Arc::from(k.as_str()), value(v))).collect()))
            }
        }
    }

    fn json(v: &Value) -> serde_json::Value {
        match v {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Uint(u) => (*u).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
            Value::String(s) => s.as_ref().into(),
            Value::List(items) => items.iter().map(json).collect(),
            Value::Map(map) => map.iter().map(|(k, v)| (k.to_string(), json(v))).collect(),
            _ => serde_json::Value::Null,
        }
    }

    fn text(v: &Value) -> String {
        match v {
            Value::Nil => String::new(),
            other => other.to_string(),
        }
    }

    pub(super) fn template(source: &str) -> Template {
        Template::new("t")
            .func("default", |a| Ok(if a[1].is_truthy() { a[1].clone() } else { a[0].clone() }))
            .func("quote", |a| {
                let quoted: Vec<String> =
                    a.iter().filter(|v| !matches!(v, Value::Nil)).map(|v| format!("{:?}", text(v))).collect();
                Ok(Value::String(quoted.join(" ").into()))
            })
            .func("int", |a| {
                Ok(Value::Int(match &a[0] {
                    Value::Int(i) => *i,
                    Value::Float(f) => *f as i64,
                    Value::String(s) => s.parse().unwrap_or(0),
                    _ => 0,
                }))
            })
            .func("list", |a| Ok(Value::List(a.to_vec().into())))
            .func("append", |a| {
                let mut items = match &a[0] {
                    Value::List(items) => items.to_vec(),
                    _ => Vec::new(),
                };
                items.push(a[1].clone());
                Ok(Value::List(items.into()))
            })
            .func("join", |a| {
                let parts: Vec<String> = match &a[1] {
                    Value::List(items) => items.iter().map(text).collect(),
                    other => vec![text(other)],
                };
                Ok(Value::String(parts.join(&text(&a[0])).into()))
            })
            .func("first", |a| {
                Ok(match &a[0] {
                    Value::List(items) => items.first().cloned().unwrap_or(Value::Nil),
                    _ => Value::Nil,
                })
            })
            .func("lower", |a| Ok(Value::String(text(&a[0]).to_lowercase().into())))
            .func("toJson", |a| Ok(Value::String(json(&a[0]).to_string().into())))
            .func("nindent", |a| {
                let pad = " ".repeat(a[0].as_int().unwrap_or(0) as usize);
                let body = text(&a[1]).lines().map(|l| format!("{pad}{l}")).collect::<Vec<_>>().join("\n");
                Ok(Value::String(format!("\n{body}").into()))
            })
            .parse(source)
            .expect("gotmpl parses the bench template")
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
