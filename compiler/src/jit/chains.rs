//! Field chains in native code.
//!
//! `.Values.global.proxy.image` lowers to one `Field` instruction per link.
//! Native code runs a whole run of such lookups in one helper call, and
//! every link keeps an inline cache: the index of the entry where its key
//! was found last time (and, on typed data, which struct field the name is
//! for the type seen last). Renders of one template see objects of the same
//! shape again and again, so the next lookup is usually one key comparison
//! at that index instead of a search. Links keep their results in locals;
//! only results read after the chain are stored in their slots.
//!
//! Chains from a template's argument that is never reassigned also share a
//! memo per frame: `.Values.global.proxy.image` after `.Values.global.hub`
//! starts from the remembered `.Values.global`. Only chains from input
//! data (JSON or a typed view of it) are remembered: it cannot change
//! during a render, so a lookup repeated gives what the first gave.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use injit_runtime::ops::field::{Missing, eval_field, missing_key};
use injit_runtime::types::GoType;
use injit_runtime::value::typed_field::DirectField;
use injit_runtime::value::{Repr, Value};
use injit_runtime::{Data, Object};

use crate::ir::{NameId, NodeId, Slot};
use crate::machine::{Frame, Machine};

/// Consecutive key lookups, each reading the value the one before found.
#[derive(Debug)]
pub(crate) struct FieldChain {
    pub(crate) recv: Slot,
    pub(crate) links: Box<[Link]>,
    pub(crate) tail: Tail,
    /// The links that have a memo entry, last first, with that entry:
    /// where a render looks for the longest prefix already looked up.
    pub(crate) remembered: Box<[(u32, u32)]>,
}

/// What the instructions right after a chain do with its result, run in
/// the same call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tail {
    None,
    /// `Unbox` of the result in its slot.
    Unbox,
    /// `Unbox`, `At(node)`, `Print`: the result printed, its slot unread.
    Print(NodeId),
}

#[derive(Debug)]
pub(crate) struct Link {
    pub(crate) dst: Slot,
    pub(crate) name: NameId,
    /// Whether anything reads `dst` after the chain (and no later link of
    /// the chain overwrites it).
    pub(crate) store: bool,
    /// Where the value after this link is remembered in the frame's memo.
    pub(crate) memo: Option<u32>,
    /// Where the key was found last, by any render on any thread. Only a
    /// hint: it is checked against the key before it is used.
    guess: AtomicU32,
    /// For typed data: the last receiver type, the field the name is for
    /// that type and the field's view type if it has one (bits 0-15 the
    /// field's index, 16-31 the receiver type, 32-47 the view type, 48 set
    /// when there is one), or `NO_TYPE`.
    typed: AtomicU64,
}

/// A direct field of a receiver type, with its view type
/// ([`DirectField::view_type`]).
#[derive(Clone, Copy)]
struct Direct {
    field: DirectField,
    view: Option<GoType>,
}

const NO_TYPE: u64 = u64::MAX;

impl Link {
    pub(crate) fn new(dst: Slot, name: NameId) -> Link {
        Link { dst, name, store: true, memo: None, guess: AtomicU32::new(0), typed: AtomicU64::new(NO_TYPE) }
    }

    /// `evalField` of a key (no arguments) on `recv`: what
    /// [`eval_field`] returns, found through the cache when `recv` is an
    /// object of the input data.
    #[inline(always)]
    fn lookup<'a>(&self, recv: &Value<'a>, name: &[u8], missing: Missing) -> Result<Value<'a>, String> {
        if let Repr::Data(Data::Object(object)) = &recv.repr {
            return match self.find(object, name) {
                Some(data) => Ok(Value::from_data(data, true)),
                None => missing_key(recv, name, missing),
            };
        }
        // A direct field is a struct's: part of the struct, in its place.
        if let Repr::Typed(t, data, place) = recv.repr
            && let Some(Direct { field, .. }) = self.direct_field(t, name)
        {
            return Ok(field.of_node(self.field_node(field, data), place));
        }
        eval_field(recv, name, 0, missing)
    }

    /// The value of key `name` in `object`, through the cache.
    #[inline(always)]
    fn find<'a>(&self, object: &'a Object, name: &[u8]) -> Option<&'a Data> {
        let guess = self.guess.load(Ordering::Relaxed);
        let i = object.position_from(guess as usize, name)?;
        if i as u32 != guess {
            self.guess.store(i as u32, Ordering::Relaxed);
        }
        object.entry(i).map(|(_, data)| data)
    }

    /// The direct field `name` is on values of type `t`, through the cache.
    #[inline(always)]
    fn direct_field(&self, t: GoType, name: &[u8]) -> Option<Direct> {
        let cached = self.typed.load(Ordering::Relaxed);
        if cached != NO_TYPE && (cached >> 16) as u16 == t.0 {
            let view = (cached >> 48 & 1 == 1).then_some(GoType((cached >> 32) as u16));
            return DirectField::from_index(cached as u16).map(|field| Direct { field, view });
        }
        let field = DirectField::of(t, std::str::from_utf8(name).ok()?)?;
        let view = field.view_type();
        let view_bits = view.map_or(0, |v| (u64::from(v.0) << 32) | 1 << 48);
        self.typed.store(view_bits | (u64::from(t.0) << 16) | u64::from(field.index()), Ordering::Relaxed);
        Some(Direct { field, view })
    }

    /// The node of direct field `field` in `node`, a struct's JSON object
    /// (no node for a zero struct), found through the cache.
    #[inline(always)]
    fn field_node<'a>(&self, field: DirectField, node: Option<&'a Data>) -> Option<&'a Data> {
        let node = node.filter(|d| !matches!(d, Data::Null));
        match (field.key(), node) {
            (None, node) => node,
            (Some(key), Some(Data::Object(object))) => self.find(object, key),
            (Some(_), _) => None,
        }
    }
}

impl FieldChain {
    /// Runs the chain and its tail in `frame`.
    pub(crate) fn run<'a>(&self, machine: &mut Machine<'a, '_>, frame: &mut Frame<'a>) -> Result<(), String> {
        let names = &machine.program.names;
        // Remembered values exist only for chains from input data, generic
        // or typed.
        let memoized = !self.remembered.is_empty()
            && !frame.memo.is_empty()
            && matches!(frame.slot(self.recv).repr, Repr::Data(_) | Repr::Typed(..));
        let mut start = 0;
        let mut value = None;
        if memoized {
            for &(i, m) in &self.remembered {
                if let Some(remembered) = &frame.memo[m as usize] {
                    value = Some(remembered.clone());
                    start = i as usize + 1;
                    break;
                }
            }
        }
        let mut value = match value {
            Some(v) => v,
            None => frame.slot(self.recv).clone(),
        };
        let mut stored_by: Option<&Link> = start.checked_sub(1).map(|i| &self.links[i]);
        // Objects of the input data are walked by reference: a value is
        // made only for what is stored, remembered or left at the end.
        if let Repr::Data(mut data) = value.repr {
            let from = start;
            while let (Data::Object(object), Some(link)) = (data, self.links.get(start)) {
                let Some(next) = link.find(object, &names[link.name]) else { break };
                if let Some(m) = link.memo
                    && memoized
                {
                    frame.memo[m as usize] = Some(Value::from_data(next, true));
                }
                if let Some(prev) = stored_by
                    && prev.store
                {
                    frame.set(prev.dst, Value::from_data(data, true));
                }
                data = next;
                stored_by = Some(link);
                start += 1;
            }
            if start > from {
                value = Value::from_data(data, true);
            }
        }
        // Typed data the same way: a chain of struct fields carries a type
        // and a node.
        if let Repr::Typed(mut t, mut node, place) = value.repr {
            let (from, mut boxed) = (start, value.boxed);
            while let Some(link) = self.links.get(start)
                && let Some(Direct { field, view: Some(view) }) = link.direct_field(t, &names[link.name])
            {
                let next = link.field_node(field, node).filter(|d| !matches!(d, Data::Null));
                if let Some(m) = link.memo
                    && memoized
                {
                    frame.memo[m as usize] = Some(Value::new(Repr::Typed(view, next, place)));
                }
                if let Some(prev) = stored_by
                    && prev.store
                {
                    frame.set(prev.dst, Value { repr: Repr::Typed(t, node, place), boxed });
                }
                (t, node, boxed) = (view, next, false);
                stored_by = Some(link);
                start += 1;
            }
            if start > from {
                value = Value::new(Repr::Typed(t, node, place));
            }
        }
        for link in &self.links[start..] {
            let next = link.lookup(&value, &names[link.name], machine.missing)?;
            if let Some(m) = link.memo
                && memoized
            {
                frame.memo[m as usize] = Some(next.clone());
            }
            match stored_by {
                Some(prev) if prev.store => frame.set(prev.dst, std::mem::replace(&mut value, next)),
                _ => value = next,
            }
            stored_by = Some(link);
        }
        let last = stored_by.expect("a chain has a link");
        // Unboxed in place: `unbox(self)` takes the value apart and puts it
        // together again through the stack.
        match self.tail {
            Tail::None => frame.set(last.dst, value),
            Tail::Unbox => {
                value.unbox_in_place();
                frame.set(last.dst, value);
            }
            Tail::Print(node) => {
                frame.node = node;
                value.unbox_in_place();
                machine.print_value(frame, &value)?;
            }
        }
        Ok(())
    }
}

/// Gives a memo entry to every prefix that two or more of `chains` (all
/// from one procedure's argument, which that procedure never reassigns)
/// share, and returns how many entries there are. A link whose result is
/// stored for later instructions is never skipped, so neither it nor any
/// link after it in its chain starts from the memo.
pub(crate) fn assign_memos(chains: &mut [&mut FieldChain]) -> u32 {
    use std::collections::HashMap;
    let mut uses: HashMap<Vec<NameId>, u32> = HashMap::new();
    for chain in chains.iter() {
        let mut path = Vec::new();
        for link in chain.links.iter() {
            path.push(link.name);
            *uses.entry(path.clone()).or_default() += 1;
        }
    }
    let mut entries: HashMap<Vec<NameId>, u32> = HashMap::new();
    for chain in chains.iter_mut() {
        let last = chain.links.len() - 1;
        let mut path = Vec::new();
        for (i, link) in chain.links.iter_mut().enumerate() {
            path.push(link.name);
            if link.store && i < last {
                break;
            }
            if uses[&path] >= 2 {
                let next = entries.len() as u32;
                link.memo = Some(*entries.entry(path.clone()).or_insert(next));
            }
        }
        let remembered = chain.links.iter().enumerate().rev();
        chain.remembered = remembered.filter_map(|(i, link)| Some((i as u32, link.memo?))).collect();
    }
    entries.len() as u32
}
