//! Checks that find, before a template runs, what Go finds only when it
//! executes it: calls to functions the chosen set lacks, calls with the
//! wrong number of arguments, `{{template}}` calls to undefined templates,
//! and variables used or assigned where none is declared.

use injit_grammar::ast::{Command, List, Node, Operand, Pipe, Span, Tree, Variable};
use injit_grammar::{GoDisplay, Templates};
use injit_runtime::funcs::{CustomFunction, CustomLibrary, FunctionTable};
use injit_runtime::{Library, Signature};

use crate::diagnostic::Diagnostic;
use crate::suggest::closest;

/// A set of template functions: what a template is checked against and
/// calls. A standard library and the program's own functions over it.
#[derive(Clone, Copy, Default)]
pub struct FunctionSet {
    /// The standard library the set starts from.
    pub library: Library,
    /// The program's own functions over the set.
    custom: Option<&'static CustomLibrary>,
}

impl std::fmt::Debug for FunctionSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let custom: Vec<&str> = self.custom.map(|c| c.signatures.iter().map(|s| s.name).collect()).unwrap_or_default();
        f.debug_struct("FunctionSet").field("library", &self.library).field("custom", &custom).finish()
    }
}

impl FunctionSet {
    pub fn new(library: Library) -> FunctionSet {
        FunctionSet { library, custom: None }
    }

    /// The set with the program's own functions added (Go's `Funcs`):
    /// call it once, at start-up; the functions live for the process.
    pub fn with_custom(self, functions: &[CustomFunction]) -> FunctionSet {
        let mut all: Vec<CustomFunction> = self
            .custom
            .map(|c| {
                c.signatures
                    .iter()
                    .map(|s| {
                        let f = c.table.get(s.name).expect("a registered function");
                        let injit_runtime::funcs::Body::Native(body) = f.body else {
                            unreachable!("custom functions are native")
                        };
                        CustomFunction { signature: **s, body }
                    })
                    .collect()
            })
            .unwrap_or_default();
        all.retain(|c| !functions.iter().any(|f| f.signature.name == c.signature.name));
        all.extend_from_slice(functions);
        FunctionSet { custom: Some(CustomLibrary::build(self.library, &all)), ..self }
    }

    /// The function table calls resolve in.
    pub fn table(&self) -> &'static FunctionTable {
        match self.custom {
            Some(c) => &c.table,
            None => FunctionTable::for_library(self.library),
        }
    }

    pub fn signature(&self, name: &str) -> Option<&'static Signature> {
        self.custom.and_then(|c| c.signature(name)).or_else(|| self.library.signature(name))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.signature(name).is_some()
    }
}

/// Checks every template of one parse.
pub fn check(templates: &Templates, functions: &FunctionSet) -> Vec<Diagnostic> {
    let mut checker = Checker { templates, functions, diagnostics: Vec::new(), vars: Vec::new() };
    for tree in templates.iter() {
        checker.tree(tree);
    }
    checker.diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    checker.diagnostics
}

struct Checker<'a> {
    templates: &'a Templates,
    functions: &'a FunctionSet,
    diagnostics: Vec<Diagnostic>,
    /// Variables in scope, innermost last (Go's parser keeps the same stack).
    vars: Vec<String>,
}

impl Checker<'_> {
    fn tree(&mut self, tree: &Tree) {
        // Every template starts with only `$`: variables do not cross into
        // `define`d templates.
        self.vars = vec!["$".to_owned()];
        self.list(&tree.root);
    }

    fn list(&mut self, list: &List) {
        for node in &list.nodes {
            self.node(node);
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
            Node::Action(action) => self.pipe(&action.pipe),
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                let mark = self.vars.len();
                self.pipe(&b.pipe);
                self.list(&b.list);
                if let Some(else_list) = &b.else_list {
                    self.list(else_list);
                }
                self.vars.truncate(mark);
            }
            Node::Template(call) => {
                if self.templates.get(&call.name).is_none() {
                    let names = self.templates.iter().map(|t| t.name.as_str());
                    let quoted = injit_strconv::quote(call.name.as_bytes());
                    let help = closest(&call.name, names).map(|n| format!("did you mean \"{n}\"?"));
                    self.diagnostics.push(
                        Diagnostic::error(
                            "undefined-template",
                            format!("template {quoted} not defined"),
                            call.name_span,
                        )
                        .label("no `define` or `block` of this name")
                        .maybe_help(help),
                    );
                }
                if let Some(pipe) = &call.pipe {
                    self.pipe(pipe);
                }
            }
        }
    }

    fn pipe(&mut self, pipe: &Pipe) {
        // Go evaluates the commands before it declares the variables, so
        // `$x := $x` uses an undeclared `$x`; an assignment needs a declared one.
        for (i, cmd) in pipe.cmds.iter().enumerate() {
            self.command(cmd, i > 0);
        }
        for var in &pipe.decl {
            if pipe.is_assign {
                self.use_variable(var);
            }
        }
        if !pipe.is_assign {
            self.vars.extend(pipe.decl.iter().map(|v| v.ident[0].clone()));
        }
    }

    fn command(&mut self, cmd: &Command, piped: bool) {
        self.not_a_function(cmd, piped);
        if let Some(Operand::Identifier(head)) = cmd.args.first()
            && let Some(signature) = self.functions.signature(&head.name)
        {
            self.constant_arguments(&head.name, signature, &cmd.args[1..]);
            self.constant_collection(&head.name, &cmd.args[1..]);
        }
        for (i, arg) in cmd.args.iter().enumerate() {
            match arg {
                Operand::Identifier(ident) => {
                    // A function at the head gets the other arguments (and the
                    // piped value); elsewhere it is called with none.
                    let given = if i == 0 { cmd.args.len() - 1 + usize::from(piped) } else { 0 };
                    self.call(&ident.name, given, ident.span);
                }
                other => self.operand(other),
            }
        }
    }

    /// `len` and `index` of a constant that is no collection.
    fn constant_collection(&mut self, name: &str, args: &[Operand]) {
        let Some(item) = args.first() else { return };
        let Some(t) = constant_type(item).filter(|t| *t != "string") else { return };
        let message = match name {
            "len" => format!("len of type {t}"),
            "index" if args.len() > 1 => format!("can't index item of type {t}"),
            _ => return,
        };
        self.diagnostics.push(
            Diagnostic::error("not-a-collection", message, item.span())
                .label(format!("a constant {t}"))
                .help(format!("`{name}` takes a string, slice, array or map")),
        );
    }

    fn operand(&mut self, operand: &Operand) {
        match operand {
            Operand::Variable(v) => self.use_variable(v),
            Operand::Pipe(pipe) => self.pipe(pipe),
            Operand::Chain(chain) => {
                // `(1).x`: a field of a parenthesized constant.
                if let Operand::Pipe(pipe) = chain.node.as_ref()
                    && let [cmd] = pipe.cmds.as_slice()
                    && let ([value], true) = (cmd.args.as_slice(), pipe.decl.is_empty())
                    && let Some(t) = constant_type(value)
                {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "no-field",
                            format!("can't evaluate field {} in type {t}", chain.fields[0]),
                            chain.span,
                        )
                        .label(format!("a constant {t} has no fields")),
                    );
                }
                self.operand(&chain.node)
            }
            Operand::Identifier(ident) => self.call(&ident.name, 0, ident.span),
            _ => {}
        }
    }

    fn use_variable(&mut self, var: &Variable) {
        let name = &var.ident[0];
        if self.vars.iter().any(|v| v == name) {
            return;
        }
        let declared = self.vars.iter().map(String::as_str).filter(|v| *v != "$");
        let help = closest(name, declared).map(|n| format!("did you mean `{n}`?"));
        let help = help.or_else(|| Some(format!("declare it first: {{{{ {name} := ... }}}}")));
        self.diagnostics.push(
            Diagnostic::error(
                "undefined-variable",
                format!("undefined variable: {name}"),
                Span { start: var.span.start, end: var.span.start + name.len() as u32 },
            )
            .label("not declared in this scope")
            .maybe_help(help),
        );
    }

    /// A constant heading a command cannot take arguments (Go's
    /// `notAFunction`), and `nil` alone is no command.
    fn not_a_function(&mut self, cmd: &Command, piped: bool) {
        let Some(head) = cmd.args.first() else { return };
        if !matches!(
            head,
            Operand::Bool(..) | Operand::Number(_) | Operand::String(_) | Operand::Dot(_) | Operand::Nil(_)
        ) {
            return;
        }
        let shown = head.go_display("").to_string();
        let message = if cmd.args.len() > 1 || piped {
            format!("can't give argument to non-function {shown}")
        } else if matches!(head, Operand::Nil(_)) {
            "nil is not a command".to_owned()
        } else {
            return;
        };
        self.diagnostics.push(
            Diagnostic::error("not-a-function", message, head.span())
                .label("fails every time it runs")
                .help("only functions, methods and fields holding functions take arguments"),
        );
    }

    /// Constants passed where the function's parameter has another type:
    /// Go converts a constant argument only to its own kind (`evalArg`),
    /// so `indent "2" .x` fails every time it runs.
    fn constant_arguments(&mut self, name: &str, signature: &Signature, args: &[Operand]) {
        let fixed = signature.params.len() - usize::from(signature.variadic);
        for (i, arg) in args.iter().enumerate() {
            let param = match signature.params.get(i) {
                Some(param) if i < fixed => *param,
                _ if signature.variadic => signature.params[fixed].strip_prefix("[]").unwrap_or("interface {}"),
                _ => return,
            };
            if let Some(problem) = constant_mismatch(param, arg) {
                self.diagnostics.push(
                    Diagnostic::error("argument-type", problem, arg.span())
                        .label(format!("argument {} of {name} has type {param}", i + 1))
                        .help(format!("`{name}` is {}", signature.go_type())),
                );
            }
        }
    }

    fn call(&mut self, name: &str, given: usize, span: Span) {
        let Some(signature) = self.functions.signature(name) else {
            self.diagnostics.push(self.undefined_function(name, span));
            return;
        };
        if name == "eq" && given == 1 && signature.variadic {
            self.diagnostics.push(
                Diagnostic::error("arity", "missing argument for comparison", span)
                    .label("eq compares its first argument with the others; it has no others")
                    .help("`eq` needs at least two arguments"),
            );
            return;
        }
        let arity = signature.arity();
        if arity.accepts(given) {
            return;
        }
        let want = match arity.max {
            Some(_) => format!("want {}", arity.min),
            None => format!("want at least {}", arity.min),
        };
        let message = format!("wrong number of args for {name}: {want} got {given}");
        self.diagnostics.push(
            Diagnostic::error("arity", message, span)
                .label(format!("called with {given} argument{}", if given == 1 { "" } else { "s" }))
                .help(format!("`{name}` is {}", signature.go_type())),
        );
    }

    fn undefined_function(&self, name: &str, span: Span) -> Diagnostic {
        let set = self.functions.library;
        let quoted = injit_strconv::quote(name.as_bytes());
        let larger = [Library::Sprig, Library::Istio].into_iter().find(|s| *s != set && s.signature(name).is_some());
        let help = match larger {
            Some(other) => Some(format!("`{name}` is in the {} function set (--funcs {})", other.name(), other.name())),
            None => closest(name, set.names()).map(|n| format!("did you mean `{n}`?")),
        };
        Diagnostic::error("undefined-function", format!("function {quoted} not defined"), span)
            .label(format!("not in the {} function set", set.name()))
            .maybe_help(help)
    }
}

/// Go's error for constant `arg` passed as a `param`, if it is not
/// accepted (`evalArg`: a constant only of the parameter's own kind, and
/// `nil` not at all, for the scalar types; anything else, such as
/// interfaces and `reflect.Value`, takes any constant).
fn constant_mismatch(param: &str, arg: &Operand) -> Option<String> {
    let (expected, fits) = match param {
        "string" => ("string", matches!(arg, Operand::String(_))),
        "bool" => ("bool", matches!(arg, Operand::Bool(..))),
        "int" | "int8" | "int16" | "int32" | "int64" => ("integer", matches!(arg, Operand::Number(n) if n.is_int)),
        "uint" | "uint8" | "uint16" | "uint32" | "uint64" | "uintptr" => {
            ("unsigned integer", matches!(arg, Operand::Number(n) if n.is_uint))
        }
        "float32" | "float64" => ("float", matches!(arg, Operand::Number(n) if n.is_float)),
        _ => return None,
    };
    match arg {
        Operand::Nil(_) => Some(format!("cannot assign nil to {param}")),
        Operand::Bool(..) | Operand::Number(_) | Operand::String(_) if !fits => {
            Some(format!("expected {expected}; found {}", arg.go_display("")))
        }
        _ => None,
    }
}

/// The Go type a constant operand evaluates to (`idealConstant`): `int`
/// for integers, `float64` for numbers written as floats (or too large
/// for an int), `complex128`, `bool`, `string`.
pub(crate) fn constant_type(operand: &Operand) -> Option<&'static str> {
    Some(match operand {
        Operand::Bool(..) => "bool",
        Operand::String(_) => "string",
        Operand::Number(n) if n.is_complex && !n.is_float => "complex128",
        Operand::Number(n) => {
            let text = n.text.as_str();
            let hex_int = text.len() > 2
                && text.starts_with('0')
                && text[1..].starts_with(['x', 'X'])
                && !text.contains(['p', 'P']);
            let written_float = n.is_float && !hex_int && !n.is_char && text.contains(['.', 'e', 'E', 'p', 'P']);
            if n.is_int && !written_float { "int" } else { "float64" }
        }
        _ => return None,
    })
}
