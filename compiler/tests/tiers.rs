//! `Backend::Auto`: the evaluator until a set is hot, then native code
//! compiled on a background thread, with the same output throughout.

use std::time::{Duration, Instant};

use injit_compiler::{Backend, CompileOptions, HOT_RENDERS, TemplateSet};
use injit_runtime::{Data, Library, NumberMode};

fn render(set: &TemplateSet, data: &Data) -> String {
    let mut out = Vec::new();
    set.render(data, &mut out).expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn a_hot_set_moves_to_native_code_and_renders_the_same() {
    let options = CompileOptions {
        backend: Backend::Auto,
        functions: injit_compiler::FunctionSet::new(Library::Sprig),
        ..CompileOptions::default()
    };
    let template = "{{ range $i, $c := .containers }}{{ $i }}={{ $c.name | upper }};{{ end }}{{ .n | add 1 }}";
    let set = TemplateSet::compile(template, &options).expect("compiles");
    let data = Data::from_json(br#"{"containers": [{"name": "a"}, {"name": "b"}], "n": 41}"#, NumberMode::Float)
        .expect("JSON");
    let want = "0=A;1=B;42";
    assert_eq!(set.backend(), Backend::Eval, "cold: the evaluator, no Cranelift yet");
    for _ in 1..HOT_RENDERS {
        assert_eq!(render(&set, &data), want);
    }
    assert_eq!(set.backend(), Backend::Eval, "not hot until the {HOT_RENDERS}th render");
    // The render that makes it hot starts the compile; renders go on
    // meanwhile, on the evaluator, until the code is there.
    let deadline = Instant::now() + Duration::from_secs(60);
    while set.backend() != Backend::Jit {
        assert_eq!(render(&set, &data), want);
        assert!(Instant::now() < deadline, "native code never arrived: {:?}", set.jit_error());
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(render(&set, &data), want, "on native code");
    assert!(set.jit_error().is_none());
}

#[test]
fn a_set_dropped_while_compiling_is_freed_safely() {
    let options = CompileOptions { backend: Backend::Auto, ..CompileOptions::default() };
    for _ in 0..4 {
        let set = TemplateSet::compile("{{ .a }}{{ range .b }}{{ . }}{{ end }}", &options).expect("compiles");
        let data = Data::from_json(br#"{"a": 1, "b": [2, 3]}"#, NumberMode::Float).expect("JSON");
        for _ in 0..HOT_RENDERS {
            render(&set, &data);
        }
        // The background compile holds the program; dropping the set now
        // must neither wait for it nor free what it reads.
        drop(set);
    }
}
