//! The executor: runs the flattened match trees of a [`RuleProgram`] over a slot file of plain
//! `u64` words.
//!
//! Each term has an entry point in one shared instruction array ([`Op`]) and a frame of
//! `frame_size` words on the machine's slot stack; its first words are the term's arguments.
//! Test instructions carry the address to continue at when they fail, so a failed test or
//! guard falls through to the next candidate rule; `SwitchOpcode` dispatches on the IR opcode
//! through a dense table. Reaching `Accept` commits to a rule: its right-hand side runs and
//! `Return` ends the term. Calls to rule-defined terms push a frame; everything the executor
//! touches is reused between matches, so a match allocates nothing once the slot stack and the
//! arena have grown to their working size.

use super::program::{ExternId, RuleId, Slot, TermId};
use super::RuleProgram;
use std::fmt;

/// An instruction address.
pub type Pc = u32;

/// What the executor needs from the IR. Words are whatever the host's `Word` encodings are
/// (an `Inst` index, a `Value` index, a `Type` code…).
pub trait Host {
    /// The opcode number (as registered with [`TermEnv::opcode`](super::env::TermEnv::opcode))
    /// of instruction `inst`.
    fn inst_opcode(&self, inst: u64) -> u32;
    /// Value operand `index` of `inst`; called only for `index` below the opcode's registered
    /// value-argument count.
    fn inst_value(&self, inst: u64, index: u32) -> u64;
    /// Immediate field `index` of `inst`, in registration order.
    fn inst_immediate(&self, inst: u64, index: u32) -> u64;
    /// The controlling type of `inst`, as a `Type` word.
    fn inst_ctrl_type(&self, inst: u64) -> u64;
    /// The instruction whose result `value` is, or `None` (e.g. a block parameter).
    fn value_def(&self, value: u64) -> Option<u64>;
}

/// The `Inst` word standing for "no instruction" (a value that no instruction defines). Opcode
/// tests fail on it without asking the host, so hosts never see it; no real `Inst` word may
/// equal it.
pub const NO_INST: u64 = u64::MAX;

/// One executor instruction. Slots are relative to the current frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Jumps to `tables[table + opcode]`, or to `fail` if that entry is `NO_TARGET` or the
    /// opcode is out of the table's range; before jumping, loads the operands `loads[table +
    /// opcode]` says (as [`Op::LoadInst`]).
    SwitchOpcode {
        inst: Slot,
        table: u32,
        fail: Pc,
    },
    /// Tests the opcode of `inst`; when it matches, loads its `values` value operands then
    /// its `imms` immediates into `out…` (as [`Op::LoadInst`]).
    TestOpcode {
        inst: Slot,
        opcode: u32,
        fail: Pc,
        out: Slot,
        values: u16,
        imms: u16,
    },
    /// Jumps to `tables[table + word]` for a word below [`LITERAL_TABLE`], or to `fail` if
    /// that entry is `NO_TARGET` or the word is larger.
    SwitchLiteral {
        slot: Slot,
        table: u32,
        fail: Pc,
    },
    /// Loads the value operands then the immediates of `inst` into `out…`.
    LoadInst {
        inst: Slot,
        out: Slot,
        values: u32,
        imms: u32,
    },
    /// `inst` := the defining instruction of `value`, or [`NO_INST`].
    DefInst {
        value: Slot,
        inst: Slot,
    },
    CtrlType {
        inst: Slot,
        out: Slot,
    },
    /// Tag test on an enum without fields (the word is the tag).
    TestTag {
        slot: Slot,
        tag: u32,
        fail: Pc,
    },
    /// Tag test on an enum with fields (the word is an arena handle).
    TestBoxedTag {
        slot: Slot,
        tag: u32,
        fail: Pc,
    },
    LoadFields {
        slot: Slot,
        out: Slot,
        n: u32,
    },
    Extract {
        ext: ExternId,
        value: Slot,
        out: Slot,
        n: u32,
        fail: Pc,
    },
    TestLit {
        slot: Slot,
        value: u64,
        fail: Pc,
    },
    TestEq {
        a: Slot,
        b: Slot,
        fail: Pc,
    },
    TestTrue {
        slot: Slot,
        fail: Pc,
    },
    Const {
        out: Slot,
        value: u64,
    },
    Move {
        out: Slot,
        from: Slot,
    },
    /// Argument slots are `operands[args..args + n]`.
    CallExtern {
        ext: ExternId,
        args: u32,
        n: u32,
        out: Slot,
        fail: Pc,
    },
    CallTerm {
        term: TermId,
        args: u32,
        n: u32,
        out: Slot,
        fail: Pc,
    },
    MakeVariant {
        tag: u32,
        boxed: bool,
        args: u32,
        n: u32,
        out: Slot,
    },
    /// Commits to `rule` (counts a firing when coverage is on).
    Accept {
        rule: RuleId,
    },
    Return {
        slot: Slot,
        rule: RuleId,
    },
    /// `Accept` then `Return` of a constant: a rule whose right-hand side is a literal.
    ReturnConst {
        value: u64,
        rule: RuleId,
    },
    /// No rule matched (or a committed right-hand side failed): the term fails.
    Fail,
}

impl Op {
    /// The failure continuation, for instructions that have one.
    pub(crate) fn fail_mut(&mut self) -> Option<&mut Pc> {
        match self {
            Op::SwitchOpcode { fail, .. }
            | Op::SwitchLiteral { fail, .. }
            | Op::TestOpcode { fail, .. }
            | Op::TestTag { fail, .. }
            | Op::TestBoxedTag { fail, .. }
            | Op::Extract { fail, .. }
            | Op::TestLit { fail, .. }
            | Op::TestEq { fail, .. }
            | Op::TestTrue { fail, .. }
            | Op::CallExtern { fail, .. }
            | Op::CallTerm { fail, .. } => Some(fail),
            _ => None,
        }
    }
}

/// A switch-table entry that means "no rule for this opcode".
pub const NO_TARGET: u32 = u32::MAX;

/// Size of a literal switch table: runs of literal tests switch only on values below it.
pub const LITERAL_TABLE: u64 = 64;

/// The operands a `SwitchOpcode` entry loads: `values` value operands then `imms`
/// immediates of the instruction into `out…`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwitchLoad {
    pub out: Slot,
    pub values: u16,
    pub imms: u16,
}

impl Default for SwitchLoad {
    /// Loads nothing.
    fn default() -> SwitchLoad {
        SwitchLoad {
            out: Slot(0),
            values: 0,
            imms: 0,
        }
    }
}

/// The flattened match trees of all terms.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct MatchCode {
    pub ops: Vec<Op>,
    /// Argument slot lists of calls.
    pub operands: Vec<Slot>,
    /// Opcode switch tables, each `opcode_count` entries long.
    pub tables: Vec<Pc>,
    /// Beside `tables`: the operands an opcode switch loads for each entry (nothing for
    /// literal switches).
    pub loads: Vec<SwitchLoad>,
    pub opcode_count: u32,
    /// Per term: entry address (`NO_TARGET` for terms without rules) and frame size.
    pub entry: Vec<Pc>,
    pub frame_size: Vec<u32>,
}

/// Why a run ended without a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// No rule of a total (non-partial) term matched its input.
    NoRuleMatched { term: String, args: Vec<u64> },
    /// Rule-defined terms called each other deeper than [`MAX_DEPTH`].
    RecursionLimit { term: String },
    /// The term has no rules (it is extern or only declared).
    NotRuleDefined { term: String },
    /// Wrong number of arguments given to [`Machine::run`].
    Arity {
        term: String,
        expected: usize,
        found: usize,
    },
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::NoRuleMatched { term, args } => {
                write!(f, "no rule of `{term}` matched the input {args:?}")
            }
            ExecError::RecursionLimit { term } => {
                write!(
                    f,
                    "rule recursion deeper than {MAX_DEPTH} calls in `{term}`"
                )
            }
            ExecError::NotRuleDefined { term } => write!(f, "`{term}` is not defined by rules"),
            ExecError::Arity {
                term,
                expected,
                found,
            } => write!(f, "`{term}` takes {expected} arguments, {found} given"),
        }
    }
}

impl std::error::Error for ExecError {}

/// Deepest nesting of rule-defined term calls before a run is abandoned.
pub const MAX_DEPTH: u32 = 256;

/// Hook called at every rule firing with the rule, its term's input words and its result.
pub type TraceHook = Box<dyn FnMut(RuleId, &[u64], u64)>;

/// Executor state, reusable across runs (and across programs).
#[derive(Default)]
pub struct Machine {
    slots: Vec<u64>,
    /// Variants of enums with fields: `[tag, field…]`, addressed by the index of the tag.
    arena: Vec<u64>,
    coverage: Option<Vec<u64>>,
    trace: Option<TraceHook>,
    last_fired: Option<RuleId>,
    depth: u32,
}

/// Largest number of arguments (or extractor outputs) of an extern call.
pub const MAX_EXTERN_WORDS: usize = 16;

impl Machine {
    pub fn new() -> Machine {
        Machine::default()
    }

    /// Starts counting rule firings (for `rule_count` rules); counting costs one predictable
    /// branch per firing when off.
    pub fn enable_coverage(&mut self, rule_count: usize) {
        self.coverage = Some(vec![0; rule_count]);
    }

    /// Firings per rule since coverage was enabled.
    pub fn coverage(&self) -> Option<&[u64]> {
        self.coverage.as_deref()
    }

    pub fn set_trace(&mut self, hook: Option<TraceHook>) {
        self.trace = hook;
    }

    /// The rule that produced the result of the last top-level [`Machine::run`].
    pub fn last_fired(&self) -> Option<RuleId> {
        self.last_fired
    }

    /// Tag and fields of a value of an enum with fields, as built by the last run. Handles are
    /// valid until the next run starts.
    pub fn boxed_variant(&self, handle: u64) -> Option<(u32, &[u64])> {
        let h = usize::try_from(handle).ok()?;
        let tag = *self.arena.get(h)?;
        let n = (tag >> 32) as usize;
        Some((tag as u32, self.arena.get(h + 1..h + 1 + n)?))
    }

    /// Capacities of the slot stack and the arena (they only grow, to the working size).
    pub fn capacity(&self) -> (usize, usize) {
        (self.slots.capacity(), self.arena.capacity())
    }

    /// Runs term `term` on `args`. `Ok(None)` means a partial term failed.
    pub fn run<H: Host>(
        &mut self,
        prog: &RuleProgram<H>,
        host: &mut H,
        term: TermId,
        args: &[u64],
    ) -> Result<Option<u64>, ExecError> {
        let code = &prog.code;
        let name = || prog.term_name(term).to_string();
        if code.entry[term.index()] == NO_TARGET {
            return Err(ExecError::NotRuleDefined { term: name() });
        }
        let arity = prog.term_arity(term);
        if arity != args.len() {
            return Err(ExecError::Arity {
                term: name(),
                expected: arity,
                found: args.len(),
            });
        }
        self.arena.clear();
        self.depth = 0;
        self.last_fired = None;
        self.ensure(code.frame_size[term.index()] as usize);
        self.slots[..args.len()].copy_from_slice(args);
        let result = self.exec(prog, host, term, 0)?;
        if result.is_none() && !prog.term_partial(term) {
            return Err(ExecError::NoRuleMatched {
                term: name(),
                args: args.to_vec(),
            });
        }
        Ok(result)
    }

    fn ensure(&mut self, len: usize) {
        if self.slots.len() < len {
            self.slots.resize(len, 0);
        }
    }

    fn exec<H: Host>(
        &mut self,
        prog: &RuleProgram<H>,
        host: &mut H,
        term: TermId,
        base: usize,
    ) -> Result<Option<u64>, ExecError> {
        let code = &prog.code;
        let mut pc = code.entry[term.index()] as usize;
        let mut fired = None;
        let s = |slot: Slot| base + slot.index();
        loop {
            let op = code.ops[pc];
            pc += 1;
            match op {
                Op::SwitchOpcode { inst, table, fail } => {
                    let i = self.slots[s(inst)];
                    let opc = if i == NO_INST {
                        u32::MAX
                    } else {
                        host.inst_opcode(i)
                    };
                    let at = table as usize + opc as usize;
                    let target = if opc < code.opcode_count {
                        code.tables[at]
                    } else {
                        NO_TARGET
                    };
                    if target == NO_TARGET {
                        pc = fail as usize;
                    } else {
                        pc = target as usize;
                        let load = code.loads[at];
                        let (values, imms) = (load.values.into(), load.imms.into());
                        self.load_operands(host, i, s(load.out), values, imms);
                    }
                }
                Op::SwitchLiteral { slot, table, fail } => {
                    let w = self.slots[s(slot)];
                    let target = if w < LITERAL_TABLE {
                        code.tables[table as usize + w as usize]
                    } else {
                        NO_TARGET
                    };
                    pc = if target == NO_TARGET { fail } else { target } as usize;
                }
                Op::TestOpcode {
                    inst,
                    opcode,
                    fail,
                    out,
                    values,
                    imms,
                } => {
                    let i = self.slots[s(inst)];
                    if i == NO_INST || host.inst_opcode(i) != opcode {
                        pc = fail as usize;
                    } else {
                        self.load_operands(host, i, s(out), values.into(), imms.into());
                    }
                }
                Op::LoadInst {
                    inst,
                    out,
                    values,
                    imms,
                } => {
                    let i = self.slots[s(inst)];
                    self.load_operands(host, i, s(out), values, imms);
                }
                Op::DefInst { value, inst } => {
                    self.slots[s(inst)] = host.value_def(self.slots[s(value)]).unwrap_or(NO_INST);
                }
                Op::CtrlType { inst, out } => {
                    self.slots[s(out)] = host.inst_ctrl_type(self.slots[s(inst)]);
                }
                Op::TestTag { slot, tag, fail } => {
                    if self.slots[s(slot)] != u64::from(tag) {
                        pc = fail as usize;
                    }
                }
                Op::TestBoxedTag { slot, tag, fail } => {
                    // A handle the host made up (not built by this run) matches no variant.
                    let h = self.slots[s(slot)] as usize;
                    if self.arena.get(h).is_none_or(|&w| w as u32 != tag) {
                        pc = fail as usize;
                    }
                }
                Op::LoadFields { slot, out, n } => {
                    let h = self.slots[s(slot)] as usize;
                    let n = n as usize;
                    match self.arena.get(h + 1..h + 1 + n) {
                        Some(fields) => self.slots[s(out)..s(out) + n].copy_from_slice(fields),
                        None => self.slots[s(out)..s(out) + n].fill(0),
                    }
                }
                Op::Extract {
                    ext,
                    value,
                    out,
                    n,
                    fail,
                } => {
                    let mut outs = [0u64; MAX_EXTERN_WORDS];
                    let input = [self.slots[s(value)]];
                    if (prog.externs[ext.index()])(host, &input, &mut outs) {
                        let n = n as usize;
                        self.slots[s(out)..s(out) + n].copy_from_slice(&outs[..n]);
                    } else {
                        pc = fail as usize;
                    }
                }
                Op::TestLit { slot, value, fail } => {
                    if self.slots[s(slot)] != value {
                        pc = fail as usize;
                    }
                }
                Op::TestEq { a, b, fail } => {
                    if self.slots[s(a)] != self.slots[s(b)] {
                        pc = fail as usize;
                    }
                }
                Op::TestTrue { slot, fail } => {
                    if self.slots[s(slot)] == 0 {
                        pc = fail as usize;
                    }
                }
                Op::Const { out, value } => self.slots[s(out)] = value,
                Op::Move { out, from } => self.slots[s(out)] = self.slots[s(from)],
                Op::CallExtern {
                    ext,
                    args,
                    n,
                    out,
                    fail,
                } => {
                    let mut words = [0u64; MAX_EXTERN_WORDS];
                    self.gather(code, base, args, n, &mut words);
                    let mut res = [0u64; 1];
                    if (prog.externs[ext.index()])(host, &words[..n as usize], &mut res) {
                        self.slots[s(out)] = res[0];
                    } else {
                        pc = fail as usize;
                    }
                }
                Op::CallTerm {
                    term: callee,
                    args,
                    n,
                    out,
                    fail,
                } => {
                    if self.depth >= MAX_DEPTH {
                        return Err(ExecError::RecursionLimit {
                            term: prog.term_name(callee).to_string(),
                        });
                    }
                    let new_base = base + code.frame_size[term.index()] as usize;
                    self.ensure(new_base + code.frame_size[callee.index()] as usize);
                    for k in 0..n as usize {
                        let from = code.operands[args as usize + k];
                        self.slots[new_base + k] = self.slots[s(from)];
                    }
                    self.depth += 1;
                    let r = self.exec(prog, host, callee, new_base)?;
                    self.depth -= 1;
                    match r {
                        Some(v) => self.slots[s(out)] = v,
                        None if prog.term_partial(callee) => pc = fail as usize,
                        None => {
                            return Err(ExecError::NoRuleMatched {
                                term: prog.term_name(callee).to_string(),
                                args: self.slots[new_base..new_base + n as usize].to_vec(),
                            })
                        }
                    }
                }
                Op::MakeVariant {
                    tag,
                    boxed,
                    args,
                    n,
                    out,
                } => {
                    if boxed {
                        let h = self.arena.len() as u64;
                        self.arena.push(u64::from(tag) | (u64::from(n) << 32));
                        for k in 0..n as usize {
                            let from = code.operands[args as usize + k];
                            self.arena.push(self.slots[s(from)]);
                        }
                        self.slots[s(out)] = h;
                    } else {
                        self.slots[s(out)] = u64::from(tag);
                    }
                }
                Op::Accept { rule } => {
                    self.count_firing(rule);
                    fired = Some(rule);
                }
                Op::Return { slot, rule } => {
                    let v = self.slots[s(slot)];
                    self.returned(prog, term, base, rule, fired, v);
                    return Ok(Some(v));
                }
                Op::ReturnConst { value, rule } => {
                    self.count_firing(rule);
                    self.returned(prog, term, base, rule, Some(rule), value);
                    return Ok(Some(value));
                }
                Op::Fail => return Ok(None),
            }
        }
    }

    /// Loads the first `values` value operands, then the first `imms` immediates, of
    /// instruction `inst` into the slots from `out` on.
    fn load_operands<H: Host>(&mut self, host: &H, inst: u64, out: usize, values: u32, imms: u32) {
        for k in 0..values {
            self.slots[out + k as usize] = host.inst_value(inst, k);
        }
        for k in 0..imms {
            self.slots[out + (values + k) as usize] = host.inst_immediate(inst, k);
        }
    }

    /// Counts a firing of `rule` (when coverage is on).
    fn count_firing(&mut self, rule: RuleId) {
        if let Some(c) = &mut self.coverage {
            c[rule.index()] += 1;
        }
    }

    /// Reports that `rule` returned `value` from `term`, whose arguments start at `base` (to
    /// the trace hook), and remembers `fired` when the term is the outermost.
    fn returned<H>(
        &mut self,
        prog: &RuleProgram<H>,
        term: TermId,
        base: usize,
        rule: RuleId,
        fired: Option<RuleId>,
        value: u64,
    ) {
        if let Some(hook) = &mut self.trace {
            let arity = prog.term_arity(term);
            hook(rule, &self.slots[base..base + arity], value);
        }
        if self.depth == 0 {
            self.last_fired = fired;
        }
    }

    fn gather(&self, code: &MatchCode, base: usize, args: u32, n: u32, words: &mut [u64]) {
        let operands = &code.operands[args as usize..(args + n) as usize];
        for (w, slot) in words.iter_mut().zip(operands) {
            *w = self.slots[base + slot.index()];
        }
    }
}
