//! The generator's own form of a module of CLIF functions: blocks of instruction lines over
//! numbered values, with the uses of each line recorded. It prints as CLIF text (which both
//! rulesel's parser and Cranelift's reader take), and it is what the minimiser edits: every edit
//! keeps the module valid because values are never renamed and a line is only replaced by a
//! constant of the same type or dropped when nothing uses it.

use std::fmt::{self, Write as _};

/// A value type the generator uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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

    /// A line defining `v` as zero of this type (what the minimiser puts in place of a line).
    pub fn zero_text(self, v: Val) -> String {
        match self {
            Ty::F32 => format!("{v} = f32const 0x0.0"),
            Ty::F64 => format!("{v} = f64const 0x0.0"),
            Ty::I128 => format!("{v} = iconst.i128 0"),
            int => format!("{v} = iconst.{} 0", int.name()),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
    /// It writes memory (a store): it may not be dropped as dead.
    pub effect: bool,
    /// It calls function `callee` of the module.
    pub callee: Option<usize>,
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
}

impl Term {
    fn uses(&self) -> Vec<Val> {
        match self {
            Term::Jump(t) => t.args.clone(),
            Term::Brif(c, a, b) => std::iter::once(*c)
                .chain(a.args.iter().copied())
                .chain(b.args.iter().copied())
                .collect(),
            Term::BrTable(i, _, _) => vec![*i],
            Term::Return(vals) => vals.clone(),
        }
    }

    /// The blocks it may go to.
    pub fn successors(&self) -> Vec<BlockId> {
        match self {
            Term::Jump(t) => vec![t.block],
            Term::Brif(_, a, b) => vec![a.block, b.block],
            Term::BrTable(_, d, ts) => std::iter::once(*d).chain(ts.iter().copied()).collect(),
            Term::Return(_) => Vec::new(),
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
        }
    }
}

#[derive(Clone, Debug)]
pub struct Block {
    pub params: Vec<(Val, Ty)>,
    pub lines: Vec<Line>,
    pub term: Term,
}

/// One generated function. Block 0 is the entry; its parameters are the function's.
#[derive(Clone, Debug)]
pub struct Func {
    /// The name without `%`: `f0`.
    pub name: String,
    pub returns: Vec<Ty>,
    /// Sizes of `ss0`, `ss1`, … in bytes.
    pub slots: Vec<u32>,
    /// The module functions it may call, as `fn0`, `fn1`, … in this order.
    pub callees: Vec<usize>,
    pub blocks: Vec<Block>,
}

impl Func {
    pub fn params(&self) -> Vec<Ty> {
        self.blocks[0].params.iter().map(|&(_, t)| t).collect()
    }

    /// `(i64, f32) -> i8`.
    pub fn signature(&self) -> String {
        let list = |tys: &[Ty]| tys.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ");
        let mut s = format!("({})", list(&self.params()));
        if !self.returns.is_empty() {
            write!(s, " -> {}", list(&self.returns)).unwrap();
        }
        s
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

    /// The module functions its reachable lines call.
    pub fn called(&self) -> Vec<usize> {
        let live = self.reachable();
        self.blocks
            .iter()
            .enumerate()
            .filter(|&(b, _)| live[b])
            .flat_map(|(_, block)| block.lines.iter().filter_map(|l| l.callee))
            .collect()
    }
}

/// A module: functions that may call those after them (never themselves or earlier ones, so
/// every call terminates).
#[derive(Clone, Debug)]
pub struct Module {
    pub funcs: Vec<Func>,
}

impl Module {
    /// The CLIF text of the functions (unreachable blocks are left out: nothing reachable can
    /// use their values, since they dominate no reachable block).
    pub fn to_clif(&self) -> String {
        let mut out = String::new();
        for (i, func) in self.funcs.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            write_func(&mut out, func, self);
        }
        out
    }
}

fn write_func(out: &mut String, func: &Func, module: &Module) {
    writeln!(out, "function %{}{} {{", func.name, func.signature()).unwrap();
    for (i, size) in func.slots.iter().enumerate() {
        writeln!(out, "    ss{i} = explicit_slot {size}").unwrap();
    }
    for (i, &callee) in func.callees.iter().enumerate() {
        let c = &module.funcs[callee];
        writeln!(out, "    fn{i} = colocated %{}{}", c.name, c.signature()).unwrap();
    }
    let live = func.reachable();
    for (b, block) in func.blocks.iter().enumerate() {
        if !live[b] {
            continue;
        }
        if b > 0 || !func.slots.is_empty() || !func.callees.is_empty() {
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
            writeln!(out, "    {}", line.text).unwrap();
        }
        writeln!(out, "    {}", block.term).unwrap();
    }
    out.push_str("}\n");
}
