//! The syntax tree of a `.rules` file, as the parser produces it. Every node keeps its [`Span`];
//! nothing here is resolved or checked (that is `sema`'s job).

use super::diag::Span;

/// A name as written, with its location. Constants keep their `$`-less name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One top-level form.
#[derive(Clone, Debug, PartialEq)]
pub enum Def {
    Type(TypeDef),
    Decl(Decl),
    Extern(ExternDef),
    Const(ConstDef),
    Rule(Rule),
}

/// `(type Name (primitive RustName))` or `(type Name (enum Variant…))`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeDef {
    pub name: Ident,
    pub body: TypeBody,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeBody {
    /// A value the host represents in one word; the identifier names the Rust type that
    /// externs use for it (checked against registered externs).
    Primitive(Ident),
    Enum(Vec<Variant>),
}

/// `(Name (field Type)…)` or a bare `Name` for a variant without fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub name: Ident,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub ty: Ident,
}

/// `(decl [partial] [multi] name (ArgType…) RetType)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    pub name: Ident,
    pub partial: bool,
    pub multi: Option<Span>,
    pub args: Vec<Ident>,
    pub ret: Ident,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternKind {
    Constructor,
    Extractor,
}

/// `(extern constructor term rust_name)` / `(extern extractor term rust_name)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternDef {
    pub kind: ExternKind,
    pub term: Ident,
    pub rust: Ident,
    pub span: Span,
}

/// `(const $Name Type value)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstDef {
    pub name: Ident,
    pub ty: Ident,
    pub value: i128,
    pub value_span: Span,
    pub span: Span,
}

/// `(rule [name] [prio] PATTERN GUARD… EXPR)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: Option<Ident>,
    pub prio: Option<(i128, Span)>,
    pub pattern: Pattern,
    pub guards: Vec<Guard>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    Wildcard(Span),
    /// A variable: binds on first occurrence, tests equality on later ones.
    Var(Ident),
    /// `name @ pat`.
    Bind(Ident, Box<Pattern>),
    Int(i128, Span),
    Const(Ident),
    And(Vec<Pattern>, Span),
    /// `(term pat…)`: an extractor applied to the matched value.
    Term(Ident, Vec<Pattern>, Span),
}

impl Pattern {
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

#[derive(Clone, Debug, PartialEq)]
pub enum Guard {
    /// `(if-let PAT EXPR)`: evaluates EXPR (which may fail) and matches PAT on its result.
    IfLet(Pattern, Expr, Span),
    /// `(if EXPR)`: passes when EXPR succeeds and, if it is a `bool`, is true.
    If(Expr, Span),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Var(Ident),
    Int(i128, Span),
    Const(Ident),
    Call(Ident, Vec<Expr>, Span),
    Let(Vec<LetBinding>, Box<Expr>, Span),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Var(i) | Expr::Const(i) => i.span,
            Expr::Int(_, s) | Expr::Call(_, _, s) | Expr::Let(_, _, s) => *s,
        }
    }
}

/// `(v Type expr)` inside `let`.
#[derive(Clone, Debug, PartialEq)]
pub struct LetBinding {
    pub var: Ident,
    pub ty: Ident,
    pub value: Expr,
}
