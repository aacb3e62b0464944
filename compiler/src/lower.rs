//! From syntax trees to IR, mirroring Go's `exec.go` step for step.
//!
//! Each method here is named after the Go function it reproduces (`walk`,
//! `eval_pipeline`, `eval_command`, `eval_arg`, ...) and emits, in Go's
//! order, the operations Go performs — including `At` wherever Go calls
//! `s.at(node)`, so that errors name the node Go names. Decisions Go takes
//! from the syntax alone are taken here; an error Go would raise at run time
//! from the syntax alone becomes a `Fail` instruction at the same point.

use std::collections::HashMap;

use injit_grammar::ast::{
    Branch, Chain, Field, Identifier, List, Node, Number, Operand, Pipe, TemplateCall, Tree, Variable,
};
use injit_grammar::{GoDisplay, LineIndex, Templates};
use injit_runtime::convert::Param;
use injit_runtime::funcs::{Body, Function, FunctionTable};
use injit_runtime::types::{Kind, Type};

use crate::ir::{
    Const, ConstId, EntityVec, FuncId, Inst, IterSlot, Label, MessageId, MissingKey, NameId, NodeId, NodeInfo, Proc,
    ProcId, Program, Slot, TextId,
};

/// What the lowering needs besides the trees.
pub(crate) struct LowerOptions {
    pub(crate) functions: &'static FunctionTable,
    pub(crate) missing_key: MissingKey,
    /// The top-level template's name, which every error location uses.
    pub(crate) parse_name: String,
}

/// Lowers every template of a parse into one program.
pub(crate) fn lower(templates: &Templates, source: &str, options: &LowerOptions) -> Program {
    let mut by_name = HashMap::new();
    for (i, tree) in templates.iter().enumerate() {
        by_name.insert(tree.name.clone(), ProcId::new(i));
    }
    let mut lowerer = Lowerer {
        source,
        lines: LineIndex::new(source),
        options,
        by_name: &by_name,
        program: Tables::default(),
        node_ids: HashMap::new(),
    };
    let procs = templates
        .iter()
        .map(|tree| {
            let mut proc = lowerer.proc(tree);
            crate::optimize::optimize(&mut proc, &lowerer.program.functions, &lowerer.program.consts);
            proc
        })
        .collect();
    let Tables { nodes, consts, texts, text_pos, names, messages, functions, .. } = lowerer.program;
    let mutates = functions.iter().any(|f| MUTATING.contains(&f.name));
    Program {
        procs,
        by_name,
        nodes,
        consts,
        texts,
        text_pos,
        names,
        messages,
        functions,
        missing_key: options.missing_key,
        mutates,
        bound: None,
    }
}

/// Functions that change a map argument in place (Go maps are references).
const MUTATING: &[&str] = &["set", "unset", "merge", "mergeOverwrite", "mustMerge", "mustMergeOverwrite"];

#[derive(Default)]
struct Tables {
    nodes: EntityVec<NodeId, NodeInfo>,
    consts: EntityVec<ConstId, Const>,
    texts: EntityVec<TextId, Box<[u8]>>,
    text_pos: EntityVec<TextId, Option<u32>>,
    names: EntityVec<NameId, Box<[u8]>>,
    name_ids: HashMap<Box<[u8]>, NameId>,
    messages: EntityVec<MessageId, String>,
    functions: EntityVec<FuncId, &'static Function>,
    function_ids: HashMap<&'static str, FuncId>,
}

/// A syntax node Go can blame in an error.
#[derive(Clone, Copy)]
enum Blame<'t> {
    Node(&'t Node),
    Pipe(&'t Pipe),
    Command(&'t injit_grammar::ast::Command),
    Operand(&'t Operand),
}

impl Blame<'_> {
    fn key(&self) -> (usize, u8) {
        match self {
            Blame::Node(n) => (*n as *const Node as usize, 0),
            Blame::Pipe(p) => (*p as *const Pipe as usize, 1),
            Blame::Command(c) => (*c as *const _ as usize, 2),
            Blame::Operand(o) => (*o as *const Operand as usize, 3),
        }
    }
}

struct Lowerer<'t, 'o> {
    source: &'t str,
    lines: LineIndex,
    options: &'o LowerOptions,
    by_name: &'t HashMap<String, ProcId>,
    program: Tables,
    node_ids: HashMap<(usize, u8), NodeId>,
}

/// A jump's target until it is patched.
const UNPATCHED: Label = Label::from_u32(0);

/// The procedure being built.
struct ProcBuilder {
    code: Vec<Inst>,
    slots: u32,
    iters: u32,
    /// Variables in scope, innermost last: the static image of Go's
    /// run-time variable stack.
    vars: Vec<(String, Slot)>,
    /// Jumps to patch at the end of each enclosing range: (breaks, continues).
    loops: Vec<(Vec<usize>, Vec<usize>)>,
}

impl ProcBuilder {
    fn slot(&mut self) -> Slot {
        let slot = self.next_slot();
        self.slots += 1;
        slot
    }

    /// The slot `slot` hands out next.
    fn next_slot(&self) -> Slot {
        Slot::new(self.slots as usize)
    }

    fn iter(&mut self) -> IterSlot {
        let iter = IterSlot::new(self.iters as usize);
        self.iters += 1;
        iter
    }

    fn emit(&mut self, inst: Inst) -> usize {
        self.code.push(inst);
        self.code.len() - 1
    }

    fn here(&self) -> Label {
        Label::new(self.code.len())
    }

    /// Points the jump at `at` to `target`.
    fn patch(&mut self, at: usize, target: Label) {
        match &mut self.code[at] {
            Inst::Jump(t)
            | Inst::JumpIfTruth { target: t, .. }
            | Inst::JumpUnlessTrue { target: t, .. }
            | Inst::RangeStart { empty: t, .. }
            | Inst::RangeNext { done: t, .. } => *t = target,
            other => unreachable!("not a jump: {other:?}"),
        }
    }

    fn var(&self, name: &str) -> Option<Slot> {
        self.vars.iter().rev().find(|(n, _)| n == name).map(|(_, s)| *s)
    }
}

fn is_hex_int(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') && !text.contains(['p', 'P'])
}

impl<'t> Lowerer<'t, '_> {
    // --- tables ---

    fn node(&mut self, blame: Blame<'_>) -> NodeId {
        if let Some(&id) = self.node_ids.get(&blame.key()) {
            return id;
        }
        let (pos, context) = match blame {
            Blame::Node(n) => (n.pos(), n.go_display(self.source).to_string()),
            Blame::Pipe(p) => (p.pos, p.go_display(self.source).to_string()),
            Blame::Command(c) => (c.pos, c.go_display(self.source).to_string()),
            Blame::Operand(o) => (o.pos(), o.go_display(self.source).to_string()),
        };
        let (line, col) = self.lines.go_line_col(pos);
        let location = format!("{}:{line}:{col}", self.options.parse_name);
        let id = self.program.nodes.push(NodeInfo { location, pos, context });
        self.node_ids.insert(blame.key(), id);
        id
    }

    fn at(&mut self, p: &mut ProcBuilder, blame: Blame<'_>) {
        let id = self.node(blame);
        // Two `At`s in a row: only the second can be blamed.
        if let Some(Inst::At(prev)) = p.code.last_mut() {
            *prev = id;
            return;
        }
        p.emit(Inst::At(id));
    }

    fn constant(&mut self, p: &mut ProcBuilder, value: Const) -> Slot {
        let id = self.program.consts.push(value);
        let dst = p.slot();
        p.emit(Inst::Const { dst, value: id });
        dst
    }

    fn name(&mut self, name: &[u8]) -> NameId {
        if let Some(&id) = self.program.name_ids.get(name) {
            return id;
        }
        let id = self.program.names.push(name.into());
        self.program.name_ids.insert(name.into(), id);
        id
    }

    /// An error Go raises at run time from the syntax alone. The slot it
    /// returns is never read: execution stops at the failure.
    fn fail(&mut self, p: &mut ProcBuilder, message: String) -> Slot {
        let id = self.program.messages.push(message);
        p.emit(Inst::Fail(id));
        p.slot()
    }

    fn function_id(&mut self, f: &'static Function) -> FuncId {
        if let Some(&id) = self.program.function_ids.get(f.name) {
            return id;
        }
        let id = self.program.functions.push(f);
        self.program.function_ids.insert(f.name, id);
        id
    }

    fn copy(&mut self, p: &mut ProcBuilder, src: Slot) -> Slot {
        let dst = p.slot();
        p.emit(Inst::Copy { dst, src });
        dst
    }

    // --- templates ---

    fn proc(&mut self, tree: &'t Tree) -> Proc {
        let mut p = ProcBuilder {
            code: Vec::new(),
            slots: 1,
            iters: 0,
            vars: vec![("$".to_owned(), Slot::ARGUMENT)],
            loops: Vec::new(),
        };
        for node in &tree.root.nodes {
            self.walk(&mut p, Slot::ARGUMENT, node);
        }
        Proc { name: tree.name.clone(), code: p.code, slots: p.slots, iters: p.iters }
    }

    /// `walk`
    fn walk(&mut self, p: &mut ProcBuilder, dot: Slot, node: &'t Node) {
        self.at(p, Blame::Node(node));
        match node {
            Node::Text(span) => {
                let id = self.program.texts.push(self.source.as_bytes()[span.range()].into());
                self.program.text_pos.push(Some(span.start));
                p.emit(Inst::Text(id));
            }
            Node::Action(action) => {
                let value = self.eval_pipeline(p, dot, Some(&action.pipe));
                if action.pipe.decl.is_empty() {
                    self.at(p, Blame::Node(node));
                    p.emit(Inst::Print(value));
                }
            }
            Node::If(b) => self.walk_if_or_with(p, dot, b, false),
            Node::With(b) => self.walk_if_or_with(p, dot, b, true),
            Node::Range(b) => self.walk_range(p, dot, node, b),
            Node::Template(t) => self.walk_template(p, dot, node, t),
            Node::Break(_) => {
                let jump = p.emit(Inst::Jump(UNPATCHED));
                if let Some((breaks, _)) = p.loops.last_mut() {
                    breaks.push(jump);
                }
            }
            Node::Continue(_) => {
                let jump = p.emit(Inst::Jump(UNPATCHED));
                if let Some((_, continues)) = p.loops.last_mut() {
                    continues.push(jump);
                }
            }
        }
    }

    fn walk_list(&mut self, p: &mut ProcBuilder, dot: Slot, list: &'t List) {
        for node in &list.nodes {
            self.walk(p, dot, node);
        }
    }

    /// `walkIfOrWith`
    fn walk_if_or_with(&mut self, p: &mut ProcBuilder, dot: Slot, b: &'t Branch, with: bool) {
        let mark = p.vars.len();
        let value = self.eval_pipeline(p, dot, Some(&b.pipe));
        let branch = p.emit(Inst::JumpUnlessTrue { src: value, target: UNPATCHED });
        self.walk_list(p, if with { value } else { dot }, &b.list);
        self.else_tail(p, dot, branch, b.else_list.as_ref(), mark, false);
    }

    /// Closes a branch: the taken path jumps over the `else` list, which
    /// `to_else` (a forward jump) lands on; then the branch's variables go
    /// out of scope.
    ///
    /// A range's `else` list runs inside Go's `walkRange`, whose recover
    /// catches `{{break}}`: there a break (of the enclosing loop, as the
    /// parser sees it) ends only the range statement, while `{{continue}}`
    /// still reaches the enclosing loop.
    fn else_tail(
        &mut self,
        p: &mut ProcBuilder,
        dot: Slot,
        to_else: usize,
        else_list: Option<&'t List>,
        mark: usize,
        range: bool,
    ) {
        let skip_else = p.emit(Inst::Jump(UNPATCHED));
        let else_start = p.here();
        p.patch(to_else, else_start);
        let mut breaks = Vec::new();
        if let Some(else_list) = else_list {
            if range {
                p.loops.push((Vec::new(), Vec::new()));
            }
            self.walk_list(p, dot, else_list);
            if range {
                let (caught, continues) = p.loops.pop().unwrap_or_default();
                breaks = caught;
                if let Some((_, outer)) = p.loops.last_mut() {
                    outer.extend(continues);
                }
            }
        }
        let end = p.here();
        p.patch(skip_else, end);
        for b in breaks {
            p.patch(b, end);
        }
        p.vars.truncate(mark);
    }

    /// `walkRange`
    fn walk_range(&mut self, p: &mut ProcBuilder, dot: Slot, node: &'t Node, r: &'t Branch) {
        self.at(p, Blame::Node(node));
        let mark = p.vars.len();
        let value = self.eval_pipeline(p, dot, Some(&r.pipe));
        let iter = p.iter();
        let start = p.emit(Inst::RangeStart { iter, src: value, empty: UNPATCHED });
        let elem = p.slot();
        let decls = &r.pipe.decl;
        let key = (decls.len() > 1).then(|| p.slot());
        let next = p.here();
        let next_inst = p.emit(Inst::RangeNext { iter, key, elem, done: UNPATCHED });
        // The loop variables, set as Go's `oneIteration` sets them.
        let slot_of = |p: &ProcBuilder, v: &Variable| p.var(&v.ident[0]);
        if !decls.is_empty() {
            if r.pipe.is_assign {
                let first = if decls.len() > 1 { key.unwrap_or(elem) } else { elem };
                if let Some(s) = slot_of(p, &decls[0]) {
                    p.emit(Inst::Copy { dst: s, src: first });
                }
                if decls.len() > 1
                    && let Some(s) = slot_of(p, &decls[1])
                {
                    p.emit(Inst::Copy { dst: s, src: elem });
                }
            } else {
                // Declared by the pipeline: the top variable gets the element,
                // the one below it the index.
                let n = p.vars.len();
                let top = p.vars[n - 1].1;
                p.emit(Inst::Copy { dst: top, src: elem });
                if let (true, Some(key)) = (decls.len() > 1, key) {
                    let below = p.vars[n - 2].1;
                    p.emit(Inst::Copy { dst: below, src: key });
                }
            }
        }
        let body_mark = p.vars.len();
        p.loops.push((Vec::new(), Vec::new()));
        self.walk_list(p, elem, &r.list);
        let (breaks, continues) = p.loops.pop().unwrap_or_default();
        p.vars.truncate(body_mark);
        for c in continues {
            p.patch(c, next);
        }
        p.emit(Inst::Jump(next));
        let done = p.here();
        p.patch(next_inst, done);
        for b in breaks {
            p.patch(b, done);
        }
        p.emit(Inst::RangeEnd { iter });
        self.else_tail(p, dot, start, r.else_list.as_ref(), mark, true);
    }

    /// `walkTemplate`
    fn walk_template(&mut self, p: &mut ProcBuilder, dot: Slot, node: &'t Node, t: &'t TemplateCall) {
        self.at(p, Blame::Node(node));
        let Some(&proc) = self.by_name.get(&t.name) else {
            let quoted = injit_strconv::quote(t.name.as_bytes());
            self.fail(p, format!("template {quoted} not defined"));
            return;
        };
        p.emit(Inst::CheckDepth);
        let arg = self.eval_pipeline(p, dot, t.pipe.as_ref());
        p.emit(Inst::CallTemplate { proc, dot: arg });
    }

    /// `evalPipeline`
    fn eval_pipeline(&mut self, p: &mut ProcBuilder, dot: Slot, pipe: Option<&'t Pipe>) -> Slot {
        let Some(pipe) = pipe else {
            return self.constant(p, Const::Invalid);
        };
        self.at(p, Blame::Pipe(pipe));
        let mut value = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(p, dot, cmd, value);
            p.emit(Inst::Unbox(v));
            value = Some(v);
        }
        let value = value.unwrap_or(Slot::ARGUMENT);
        for var in &pipe.decl {
            let name = &var.ident[0];
            if pipe.is_assign {
                match p.var(name) {
                    Some(slot) => {
                        p.emit(Inst::Copy { dst: slot, src: value });
                    }
                    None => {
                        self.fail(p, format!("undefined variable: {name}"));
                    }
                }
            } else {
                let slot = self.copy(p, value);
                p.vars.push((name.clone(), slot));
            }
        }
        value
    }

    /// `notAFunction`
    fn not_a_function(&mut self, p: &mut ProcBuilder, args: &[Operand], has_final: bool) -> bool {
        if args.len() > 1 || has_final {
            let what = args[0].go_display(self.source).to_string();
            self.fail(p, format!("can't give argument to non-function {what}"));
            return true;
        }
        false
    }

    /// `evalCommand`
    fn eval_command(
        &mut self,
        p: &mut ProcBuilder,
        dot: Slot,
        cmd: &'t injit_grammar::ast::Command,
        final_value: Option<Slot>,
    ) -> Slot {
        let first = &cmd.args[0];
        match first {
            Operand::Field(f) => {
                return self.eval_field_node(p, dot, first, f, &cmd.args, final_value);
            }
            Operand::Chain(c) => {
                return self.eval_chain_node(p, dot, first, c, &cmd.args, final_value);
            }
            Operand::Identifier(id) => {
                return self.eval_function(p, dot, first, id, Blame::Command(cmd), &cmd.args, final_value);
            }
            Operand::Pipe(pipe) => {
                if self.not_a_function(p, &cmd.args, final_value.is_some()) {
                    return p.slot();
                }
                return self.eval_pipeline(p, dot, Some(pipe));
            }
            Operand::Variable(v) => {
                return self.eval_variable_node(p, dot, first, v, &cmd.args, final_value);
            }
            _ => {}
        }
        self.at(p, Blame::Operand(first));
        if self.not_a_function(p, &cmd.args, final_value.is_some()) {
            return p.slot();
        }
        match first {
            Operand::Bool(b, _) => self.constant(p, Const::Bool(*b)),
            Operand::Dot(_) => self.copy(p, dot),
            Operand::Nil(_) => self.fail(p, "nil is not a command".to_owned()),
            Operand::Number(n) => self.ideal_constant(p, first, n),
            Operand::String(s) => self.constant(p, Const::Str(s.value.clone().into(), Type::String)),
            _ => unreachable!("handled above"),
        }
    }

    /// `idealConstant`
    fn ideal_constant(&mut self, p: &mut ProcBuilder, node: &'t Operand, n: &Number) -> Slot {
        self.at(p, Blame::Operand(node));
        if n.is_complex {
            return self.constant(p, Const::Complex(n.complex128.0, n.complex128.1, Type::Complex128));
        }
        if n.is_float && !is_hex_int(&n.text) && !n.is_char && n.text.contains(['.', 'e', 'E', 'p', 'P']) {
            return self.constant(p, Const::Float(n.float64, Type::Float64));
        }
        if n.is_int {
            return self.constant(p, Const::Int(n.int64, Type::Int));
        }
        if n.is_uint {
            return self.fail(p, format!("{} overflows int", n.text));
        }
        self.constant(p, Const::Invalid)
    }

    /// `evalFieldNode`
    fn eval_field_node(
        &mut self,
        p: &mut ProcBuilder,
        dot: Slot,
        node: &'t Operand,
        field: &'t Field,
        args: &'t [Operand],
        final_value: Option<Slot>,
    ) -> Slot {
        self.at(p, Blame::Operand(node));
        self.eval_field_chain(p, dot, dot, &field.ident, Blame::Operand(node), args, final_value)
    }

    /// `evalChainNode`
    fn eval_chain_node(
        &mut self,
        p: &mut ProcBuilder,
        dot: Slot,
        node: &'t Operand,
        chain: &'t Chain,
        args: &'t [Operand],
        final_value: Option<Slot>,
    ) -> Slot {
        self.at(p, Blame::Operand(node));
        if let Operand::Nil(_) = *chain.node {
            let text = node.go_display(self.source).to_string();
            return self.fail(p, format!("indirection through explicit nil in {text}"));
        }
        let receiver = self.eval_arg(p, dot, Param::Unchecked, &chain.node);
        self.eval_field_chain(p, dot, receiver, &chain.fields, Blame::Operand(node), args, final_value)
    }

    /// `evalVariableNode`
    fn eval_variable_node(
        &mut self,
        p: &mut ProcBuilder,
        dot: Slot,
        node: &'t Operand,
        var: &'t Variable,
        args: &'t [Operand],
        final_value: Option<Slot>,
    ) -> Slot {
        self.at(p, Blame::Operand(node));
        let name = &var.ident[0];
        let Some(value) = p.var(name) else {
            return self.fail(p, format!("undefined variable: {name}"));
        };
        if var.ident.len() == 1 {
            if (args.len() > 1 || final_value.is_some()) && self.not_a_function(p, args, final_value.is_some()) {
                return p.slot();
            }
            return self.copy(p, value);
        }
        self.eval_field_chain(p, dot, value, &var.ident[1..], Blame::Operand(node), args, final_value)
    }

    /// `evalFieldChain`: every name but the last looked up without
    /// arguments; the last gets the command's. A method that takes them
    /// comes back bound, and is called once they are evaluated.
    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        p: &mut ProcBuilder,
        dot: Slot,
        receiver: Slot,
        idents: &[String],
        blame: Blame<'t>,
        args: &'t [Operand],
        final_value: Option<Slot>,
    ) -> Slot {
        let mut recv = receiver;
        let last = idents.len() - 1;
        let rest = if args.is_empty() { args } else { &args[1..] };
        let argc = rest.len() + usize::from(final_value.is_some());
        for (i, ident) in idents.iter().enumerate() {
            let name = self.name(ident.as_bytes());
            let dst = p.slot();
            p.emit(Inst::Field { dst, recv, name, args: if i == last { argc as u32 } else { 0 } });
            recv = dst;
        }
        if argc == 0 {
            return recv;
        }
        // `Field` gives a bound method, or the zero value for an invalid
        // receiver: Go's `evalField` returns that before it looks at the
        // arguments, which are then never evaluated (`{{.X (fail)}}` over
        // nil data prints `<no value>`).
        let dst = p.slot();
        p.emit(Inst::Copy { dst, src: recv });
        let skip = p.emit(Inst::JumpIfTruth { src: recv, when: false, target: UNPATCHED });
        let mut values: Vec<Slot> = rest.iter().map(|a| self.eval_arg(p, dot, Param::Type(Type::Any), a)).collect();
        values.extend(final_value);
        let base = p.next_slot();
        for v in &values {
            let dst = p.slot();
            p.emit(Inst::Copy { dst, src: *v });
        }
        let constants = rest.iter().take(32).enumerate().fold(0u32, |mask, (i, a)| {
            let literal = matches!(a, Operand::Number(_) | Operand::Bool(..) | Operand::String(_));
            mask | (u32::from(literal) << i)
        });
        let node = self.node(blame);
        p.emit(Inst::CallMethod { dst, method: recv, args: base, argc: argc as u32, constants, node });
        let end = p.here();
        p.patch(skip, end);
        dst
    }

    /// `evalFunction`
    #[allow(clippy::too_many_arguments)]
    fn eval_function(
        &mut self,
        p: &mut ProcBuilder,
        dot: Slot,
        node: &'t Operand,
        ident: &'t Identifier,
        blame: Blame<'t>,
        args: &'t [Operand],
        final_value: Option<Slot>,
    ) -> Slot {
        self.at(p, Blame::Operand(node));
        let functions: &'static FunctionTable = self.options.functions;
        let Some(function) = functions.get(&ident.name) else {
            let quoted = injit_strconv::quote(ident.name.as_bytes());
            return self.fail(p, format!("{quoted} is not a defined function"));
        };
        self.eval_call(p, dot, function, blame, &ident.name, args, final_value)
    }

    /// `evalCall`
    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        p: &mut ProcBuilder,
        dot: Slot,
        function: &'static Function,
        blame: Blame<'t>,
        name: &str,
        args: &'t [Operand],
        final_value: Option<Slot>,
    ) -> Slot {
        let rest = if args.is_empty() { args } else { &args[1..] };
        let num_in = rest.len() + usize::from(final_value.is_some());
        let params = &function.params;
        let mut num_fixed = rest.len();
        if function.variadic {
            num_fixed = params.len() - 1;
            if num_in < num_fixed {
                return self.fail(
                    p,
                    format!("wrong number of args for {name}: want at least {} got {}", params.len() - 1, rest.len()),
                );
            }
        } else if num_in != params.len() {
            return self.fail(p, format!("wrong number of args for {name}: want {} got {num_in}", params.len()));
        }
        if let Err(e) = check_results(name, &function.results) {
            return self.fail(p, e);
        }
        if let Body::And | Body::Or = function.body {
            let is_or = matches!(function.body, Body::Or);
            let result = p.slot();
            let mut exits = Vec::new();
            for arg in rest {
                let v = self.eval_arg(p, dot, Param::Type(Type::ReflectValue), arg);
                p.emit(Inst::Copy { dst: result, src: v });
                exits.push(p.emit(Inst::JumpIfTruth { src: result, when: is_or, target: UNPATCHED }));
            }
            if let Some(f) = final_value {
                p.emit(Inst::Copy { dst: result, src: f });
                p.emit(Inst::Validate { slot: result, to: Param::Type(Type::ReflectValue) });
            }
            let end = p.here();
            for e in exits {
                p.patch(e, end);
            }
            return result;
        }
        let mut values = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < rest.len() {
            values.push(self.eval_arg(p, dot, Param::Type(params[i]), &rest[i]));
            i += 1;
        }
        if function.variadic {
            let elem = params[params.len() - 1].elem().unwrap_or(Type::Any);
            while i < rest.len() {
                values.push(self.eval_arg(p, dot, Param::Type(elem), &rest[i]));
                i += 1;
            }
        }
        if let Some(f) = final_value {
            let mut t = params[params.len() - 1];
            if function.variadic {
                t = if num_in - 1 < num_fixed { params[num_in - 1] } else { t.elem().unwrap_or(Type::Any) };
            }
            let slot = self.copy(p, f);
            p.emit(Inst::Validate { slot, to: Param::Type(t) });
            values.push(slot);
        }
        // Arguments go to consecutive slots.
        let base = p.next_slot();
        for v in &values {
            let dst = p.slot();
            p.emit(Inst::Copy { dst, src: *v });
        }
        let node = self.node(blame);
        let dst = p.slot();
        if let Body::Call = function.body {
            let callee = rest[0].go_display(self.source).to_string();
            let callee = self.name(callee.as_bytes());
            p.emit(Inst::CallValue { dst, callee, args: base, argc: values.len() as u32, node });
        } else {
            let func = self.function_id(function);
            p.emit(Inst::Call { dst, func, args: base, argc: values.len() as u32, node });
        }
        dst
    }

    /// `evalArg`
    fn eval_arg(&mut self, p: &mut ProcBuilder, dot: Slot, to: Param, n: &'t Operand) -> Slot {
        self.at(p, Blame::Operand(n));
        let value = match n {
            Operand::Dot(_) => self.copy(p, dot),
            Operand::Nil(_) => {
                return match to {
                    Param::Type(t) if t.kind().can_be_nil() || t == Type::ReflectValue => {
                        let zero = if t == Type::Any || t == Type::ReflectValue {
                            Const::NilInterface
                        } else {
                            Const::Invalid
                        };
                        let s = self.constant(p, zero);
                        if zero_is_typed(t) {
                            p.emit(Inst::Validate { slot: s, to });
                        }
                        s
                    }
                    Param::Type(t) => self.fail(p, format!("cannot assign nil to {t}")),
                    Param::Unchecked => self.constant(p, Const::Invalid),
                };
            }
            Operand::Field(f) => self.eval_field_node(p, dot, n, f, std::slice::from_ref(n), None),
            Operand::Variable(v) => self.eval_variable_node(p, dot, n, v, &[], None),
            Operand::Pipe(pipe) => self.eval_pipeline(p, dot, Some(pipe)),
            Operand::Identifier(id) => self.eval_function(p, dot, n, id, Blame::Operand(n), &[], None),
            Operand::Chain(c) => self.eval_chain_node(p, dot, n, c, &[], None),
            _ => return self.eval_constant_arg(p, dot, to, n),
        };
        if let Param::Type(_) = to {
            p.emit(Inst::Validate { slot: value, to });
        }
        value
    }

    /// The constant branch of `evalArg`: convert by the parameter's kind.
    fn eval_constant_arg(&mut self, p: &mut ProcBuilder, dot: Slot, to: Param, n: &'t Operand) -> Slot {
        let Param::Type(t) = to else {
            return self.eval_empty_interface(p, dot, n);
        };
        let text = n.go_display(self.source).to_string();
        let kind = t.kind();
        match (kind, n) {
            (Kind::Bool, Operand::Bool(b, _)) => self.constant(p, Const::Bool(*b)),
            (Kind::Bool, _) => self.fail(p, format!("expected bool; found {text}")),
            (k, Operand::Number(num)) if k.is_complex() && num.is_complex => {
                self.constant(p, Const::Complex(num.complex128.0, num.complex128.1, t))
            }
            (k, _) if k.is_complex() => self.fail(p, format!("expected complex; found {text}")),
            (k, Operand::Number(num)) if k.is_float() && num.is_float => self.constant(p, Const::Float(num.float64, t)),
            (k, _) if k.is_float() => self.fail(p, format!("expected float; found {text}")),
            (k, Operand::Number(num)) if k.is_int() && num.is_int => {
                self.constant(p, Const::Int(injit_runtime::convert::wrap_int(num.int64 as u64, t), t))
            }
            (k, _) if k.is_int() => self.fail(p, format!("expected integer; found {text}")),
            (Kind::Interface, _) if t == Type::Any => self.eval_empty_interface(p, dot, n),
            (Kind::Struct, _) if t == Type::ReflectValue => self.eval_empty_interface(p, dot, n),
            (Kind::String, Operand::String(s)) => self.constant(p, Const::Str(s.value.clone().into(), t)),
            (Kind::String, _) => self.fail(p, format!("expected string; found {text}")),
            (k, Operand::Number(num)) if k.is_uint() && num.is_uint => {
                self.constant(p, Const::Uint(injit_runtime::convert::wrap_uint(num.uint64, t), t))
            }
            (k, _) if k.is_uint() => self.fail(p, format!("expected unsigned integer; found {text}")),
            _ => self.fail(p, format!("can't handle {text} for arg of type {t}")),
        }
    }

    /// `evalEmptyInterface`
    fn eval_empty_interface(&mut self, p: &mut ProcBuilder, dot: Slot, n: &'t Operand) -> Slot {
        self.at(p, Blame::Operand(n));
        match n {
            Operand::Bool(b, _) => self.constant(p, Const::Bool(*b)),
            Operand::Dot(_) => self.copy(p, dot),
            Operand::Field(f) => self.eval_field_node(p, dot, n, f, &[], None),
            Operand::Identifier(id) => self.eval_function(p, dot, n, id, Blame::Operand(n), &[], None),
            Operand::Nil(_) => self.fail(p, "evalEmptyInterface: nil (can't happen)".to_owned()),
            Operand::Number(num) => self.ideal_constant(p, n, num),
            Operand::String(s) => self.constant(p, Const::Str(s.value.clone().into(), Type::String)),
            Operand::Variable(v) => self.eval_variable_node(p, dot, n, v, &[], None),
            Operand::Pipe(pipe) => self.eval_pipeline(p, dot, Some(pipe)),
            Operand::Chain(_) => {
                let text = n.go_display(self.source).to_string();
                self.fail(p, format!("can't handle assignment of {text} to empty interface argument"))
            }
        }
    }
}

/// Whether `reflect.Zero(t)` is more than an untyped nil (a nil map or
/// slice of a type).
fn zero_is_typed(t: Type) -> bool {
    matches!(t.kind(), Kind::Map | Kind::Slice | Kind::Func | Kind::Pointer)
}

/// Go's `goodFunc` on the results.
fn check_results(name: &str, results: &[Type]) -> Result<(), String> {
    match results {
        [_] | [_, Type::Error] => Ok(()),
        [_, second] => {
            Err(format!("invalid function signature for {name}: second return value should be error; is {second}"))
        }
        _ => Err(format!("function {name} has {} return values; should be 1 or 2", results.len())),
    }
}
