//! What the language server knows about names: every occurrence of a term, type or enum
//! variant in the files of a program (definitions and uses), every variable of a rule with
//! its type, and every term's signature — from the syntax trees of the files as they are
//! (an open buffer with errors still has an index) and from the host's term environment.

use crate::dsl::ast::{self, AstArena, Def, Expr, Guard, Herd, Pattern, TypeBody};
use crate::dsl::env::TermEnv;
use crate::dsl::{FileId, SourceMap, Span};
use indexmap::IndexMap;

/// What a name names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A term: declared, an enum variant (`Enum.Variant`), an IR opcode or a host term.
    Term,
    Type,
}

/// One place a name is written.
#[derive(Clone, Debug)]
pub struct Occurrence {
    pub name: String,
    pub kind: Kind,
    pub span: Span,
    /// The place that defines it (a `decl`, a variant, a `type`).
    pub def: bool,
}

/// Where a term comes from and what it takes.
#[derive(Clone, Debug)]
pub struct Signature {
    pub args: Vec<String>,
    pub ret: String,
    /// Its definition's form (`decl`, variant or `type`) in the files, if it has one.
    pub form: Option<Span>,
    /// How the host provides it (opcode, host term, `has_type`), if it does.
    pub host: Option<String>,
    /// `(extern constructor|extractor term rust_name)` bindings, with the Rust signature.
    pub externs: Vec<String>,
}

/// A variable of a rule and its type (when the index could tell it).
#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub ty: Option<String>,
    pub span: Span,
}

/// A top-level form for document and workspace symbols.
#[derive(Clone, Debug)]
pub struct Symbol {
    pub name: String,
    pub what: SymbolWhat,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolWhat {
    Type,
    Term,
    Constant,
    Rule,
}

/// The index of a whole program.
#[derive(Default)]
pub struct Index {
    pub occurrences: Vec<Occurrence>,
    pub signatures: IndexMap<String, Signature>,
    pub variables: Vec<Variable>,
    pub symbols: Vec<Symbol>,
    /// Type definitions by name (their `(type …)` form).
    pub types: IndexMap<String, Span>,
}

impl Index {
    /// Indexes every file of `sources` that parses (a file with a syntax error contributes
    /// nothing), with the host's terms from `env`.
    pub fn build<H: 'static>(sources: &SourceMap, env: &TermEnv<H>) -> Index {
        let mut ix = Index::default();
        ix.host_terms(env);
        let herd = Herd::new();
        let arena = AstArena::new(&herd);
        let mut files = Vec::new();
        for f in sources.file_ids() {
            if let Ok(defs) = crate::dsl::parse::parse_file(f, sources.text(f), &arena) {
                files.push((f, defs));
            }
        }
        for (_, defs) in &files {
            for d in defs {
                ix.declare(d, sources);
            }
        }
        for (f, defs) in &files {
            for d in defs {
                ix.uses(*f, d, env);
            }
        }
        ix
    }

    fn host_terms<H: 'static>(&mut self, env: &TermEnv<H>) {
        let sig = |args: Vec<String>, ret: &str, host: String| Signature {
            args,
            ret: ret.to_string(),
            form: None,
            host: Some(host),
            externs: Vec::new(),
        };
        self.signatures.insert(
            "has_type".to_string(),
            sig(
                vec!["Type".into(), "Inst".into()],
                "Inst",
                "built in: matches an instruction and binds its controlling type".into(),
            ),
        );
        for op in &env.opcodes {
            let mut args = vec!["Value".to_string(); op.value_args as usize];
            args.extend(op.immediates.iter().map(|i| i.1.clone()));
            let host = format!("IR opcode `{}` (an extractor on `Inst`, or on a `Value` through its defining instruction)", op.name);
            self.signatures
                .insert(op.name.clone(), sig(args, "Inst", host));
        }
        for t in &env.host_terms {
            let host = format!(
                "host {}constructor, from a table in Rust",
                if t.partial { "partial " } else { "" }
            );
            self.signatures
                .insert(t.name.clone(), sig(t.args.clone(), &t.ret, host));
        }
    }

    fn occurrence(&mut self, name: &str, kind: Kind, span: Span, def: bool) {
        self.occurrences.push(Occurrence {
            name: name.to_string(),
            kind,
            span,
            def,
        });
    }

    /// Definitions: types, variants, `decl`s, constants.
    fn declare(&mut self, d: &Def, sources: &SourceMap) {
        match d {
            Def::Type(t) => {
                self.occurrence(t.name.name, Kind::Type, t.name.span, true);
                self.types.insert(t.name.name.to_string(), t.span);
                self.symbol(t.name.name, SymbolWhat::Type, t.span);
                if let TypeBody::Enum(vs) = &t.body {
                    for v in vs {
                        let name = format!("{}.{}", t.name.name, v.name.name);
                        self.occurrence(&name, Kind::Term, v.name.span, true);
                        self.signatures.insert(
                            name,
                            Signature {
                                args: v.fields.iter().map(|f| f.ty.name.to_string()).collect(),
                                ret: t.name.name.to_string(),
                                form: Some(t.span),
                                host: None,
                                externs: Vec::new(),
                            },
                        );
                    }
                }
            }
            Def::Decl(decl) => {
                self.occurrence(decl.name.name, Kind::Term, decl.name.span, true);
                self.symbol(decl.name.name, SymbolWhat::Term, decl.span);
                self.signatures.insert(
                    decl.name.name.to_string(),
                    Signature {
                        args: decl.args.iter().map(|a| a.name.to_string()).collect(),
                        ret: decl.ret.name.to_string(),
                        form: Some(decl.span),
                        host: None,
                        externs: Vec::new(),
                    },
                );
            }
            Def::Const(c) => {
                self.symbol(&format!("${}", c.name.name), SymbolWhat::Constant, c.span)
            }
            Def::Rule(r) => {
                let name = match (&r.name, &r.pattern) {
                    (Some(n), _) => n.name.to_string(),
                    (None, Pattern::Term(head, ..)) => format!(
                        "rule of {} (line {})",
                        head.name,
                        sources.line_col(r.span).line
                    ),
                    (None, _) => format!("rule (line {})", sources.line_col(r.span).line),
                };
                self.symbol(&name, SymbolWhat::Rule, r.span);
            }
            Def::Extern(_) => {}
        }
    }

    fn symbol(&mut self, name: &str, what: SymbolWhat, span: Span) {
        self.symbols.push(Symbol {
            name: name.to_string(),
            what,
            span,
        });
    }

    /// Uses: types named in forms, terms in `extern`s and rules, and the variables of rules.
    fn uses<H: 'static>(&mut self, _file: FileId, d: &Def, env: &TermEnv<H>) {
        match d {
            Def::Type(t) => {
                if let TypeBody::Enum(vs) = &t.body {
                    for f in vs.iter().flat_map(|v| &v.fields) {
                        self.type_use(&f.ty);
                    }
                }
            }
            Def::Decl(decl) => {
                for a in &decl.args {
                    self.type_use(a);
                }
                self.type_use(&decl.ret);
            }
            Def::Const(c) => self.type_use(&c.ty),
            Def::Extern(e) => {
                self.occurrence(e.term.name, Kind::Term, e.term.span, false);
                let kind = match e.kind {
                    ast::ExternKind::Constructor => crate::dsl::env::BindingKind::Constructor,
                    ast::ExternKind::Extractor => crate::dsl::env::BindingKind::Extractor,
                };
                let rust = env
                    .bindings
                    .iter()
                    .find(|b| b.rust_name == e.rust.name && b.kind == kind)
                    .map(|b| {
                        let rets = match b.sig.rets.len() {
                            1 => b.sig.rets[0].to_string(),
                            _ => format!("({})", b.sig.rets.join(", ")),
                        };
                        let rets = if b.sig.fallible {
                            format!("Option<{rets}>")
                        } else {
                            rets
                        };
                        format!("fn {}({}) -> {rets}", b.rust_name, b.sig.args.join(", "))
                    })
                    .unwrap_or_else(|| "no Rust binding of that name".to_string());
                let what = match e.kind {
                    ast::ExternKind::Constructor => "constructor",
                    ast::ExternKind::Extractor => "extractor",
                };
                if let Some(sig) = self.signatures.get_mut(e.term.name) {
                    sig.externs.push(format!(
                        "extern {what} bound to Rust `{}`: `{rust}`",
                        e.rust.name
                    ));
                }
            }
            Def::Rule(r) => {
                let mut vars = Vec::new();
                self.pattern(&r.pattern, None, &mut vars);
                for g in r.guards {
                    match g {
                        Guard::IfLet(p, e, _) => {
                            self.expr(e, &mut vars);
                            let ty = self.type_of(e, &vars);
                            self.pattern(p, ty, &mut vars);
                        }
                        Guard::If(e, _) => self.expr(e, &mut vars),
                    }
                }
                self.expr(&r.body, &mut vars);
                self.variables.extend(vars);
            }
        }
    }

    fn type_use(&mut self, id: &ast::Ident) {
        self.occurrence(id.name, Kind::Type, id.span, false);
    }

    fn arg_type(&self, term: &str, i: usize) -> Option<String> {
        self.signatures.get(term)?.args.get(i).cloned()
    }

    fn pattern(&mut self, p: &Pattern, ty: Option<String>, vars: &mut Vec<Variable>) {
        match p {
            Pattern::Var(v) => vars.push(Variable {
                name: v.name.to_string(),
                ty,
                span: v.span,
            }),
            Pattern::Bind(v, sub) => {
                vars.push(Variable {
                    name: v.name.to_string(),
                    ty: ty.clone(),
                    span: v.span,
                });
                self.pattern(sub, ty, vars);
            }
            Pattern::And(ps, _) => {
                for sub in *ps {
                    self.pattern(sub, ty.clone(), vars);
                }
            }
            Pattern::Term(head, args, _) => {
                self.occurrence(head.name, Kind::Term, head.span, false);
                for (i, a) in args.iter().enumerate() {
                    let t = self.arg_type(head.name, i);
                    self.pattern(a, t, vars);
                }
            }
            Pattern::Wildcard(_) | Pattern::Int(..) | Pattern::Const(_) => {}
        }
    }

    fn expr(&mut self, e: &Expr, vars: &mut Vec<Variable>) {
        match e {
            Expr::Call(head, args, _) => {
                self.occurrence(head.name, Kind::Term, head.span, false);
                for a in *args {
                    self.expr(a, vars);
                }
            }
            Expr::Let(binds, body, _) => {
                for b in *binds {
                    self.type_use(&b.ty);
                    self.expr(&b.value, vars);
                    vars.push(Variable {
                        name: b.var.name.to_string(),
                        ty: Some(b.ty.name.to_string()),
                        span: b.var.span,
                    });
                }
                self.expr(body, vars);
            }
            Expr::Var(v) => {
                let ty = vars
                    .iter()
                    .rev()
                    .find(|x| x.name == v.name)
                    .and_then(|x| x.ty.clone());
                vars.push(Variable {
                    name: v.name.to_string(),
                    ty,
                    span: v.span,
                });
            }
            Expr::Int(..) | Expr::Const(_) => {}
        }
    }

    fn type_of(&self, e: &Expr, vars: &[Variable]) -> Option<String> {
        match e {
            Expr::Call(head, ..) => Some(self.signatures.get(head.name)?.ret.clone()),
            Expr::Var(v) => vars.iter().rev().find(|x| x.name == v.name)?.ty.clone(),
            Expr::Let(_, body, _) => self.type_of(body, vars),
            Expr::Int(..) | Expr::Const(_) => None,
        }
    }

    /// The term or type occurrence, or the variable, at byte `at` of `file`.
    pub fn at(&self, file: FileId, at: u32) -> Option<Found<'_>> {
        let inside = |s: &Span| s.file == file && s.lo <= at && at <= s.hi;
        if let Some(o) = self.occurrences.iter().find(|o| inside(&o.span)) {
            return Some(Found::Name(o));
        }
        self.variables
            .iter()
            .find(|v| inside(&v.span))
            .map(Found::Variable)
    }

    /// Every occurrence of `name` as `kind`.
    pub fn all<'a>(&'a self, name: &'a str, kind: Kind) -> impl Iterator<Item = &'a Occurrence> {
        self.occurrences
            .iter()
            .filter(move |o| o.kind == kind && o.name == name)
    }
}

/// What sits at a position.
pub enum Found<'a> {
    Name(&'a Occurrence),
    Variable(&'a Variable),
}
