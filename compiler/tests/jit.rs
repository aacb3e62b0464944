//! The native backend: its Cranelift IR for a few small templates, renders
//! from many threads at once, and code freed with its template set.

use std::sync::{Arc, Mutex};

use injit_compiler::{Backend, CompileOptions, FunctionSet, MissingKey, TemplateSet};
use injit_runtime::{Data, Library, NumberMode};

/// The tests of this file take turns: the memory test reads the process's
/// resident size, which other tests' allocations would move.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn compile(source: &str, backend: Backend) -> TemplateSet {
    let options = CompileOptions { functions: FunctionSet::new(Library::Sprig), backend, ..CompileOptions::default() };
    let set = TemplateSet::compile(source, &options).expect("test template compiles");
    assert_eq!(set.backend(), backend, "{:?}", set.jit_error());
    set
}

fn bench_inputs() -> (String, Data, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/conformance");
    let read = |name: &str| std::fs::read_to_string(root.join(name)).expect("bench input");
    let data = Data::from_json(read("pod.json").as_bytes(), NumberMode::Float).expect("pod.json");
    (read("sidecar.tmpl"), data, read("expected.out"))
}

#[test]
fn cranelift_ir_of_small_templates() {
    let _turn = one_at_a_time();
    insta::glob!("inputs/clif/*.tmpl", |path| {
        let source = std::fs::read_to_string(path).expect("readable input");
        let set = compile(&source, Backend::Eval);
        insta::assert_snapshot!(set.clif().expect("code generation"));
    });
}

#[test]
fn one_compiled_template_renders_from_eight_threads() {
    let _turn = one_at_a_time();
    let (source, data, expected) = bench_inputs();
    let set = Arc::new(compile(&source, Backend::Jit));
    let data = Arc::new(data);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (set, data) = (Arc::clone(&set), Arc::clone(&data));
            std::thread::spawn(move || {
                let mut out = Vec::new();
                for _ in 0..200 {
                    out.clear();
                    set.render(&data, &mut out).expect("renders");
                }
                String::from_utf8(out).expect("utf-8")
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread finishes"), expected);
    }
}

/// Resident memory in bytes: `VmRSS` of `/proc/self/status`, which Linux
/// gives in kB whatever the page size. Without it the test cannot measure
/// anything, so it fails rather than pass unchecked.
fn resident() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux) to measure memory");
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix(" kB"))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/self/status:\n{status}"));
    kb << 10
}

#[test]
fn dropping_a_template_set_frees_its_code() {
    let _turn = one_at_a_time();
    let (source, data, expected) = bench_inputs();
    let generation = || {
        let set = compile(&source, Backend::Jit);
        let mut out = Vec::new();
        set.render(&data, &mut out).expect("renders");
        assert_eq!(out, expected.as_bytes());
    };
    for _ in 0..100 {
        generation();
    }
    let before = resident();
    for _ in 0..900 {
        generation();
    }
    let after = resident();
    // Each generation's code and data are tens of kilobytes: leaking them
    // would add tens of megabytes here.
    let growth = after.saturating_sub(before);
    assert!(growth < 8 << 20, "resident memory grew by {growth} bytes over 900 generations");
}

#[test]
fn deep_recursion_runs_on_heap_stack_segments() {
    let _turn = one_at_a_time();
    // 50 000 nested calls of native code, each on the thread's stack until
    // it runs low, then on segments the helper allocates.
    let source = r#"{{define "r"}}{{if .}}{{template "r" (sub . 1)}}{{end}}{{end}}{{template "r" .}}done"#;
    let set = compile(source, Backend::Jit);
    let data = Data::Number(50_000.0);
    let mut out = Vec::new();
    // A small thread stack, as a tokio worker's.
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || set.render(&data, &mut out).map(|()| out).map_err(|e| e.to_string()))
        .expect("thread starts");
    assert_eq!(handle.join().expect("no stack overflow").expect("renders"), b"done");
}

/// Values nested as deep as recursive templates make them are printed,
/// marshalled, copied and dropped as Go does (Go's answers, from the kit's
/// oracle), on a small thread stack, deep inside template recursion where
/// native code runs on stack segments: found by the render fuzzer as a
/// stack overflow.
#[test]
fn values_nested_sixty_thousand_deep() {
    let _turn = one_at_a_time();
    let source = concat!(
        r#"{{define "x"}}{{if lt .n (int .depth)}}{{template "x" (dict "n" (add .n 1) "depth" .depth "l" (list .l))}}"#,
        r#"{{else}}{{toJson .l | len}} {{printf "%v" .l | len}} {{deepCopy .l | toJson | len}} {{toPrettyJson .l | len}}"#,
        r#"{{end}}{{end}}{{template "x" (dict "n" 0 "depth" .depth "l" (list))}}"#,
    );
    // Go's MarshalIndent rescans its output and refuses nesting beyond
    // 10,000 levels, so toPrettyJson gives "" from there on.
    let cases: [(f64, &str); 3] = [
        (9_999.0, "20000 20000 20000 200000000"),
        (10_000.0, "20002 20002 20002 0"),
        (60_000.0, "120002 120002 120002 0"),
    ];
    for backend in [Backend::Eval, Backend::Jit] {
        for (depth, expected) in cases {
            let set = compile(source, backend);
            let data = Data::Object(injit_runtime::Object::new(vec![("depth".into(), Data::Number(depth))]));
            let handle = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    let mut out = Vec::new();
                    set.render(&data, &mut out).map(|()| String::from_utf8_lossy(&out).into_owned())
                })
                .expect("thread starts");
            let rendered = handle.join().expect("no stack overflow").expect("renders");
            assert_eq!(rendered, expected, "{backend:?} at depth {depth}");
        }
    }
}

/// `merge` can make a map that holds itself; Go then recurses until its
/// stack limit kills the program. Walks stop where the map recurs, more
/// than 1,000 levels down: JSON with Go's cycle error (`json.Marshal`
/// detects cycles from that depth), printing with `<cycle>`, `deepCopy`
/// sharing the recurring map, `merge` merging it once. Found by the render
/// fuzzer as an exhausted memory once nested values could grow the stack.
#[test]
fn maps_that_hold_themselves_are_walked_to_an_end() {
    let _turn = one_at_a_time();
    let source = concat!(
        r#"{{$m := merge .x .}}{{toJson $m}}|{{printf "%v" $m | len}}|{{deepCopy $m | len}}|"#,
        r#"{{merge (dict) $m $m | len}}|{{mustToJson $m}}"#,
    );
    let data = Data::from_json(br#"{"x": {"z": 0}}"#, NumberMode::Float).expect("JSON");
    for backend in [Backend::Eval, Backend::Jit] {
        let set = compile(source, backend);
        let mut out = Vec::new();
        let error = set.render(&data, &mut out).expect_err("mustToJson fails").to_string();
        assert_eq!(String::from_utf8_lossy(&out), "|5518|2|2|", "{backend:?}");
        assert!(
            error.ends_with(
                "error calling mustToJson: json: unsupported value: encountered a cycle via map[string]interface {}"
            ),
            "{backend:?}: {error}"
        );
    }
}

/// Native code runs some instruction sequences as one (field chains with an
/// inline cache and a per-frame memo, printing of unboxed values): each
/// case must render exactly as the evaluator does, errors included, under
/// every `missingkey` option.
#[test]
fn fused_instructions_render_as_the_evaluator_does() {
    let _turn = one_at_a_time();
    let cases: &[(&str, &str)] = &[
        // Root chains sharing prefixes, repeated, and the shared prefix itself.
        ("{{.a.b.c}} {{.a.b.d}} {{.a.b.c}} {{.a.x}} {{.a.b}} {{.a.b.c}}", r#"{"a":{"b":{"c":1,"d":"two"},"x":null}}"#),
        // A template's argument made at run time and changed in place.
        (
            r#"{{define "u"}}{{.a.b}} {{$_ := set .a "b" 2}}{{.a.b}}{{end}}{{template "u" (dict "a" (dict "b" 1))}}"#,
            "null",
        ),
        // Intermediate results kept in variables and read later.
        ("{{$x := .a.b}}{{.a.b.c}} {{$x.d}} {{$x}}", r#"{"a":{"b":{"c":1,"d":2}}}"#),
        ("{{$v := .a}}{{$v}} {{$v.b.c}} {{$v.b}} {{$v}}", r#"{"a":{"b":{"c":[1,2]}}}"#),
        // Missing keys and nulls at every depth.
        ("{{.nope}} {{.nope.deeper}} {{.a.none}} {{.n}} {{.a.none}}", r#"{"a":{},"n":null}"#),
        // A chain through a scalar fails at its node.
        ("{{.a.b}} {{.a.b.c}}", r#"{"a":{"b":"s"}}"#),
        ("{{.a.b.c}}", r#"{"a":{"b":null}}"#),
        // One lookup site over objects of differing shapes.
        (
            "{{range .l}}{{.k}}{{.z}};{{end}}{{range .l}}{{.k}};{{end}}",
            r#"{"l":[{"k":1},{"a":0,"k":2},{"k":3,"z":4},{}]}"#,
        ),
        // Chains from `$` inside `with` and `range`, where the dot changes.
        ("{{with .a}}{{.b}} {{$.a.b}} {{$.a.b}}{{end}}{{range .l}}{{$.a.b}}{{.}}{{end}}", r#"{"a":{"b":7},"l":[1,2]}"#),
        // Values printed after an unbox, then used again.
        ("{{$s := .s}}{{$s}}{{$s | printf \"%q\"}}{{$s}}", r#"{"s":"x"}"#),
        // Conditions between chains: jump targets inside a would-be run.
        ("{{if .a}}{{.a.b}}{{else}}{{.c}}{{end}}{{.a.b}}", r#"{"a":{"b":1},"c":2}"#),
        // Repeated calls share one result per frame (`repeats.rs`)...
        (
            "{{upper .s}} {{if .b}}{{upper .s}}{{end}} {{$x := upper .s}}{{$x}} {{upper .s | lower}}",
            r#"{"s":"x","b":1}"#,
        ),
        ("{{$v := .a}}{{upper $v}} {{$v = .b}}{{upper $v}} {{upper .a}}", r#"{"a":"x","b":"y"}"#),
        ("{{range .l}}{{upper $.s}}{{upper .}};{{end}}", r#"{"s":"s","l":["a","b"]}"#),
        // ... of their own frame only ...
        (r#"{{define "u"}}{{upper .}}{{upper .}}{{end}}{{template "u" "a"}}{{template "u" "b"}}"#, "null"),
        // ... failing as the first did ...
        ("{{index .l 0}}{{index .l 5}}{{index .l 5}}", r#"{"l":[1]}"#),
        // ... once per range element, also in nested ranges and with the
        // previous element kept in a variable ...
        ("{{range .l}}{{toJson .}}{{toJson .}};{{end}}", r#"{"l":[1,"a",{"k":2},1]}"#),
        (
            r#"{{range $a := .l}}{{range $b := .m}}{{printf "%v%v" $a $b}}{{printf "%v%v" $a $b}} {{end}}{{printf "%v" $a}}{{printf "%v" $a}};{{end}}"#,
            r#"{"l":[1,2],"m":["x","y"]}"#,
        ),
        (
            r#"{{$prev := 0}}{{range .l}}{{printf "%v>%v" $prev .}} {{printf "%v>%v" $prev .}} {{$prev = .}}{{end}}{{printf "%v" $prev}}"#,
            r#"{"l":[1,2,3]}"#,
        ),
        (r#"{{range .l}}{{toJson .}}{{if eq (toJson .) "2"}}{{break}}{{end}}{{toJson .}}{{end}}"#, r#"{"l":[1,2,3]}"#),
        (r#"{{range .l}}{{range .}}{{len .}}{{len .}}{{else}}e{{end}}{{end}}"#, r#"{"l":[["ab"],[],["c"]]}"#),
        // ... skipping the argument work when the result is remembered,
        // errors after it still at their own position ...
        (r#"{{quote (upper .s)}} {{quote (upper .s)}} {{len (quote .s)}}{{index (quote .s) 9}}"#, r#"{"s":"ab"}"#),
        (r#"{{$x := quote .a.b}}{{quote .a.b}} {{$x}} {{quote .a.b | printf "%d"}}"#, r#"{"a":{"b":1}}"#),
        // (an assignment among the arguments is not skipped)
        (r#"{{$v := 1}}{{quote ($v = .s)}}{{$v}}{{$v = 2}}-{{quote ($v = .s)}}{{$v}}"#, r#"{"s":"x"}"#),
        // ... and never where the program can change a value in place.
        (r#"{{$d := dict "a" 1}}{{keys $d | len}} {{$_ := set $d "b" 2}}{{keys $d | len}}"#, "null"),
        // Calls printing their results themselves (`Function::write`) after
        // output already written, with nil and several arguments...
        (
            r#"a{{quote .s}}{{quote .s .n .missing 1.5}}{{printf "%05.1f|%-4v|%q" .f .s .s}}{{print .s 1 2 "x" "y"}}{{println .s .n}}"#,
            r#"{"s":"x\"y","n":null,"f":3.14159}"#,
        ),
        (
            "{{toJson .}} {{toJson .l}}{{.l | toJson}} {{indent 2 .t}}|{{nindent 3 .t}}|{{nindent 0 \"\"}}",
            r#"{"l":[1,{"b":"<&>"}],"t":"a\nb\n"}"#,
        ),
        // ... results kept in variables or passed on (not fused) ...
        (r#"{{$q := quote .s}}{{quote .s}}{{$q}} {{quote .s | len}} {{printf "%s" .s | quote}}"#, r#"{"s":"v"}"#),
        // ... failing with the output printed before the call ...
        ("before {{nindent -1 .t}} after", r#"{"t":"x"}"#),
        (r#"ok {{printf "%d" .s}} {{indent 2 .t}}{{indent 99999999999 .t}}"#, r#"{"s":"v","t":"x"}"#),
        // ... a value that cannot be marshalled printing nothing, as sprig's
        // toJson returns "" ...
        (r#"[{{toJson (list .f (float64 "+Inf"))}}]{{toJson .f}}"#, r#"{"f":1.5}"#),
        // ... and under the output limit's count.
        (r#"{{range .l}}{{quote .}}{{printf "%v" .}}{{end}}"#, r#"{"l":["a",2,null,{"k":[]}]}"#),
    ];
    for missing in ["default", "zero", "error"] {
        for (source, json) in cases {
            let data = Data::from_json(json.as_bytes(), NumberMode::Float).expect("case data");
            let render = |backend| {
                let options = CompileOptions {
                    functions: FunctionSet::new(Library::Sprig),
                    backend,
                    missing_key: MissingKey::parse(missing).expect("missingkey option"),
                    ..CompileOptions::default()
                };
                let set = TemplateSet::compile(source, &options).expect("case compiles");
                assert_eq!(set.backend(), backend);
                // Twice: the second render runs with warm inline caches.
                let mut results = Vec::new();
                for _ in 0..2 {
                    let mut out = Vec::new();
                    let result = set.render(&data, &mut out).map_err(|e| e.to_string());
                    results.push((String::from_utf8_lossy(&out).into_owned(), result));
                }
                results
            };
            assert_eq!(render(Backend::Jit), render(Backend::Eval), "{source} (missingkey={missing})");
        }
    }
}
