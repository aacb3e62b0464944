//! Partial evaluation: data known when a template is compiled becomes part
//! of its code.
//!
//! An injector renders every pod with the same `.Values`, `.MeshConfig` and
//! `.ProxyConfig`; only the pod changes. Bound as constants, lookups into
//! them, conversions, deterministic function calls on them, conditions on
//! them and the printing of their values all happen once, here, and the
//! main template keeps only what depends on the pod. The result is
//! byte-identical to running the unfolded template on data that has the
//! bound fields: an operation is folded only when it succeeds on the known
//! values; anything that would fail is left to fail at run time, where Go
//! would, with the same error.

use std::collections::HashMap;
use std::sync::Arc;

use injit_runtime::Data;
use injit_runtime::convert::validate;
use injit_runtime::fmt::fprint;
use injit_runtime::funcs::{Body, CallCx, Function};
use injit_runtime::ops::builtins::{is_truthy, truth};
use injit_runtime::ops::field::eval_field;
use injit_runtime::types::GoType;
use injit_runtime::types::Type;
use injit_runtime::value::{Repr, Value};

use crate::dataflow::SlotFacts;
use crate::ir::{Const, ConstId, EntityVec, Inst, Label, Proc, ProcId, Program, Slot, TextId};
use crate::machine::{const_value, missing};

/// Folded values larger than this stay run-time work (a constant is kept
/// in the program, and a template may build large strings).
const MAX_FOLDED_BYTES: usize = 64 * 1024;

/// Binds `bound` (an object: top-level fields of every render's data) into
/// the main template `main` of `program`, and into the templates it calls
/// with the render's data as their argument (`{{ template "x" . }}`):
/// those calls go to a copy of the callee folded the same way, so a
/// template also called with other arguments keeps its general form.
pub(crate) fn bind(program: &mut Program, main: ProcId, bound: Arc<Data>, cx: &CallCx, root_type: Option<GoType>) {
    if !matches!(*bound, Data::Object(_)) {
        return;
    }
    program.bound = Some(Arc::clone(&bound));
    let mut paths = HashMap::new();
    index_paths(&bound, &mut Vec::new(), &mut paths);
    let folder = Folder { bound: &bound, paths: &paths, cx, root_type };
    // Slot 0 is the render's data only while nothing assigns to it, and
    // only if no template calls the main one with some other argument.
    let called = program
        .procs
        .iter()
        .any(|p| p.code.iter().any(|i| matches!(i, Inst::CallTemplate { proc, .. } if *proc == main)));
    let main_intact = !called && !program.procs[main].code.iter().any(|inst| inst.writes(Slot::ARGUMENT));
    let mut with_root: HashMap<ProcId, ProcId> = HashMap::new();
    let mut pending = vec![(main, main_intact)];
    while let Some((id, root_intact)) = pending.pop() {
        let mut proc = std::mem::replace(&mut program.procs[id], empty_proc());
        if root_intact {
            specialize_calls(program, &mut proc, &mut with_root, &mut pending);
        }
        let facts = folder.analyse(program, &proc, root_intact);
        folder.rewrite(program, &mut proc, &facts, root_intact);
        cleanup(program, &mut proc);
        crate::optimize::optimize(&mut proc, &program.functions, &program.consts);
        program.procs[id] = proc;
    }
}

/// Sends `proc`'s calls that pass the render's data (slot 0, intact) to
/// copies of their callees that receive only it, queuing new copies to be
/// folded.
fn specialize_calls(
    program: &mut Program,
    proc: &mut Proc,
    with_root: &mut HashMap<ProcId, ProcId>,
    pending: &mut Vec<(ProcId, bool)>,
) {
    for pc in 0..proc.code.len() {
        let passes_root = match proc.code[pc] {
            Inst::CallTemplate { dot: Slot::ARGUMENT, .. } => true,
            // `{{ template "x" . }}` lowers to a copy of dot, unboxed.
            Inst::CallTemplate { dot, .. } => match proc.code[pc.saturating_sub(2)..pc] {
                [Inst::Copy { dst, src: Slot::ARGUMENT }, Inst::Unbox(u)] => dst == dot && u == dot,
                [_, Inst::Copy { dst, src: Slot::ARGUMENT }] => dst == dot,
                _ => false,
            },
            _ => false,
        };
        let Inst::CallTemplate { proc: callee, .. } = &mut proc.code[pc] else { continue };
        if !passes_root {
            continue;
        }
        let copy = *with_root.entry(*callee).or_insert_with(|| {
            let original = &program.procs[*callee];
            let copy = Proc { name: original.name.clone(), ..original.clone() };
            let intact = !copy.code.iter().any(|inst| inst.writes(Slot::ARGUMENT));
            let id = program.procs.push(copy);
            pending.push((id, intact));
            id
        });
        *callee = copy;
    }
}

fn empty_proc() -> Proc {
    Proc { name: String::new(), code: Vec::new(), slots: 1, iters: 0 }
}

/// Every node of the bound data by address, with its path.
fn index_paths(node: &Data, path: &mut Vec<u32>, out: &mut HashMap<usize, Box<[u32]>>) {
    out.insert(node as *const Data as usize, path.clone().into_boxed_slice());
    let children: Vec<&Data> = match node {
        Data::Object(o) => o.iter().map(|(_, v)| v).collect(),
        Data::Array(items) => items.iter().collect(),
        _ => return,
    };
    for (i, child) in children.into_iter().enumerate() {
        path.push(i as u32);
        index_paths(child, path, out);
        path.pop();
    }
}

/// What is known of each slot before an instruction: its value, if known.
type Facts = SlotFacts<Const>;

struct Folder<'b> {
    bound: &'b Data,
    paths: &'b HashMap<usize, Box<[u32]>>,
    cx: &'b CallCx,
    /// The Go type of the render's data, for typed data.
    root_type: Option<GoType>,
}

impl<'b> Folder<'b> {
    fn value<'v>(&self, c: &'v Const) -> Value<'v>
    where
        'b: 'v,
    {
        const_value(c, Some(self.bound))
    }

    /// A value back as a constant, when one can stand for it.
    fn constant(&self, v: &Value<'_>) -> Option<Const> {
        let inner = match &v.repr {
            Repr::Invalid => return (!v.boxed).then_some(Const::Invalid),
            Repr::Nil(Type::Any) if v.boxed => return Some(Const::NilInterface),
            Repr::Bool(b) => Const::Bool(*b),
            Repr::Int(i, t) => Const::Int(*i, *t),
            Repr::Uint(u, t) => Const::Uint(*u, *t),
            Repr::Float(f, t) => Const::Float(*f, *t),
            Repr::Complex(re, im, t) => Const::Complex(*re, *im, *t),
            Repr::Str(s, t) if s.as_bytes().len() <= MAX_FOLDED_BYTES => Const::Str(s.as_bytes().into(), *t),
            Repr::Data(d) => Const::Bound(self.paths.get(&(*d as *const Data as usize))?.clone()),
            // A typed constant is made addressable, or boxed (a copy again):
            // the field of a copy is not folded.
            Repr::Typed(_, _, injit_runtime::value::typed::Place::Copied) if !v.boxed => return None,
            Repr::Typed(t, None, _) => Const::Typed(*t, None),
            Repr::Typed(t, Some(d), _) => {
                Const::Typed(*t, Some(self.paths.get(&(*d as *const Data as usize))?.clone()))
            }
            _ => return None,
        };
        Some(if v.boxed { Const::Boxed(Box::new(inner)) } else { inner })
    }

    /// The value an instruction leaves in its slot, when its inputs are
    /// known and it succeeds; `None` otherwise.
    fn evaluate(&self, program: &Program, inst: &Inst, facts: &Facts, root_intact: bool) -> Option<Const> {
        let known = |s: Slot| facts[s].as_ref();
        match inst {
            Inst::Const { value, .. } => Some(program.consts[*value].clone()),
            Inst::Copy { src, .. } => known(*src).cloned(),
            Inst::Unbox(s) => self.constant(&self.value(known(*s)?).unbox()),
            Inst::Validate { slot, to } => {
                let v = validate(self.value(known(*slot)?), *to).ok()?;
                self.constant(&v)
            }
            Inst::Field { recv, name, args: 0, .. } => {
                let name = &program.names[*name];
                if *recv == Slot::ARGUMENT && root_intact && facts[Slot::ARGUMENT].is_none() {
                    if let Some(t) = self.root_type {
                        return self.typed_root_field(program, t, name);
                    }
                    // A bound top-level field of the render's data.
                    let Data::Object(root) = self.bound else { return None };
                    let index =
                        (0..root.len()).find(|&i| root.entry(i).is_some_and(|(k, _)| k.as_bytes() == &**name))?;
                    return Some(Const::Boxed(Box::new(Const::Bound(Box::new([index as u32])))));
                }
                let v = eval_field(&self.value(known(*recv)?), name, 0, missing(program.missing_key)).ok()?;
                self.constant(&v)
            }
            Inst::Call { func, args, argc, .. } => {
                let function: &Function = program.functions[*func];
                let Body::Native(native) = function.body else { return None };
                if !function.is_deterministic() || program.mutates {
                    return None;
                }
                let consts: Vec<&Const> = args.block(*argc).map(known).collect::<Option<_>>()?;
                let argv: Vec<Value<'_>> = consts.into_iter().map(|c| self.value(c)).collect();
                let v = native(self.cx, &argv).ok()?;
                let v = if function.result() == Type::Any { v.boxed() } else { v.unbox() };
                self.constant(&v)
            }
            _ => None,
        }
    }

    /// A field of typed data at the root, when its JSON key is bound: the
    /// value typed access gives on the bound object, which holds the same
    /// node the render's data will.
    fn typed_root_field(&self, program: &Program, root_type: GoType, name: &[u8]) -> Option<Const> {
        let Data::Object(root) = self.bound else { return None };
        let found = root_type.field(std::str::from_utf8(name).ok()?)?;
        if found.field.inline || found.via.is_some() || root.get(found.field.json.as_bytes()).is_none() {
            return None;
        }
        let view = injit_runtime::value::typed::value(root_type, Some(self.bound), false);
        let v = eval_field(&view, name, 0, missing(program.missing_key)).ok()?;
        self.constant(&v)
    }

    /// Facts before every instruction (see `dataflow.rs`).
    fn analyse(&self, program: &Program, proc: &Proc, root_intact: bool) -> Vec<Option<Facts>> {
        crate::dataflow::forward(proc, EntityVec::from(vec![None; proc.slots as usize]), |_, inst, facts| {
            let result = self.evaluate(program, inst, facts, root_intact);
            inst.for_each_written(|s| facts[s] = result.clone());
        })
    }

    /// Replaces what the facts decide: known results become constants,
    /// printing a known value becomes text, decided branches become jumps
    /// (or nothing).
    fn rewrite(&self, program: &mut Program, proc: &mut Proc, facts: &[Option<Facts>], root_intact: bool) {
        for (pc, before) in facts.iter().enumerate().take(proc.code.len()) {
            let Some(before) = before else { continue };
            let known = |s: Slot| before[s].as_ref();
            let replacement = match &proc.code[pc] {
                Inst::Print(s) => known(*s).and_then(|c| {
                    let v = self.value(c);
                    if matches!(v.repr, Repr::Func(_)) {
                        return None;
                    }
                    let mut text = Vec::new();
                    if v.is_valid() {
                        fprint(&mut text, &v);
                    } else {
                        text.extend_from_slice(b"<no value>");
                    }
                    (text.len() <= MAX_FOLDED_BYTES).then(|| Inst::Text(add_text(program, text)))
                }),
                Inst::JumpUnlessTrue { src, target } => {
                    known(*src).and_then(|c| match truth(&self.value(c).unboxed()) {
                        Some(true) => Some(Inst::Jump(Label::new(pc + 1))),
                        Some(false) => Some(Inst::Jump(*target)),
                        None => None,
                    })
                }
                Inst::JumpIfTruth { src, when, target } => known(*src).map(|c| {
                    if is_truthy(&self.value(c)) == *when {
                        Inst::Jump(*target)
                    } else {
                        Inst::Jump(Label::new(pc + 1))
                    }
                }),
                inst @ (Inst::Field { dst, .. } | Inst::Call { dst, .. } | Inst::Copy { dst, .. }) => {
                    let dst = *dst;
                    self.evaluate(program, inst, before, root_intact)
                        .map(|c| Inst::Const { dst, value: add_const(program, c) })
                }
                inst @ (Inst::Unbox(s) | Inst::Validate { slot: s, .. }) => {
                    let s = *s;
                    self.evaluate(program, inst, before, root_intact)
                        .map(|c| Inst::Const { dst: s, value: add_const(program, c) })
                }
                _ => None,
            };
            if let Some(inst) = replacement {
                proc.code[pc] = inst;
            }
        }
    }
}

fn add_const(program: &mut Program, c: Const) -> ConstId {
    program.consts.push(c)
}

fn add_text(program: &mut Program, text: Vec<u8>) -> TextId {
    program.text_pos.push(None);
    program.texts.push(text.into_boxed_slice())
}

/// Tidies folded code: drops unreachable instructions, jumps to the next
/// instruction, constants nothing reads, `At`s whose node nothing reports,
/// and joins adjacent texts.
fn cleanup(program: &mut Program, proc: &mut Proc) {
    for _ in 0..4 {
        let mut keep = vec![true; proc.code.len()];
        // Reachability.
        let mut reached = vec![false; proc.code.len() + 1];
        let mut work = vec![0usize];
        while let Some(pc) = work.pop() {
            if pc >= proc.code.len() || reached[pc] {
                continue;
            }
            reached[pc] = true;
            work.extend(proc.code[pc].successors(pc));
        }
        let mut is_target = vec![false; proc.code.len() + 1];
        for (pc, inst) in proc.code.iter().enumerate() {
            if reached[pc] {
                for t in inst.successors(pc) {
                    if t != pc + 1 || matches!(inst, Inst::Jump(_)) {
                        is_target[t] = true;
                    }
                }
            }
        }
        let live = live_after(proc, &reached);
        for pc in 0..proc.code.len() {
            keep[pc] = reached[pc]
                && match &proc.code[pc] {
                    Inst::Jump(t) => t.index() != pc + 1,
                    // Instructions that cannot fail and whose result
                    // nothing reads.
                    Inst::Const { dst: s, .. } | Inst::Copy { dst: s, .. } | Inst::Unbox(s) => live[pc].contains(*s),
                    Inst::At(_) => node_is_read_after(proc, pc, &is_target),
                    _ => true,
                };
        }
        // Adjacent texts (no jump lands between them) become one.
        let mut pc = 0;
        while pc < proc.code.len() {
            if keep[pc]
                && let Inst::Text(first) = proc.code[pc]
            {
                let mut joined: Option<Vec<u8>> = None;
                let mut next = pc + 1;
                while next < proc.code.len() && !is_target[next] {
                    match &proc.code[next] {
                        _ if !keep[next] => {}
                        Inst::Text(t) => {
                            let text = joined.get_or_insert_with(|| program.texts[first].to_vec());
                            text.extend_from_slice(&program.texts[*t]);
                            keep[next] = false;
                        }
                        _ => break,
                    }
                    next += 1;
                }
                if let Some(text) = joined {
                    proc.code[pc] = Inst::Text(add_text(program, text));
                }
                pc = next;
                continue;
            }
            pc += 1;
        }
        if keep.iter().all(|&k| k) {
            break;
        }
        crate::optimize::remove_instructions(proc, &mut keep);
    }
}

/// A set of slots.
#[derive(Clone, PartialEq, Eq)]
struct SlotSet(Vec<u64>);

impl SlotSet {
    fn new(slots: usize) -> SlotSet {
        SlotSet(vec![0; slots.div_ceil(64)])
    }

    fn contains(&self, s: Slot) -> bool {
        self.0[s.index() / 64] & (1 << (s.index() % 64)) != 0
    }

    fn insert(&mut self, s: Slot) {
        self.0[s.index() / 64] |= 1 << (s.index() % 64);
    }

    fn remove(&mut self, s: Slot) {
        self.0[s.index() / 64] &= !(1 << (s.index() % 64));
    }

    fn union(&mut self, other: &SlotSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
}

/// Slots live after each instruction (read later on some path before
/// being written): backward data flow to a fixed point.
fn live_after(proc: &Proc, reached: &[bool]) -> Vec<SlotSet> {
    let n = proc.code.len();
    let empty = SlotSet::new(proc.slots as usize);
    let mut live_in = vec![empty.clone(); n + 1];
    let mut live_out = vec![empty.clone(); n];
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..n).rev() {
            if !reached[pc] {
                continue;
            }
            let inst = &proc.code[pc];
            let mut out = empty.clone();
            for next in inst.successors(pc) {
                out.union(&live_in[next.min(n)]);
            }
            let mut inn = out.clone();
            inst.clone().for_each_defined(|s| inn.remove(s));
            inst.for_each_read(|s| inn.insert(s));
            if inn != live_in[pc] || out != live_out[pc] {
                live_in[pc] = inn;
                live_out[pc] = out;
                changed = true;
            }
        }
    }
    live_out
}

/// Whether the node an `At` at `pc` sets can be reported: some instruction
/// that can fail runs before the next `At` (control leaving the straight
/// line counts as a possible reader).
fn node_is_read_after(proc: &Proc, pc: usize, is_target: &[bool]) -> bool {
    for (next, inst) in proc.code.iter().enumerate().skip(pc + 1) {
        if is_target[next] {
            return true;
        }
        match inst {
            Inst::At(_) => return false,
            // Cannot fail (output-limit errors name no node).
            Inst::Text(_) | Inst::Const { .. } | Inst::Copy { .. } | Inst::Unbox(_) => {}
            _ => return true,
        }
    }
    false
}
