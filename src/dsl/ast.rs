//! The syntax tree of a `.rules` file, as the parser produces it. Every node keeps its [`Span`];
//! nothing here is resolved or checked (that is `sema`'s job).
//!
//! Rules, and the patterns, guards and expressions in them, live in an [`AstArena`]: a file of
//! 2,000 rules has tens of thousands of nodes, and allocating and freeing each on the heap was
//! a large part of the time spent on them. The other forms are few and keep their boxes and
//! vectors.

use super::diag::Span;
/// The owner of the arenas syntax trees are allocated in (one per parsing thread).
pub use bumpalo_herd::Herd;
use bumpalo_herd::Member;

/// Where a parser allocates rule nodes: one thread's bump allocator, lent by a [`Herd`]
/// that outlives the tree (`'s`, which is also the lifetime of the source text). Nodes are
/// never dropped, only freed with the herd, so they must own no heap memory: allocating a
/// type that needs dropping does not compile.
pub struct AstArena<'s>(Member<'s>);

impl<'s> AstArena<'s> {
    pub fn new(herd: &'s Herd) -> AstArena<'s> {
        AstArena(herd.get())
    }

    pub fn alloc<T>(&self, value: T) -> &'s T {
        never_dropped::<T>();
        self.0.alloc(value)
    }

    pub fn slice<T, I>(&self, items: I) -> &'s [T]
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        never_dropped::<T>();
        self.0.alloc_slice_fill_iter(items)
    }
}

/// Fails to compile when `T` needs dropping: the arena never drops what it holds.
fn never_dropped<T>() {
    const {
        assert!(
            !std::mem::needs_drop::<T>(),
            "arena values are never dropped"
        )
    };
}

/// A name as written (borrowed from the source text), with its location. Constants keep
/// their `$`-less name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ident<'s> {
    pub name: &'s str,
    pub span: Span,
}

/// One top-level form (boxed, or in the arena for rules: forms differ much in size).
#[derive(Clone, Debug, PartialEq)]
pub enum Def<'s> {
    Type(Box<TypeDef<'s>>),
    Decl(Box<Decl<'s>>),
    Extern(Box<ExternDef<'s>>),
    Const(Box<ConstDef<'s>>),
    Rule(&'s Rule<'s>),
}

/// `(type Name (primitive RustName))` or `(type Name (enum Variant…))`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeDef<'s> {
    pub name: Ident<'s>,
    pub body: TypeBody<'s>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeBody<'s> {
    /// A value the host represents in one word; the identifier names the Rust type that
    /// externs use for it (checked against registered externs).
    Primitive(Ident<'s>),
    Enum(Vec<Variant<'s>>),
}

/// `(Name (field Type)…)` or a bare `Name` for a variant without fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant<'s> {
    pub name: Ident<'s>,
    pub fields: Vec<Field<'s>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field<'s> {
    pub name: Ident<'s>,
    pub ty: Ident<'s>,
}

/// `(decl [partial] [multi] name (ArgType…) RetType)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl<'s> {
    pub name: Ident<'s>,
    pub partial: bool,
    pub multi: Option<Span>,
    pub args: Vec<Ident<'s>>,
    pub ret: Ident<'s>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternKind {
    Constructor,
    Extractor,
}

/// `(extern constructor term rust_name)` / `(extern extractor term rust_name)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternDef<'s> {
    pub kind: ExternKind,
    pub term: Ident<'s>,
    pub rust: Ident<'s>,
    pub span: Span,
}

/// `(const $Name Type value)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstDef<'s> {
    pub name: Ident<'s>,
    pub ty: Ident<'s>,
    pub value: i128,
    pub value_span: Span,
    pub span: Span,
}

/// `(rule [name] [prio] PATTERN GUARD… EXPR)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule<'s> {
    pub name: Option<Ident<'s>>,
    pub prio: Option<(i128, Span)>,
    pub pattern: Pattern<'s>,
    pub guards: &'s [Guard<'s>],
    pub body: Expr<'s>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pattern<'s> {
    Wildcard(Span),
    /// A variable: binds on first occurrence, tests equality on later ones.
    Var(Ident<'s>),
    /// `name @ pat`.
    Bind(Ident<'s>, &'s Pattern<'s>),
    Int(i128, Span),
    Const(Ident<'s>),
    And(&'s [Pattern<'s>], Span),
    /// `(term pat…)`: an extractor applied to the matched value.
    Term(Ident<'s>, &'s [Pattern<'s>], Span),
}

impl Pattern<'_> {
    pub fn span(&self) -> Span {
        match self {
            Pattern::Wildcard(s) | Pattern::Int(_, s) | Pattern::And(_, s) => *s,
            Pattern::Term(_, _, s) => *s,
            Pattern::Var(i) | Pattern::Const(i) => i.span,
            Pattern::Bind(i, p) => Span {
                hi: p.span().hi,
                ..i.span
            },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Guard<'s> {
    /// `(if-let PAT EXPR)`: evaluates EXPR (which may fail) and matches PAT on its result.
    IfLet(Pattern<'s>, Expr<'s>, Span),
    /// `(if EXPR)`: passes when EXPR succeeds and, if it is a `bool`, is true.
    If(Expr<'s>, Span),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expr<'s> {
    Var(Ident<'s>),
    Int(i128, Span),
    Const(Ident<'s>),
    Call(Ident<'s>, &'s [Expr<'s>], Span),
    Let(&'s [LetBinding<'s>], &'s Expr<'s>, Span),
}

impl Expr<'_> {
    pub fn span(&self) -> Span {
        match self {
            Expr::Var(i) | Expr::Const(i) => i.span,
            Expr::Int(_, s) | Expr::Call(_, _, s) | Expr::Let(_, _, s) => *s,
        }
    }
}

/// `(v Type expr)` inside `let`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LetBinding<'s> {
    pub var: Ident<'s>,
    pub ty: Ident<'s>,
    pub value: Expr<'s>,
}
