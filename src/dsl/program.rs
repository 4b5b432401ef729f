//! A checked rule program: resolved types and terms, and every rule reduced to a list of
//! match [`Step`]s over the *slots* of its term plus a right-hand side expression.
//!
//! Slots are the central idea. All rules of one term share a [`TermFrame`] whose slots are
//! interned *paths* into the term's input: `arg 0`, `output 1 of iadd applied to arg 0`, `the
//! instruction defining that value`, `the result of guard expression #3`. Two rules that
//! look at the same part of the input therefore name the same slot, so identical steps are
//! equal values — that is what lets the match-tree compiler share tests between rules and the
//! overlap checker compare rules by plain set operations.

use super::diag::Span;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-rotate hasher for the compiler's tables, whose keys are small integers and short
/// names from rule files: much cheaper than SipHash, and hash flooding is no concern there.
#[derive(Default, Clone, Copy)]
pub struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A `HashMap` with [`WordHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// An `IndexMap` with [`WordHasher`]: for the tables whose iteration order shows in output
/// (names of terms, types and constants), which then iterate in declaration order.
pub type OrderedMap<K, V> = indexmap::IndexMap<K, V, BuildHasherDefault<WordHasher>>;

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}
index_type!(
    /// A type of the rule program.
    TypeId
);
index_type!(
    /// A term of the rule program (declared, opcode, enum variant or built in).
    TermId
);
index_type!(
    /// A rule, numbered in the order the files define them.
    RuleId
);
index_type!(
    /// A word in a term's frame.
    Slot
);
index_type!(
    /// An expression in a term's expression arena.
    ExprId
);
index_type!(
    /// A host extern function.
    ExternId
);

#[derive(Clone, Debug)]
pub struct TypeInfo {
    pub name: String,
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeKind {
    /// One word; `rust` names the Rust type externs use for it.
    Primitive { rust: String },
    /// `variants` are the variant terms in tag order. `boxed` enums (some variant has fields)
    /// are handles into the executor's arena; others are their tag.
    Enum { variants: Vec<TermId>, boxed: bool },
}

impl TypeKind {
    /// The integers a literal of this type may be (`None`: an enum takes no literals). Words
    /// of other primitive types take any 64-bit integer, signed or not.
    pub fn literal_range(&self) -> Option<(i128, i128)> {
        let TypeKind::Primitive { rust } = self else {
            return None;
        };
        Some(match rust.as_str() {
            "bool" => (0, 1),
            "u8" => (0, u8::MAX.into()),
            "u16" => (0, u16::MAX.into()),
            "u32" => (0, u32::MAX.into()),
            "i8" => (i8::MIN.into(), i8::MAX.into()),
            "i16" => (i16::MIN.into(), i16::MAX.into()),
            "i32" => (i32::MIN.into(), i32::MAX.into()),
            "i64" => (i64::MIN.into(), i64::MAX.into()),
            "u64" => (0, u64::MAX.into()),
            _ => (i64::MIN.into(), u64::MAX.into()),
        })
    }
}

/// How a declared term builds values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ctor {
    None,
    Rules,
    Extern(ExternId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermKind {
    /// Declared by `decl` (or by the host): a constructor and/or an extern extractor.
    Decl {
        ctor: Ctor,
        extractor: Option<ExternId>,
    },
    /// An IR opcode: an extractor on `Inst` (or on a `Value` through its defining instruction).
    Opcode { opcode: u32, value_args: u32 },
    /// An enum variant: extractor and constructor.
    Variant { ty: TypeId, tag: u32 },
    /// `(has_type ty inst)`: binds the controlling type of an `Inst`, and the `Inst` itself.
    HasType,
}

#[derive(Clone, Debug)]
pub struct TermInfo {
    pub name: String,
    pub args: Vec<TypeId>,
    pub ret: TypeId,
    pub partial: bool,
    pub kind: TermKind,
    pub span: Span,
}

/// One test or binding of a rule's left-hand side, or of a guard. Outputs of a step live in
/// consecutive slots starting at `out`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// `inst` := the instruction defining the value in `value`; fails for block parameters.
    DefInst { value: Slot, inst: Slot },
    /// `out` := controlling type of the instruction in `inst`. Never fails.
    CtrlType { inst: Slot, out: Slot },
    /// The instruction in `inst` has `term`'s opcode; binds value arguments then immediates.
    Opcode { inst: Slot, term: TermId, out: Slot },
    /// The enum value in `value` is variant `term`; binds its fields.
    Variant {
        value: Slot,
        term: TermId,
        out: Slot,
    },
    /// The extern extractor `term` succeeds on `value`; binds its outputs.
    Extract {
        value: Slot,
        term: TermId,
        out: Slot,
    },
    /// The word in `slot` equals `value`.
    Lit { slot: Slot, value: u64 },
    /// Two slots hold equal words (`a < b`).
    Eq { a: Slot, b: Slot },
    /// Evaluates a guard expression into `out`; fails if a partial call in it fails.
    Eval { expr: ExprId, out: Slot },
    /// The `bool` in `slot` is true.
    IsTrue { slot: Slot },
}

impl Step {
    /// Canonical order of a rule's pattern steps: by the slot they read, and on one slot the
    /// dispatching tests (opcode, variant) first. Output slots are always numbered after the
    /// slot they come from, so this order binds every slot before it is read; and since all
    /// pattern steps are pure tests, reordering them never changes whether a rule matches. It
    /// makes rules of a term start alike, so the match tree shares more and switches earlier.
    /// (`sema` puts the steps of extern extractors, and those reading what they bind, after
    /// the others, each group in this order.)
    pub fn order_key(&self) -> (u32, u8) {
        match *self {
            Step::Opcode { inst: s, .. } => (s.0, 0),
            Step::Variant { value: s, .. } => (s.0, 0),
            Step::Lit { slot: s, .. } => (s.0, 1),
            Step::DefInst { value: s, .. } => (s.0, 2),
            Step::CtrlType { inst: s, .. } => (s.0, 3),
            Step::Extract { value: s, .. } => (s.0, 4),
            Step::Eq { b, .. } => (b.0, 5),
            Step::IsTrue { slot: s } => (s.0, 6),
            Step::Eval { .. } => (u32::MAX, 7),
        }
    }

    /// Two steps that can never both succeed on the same input (so their order is free).
    pub fn excludes(&self, other: &Step, terms: &[TermInfo]) -> bool {
        match (*self, *other) {
            (
                Step::Opcode {
                    inst: a, term: x, ..
                },
                Step::Opcode {
                    inst: b, term: y, ..
                },
            ) => a == b && opcode_of(terms, x) != opcode_of(terms, y),
            (
                Step::Variant {
                    value: a, term: x, ..
                },
                Step::Variant {
                    value: b, term: y, ..
                },
            ) => a == b && x != y,
            (Step::Lit { slot: a, value: x }, Step::Lit { slot: b, value: y }) => a == b && x != y,
            _ => false,
        }
    }
}

fn opcode_of(terms: &[TermInfo], t: TermId) -> Option<u32> {
    match terms[t.index()].kind {
        TermKind::Opcode { opcode, .. } => Some(opcode),
        _ => None,
    }
}

/// A resolved expression. `Local`s are `let` variables, numbered per rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CExpr {
    Slot(Slot),
    Local(u32),
    Const(u64),
    Call {
        term: TermId,
        args: Vec<ExprId>,
    },
    Let {
        binds: Vec<(u32, ExprId)>,
        body: ExprId,
    },
}

/// Where a slot's word comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlotOrigin {
    Arg(u32),
    /// Output `index` of extractor `term` applied to `parent`.
    Out {
        parent: Slot,
        term: TermId,
        index: u32,
    },
    DefInst(Slot),
    CtrlType(Slot),
    Expr(ExprId),
}

/// The slots and expressions shared by all rules of one term.
#[derive(Default, Debug)]
pub struct TermFrame {
    pub origins: Vec<SlotOrigin>,
    /// Per slot: whether its word is (or is found through) an output of an extern extractor.
    under_extractor: Vec<bool>,
    keys: FastMap<SlotOrigin, Slot>,
    pub exprs: Vec<CExpr>,
    expr_ids: FastMap<CExpr, ExprId>,
    /// Largest number of `let` locals of any rule of the term.
    pub max_locals: u32,
}

impl TermFrame {
    /// A frame whose first `arity` slots are the term's arguments, with room for the slots
    /// and expressions of about `rules` rules.
    pub fn new(arity: usize, rules: usize) -> TermFrame {
        let mut f = TermFrame::default();
        f.keys.reserve(arity + rules);
        f.expr_ids.reserve(2 * rules);
        f.exprs.reserve(2 * rules);
        for i in 0..arity as u32 {
            f.slot(SlotOrigin::Arg(i));
        }
        f
    }

    pub fn slot(&mut self, origin: SlotOrigin) -> Slot {
        if let Some(&s) = self.keys.get(&origin) {
            return s;
        }
        let s = Slot(self.origins.len() as u32);
        let under = match origin {
            SlotOrigin::Arg(_) | SlotOrigin::Expr(_) => false,
            SlotOrigin::Out { parent, .. }
            | SlotOrigin::DefInst(parent)
            | SlotOrigin::CtrlType(parent) => self.under_extractor[parent.index()],
        };
        self.origins.push(origin);
        self.under_extractor.push(under);
        self.keys.insert(origin, s);
        s
    }

    /// The first of `n` consecutive slots holding the outputs of `term` applied to `parent`
    /// (`extractor`: `term` is an extern extractor).
    pub fn outputs(&mut self, parent: Slot, term: TermId, n: usize, extractor: bool) -> Slot {
        let first = SlotOrigin::Out {
            parent,
            term,
            index: 0,
        };
        if let Some(&s) = self.keys.get(&first) {
            return s;
        }
        let base = Slot(self.origins.len() as u32);
        for index in 0..n.max(1) as u32 {
            let o = SlotOrigin::Out {
                parent,
                term,
                index,
            };
            self.keys.insert(o, Slot(self.origins.len() as u32));
            self.origins.push(o);
            self.under_extractor
                .push(extractor || self.under_extractor[parent.index()]);
        }
        base
    }

    pub fn expr(&mut self, e: CExpr) -> ExprId {
        if let Some(&id) = self.expr_ids.get(&e) {
            return id;
        }
        let id = ExprId(self.exprs.len() as u32);
        self.exprs.push(e.clone());
        self.expr_ids.insert(e, id);
        id
    }

    /// Whether the word in `slot` is (or is found through) an output of an extern extractor.
    pub fn under_extractor(&self, slot: Slot) -> bool {
        self.under_extractor[slot.index()]
    }

    pub fn slot_count(&self) -> u32 {
        self.origins.len() as u32
    }
}

/// A checked rule.
#[derive(Clone, Debug)]
pub struct CRule {
    pub term: TermId,
    pub prio: i32,
    /// Left-hand side tests then guards, in evaluation order.
    pub steps: Vec<Step>,
    /// Beside `steps`: the pattern or guard each step tests (for why-not explanations).
    pub spans: Vec<Span>,
    pub body: ExprId,
    pub name: Option<String>,
    pub span: Span,
    /// Span of the left-hand side pattern (for messages).
    pub pattern_span: Span,
}
