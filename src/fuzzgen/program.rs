//! The generator's own form of a module of CLIF functions: blocks of instruction lines over
//! numbered values, with the uses of each line recorded, and the module's configuration (its
//! `set` lines and CPU features). It prints as CLIF text (which both rulesel's parser and
//! Cranelift's reader take), and it is what the minimiser edits: every edit keeps the module
//! valid because values are never renamed and a line is only replaced by a constant of the same
//! type or dropped when nothing uses it.

use crate::isa::x64::cpuid::TargetFeatures;
use std::fmt::{self, Write as _};

/// A value type the generator uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Ty {
    I8,
    I16,
    I32,
    I64,
    I128,
    F32,
    F64,
}

impl Ty {
    pub const INTS: [Ty; 5] = [Ty::I8, Ty::I16, Ty::I32, Ty::I64, Ty::I128];
    /// The integer types that fit in one register.
    pub const NARROW_INTS: [Ty; 4] = [Ty::I8, Ty::I16, Ty::I32, Ty::I64];
    pub const FLOATS: [Ty; 2] = [Ty::F32, Ty::F64];
    pub const ALL: [Ty; 7] = [
        Ty::I8,
        Ty::I16,
        Ty::I32,
        Ty::I64,
        Ty::I128,
        Ty::F32,
        Ty::F64,
    ];

    pub fn bits(self) -> u32 {
        match self {
            Ty::I8 => 8,
            Ty::I16 => 16,
            Ty::I32 | Ty::F32 => 32,
            Ty::I64 | Ty::F64 => 64,
            Ty::I128 => 128,
        }
    }

    pub fn bytes(self) -> u32 {
        self.bits() / 8
    }

    pub fn is_float(self) -> bool {
        matches!(self, Ty::F32 | Ty::F64)
    }

    /// The integer type of `bits` bits.
    pub fn int(bits: u32) -> Option<Ty> {
        Some(match bits {
            8 => Ty::I8,
            16 => Ty::I16,
            32 => Ty::I32,
            64 => Ty::I64,
            128 => Ty::I128,
            _ => return None,
        })
    }

    /// The CLIF name (`i32`, `f64`).
    pub fn name(self) -> &'static str {
        match self {
            Ty::I8 => "i8",
            Ty::I16 => "i16",
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::I128 => "i128",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
        }
    }

    /// Lines defining `v` as zero of this type (what the minimiser puts in place of a line);
    /// an i128 zero extends an i64 zero defined in `temp`.
    pub fn zero_text(self, v: Val, temp: Val) -> String {
        match self {
            Ty::F32 => format!("{v} = f32const 0x0.0"),
            Ty::F64 => format!("{v} = f64const 0x0.0"),
            Ty::I128 => format!("{temp} = iconst.i64 0\n    {v} = uextend.i128 {temp}"),
            int => format!("{v} = iconst.{} 0", int.name()),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A calling convention a generated function may use.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Conv {
    SystemV,
    Fast,
    Tail,
    WindowsFastcall,
    PreserveAll,
    Winch,
}

impl Conv {
    pub const ALL: [Conv; 6] = [
        Conv::SystemV,
        Conv::Fast,
        Conv::Tail,
        Conv::WindowsFastcall,
        Conv::PreserveAll,
        Conv::Winch,
    ];

    /// The CLIF name.
    pub fn name(self) -> &'static str {
        match self {
            Conv::SystemV => "system_v",
            Conv::Fast => "fast",
            Conv::Tail => "tail",
            Conv::WindowsFastcall => "windows_fastcall",
            Conv::PreserveAll => "preserve_all",
            Conv::Winch => "winch",
        }
    }
}

/// How a narrow integer parameter or result is widened at the ABI boundary.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Ext {
    None,
    Uext,
    Sext,
}

/// One parameter or result of a signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Param {
    pub ty: Ty,
    pub ext: Ext,
    /// The `vmctx` parameter (an `i64` that global values are based on).
    pub vmctx: bool,
}

impl Param {
    pub fn plain(ty: Ty) -> Param {
        Param {
            ty,
            ext: Ext::None,
            vmctx: false,
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ty.name())?;
        match self.ext {
            Ext::None => {}
            Ext::Uext => f.write_str(" uext")?,
            Ext::Sext => f.write_str(" sext")?,
        }
        if self.vmctx {
            f.write_str(" vmctx")?;
        }
        Ok(())
    }
}

/// A function signature.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sig {
    pub params: Vec<Param>,
    pub returns: Vec<Param>,
    pub conv: Conv,
}

impl Sig {
    pub fn param_types(&self) -> Vec<Ty> {
        self.params.iter().map(|p| p.ty).collect()
    }

    pub fn return_types(&self) -> Vec<Ty> {
        self.returns.iter().map(|p| p.ty).collect()
    }
}

impl Sig {
    /// `(i64, f32 vmctx) -> i8 uext tail`, the convention always written: both readers take a
    /// signature without one as `fast`.
    pub fn text(&self) -> String {
        let list = |ps: &[Param]| ps.iter().map(Param::to_string).collect::<Vec<_>>();
        let mut s = format!("({})", list(&self.params).join(", "));
        if !self.returns.is_empty() {
            write!(s, " -> {}", list(&self.returns).join(", ")).unwrap();
        }
        write!(s, " {}", self.conv.name()).unwrap();
        s
    }
}

impl fmt::Display for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// A value number: printed `vN`, unique within a function.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub struct Val(pub u32);

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// A block number: printed `blockN`, an index into [`Func::blocks`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub struct BlockId(pub u32);

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block{}", self.0)
    }
}

/// One instruction line.
#[derive(Clone, Debug)]
pub struct Line {
    /// The values it defines, with their types.
    pub defs: Vec<(Val, Ty)>,
    /// The values it reads.
    pub uses: Vec<Val>,
    /// The CLIF text, `v3 = iadd v1, v2`.
    pub text: String,
    /// It writes memory or state (a store, a call, `set_pinned_reg`): it may not be dropped
    /// as dead.
    pub effect: bool,
    /// The minimiser leaves it alone: an address (`stack_addr`, `symbol_value`; zero would make
    /// its users touch memory nobody owns) or the zeroing of a slot (without it, loads would
    /// read whatever the hardware left there, which the interpreter cannot know).
    pub keep: bool,
    /// What Cranelift reads in its place, when the line uses an instruction Cranelift 0.135
    /// no longer has (`iadd_imm`, `band_not`, `stack_load`, …): the same computation in the
    /// instructions it has.
    pub oracle: Option<String>,
    /// It refers to function `callee` of the module (a call, or `func_addr`).
    pub callee: Option<usize>,
}

impl Line {
    /// A pure line defining `defs` from `uses`.
    pub fn pure(defs: Vec<(Val, Ty)>, uses: Vec<Val>, text: String) -> Line {
        Line {
            defs,
            uses,
            text,
            effect: false,
            keep: false,
            oracle: None,
            callee: None,
        }
    }
}

/// A branch target with its arguments.
#[derive(Clone, Debug)]
pub struct Target {
    pub block: BlockId,
    pub args: Vec<Val>,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.block)?;
        if !self.args.is_empty() {
            let args: Vec<String> = self.args.iter().map(Val::to_string).collect();
            write!(f, "({})", args.join(", "))?;
        }
        Ok(())
    }
}

/// How a block ends.
#[derive(Clone, Debug)]
pub enum Term {
    Jump(Target),
    Brif(Val, Target, Target),
    /// `br_table index, default, [targets]`; the targets take no arguments.
    BrTable(Val, BlockId, Vec<BlockId>),
    Return(Vec<Val>),
    /// Any other terminator: a tail call or a trap, as text with its uses (and the module
    /// function it names, for a `return_call`).
    Other {
        text: String,
        uses: Vec<Val>,
        callee: Option<usize>,
    },
    /// `try_call` or `try_call_indirect` of module function `callee`, whose results reach
    /// `normal`'s parameters. Generated callees never throw, so Cranelift's interpreter (which
    /// has no `try_call`) reads `rets = call …; jump normal(rets)` in its place.
    TryCall(TryCall),
}

/// A `try_call` terminator; see [`Term::TryCall`].
#[derive(Clone, Debug)]
pub struct TryCall {
    /// The callee and its arguments: `fn2(v1, v3)`, or `v7(v1, v3)` through an address.
    pub call: String,
    pub indirect: bool,
    /// The callee's signature reference (`sigN`).
    pub sig_ref: usize,
    pub uses: Vec<Val>,
    pub callee: usize,
    /// The block the call returns to; it takes the results as its parameters.
    pub normal: BlockId,
    /// The values the interpreter's plain call defines, one per result.
    pub rets: Vec<Val>,
    /// The exception table: (tag or `None` for `default`, handler block, how many payload
    /// values (`exn0`, …) the handler takes).
    pub handlers: Vec<(Option<u32>, BlockId, usize)>,
}

impl TryCall {
    /// What the interpreter reads: a plain call and a jump.
    pub fn oracle_text(&self) -> String {
        let rets: Vec<String> = self.rets.iter().map(Val::to_string).collect();
        let call = if self.indirect {
            format!("call_indirect sig{}, {}", self.sig_ref, self.call)
        } else {
            format!("call {}", self.call)
        };
        let call = if rets.is_empty() {
            call
        } else {
            format!("{} = {call}", rets.join(", "))
        };
        let target = Target {
            block: self.normal,
            args: self.rets.clone(),
        };
        format!("{call}\n    jump {target}")
    }
}

impl fmt::Display for TryCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.indirect {
            "try_call_indirect"
        } else {
            "try_call"
        };
        let rets: Vec<String> = (0..self.rets.len()).map(|i| format!("ret{i}")).collect();
        let normal = if rets.is_empty() {
            self.normal.to_string()
        } else {
            format!("{}({})", self.normal, rets.join(", "))
        };
        let handlers: Vec<String> = self
            .handlers
            .iter()
            .map(|&(tag, block, payloads)| {
                let tag = tag.map_or("default".to_string(), |t| format!("tag{t}"));
                let exn: Vec<String> = (0..payloads).map(|i| format!("exn{i}")).collect();
                if exn.is_empty() {
                    format!("{tag}: {block}")
                } else {
                    format!("{tag}: {block}({})", exn.join(", "))
                }
            })
            .collect();
        write!(
            f,
            "{op} {}, sig{}, {normal}, [ {} ]",
            self.call,
            self.sig_ref,
            handlers.join(", ")
        )
    }
}

impl Term {
    pub fn uses(&self) -> Vec<Val> {
        match self {
            Term::Jump(t) => t.args.clone(),
            Term::Brif(c, a, b) => std::iter::once(*c)
                .chain(a.args.iter().copied())
                .chain(b.args.iter().copied())
                .collect(),
            Term::BrTable(i, _, _) => vec![*i],
            Term::Return(vals) => vals.clone(),
            Term::Other { uses, .. } => uses.clone(),
            Term::TryCall(t) => t.uses.clone(),
        }
    }

    /// The blocks it may go to.
    pub fn successors(&self) -> Vec<BlockId> {
        match self {
            Term::Jump(t) => vec![t.block],
            Term::Brif(_, a, b) => vec![a.block, b.block],
            Term::BrTable(_, d, ts) => std::iter::once(*d).chain(ts.iter().copied()).collect(),
            Term::Return(_) | Term::Other { .. } => Vec::new(),
            Term::TryCall(t) => std::iter::once(t.normal)
                .chain(t.handlers.iter().map(|&(_, b, _)| b))
                .collect(),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Jump(t) => write!(f, "jump {t}"),
            Term::Brif(c, a, b) => write!(f, "brif {c}, {a}, {b}"),
            Term::BrTable(i, d, ts) => {
                let ts: Vec<String> = ts.iter().map(BlockId::to_string).collect();
                write!(f, "br_table {i}, {d}, [{}]", ts.join(", "))
            }
            Term::Return(vals) => {
                let vals: Vec<String> = vals.iter().map(Val::to_string).collect();
                write!(f, "return {}", vals.join(", "))
            }
            Term::Other { text, .. } => f.write_str(text),
            Term::TryCall(t) => t.fmt(f),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Block {
    pub params: Vec<(Val, Ty)>,
    pub lines: Vec<Line>,
    pub term: Term,
}

/// A stack slot: its size and alignment (log2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Slot {
    pub size: u32,
    pub align_log2: u8,
}

/// Which compiler builds a function in a differential run: rulesel, or Cranelift itself (so
/// that calls between the two check that rulesel's code follows Cranelift's calling
/// conventions).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Compiler {
    Rulesel,
    Cranelift,
}

/// One generated function. Block 0 is the entry; its parameters are the function's.
#[derive(Clone, Debug)]
pub struct Func {
    /// The name without `%`: `f0`.
    pub name: String,
    pub sig: Sig,
    pub slots: Vec<Slot>,
    /// The module functions it may refer to, as `fn0`, `fn1`, … in this order.
    pub callees: Vec<usize>,
    /// The signatures it declares, as `sig0`, `sig1`, … (for indirect calls).
    pub sigs: Vec<Sig>,
    /// Global value declarations, `gv0 = vmctx` …, in order.
    pub globals: Vec<String>,
    /// The global value the stack limit is read from (`stack_limit = gvN`), if any.
    pub stack_limit: Option<u32>,
    pub blocks: Vec<Block>,
    pub compiler: Compiler,
    /// A value number no line uses yet (the minimiser takes temporaries from here).
    pub next_val: u32,
    /// It uses something only rulesel compiles (a 32-bit address in cold code), so Cranelift
    /// is never chosen for it.
    pub rulesel_only: bool,
}

impl Func {
    pub fn params(&self) -> Vec<Ty> {
        self.sig.param_types()
    }

    pub fn returns(&self) -> Vec<Ty> {
        self.sig.return_types()
    }

    /// Blocks reachable from the entry, in a stable order.
    pub fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.blocks.len()];
        let mut work = vec![0usize];
        seen[0] = true;
        while let Some(b) = work.pop() {
            for s in self.blocks[b].term.successors() {
                if !seen[s.0 as usize] {
                    seen[s.0 as usize] = true;
                    work.push(s.0 as usize);
                }
            }
        }
        seen
    }

    /// Every value read by a line or a terminator of a reachable block.
    pub fn used_values(&self) -> std::collections::BTreeSet<Val> {
        let live = self.reachable();
        let mut used = std::collections::BTreeSet::new();
        for (b, block) in self.blocks.iter().enumerate() {
            if !live[b] {
                continue;
            }
            used.extend(block.lines.iter().flat_map(|l| l.uses.iter().copied()));
            used.extend(block.term.uses());
        }
        used
    }

    /// The module functions its reachable lines and terminators refer to.
    pub fn called(&self) -> Vec<usize> {
        let live = self.reachable();
        self.blocks
            .iter()
            .enumerate()
            .filter(|&(b, _)| live[b])
            .flat_map(|(_, block)| {
                let term = match &block.term {
                    Term::Other { callee, .. } => *callee,
                    Term::TryCall(t) => Some(t.callee),
                    _ => None,
                };
                block.lines.iter().filter_map(|l| l.callee).chain(term)
            })
            .collect()
    }
}

/// The settings of a module: `set` lines (name and value) and the CPU features it is compiled
/// for (a subset of the host's, so that the code runs).
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub settings: Vec<(String, String)>,
    pub features: TargetFeatures,
}

impl Config {
    /// The value of setting `name`, if the module sets it.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Is boolean setting `name` set to true?
    pub fn is_on(&self, name: &str) -> bool {
        self.setting(name) == Some("true")
    }

    /// The `set` lines and the `target` line of a run test that compiles the module this way.
    pub fn header(&self) -> String {
        let mut out = String::new();
        for (name, value) in &self.settings {
            writeln!(out, "set {name}={value}").unwrap();
        }
        out.push_str("target x86_64");
        for f in self.features.iter() {
            out.push(' ');
            out.push_str(f.flag_name());
        }
        out.push('\n');
        out
    }
}

/// A module: functions that may call those after them (never themselves or earlier ones, so
/// every call terminates), and the settings they are compiled with.
#[derive(Clone, Debug)]
pub struct Module {
    pub funcs: Vec<Func>,
    pub config: Config,
}

impl Module {
    /// The CLIF text of the functions (unreachable blocks are left out: nothing reachable can
    /// use their values, since they dominate no reachable block).
    pub fn to_clif(&self) -> String {
        self.text(false)
    }

    /// The CLIF text Cranelift reads: [`Module::to_clif`] with each line Cranelift 0.135 has
    /// no instruction for replaced by its equivalent ([`Line::oracle`]).
    pub fn to_oracle_clif(&self) -> String {
        self.text(true)
    }

    fn text(&self, oracle: bool) -> String {
        let mut out = String::new();
        for (i, func) in self.funcs.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            write_func(&mut out, func, self, oracle);
        }
        out
    }

    /// The functions Cranelift compiles in a differential run, by name.
    pub fn cranelift_compiled(&self) -> Vec<&str> {
        self.funcs
            .iter()
            .filter(|f| f.compiler == Compiler::Cranelift)
            .map(|f| f.name.as_str())
            .collect()
    }
}

fn write_func(out: &mut String, func: &Func, module: &Module, oracle: bool) {
    writeln!(out, "function %{}{} {{", func.name, func.sig.text()).unwrap();
    let mut preamble = false;
    for (i, slot) in func.slots.iter().enumerate() {
        write!(out, "    ss{i} = explicit_slot {}", slot.size).unwrap();
        if slot.align_log2 > 0 {
            write!(out, ", align = {}", 1u32 << slot.align_log2).unwrap();
        }
        out.push('\n');
        preamble = true;
    }
    for (i, g) in func.globals.iter().enumerate() {
        writeln!(out, "    gv{i} = {g}").unwrap();
        preamble = true;
    }
    if let Some(gv) = func.stack_limit {
        writeln!(out, "    stack_limit = gv{gv}").unwrap();
    }
    for (i, s) in func.sigs.iter().enumerate() {
        writeln!(out, "    sig{i} = {}", s.text()).unwrap();
        preamble = true;
    }
    for (i, &callee) in func.callees.iter().enumerate() {
        let c = &module.funcs[callee];
        writeln!(out, "    fn{i} = colocated %{}{}", c.name, c.sig.text()).unwrap();
        preamble = true;
    }
    let live = func.reachable();
    for (b, block) in func.blocks.iter().enumerate() {
        if !live[b] {
            continue;
        }
        if b > 0 || preamble {
            out.push('\n');
        }
        write!(out, "block{b}").unwrap();
        if !block.params.is_empty() {
            let ps: Vec<String> = block
                .params
                .iter()
                .map(|(v, t)| format!("{v}: {t}"))
                .collect();
            write!(out, "({})", ps.join(", ")).unwrap();
        }
        out.push_str(":\n");
        for line in &block.lines {
            let text = match (&line.oracle, oracle) {
                (Some(o), true) => o,
                _ => &line.text,
            };
            writeln!(out, "    {text}").unwrap();
        }
        match (&block.term, oracle) {
            (Term::TryCall(t), true) => writeln!(out, "    {}", t.oracle_text()),
            (term, _) => writeln!(out, "    {term}"),
        }
        .unwrap();
    }
    out.push_str("}\n");
}

/// `text` with every reference `fnOLD` (as a whole word) renamed to `fnNEW`.
pub fn rename_fn_ref(text: &str, old: usize, new: usize) -> String {
    let from = format!("fn{old}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&from) {
        let before = rest[..at].chars().last();
        let after = rest[at + from.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(&from);
        } else {
            write!(out, "fn{new}").unwrap();
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fn_refs_are_renamed_as_whole_words() {
        assert_eq!(
            rename_fn_ref("v3 = call fn1(v0, fn10)", 1, 0),
            "v3 = call fn0(v0, fn10)"
        );
        assert_eq!(
            rename_fn_ref("v2 = func_addr.i64 fn1", 1, 2),
            "v2 = func_addr.i64 fn2"
        );
    }

    #[test]
    fn signatures_print_with_attributes() {
        let sig = Sig {
            params: vec![
                Param::plain(Ty::I64),
                Param {
                    ty: Ty::I8,
                    ext: Ext::Sext,
                    vmctx: false,
                },
            ],
            returns: vec![Param {
                ty: Ty::I16,
                ext: Ext::Uext,
                vmctx: false,
            }],
            conv: Conv::Tail,
        };
        assert_eq!(sig.to_string(), "(i64, i8 sext) -> i16 uext tail");
    }
}
