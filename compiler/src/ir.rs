//! The intermediate representation both backends execute.
//!
//! A template becomes a procedure: a flat list of instructions over value
//! slots, with jumps for control flow. Instructions correspond to the steps
//! of Go's executor (`text/template/exec.go`) in the order Go performs them,
//! including `At`, which records the node Go would blame for the next error.
//! Everything Go decides from the syntax alone (which function a name means,
//! argument counts, constant conversions, undefined variables) is decided
//! here, once; what remains are the operations whose outcome depends on
//! the data.

use std::collections::HashMap;
use std::fmt;

use injit_runtime::convert::Param;
use injit_runtime::funcs::Function;
use injit_runtime::types::Type;

use crate::entity::entity;
pub use crate::entity::{EntityRef, EntityVec};

entity! {
    /// A value slot of a procedure's frame. Slot 0 holds the template's
    /// argument (`$` and the initial dot).
    pub struct Slot;
}
entity! {
    /// An instruction index.
    pub struct Label;
}
entity! {
    /// A node Go can blame in an error: an index into [`Program::nodes`].
    pub struct NodeId;
}
entity! {
    /// Static text: an index into [`Program::texts`].
    pub struct TextId;
}
entity! {
    /// An index into [`Program::consts`].
    pub struct ConstId;
}
entity! {
    /// A field, key or method name: an index into [`Program::names`].
    pub struct NameId;
}
entity! {
    /// An error known at compile time: an index into [`Program::messages`].
    pub struct MessageId;
}
entity! {
    /// An index into [`Program::functions`].
    pub struct FuncId;
}
entity! {
    /// A template: an index into [`Program::procs`].
    pub struct ProcId;
}
entity! {
    /// A range iterator of a procedure's frame.
    pub struct IterSlot;
}

impl Slot {
    /// Slot 0: the template's argument.
    pub const ARGUMENT: Slot = Slot(0);

    /// The `len` consecutive slots from this one: a call's arguments.
    pub fn block(self, len: u32) -> impl Iterator<Item = Slot> {
        (self.0..self.0 + len).map(Slot)
    }
}

/// How a field lookup treats a missing map key (`Option("missingkey=...")`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// `default` / `invalid`: the missing value prints `<no value>`.
    #[default]
    Invalid,
    /// `zero`: the map element type's zero value.
    Zero,
    /// `error`: execution stops.
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Inst {
    /// Go's `s.at(node)`: errors from here on are reported at this node.
    At(NodeId),
    /// Write static text.
    Text(TextId),
    /// Print a value as an action does (`fmt.Fprint`).
    Print(Slot),
    Const {
        dst: Slot,
        value: ConstId,
    },
    Copy {
        dst: Slot,
        src: Slot,
    },
    /// A pipeline stage's result held in an interface is unwrapped.
    Unbox(Slot),
    /// `evalField`: a map key or niladic method of `recv`. `args` is the
    /// argument count a method would receive; a map key with arguments
    /// is an error.
    Field {
        dst: Slot,
        recv: Slot,
        name: NameId,
        args: u32,
    },
    /// `validateType`: convert `slot` in place for a parameter.
    Validate {
        slot: Slot,
        to: Param,
    },
    /// Call a function with arguments in `args..args+argc`; on error, blame
    /// `node` and say "error calling NAME".
    Call {
        dst: Slot,
        func: FuncId,
        args: Slot,
        argc: u32,
        node: NodeId,
    },
    /// Call the bound method in `method` (what `Field` returns for a method
    /// that takes arguments) with `args..args+argc`, converted to its
    /// parameter types at run time.
    CallMethod {
        dst: Slot,
        method: Slot,
        args: Slot,
        argc: u32,
        /// Bit `i` set: argument `i` is a literal constant, which Go
        /// converts to the parameter's type (`evalArg`), where a value
        /// must already have it.
        constants: u32,
        node: NodeId,
    },
    /// The `call` builtin: `args` holds the callee then its arguments.
    CallValue {
        dst: Slot,
        callee: NameId,
        args: Slot,
        argc: u32,
        node: NodeId,
    },
    /// Jump if the truth of `src` (an interface's content) is `when`.
    JumpIfTruth {
        src: Slot,
        when: bool,
        target: Label,
    },
    /// `if`/`with`: jump unless `src` is true (Go's `isTrue`).
    JumpUnlessTrue {
        src: Slot,
        target: Label,
    },
    Jump(Label),
    /// Start ranging over `src`; jump to `empty` when there is nothing to
    /// range over (also for invalid values).
    RangeStart {
        iter: IterSlot,
        src: Slot,
        empty: Label,
    },
    /// Next element into `elem` (and its index or key into `key`); jump to
    /// `done` at the end.
    RangeNext {
        iter: IterSlot,
        key: Option<Slot>,
        elem: Slot,
        done: Label,
    },
    /// End of a range (releases the iterator).
    RangeEnd {
        iter: IterSlot,
    },
    /// Go's check on nested template calls, before the argument is evaluated.
    CheckDepth,
    /// Run another template with `dot` as its argument.
    CallTemplate {
        proc: ProcId,
        dot: Slot,
    },
    /// An error known at compile time, raised when reached.
    Fail(MessageId),
}

/// A constant value of the program.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Invalid,
    NilInterface,
    Bool(bool),
    Int(i64, Type),
    Uint(u64, Type),
    Float(f64, Type),
    Complex(f64, f64, Type),
    Str(Box<[u8]>, Type),
    /// The constant held in an `interface{}`.
    Boxed(Box<Const>),
    /// A node of the program's bound data (see `Program::bound`), by the
    /// entry index taken at each level from the root.
    Bound(Box<[u32]>),
    /// Typed data of Go type `.0` viewing a node of the bound data (as
    /// `Bound`), or no node (a zero value or nil).
    Typed(injit_runtime::types::GoType, Option<Box<[u32]>>),
}

/// Where an error is reported: Go's `ErrorContext` of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// `t:1:7`
    pub location: String,
    /// The byte offset in the template source `location` names, for
    /// callers that map it into a file of their own (a config's line).
    pub pos: u32,
    /// The node as Go prints it, e.g. `.a.b`.
    pub context: String,
}

/// One template compiled to IR.
#[derive(Clone, Debug)]
pub struct Proc {
    pub name: String,
    pub code: Vec<Inst>,
    pub slots: u32,
    pub iters: u32,
}

/// A compiled template set.
#[derive(Debug)]
pub struct Program {
    pub procs: EntityVec<ProcId, Proc>,
    pub by_name: HashMap<String, ProcId>,
    pub nodes: EntityVec<NodeId, NodeInfo>,
    pub consts: EntityVec<ConstId, Const>,
    pub texts: EntityVec<TextId, Box<[u8]>>,
    /// Where each text starts in the template source, when it is a slice
    /// of it (lowered text); `None` for text folding made from constants.
    pub text_pos: EntityVec<TextId, Option<u32>>,
    pub names: EntityVec<NameId, Box<[u8]>>,
    pub messages: EntityVec<MessageId, String>,
    pub functions: EntityVec<FuncId, &'static Function>,
    pub missing_key: MissingKey,
    /// Whether the program calls functions that change maps in place
    /// (`set`, `unset`, `merge`...): its input is then copied per render.
    pub mutates: bool,
    /// Data known when the program was compiled: top-level fields of every
    /// render's data, folded into the main template (`Const::Bound`).
    pub bound: Option<std::sync::Arc<injit_runtime::Data>>,
}

impl Program {
    pub fn proc(&self, name: &str) -> Option<ProcId> {
        self.by_name.get(name).copied()
    }
}

impl fmt::Display for Const {
    /// Go-like: `"text"`, `42 (int)`, `boxed "x"`, `bound[1 0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Const::Invalid => f.write_str("invalid"),
            Const::NilInterface => f.write_str("nil"),
            Const::Bool(b) => write!(f, "{b}"),
            Const::Int(i, t) => write!(f, "{i} ({t})"),
            Const::Uint(u, t) => write!(f, "{u} ({t})"),
            Const::Float(x, t) => write!(f, "{x:?} ({t})"),
            Const::Complex(re, im, t) => write!(f, "({re:?}+{im:?}i) ({t})"),
            Const::Str(s, t) => write!(f, "{} ({t})", injit_strconv::quote(s)),
            Const::Boxed(c) => write!(f, "boxed {c}"),
            Const::Bound(path) => {
                let path: Vec<String> = path.iter().map(u32::to_string).collect();
                write!(f, "bound[{}]", path.join(" "))
            }
            Const::Typed(t, None) => write!(f, "typed {t:?} zero"),
            Const::Typed(t, Some(path)) => {
                let path: Vec<String> = path.iter().map(u32::to_string).collect();
                write!(f, "typed {t:?} bound[{}]", path.join(" "))
            }
        }
    }
}

impl fmt::Display for Program {
    /// A readable listing, for debugging and IR snapshot tests.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for proc in &self.procs {
            writeln!(f, "proc {:?} (slots {}, iters {})", proc.name, proc.slots, proc.iters)?;
            for (i, inst) in proc.code.iter().enumerate() {
                write!(f, "  {i:4}  ")?;
                match inst {
                    Inst::At(n) => writeln!(f, "at <{}>", self.nodes[*n].context)?,
                    Inst::Text(t) => {
                        writeln!(f, "text {}", injit_strconv::quote(&self.texts[*t]))?;
                    }
                    Inst::Const { dst, value } => writeln!(f, "s{dst} = const {}", self.consts[*value])?,
                    Inst::Field { dst, recv, name, args } => writeln!(
                        f,
                        "s{dst} = field s{recv}.{} args={args}",
                        String::from_utf8_lossy(&self.names[*name])
                    )?,
                    Inst::Call { dst, func, args, argc, .. } => {
                        writeln!(f, "s{dst} = call {}(s{args}..+{argc})", self.functions[*func].name)?
                    }
                    Inst::Fail(m) => writeln!(f, "fail {:?}", self.messages[*m])?,
                    other => writeln!(f, "{other:?}")?,
                }
            }
        }
        Ok(())
    }
}
