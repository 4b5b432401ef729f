//! Name resolution and type checking: turns the AST of all files of a program, plus the
//! host's [`TermEnv`], into a [`Checked`] program of resolved types, terms and rules (see
//! [`program`](super::program)). Every problem found is a located [`Diagnostic`]; checking goes
//! on after an error so that one run reports as much as it can.

use super::ast::{self, Def, Expr, Guard, Pattern};
use super::diag::{Diagnostic, Span};
use super::env::{ExternFn, TermEnv};
use super::program::*;

/// Most tests one rule may make. The match-tree compiler recurses once per test of a rule,
/// so this bounds its stack use; real rules make a few dozen at most.
pub const MAX_RULE_STEPS: usize = 512;

/// The result of checking: everything later stages need.
pub struct Checked<H> {
    pub types: Vec<TypeInfo>,
    pub terms: Vec<TermInfo>,
    pub rules: Vec<CRule>,
    /// Frame of every term (empty for terms without rules).
    pub frames: Vec<TermFrame>,
    /// Rules of every term, in definition order.
    pub rules_of: Vec<Vec<RuleId>>,
    pub externs: Vec<ExternFn<H>>,
    pub extern_names: Vec<String>,
    /// Every term by name, in declaration order (types' variants where the type is declared,
    /// host terms, then `decl`s in file order).
    pub term_names: OrderedMap<String, TermId>,
    /// Names of the constants of type `Type`, by value (to write `$I64` in examples).
    pub type_const_names: FastMap<u64, String>,
}

/// Spans of the host-registered entries in the synthetic `<host>` file, in registration
/// order: opcodes, then host terms, then constants.
pub struct HostSpans {
    /// The built-in `has_type` term.
    pub has_type: Span,
    pub opcodes: Vec<Span>,
    pub host_terms: Vec<Span>,
    pub consts: Vec<Span>,
}

/// Checker state shared by declarations ([`decls`](super::decls)) and rules (here).
pub(super) struct Sema<'a, H> {
    pub(super) out: Checked<H>,
    pub(super) diags: &'a mut Vec<Diagnostic>,
    pub(super) type_names: OrderedMap<String, TypeId>,
    pub(super) consts: OrderedMap<String, (TypeId, u64)>,
    /// The type whose primitive is Rust `bool` (what `(if …)` tests), if declared.
    pub(super) bool_ty: Option<TypeId>,
    /// The type `Value`, if declared (opcode patterns on it match the defining instruction).
    pub(super) value_ty: Option<TypeId>,
    /// Per type: the range of integer literals it accepts (`None` for enums), so checking a
    /// literal does not compare Rust type names. Pushed beside `out.types`.
    pub(super) literal_ranges: Vec<Option<(i128, i128)>>,
    /// Scratch space reused from rule to rule: the steps of the rule being checked, and their
    /// sort keys.
    steps: Vec<Step>,
    sorted: Vec<Step>,
    keyed: Vec<(u64, u32)>,
}

/// A pattern or `let` variable in scope while checking one rule (its name borrowed from the
/// source text).
struct Var<'s> {
    name: &'s str,
    ty: TypeId,
    span: Span,
    used: bool,
    place: Place,
}

#[derive(Clone, Copy)]
enum Place {
    Slot(Slot),
    Local(u32),
}

struct RuleCtx<'s> {
    term: TermId,
    vars: Vec<Var<'s>>,
    steps: Vec<Step>,
    /// Beside `steps`: the pattern or guard each step comes from.
    spans: Vec<Span>,
    locals: u32,
    /// Where a call to a partial term may fail: in guards yes; in the right-hand side only
    /// if the rule's own term is partial.
    in_guard: bool,
}

impl RuleCtx<'_> {
    fn push(&mut self, step: Step, span: Span) {
        self.steps.push(step);
        self.spans.push(span);
    }
}

/// Checks a whole program. Returns `None` when any error was reported.
pub fn check<H>(
    files: &[Vec<Def>],
    env: TermEnv<H>,
    host: &HostSpans,
    diags: &mut Vec<Diagnostic>,
) -> Option<Checked<H>> {
    let mut s = Sema {
        out: Checked {
            types: Vec::new(),
            terms: Vec::new(),
            rules: Vec::new(),
            frames: Vec::new(),
            rules_of: Vec::new(),
            externs: Vec::new(),
            extern_names: Vec::new(),
            term_names: OrderedMap::default(),
            type_const_names: FastMap::default(),
        },
        diags,
        type_names: OrderedMap::default(),
        consts: OrderedMap::default(),
        bool_ty: None,
        value_ty: None,
        literal_ranges: Vec::new(),
        steps: Vec::new(),
        sorted: Vec::new(),
        keyed: Vec::new(),
    };
    let errors_before = s.diags.iter().filter(|d| d.is_error()).count();
    let defs: Vec<&Def> = files.iter().flatten().collect();
    s.declare_types(&defs);
    s.value_ty = s.type_names.get("Value").copied();
    s.declare_host(env, host, &defs);
    // The term each rule defines (found once, here), and how many rules each term has.
    let heads = s.mark_rule_defined(&defs);
    s.out.rules.reserve(heads.len());
    let mut rule_counts = vec![0u32; s.out.terms.len()];
    for t in heads.iter().flatten() {
        rule_counts[t.index()] += 1;
    }
    if let Some(&ty) = s.type_names.get("Type") {
        for (name, &(t, value)) in &s.consts {
            if t == ty {
                let names = &mut s.out.type_const_names;
                let keep = names
                    .get(&value)
                    .is_some_and(|n| n.as_str() <= name.as_str());
                if !keep {
                    names.insert(value, name.clone());
                }
            }
        }
    }
    let mut vars = Vec::new();
    let rules = defs.iter().filter_map(|d| match d {
        Def::Rule(r) => Some(r),
        _ => None,
    });
    for (r, head) in rules.zip(heads) {
        if let Some(term) = head {
            s.rule(r, term, rule_counts[term.index()], &mut vars);
        }
    }
    let errors_after = s.diags.iter().filter(|d| d.is_error()).count();
    (errors_after == errors_before).then_some(s.out)
}

impl<H> Sema<'_, H> {
    pub(super) fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    pub(super) fn type_name(&self, t: TypeId) -> &str {
        &self.out.types[t.index()].name
    }

    pub(super) fn lookup_type(&mut self, id: &ast::Ident) -> Option<TypeId> {
        let t = self.type_names.get(id.name).copied();
        if t.is_none() {
            self.error(id.span, format!("unknown type `{}`", id.name));
        }
        t
    }

    pub(super) fn add_term(&mut self, info: TermInfo) -> Option<TermId> {
        if let Some(&prev) = self.out.term_names.get(&info.name) {
            let prev_span = self.out.terms[prev.index()].span;
            self.diags.push(
                Diagnostic::error(
                    info.span,
                    format!("term `{}` is already defined", info.name),
                )
                .with_note(prev_span, "first defined here"),
            );
            return None;
        }
        let id = TermId(self.out.terms.len() as u32);
        self.out.term_names.insert(info.name.clone(), id);
        self.out.terms.push(info);
        self.out.frames.push(TermFrame::default());
        self.out.rules_of.push(Vec::new());
        Some(id)
    }

    /// Checks that integer `v` fits type `t`; returns its word.
    pub(super) fn literal(&mut self, v: i128, span: Span, t: TypeId) -> Option<u64> {
        let Some((lo, hi)) = self.literal_ranges[t.index()] else {
            let name = &self.out.types[t.index()].name;
            let msg = format!("integer literal where the enum `{name}` is expected");
            self.error(span, msg);
            return None;
        };
        if v < lo || v > hi {
            let msg = format!("literal {v} does not fit in `{}`", self.type_name(t));
            self.error(span, msg);
            return None;
        }
        Some(v as u64)
    }

    /// Checks rule `r` of `term` (which has `term_rules` rules in all), with `vars` as
    /// scratch space for its variables.
    fn rule<'s>(
        &mut self,
        r: &ast::Rule<'s>,
        term: TermId,
        term_rules: u32,
        vars: &mut Vec<Var<'s>>,
    ) {
        let Pattern::Term(head, args, pspan) = &r.pattern else {
            return;
        };
        let info = &self.out.terms[term.index()];
        let (kind, arity, partial, ret) = (info.kind, info.args.len(), info.partial, info.ret);
        match kind {
            TermKind::Decl {
                ctor: Ctor::None | Ctor::Rules,
                ..
            } => {}
            TermKind::Decl {
                ctor: Ctor::Extern(_),
                ..
            } => {
                self.error(
                    head.span,
                    format!(
                        "term `{}` has an extern constructor and cannot also have rules",
                        head.name
                    ),
                );
                return;
            }
            _ => {
                self.error(
                    head.span,
                    format!("`{}` cannot be defined by rules", head.name),
                );
                return;
            }
        }
        if args.len() != arity {
            self.error(
                *pspan,
                format!(
                    "term `{}` takes {} arguments, found {}",
                    head.name,
                    arity,
                    args.len()
                ),
            );
            return;
        }
        let prio = match r.prio {
            None => 0,
            Some((p, span)) => match i32::try_from(p) {
                Ok(p) => p,
                Err(_) => {
                    self.error(span, format!("priority {p} is out of range"));
                    return;
                }
            },
        };
        if self.out.frames[term.index()].slot_count() == 0 {
            self.out.frames[term.index()] = TermFrame::new(arity, term_rules as usize);
        }
        let diags_before = self.diags.len();
        let mut steps = std::mem::take(&mut self.steps);
        steps.clear();
        vars.clear();
        let mut cx = RuleCtx {
            term,
            vars: std::mem::take(vars),
            steps,
            spans: Vec::with_capacity(16),
            locals: 0,
            in_guard: true,
        };
        for (i, p) in args.iter().enumerate() {
            let t = self.out.terms[term.index()].args[i];
            self.pattern(&mut cx, p, Slot(i as u32), t);
        }
        // Guards come after the pattern in source order (they may read any pattern variable).
        // Extern extractors (host calls that cannot be switched on) go after the other tests,
        // together with the tests of what they bind: rules then share and switch on their
        // opcode and literal tests before any extractor runs.
        // (The keys are computed once, packed in a word: late, then the slot, then the kind;
        // the index keeps the sort stable.)
        let frame = &self.out.frames[term.index()];
        self.keyed.clear();
        self.keyed.extend(cx.steps.iter().enumerate().map(|(i, s)| {
            let late = match *s {
                Step::Extract { .. } => true,
                Step::Eq { a, b } => frame.under_extractor(a) || frame.under_extractor(b),
                Step::Eval { .. } => false,
                _ => frame.under_extractor(Slot(s.order_key().0)),
            };
            let (slot, kind) = s.order_key();
            let key = (u64::from(late) << 40) | (u64::from(slot) << 8) | u64::from(kind);
            (key, i as u32)
        }));
        self.keyed.sort_unstable();
        let mut sorted = std::mem::take(&mut self.sorted);
        sorted.clear();
        sorted.extend(self.keyed.iter().map(|k| cx.steps[k.1 as usize]));
        std::mem::swap(&mut cx.steps, &mut sorted);
        cx.spans = self.keyed.iter().map(|k| cx.spans[k.1 as usize]).collect();
        self.sorted = sorted;
        for g in r.guards {
            match g {
                Guard::IfLet(p, e, _) => {
                    if let Some((t, id)) = self.expr(&mut cx, e, None) {
                        let out = self.frame(term).slot(SlotOrigin::Expr(id));
                        cx.push(Step::Eval { expr: id, out }, e.span());
                        self.pattern(&mut cx, p, out, t);
                    }
                }
                Guard::If(e, gspan) => {
                    if let Some((t, id)) = self.expr(&mut cx, e, None) {
                        let out = self.frame(term).slot(SlotOrigin::Expr(id));
                        cx.push(Step::Eval { expr: id, out }, e.span());
                        if Some(t) == self.bool_ty {
                            cx.push(Step::IsTrue { slot: out }, *gspan);
                        }
                    }
                }
            }
        }
        cx.in_guard = partial;
        let body = self.expr(&mut cx, &r.body, Some(ret));
        for v in &cx.vars {
            if !v.used && !v.name.starts_with('_') {
                self.diags.push(Diagnostic::warning(
                    v.span,
                    format!(
                        "unused variable `{}` (prefix it with `_` if that is intended)",
                        v.name
                    ),
                ));
            }
        }
        let frame = &mut self.out.frames[term.index()];
        frame.max_locals = frame.max_locals.max(cx.locals);
        if cx.steps.len() > MAX_RULE_STEPS {
            self.error(
                *pspan,
                format!("rule makes more than {MAX_RULE_STEPS} tests; split it into helper terms"),
            );
        }
        let new_errors = self.diags[diags_before..].iter().any(|d| d.is_error());
        *vars = cx.vars;
        let Some((_, body)) = body else { return };
        if new_errors {
            return;
        }
        let id = RuleId(self.out.rules.len() as u32);
        self.out.rules_of[term.index()].push(id);
        self.out.rules.push(CRule {
            term,
            prio,
            steps: cx.steps.clone(),
            spans: std::mem::take(&mut cx.spans),
            body,
            name: r.name.as_ref().map(|n| n.name.to_string()),
            span: r.span,
            pattern_span: *pspan,
        });
        self.steps = cx.steps;
    }

    fn frame(&mut self, t: TermId) -> &mut TermFrame {
        &mut self.out.frames[t.index()]
    }

    fn type_mismatch(&mut self, span: Span, what: &str, found: TypeId, expected: TypeId) {
        let msg = format!(
            "type mismatch: {what} is `{}` but `{}` is expected here",
            self.type_name(found),
            self.type_name(expected)
        );
        self.error(span, msg);
    }

    fn pattern<'s>(&mut self, cx: &mut RuleCtx<'s>, p: &Pattern<'s>, slot: Slot, ty: TypeId) {
        match p {
            Pattern::Wildcard(_) => {}
            Pattern::Var(v) => self.bind_var(cx, v, slot, ty),
            Pattern::Bind(v, sub) => {
                self.bind_var(cx, v, slot, ty);
                self.pattern(cx, sub, slot, ty);
            }
            Pattern::Int(n, span) => {
                if let Some(value) = self.literal(*n, *span, ty) {
                    cx.push(Step::Lit { slot, value }, *span);
                }
            }
            Pattern::Const(c) => {
                if let Some((t, value)) = self.constant(c) {
                    if t == ty {
                        cx.push(Step::Lit { slot, value }, c.span);
                    } else {
                        self.type_mismatch(c.span, &format!("`${}`", c.name), t, ty);
                    }
                }
            }
            Pattern::And(ps, _) => {
                for sub in *ps {
                    self.pattern(cx, sub, slot, ty);
                }
            }
            Pattern::Term(head, args, span) => self.extractor(cx, head, args, *span, slot, ty),
        }
    }

    fn constant(&mut self, c: &ast::Ident) -> Option<(TypeId, u64)> {
        let k = self.consts.get(c.name).copied();
        if k.is_none() {
            self.error(c.span, format!("unknown constant `${}`", c.name));
        }
        k
    }

    fn bind_var<'s>(&mut self, cx: &mut RuleCtx<'s>, v: &ast::Ident<'s>, slot: Slot, ty: TypeId) {
        if let Some(prev) = cx.vars.iter_mut().rev().find(|x| x.name == v.name) {
            prev.used = true;
            let (prev_ty, place) = (prev.ty, prev.place);
            if prev_ty != ty {
                self.type_mismatch(v.span, &format!("`{}`", v.name), prev_ty, ty);
                return;
            }
            if let Place::Slot(a) = place {
                if a != slot {
                    let eq = Step::Eq {
                        a: a.min(slot),
                        b: a.max(slot),
                    };
                    cx.push(eq, v.span);
                }
            }
            return;
        }
        cx.vars.push(Var {
            name: v.name,
            ty,
            span: v.span,
            used: false,
            place: Place::Slot(slot),
        });
    }

    fn extractor<'s>(
        &mut self,
        cx: &mut RuleCtx<'s>,
        head: &ast::Ident<'s>,
        args: &[Pattern<'s>],
        span: Span,
        slot: Slot,
        ty: TypeId,
    ) {
        let Some(&t) = self.out.term_names.get(head.name) else {
            self.error(head.span, format!("unknown term `{}`", head.name));
            return;
        };
        let info = &self.out.terms[t.index()];
        let (ret, kind, arity) = (info.ret, info.kind, info.args.len());
        if args.len() != arity {
            self.error(
                span,
                format!(
                    "term `{}` takes {} arguments, found {}",
                    head.name,
                    arity,
                    args.len()
                ),
            );
            return;
        }
        let value_ty = self.value_ty;
        let mut on = slot;
        match kind {
            TermKind::Opcode { .. } if Some(ty) == value_ty && ty != ret => {
                let inst = self.frame(cx.term).slot(SlotOrigin::DefInst(slot));
                cx.push(Step::DefInst { value: slot, inst }, span);
                on = inst;
            }
            _ if ty != ret => {
                let msg = format!(
                    "type mismatch: `{}` matches a `{}` but the value here is a `{}`",
                    head.name,
                    self.type_name(ret),
                    self.type_name(ty)
                );
                self.error(head.span, msg);
                return;
            }
            _ => {}
        }
        let n = args.len();
        match kind {
            TermKind::Opcode { .. } => {
                let out = self.frame(cx.term).outputs(on, t, n, false);
                cx.push(
                    Step::Opcode {
                        inst: on,
                        term: t,
                        out,
                    },
                    span,
                );
                self.sub_patterns(cx, args, out, t);
            }
            TermKind::Variant { .. } => {
                let out = self.frame(cx.term).outputs(on, t, n, false);
                cx.push(
                    Step::Variant {
                        value: on,
                        term: t,
                        out,
                    },
                    span,
                );
                self.sub_patterns(cx, args, out, t);
            }
            TermKind::HasType => {
                let out = self.frame(cx.term).slot(SlotOrigin::CtrlType(on));
                cx.push(Step::CtrlType { inst: on, out }, span);
                let tys = &self.out.terms[t.index()].args;
                let (ty0, ty1) = (tys[0], tys[1]);
                self.pattern(cx, &args[0], out, ty0);
                self.pattern(cx, &args[1], on, ty1);
            }
            TermKind::Decl {
                extractor: Some(_), ..
            } => {
                let out = self.frame(cx.term).outputs(on, t, n, true);
                cx.push(
                    Step::Extract {
                        value: on,
                        term: t,
                        out,
                    },
                    span,
                );
                self.sub_patterns(cx, args, out, t);
            }
            TermKind::Decl {
                extractor: None, ..
            } => {
                self.error(
                    head.span,
                    format!(
                        "term `{}` has no extractor and cannot be used in a pattern",
                        head.name
                    ),
                );
            }
        }
    }

    /// Matches `args` against the outputs (starting at `out`) of extractor `term`.
    fn sub_patterns<'s>(
        &mut self,
        cx: &mut RuleCtx<'s>,
        args: &[Pattern<'s>],
        out: Slot,
        term: TermId,
    ) {
        for (i, p) in args.iter().enumerate() {
            let t = self.out.terms[term.index()].args[i];
            self.pattern(cx, p, Slot(out.0 + i as u32), t);
        }
    }

    /// Checks an expression against `expected` (needed for literals) and interns it.
    fn expr<'s>(
        &mut self,
        cx: &mut RuleCtx<'s>,
        e: &Expr<'s>,
        expected: Option<TypeId>,
    ) -> Option<(TypeId, ExprId)> {
        let (ty, ce) = match e {
            Expr::Var(v) => {
                let Some(var) = cx.vars.iter_mut().rev().find(|x| x.name == v.name) else {
                    self.error(v.span, format!("unbound variable `{}`", v.name));
                    return None;
                };
                var.used = true;
                let ce = match var.place {
                    Place::Slot(s) => CExpr::Slot(s),
                    Place::Local(l) => CExpr::Local(l),
                };
                (var.ty, ce)
            }
            Expr::Int(n, span) => {
                let Some(t) = expected else {
                    self.error(*span, "cannot tell the type of this literal here");
                    return None;
                };
                (t, CExpr::Const(self.literal(*n, *span, t)?))
            }
            Expr::Const(c) => {
                let (t, v) = self.constant(c)?;
                (t, CExpr::Const(v))
            }
            Expr::Call(head, args, span) => self.call(cx, head, args, *span)?,
            Expr::Let(binds, body, _) => {
                let scope = cx.vars.len();
                let mut cbinds = Vec::new();
                for b in *binds {
                    let t = self.lookup_type(&b.ty);
                    let value = self.expr(cx, &b.value, t);
                    let (Some(t), Some((_, value))) = (t, value) else {
                        cx.vars.truncate(scope);
                        return None;
                    };
                    let local = cx.locals;
                    cx.locals += 1;
                    cbinds.push((local, value));
                    cx.vars.push(Var {
                        name: b.var.name,
                        ty: t,
                        span: b.var.span,
                        used: false,
                        place: Place::Local(local),
                    });
                }
                let body = self.expr(cx, body, expected);
                for v in cx.vars.drain(scope..) {
                    if !v.used && !v.name.starts_with('_') {
                        self.diags.push(Diagnostic::warning(
                            v.span,
                            format!(
                                "unused variable `{}` (prefix it with `_` if that is intended)",
                                v.name
                            ),
                        ));
                    }
                }
                let (t, body) = body?;
                (
                    t,
                    CExpr::Let {
                        binds: cbinds,
                        body,
                    },
                )
            }
        };
        if let Some(want) = expected {
            if want != ty {
                self.type_mismatch(e.span(), "this expression", ty, want);
                return None;
            }
        }
        Some((ty, self.frame(cx.term).expr(ce)))
    }

    fn call<'s>(
        &mut self,
        cx: &mut RuleCtx<'s>,
        head: &ast::Ident<'s>,
        args: &[Expr<'s>],
        span: Span,
    ) -> Option<(TypeId, CExpr)> {
        let Some(&t) = self.out.term_names.get(head.name) else {
            self.error(head.span, format!("unknown term `{}`", head.name));
            return None;
        };
        let info = &self.out.terms[t.index()];
        let (kind, arity, partial, ret) = (info.kind, info.args.len(), info.partial, info.ret);
        let can_build = match kind {
            TermKind::Decl { ctor, .. } => ctor != Ctor::None,
            TermKind::Variant { .. } => true,
            TermKind::Opcode { .. } | TermKind::HasType => false,
        };
        if !can_build {
            self.error(
                head.span,
                format!(
                    "term `{}` has no constructor (no rules and no extern constructor)",
                    head.name
                ),
            );
            return None;
        }
        if args.len() != arity {
            self.error(
                span,
                format!(
                    "term `{}` takes {} arguments, found {}",
                    head.name,
                    arity,
                    args.len()
                ),
            );
            return None;
        }
        if partial && !cx.in_guard {
            let rule_term = self.out.terms[cx.term.index()].name.clone();
            self.error(
                head.span,
                format!(
                    "`{}` is partial and may fail here; call it in an `if-let` or declare `{rule_term}` partial",
                    head.name
                ),
            );
            return None;
        }
        let mut cargs = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let at = self.out.terms[t.index()].args[i];
            cargs.push(self.expr(cx, a, Some(at))?.1);
        }
        if t == cx.term {
            let frame = &self.out.frames[t.index()];
            let forwards = cargs
                .iter()
                .enumerate()
                .all(|(i, &a)| frame.exprs[a.index()] == CExpr::Slot(Slot(i as u32)));
            if forwards {
                self.error(
                    head.span,
                    format!(
                        "infinite recursion: `{}` calls itself with its own arguments",
                        head.name
                    ),
                );
                return None;
            }
        }
        Some((
            ret,
            CExpr::Call {
                term: t,
                args: cargs,
            },
        ))
    }
}
