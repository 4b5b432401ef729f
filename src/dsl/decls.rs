//! Declarations: types, host terms (opcodes, table-generated constructors, constants),
//! `decl`s, `const`s and `extern` bindings checked against the Rust signatures registered in
//! the [`TermEnv`]. Runs before any rule is checked, so every name is known by then.

use super::ast::{self, Def, Pattern, TypeBody};
use super::diag::{Diagnostic, Span};
use super::env::{BindingKind, ExternFn, TermEnv};
use super::exec::MAX_EXTERN_WORDS;
use super::program::*;
use super::sema::{HostSpans, Sema};

/// The host's extern bindings while `extern` forms are resolved: one Rust function may back
/// several terms, so each is moved into the program once and then shared by its id.
pub(super) struct Bindings<H> {
    sigs: Vec<(String, BindingKind, super::env::ExternSig)>,
    funcs: Vec<Option<ExternFn<H>>>,
    ids: Vec<Option<ExternId>>,
}

impl<H> Sema<'_, H> {
    /// Types first (all names, then bodies), so types and decls may refer to each other in any
    /// order and across files.
    pub(super) fn declare_types(&mut self, defs: &[&Def]) {
        for d in defs {
            let Def::Type(t) = d else { continue };
            if let Some(&prev) = self.type_names.get(t.name.name) {
                let prev_span = self.out.types[prev.index()].span;
                self.diags.push(
                    Diagnostic::error(
                        t.name.span,
                        format!("type `{}` is already defined", t.name.name),
                    )
                    .with_note(prev_span, "first defined here"),
                );
                continue;
            }
            let id = TypeId(self.out.types.len() as u32);
            self.type_names.insert(t.name.name.to_string(), id);
            let kind = match &t.body {
                TypeBody::Primitive(r) => TypeKind::Primitive {
                    rust: r.name.to_string(),
                },
                TypeBody::Enum(vs) => TypeKind::Enum {
                    variants: Vec::new(),
                    boxed: vs.iter().any(|v| !v.fields.is_empty()),
                },
            };
            if matches!(&kind, TypeKind::Primitive { rust } if rust == "bool") {
                self.bool_ty = Some(id);
            }
            self.literal_ranges.push(kind.literal_range());
            self.out.types.push(TypeInfo {
                name: t.name.name.to_string(),
                kind,
                span: t.name.span,
            });
        }
        for d in defs {
            let Def::Type(t) = d else { continue };
            let TypeBody::Enum(vs) = &t.body else {
                continue;
            };
            let Some(&ty) = self.type_names.get(t.name.name) else {
                continue;
            };
            if self.out.types[ty.index()].span != t.name.span {
                continue;
            }
            let mut variants = Vec::new();
            for (tag, v) in vs.iter().enumerate() {
                let args: Option<Vec<TypeId>> =
                    v.fields.iter().map(|f| self.lookup_type(&f.ty)).collect();
                let Some(args) = args else { continue };
                let info = TermInfo {
                    name: format!("{}.{}", t.name.name, v.name.name),
                    args,
                    ret: ty,
                    partial: false,
                    kind: TermKind::Variant {
                        ty,
                        tag: tag as u32,
                    },
                    span: v.name.span,
                };
                if let Some(id) = self.add_term(info) {
                    variants.push(id);
                }
            }
            if let TypeKind::Enum { variants: vs, .. } = &mut self.out.types[ty.index()].kind {
                *vs = variants;
            }
        }
    }

    fn host_type(&mut self, name: &str, span: Span) -> Option<TypeId> {
        self.lookup_type(&ast::Ident { name, span })
    }

    /// Opcode terms, host terms, constants, `decl`s and `extern` bindings.
    pub(super) fn declare_host(&mut self, env: TermEnv<H>, host: &HostSpans, defs: &[&Def]) {
        let (inst, value) = (self.type_names.get("Inst"), self.type_names.get("Value"));
        let (inst, value) = (inst.copied(), value.copied());
        if let (Some(inst), Some(ty)) = (inst, self.type_names.get("Type").copied()) {
            self.add_term(TermInfo {
                name: "has_type".to_string(),
                args: vec![ty, inst],
                ret: inst,
                partial: false,
                kind: TermKind::HasType,
                span: host.has_type,
            });
        }
        for (op, &span) in env.opcodes.iter().zip(&host.opcodes) {
            let (Some(inst), Some(value)) = (inst, value) else {
                self.error(
                    span,
                    "opcode terms need the types `Inst` and `Value` to be declared",
                );
                break;
            };
            let mut args = vec![value; op.value_args as usize];
            for (_, ty) in &op.immediates {
                match self.host_type(ty, span) {
                    Some(t) => args.push(t),
                    None => continue,
                }
            }
            self.add_term(TermInfo {
                name: op.name.clone(),
                args,
                ret: inst,
                partial: true,
                kind: TermKind::Opcode {
                    opcode: op.opcode,
                    value_args: op.value_args,
                },
                span,
            });
        }
        for (ht, &span) in env.host_terms.into_iter().zip(&host.host_terms) {
            if ht.args.len() > MAX_EXTERN_WORDS {
                self.error(
                    span,
                    format!("host terms take at most {MAX_EXTERN_WORDS} arguments"),
                );
                continue;
            }
            let args: Option<Vec<TypeId>> =
                ht.args.iter().map(|a| self.host_type(a, span)).collect();
            let ret = self.host_type(&ht.ret, span);
            let (Some(args), Some(ret)) = (args, ret) else {
                continue;
            };
            let ext = ExternId(self.out.externs.len() as u32);
            self.out.externs.push(ht.func);
            self.out.extern_names.push(ht.name.clone());
            self.add_term(TermInfo {
                name: ht.name,
                args,
                ret,
                partial: ht.partial,
                kind: TermKind::Decl {
                    ctor: Ctor::Extern(ext),
                    extractor: None,
                },
                span,
            });
        }
        for (c, &span) in env.consts.iter().zip(&host.consts) {
            if let Some(t) = self.host_type(&c.ty, span) {
                self.consts.insert(c.name.clone(), (t, c.value));
            }
        }
        for d in defs {
            match d {
                Def::Decl(decl) => self.decl(decl),
                Def::Const(c) => self.const_def(c),
                _ => {}
            }
        }
        let mut bindings = Bindings {
            sigs: Vec::new(),
            funcs: Vec::new(),
            ids: Vec::new(),
        };
        for b in env.bindings {
            bindings.sigs.push((b.rust_name, b.kind, b.sig));
            bindings.funcs.push(Some(b.func));
            bindings.ids.push(None);
        }
        for d in defs {
            if let Def::Extern(e) = d {
                self.extern_def(e, &mut bindings);
            }
        }
    }

    /// Terms with rules are constructors wherever they are used, whatever the file order.
    /// Marks the terms that rules define as built by rules, and returns the term of every
    /// rule in order (`None`, reported here, for an unknown one).
    pub(super) fn mark_rule_defined(&mut self, defs: &[&Def]) -> Vec<Option<TermId>> {
        let mut heads = Vec::new();
        for d in defs {
            let Def::Rule(r) = d else { continue };
            let Pattern::Term(head, ..) = &r.pattern else {
                heads.push(None);
                continue;
            };
            let Some(&t) = self.out.term_names.get(head.name) else {
                self.error(head.span, format!("unknown term `{}`", head.name));
                heads.push(None);
                continue;
            };
            heads.push(Some(t));
            if let TermKind::Decl {
                ctor: c @ Ctor::None,
                ..
            } = &mut self.out.terms[t.index()].kind
            {
                *c = Ctor::Rules;
            }
        }
        heads
    }

    fn decl(&mut self, d: &ast::Decl) {
        if let Some(span) = d.multi {
            self.error(span, "`multi` terms are not supported");
            return;
        }
        let args: Option<Vec<TypeId>> = d.args.iter().map(|a| self.lookup_type(a)).collect();
        let ret = self.lookup_type(&d.ret);
        let (Some(args), Some(ret)) = (args, ret) else {
            return;
        };
        self.add_term(TermInfo {
            name: d.name.name.to_string(),
            args,
            ret,
            partial: d.partial,
            kind: TermKind::Decl {
                ctor: Ctor::None,
                extractor: None,
            },
            span: d.name.span,
        });
    }

    fn const_def(&mut self, c: &ast::ConstDef) {
        let Some(ty) = self.lookup_type(&c.ty) else {
            return;
        };
        let Some(value) = self.literal(c.value, c.value_span, ty) else {
            return;
        };
        if self
            .consts
            .insert(c.name.name.to_string(), (ty, value))
            .is_some()
        {
            self.error(
                c.name.span,
                format!("constant `${}` is already defined", c.name.name),
            );
        }
    }

    /// The Rust type name an extern must use for DSL type `t`, if `t` can cross to Rust.
    fn rust_name(&self, t: TypeId) -> Option<&str> {
        let info = &self.out.types[t.index()];
        match &info.kind {
            TypeKind::Primitive { rust } => Some(rust),
            TypeKind::Enum { boxed: false, .. } => Some(&info.name),
            TypeKind::Enum { boxed: true, .. } => None,
        }
    }

    fn extern_def(&mut self, e: &ast::ExternDef, bindings: &mut Bindings<H>) {
        let Some(&term) = self.out.term_names.get(e.term.name) else {
            self.error(e.term.span, format!("unknown term `{}`", e.term.name));
            return;
        };
        let info = self.out.terms[term.index()].clone();
        let TermKind::Decl { ctor, extractor } = info.kind else {
            self.error(
                e.term.span,
                format!("`{}` is not a declared term", e.term.name),
            );
            return;
        };
        let want = match e.kind {
            ast::ExternKind::Constructor => BindingKind::Constructor,
            ast::ExternKind::Extractor => BindingKind::Extractor,
        };
        let what = match want {
            BindingKind::Constructor => "constructor",
            BindingKind::Extractor => "extractor",
        };
        if (want == BindingKind::Constructor && ctor != Ctor::None)
            || (want == BindingKind::Extractor && extractor.is_some())
        {
            self.error(
                e.span,
                format!("term `{}` already has an extern {what}", info.name),
            );
            return;
        }
        let Some(idx) = bindings
            .sigs
            .iter()
            .position(|(name, kind, _)| *name == e.rust.name && *kind == want)
        else {
            self.error(
                e.rust.span,
                format!(
                    "extern {what} `{}` has no Rust binding in the term environment",
                    e.rust.name
                ),
            );
            return;
        };
        let sig = bindings.sigs[idx].2.clone();
        let (want_args, want_rets): (Vec<TypeId>, Vec<TypeId>) = match want {
            BindingKind::Constructor => (info.args.clone(), vec![info.ret]),
            BindingKind::Extractor => (vec![info.ret], info.args.clone()),
        };
        let mut ok = true;
        for (role, want, have) in [
            ("argument", &want_args, &sig.args),
            ("result", &want_rets, &sig.rets),
        ] {
            if want.len() != have.len() {
                self.error(
                    e.rust.span,
                    format!(
                        "`{}` has {} {role}s in Rust but the {what} `{}` needs {}",
                        e.rust.name,
                        have.len(),
                        info.name,
                        want.len()
                    ),
                );
                ok = false;
                continue;
            }
            for (i, (&t, &r)) in want.iter().zip(have.iter()).enumerate() {
                match self.rust_name(t) {
                    Some(n) if n == r => {}
                    Some(n) => {
                        let msg = format!(
                            "{role} {} of `{}` is `{}` (Rust `{n}`) but the Rust binding `{}` uses `{r}`",
                            i + 1,
                            info.name,
                            self.type_name(t),
                            e.rust.name
                        );
                        self.error(e.rust.span, msg);
                        ok = false;
                    }
                    None => {
                        let msg = format!(
                            "`{}` is an enum with fields and cannot cross to Rust",
                            self.type_name(t)
                        );
                        self.error(e.rust.span, msg);
                        ok = false;
                    }
                }
            }
        }
        if want == BindingKind::Constructor && sig.fallible && !info.partial {
            self.error(
                e.rust.span,
                format!(
                    "`{}` can fail (returns `Option`) but `{}` is not declared `partial`",
                    e.rust.name, info.name
                ),
            );
            ok = false;
        }
        if !ok {
            return;
        }
        let ext = match (bindings.ids[idx], bindings.funcs[idx].take()) {
            (Some(ext), _) => ext,
            (None, Some(func)) => {
                let ext = ExternId(self.out.externs.len() as u32);
                self.out.externs.push(func);
                self.out.extern_names.push(e.rust.name.to_string());
                bindings.ids[idx] = Some(ext);
                ext
            }
            (None, None) => unreachable!("a binding's function is moved out only with its id set"),
        };
        if let TermKind::Decl { ctor, extractor } = &mut self.out.terms[term.index()].kind {
            match want {
                BindingKind::Constructor => *ctor = Ctor::Extern(ext),
                BindingKind::Extractor => *extractor = Some(ext),
            }
        }
    }
}
