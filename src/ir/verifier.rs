//! The IR verifier: checks that a function is well formed before anything compiles it.
//!
//! Rules, each named in the errors it produces:
//! - `layout`: the function has an entry block whose parameters match the signature.
//! - `terminator`: every block ends with a terminator, and only its last instruction is one.
//! - `entity`: every stack slot, global value, function, signature, constant, table and block an
//!   instruction names is declared (blocks: in the layout).
//! - `types`: controlling types, operand types and result types follow the opcode table; call
//!   arguments and results follow the signature; `return` matches the function's signature.
//! - `block-args`: branch arguments match the target's parameters in number and type.
//! - `ssa`: every value used is defined, and its definition dominates the use.
//! - `immediate`: immediates are in range for their instruction (`iconst`, lane indices).
//! - `bitcast`: a bitcast that changes the lane count states its byte order (`little`/`big`).
//!
//! Uses in blocks unreachable from the entry are not checked for dominance, as in Cranelift:
//! such blocks never run, and producers may leave them half-built.

use super::dfg::ValueDef;
use super::dominators::{ControlFlowGraph, DominatorTree};
use super::entity::{Block, Inst, SecondaryMap, Value};
use super::function::{Function, GlobalValueData, SourcePos};
use super::instructions::{BlockArg, BlockCall, InstructionData};
use super::memflags::Endianness;
use super::opcodes::{CtrlType, Opcode};
use super::signature::Signature;
use super::types::Type;
use std::fmt;

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierError {
    /// The function's name as written (`%f`).
    pub function: String,
    /// The instruction at fault, described (`inst3 (v4 = iadd)`), if an instruction is.
    pub inst: Option<String>,
    /// Where the instruction (or block, or function) was written, for parsed functions.
    pub pos: Option<SourcePos>,
    /// The rule broken (see the module documentation).
    pub rule: &'static str,
    pub message: String,
}

impl VerifierError {
    /// The message without the position: `function %f, inst3 (v4 = iadd): … [types]`.
    pub fn describe(&self) -> String {
        match &self.inst {
            Some(inst) => format!(
                "function {}, {inst}: {} [{}]",
                self.function, self.message, self.rule
            ),
            None => format!(
                "function {}: {} [{}]",
                self.function, self.message, self.rule
            ),
        }
    }
}

impl fmt::Display for VerifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(pos) = self.pos {
            write!(f, "{pos}: ")?;
        }
        write!(f, "error: {}", self.describe())
    }
}

impl std::error::Error for VerifierError {}

/// Verifies `func`; returns every error found, in layout order.
pub fn verify_function(func: &Function) -> Result<(), Vec<VerifierError>> {
    let cfg = ControlFlowGraph::compute(func);
    let domtree = DominatorTree::compute(func, &cfg);
    let mut inst_index = SecondaryMap::with_default(u32::MAX);
    for &block in func.layout.blocks() {
        for (i, &inst) in func.layout.block_insts(block).iter().enumerate() {
            inst_index[inst] = i as u32;
        }
    }
    let mut v = Verifier {
        func,
        domtree,
        inst_index,
        errors: Vec::new(),
    };
    v.run();
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(v.errors)
    }
}

struct Verifier<'a> {
    func: &'a Function,
    domtree: DominatorTree,
    /// Each instruction's position in its block, for same-block dominance in O(1).
    inst_index: SecondaryMap<Inst, u32>,
    errors: Vec<VerifierError>,
}

/// Where a value is used: an instruction, at a position in its block.
#[derive(Clone, Copy)]
struct Use {
    inst: Inst,
    block: Block,
    index: usize,
}

impl Verifier<'_> {
    fn error(&mut self, inst: Option<Inst>, rule: &'static str, message: String) {
        let locs = &self.func.source_locs;
        let pos = inst.and_then(|i| locs.insts[i]).or(locs.function);
        self.errors.push(VerifierError {
            function: self.func.name.to_string(),
            inst: inst.map(|i| self.func.describe_inst(i)),
            pos,
            rule,
            message,
        });
    }

    fn block_error(&mut self, block: Block, rule: &'static str, message: String) {
        let pos = self.func.source_locs.blocks[block].or(self.func.source_locs.function);
        self.errors.push(VerifierError {
            function: self.func.name.to_string(),
            inst: None,
            pos,
            rule,
            message,
        });
    }

    fn run(&mut self) {
        let func = self.func;
        let Some(entry) = func.layout.entry_block() else {
            self.error(None, "layout", "the function has no blocks".into());
            return;
        };
        self.check_entry_params(entry);
        self.check_preamble();
        for &block in func.layout.blocks() {
            let insts = func.layout.block_insts(block);
            if insts.is_empty() {
                self.block_error(
                    block,
                    "terminator",
                    format!("{block} is empty; it must end with a terminator"),
                );
                continue;
            }
            for (index, &inst) in insts.iter().enumerate() {
                let last = index + 1 == insts.len();
                let opcode = func.dfg.inst(inst).opcode();
                if opcode.is_terminator() && !last {
                    self.error(
                        Some(inst),
                        "terminator",
                        format!("terminator {opcode} is not at the end of {block}"),
                    );
                } else if !opcode.is_terminator() && last {
                    self.error(
                        Some(inst),
                        "terminator",
                        format!("{block} does not end with a terminator"),
                    );
                }
                self.check_inst(Use { inst, block, index });
            }
        }
    }

    fn check_entry_params(&mut self, entry: Block) {
        let func = self.func;
        let params = func.dfg.block_params(entry);
        let sig = &func.signature.params;
        if params.len() != sig.len() {
            self.block_error(
                entry,
                "layout",
                format!(
                    "entry block {entry} has {} parameter(s) but the signature has {}",
                    params.len(),
                    sig.len()
                ),
            );
            return;
        }
        for (i, (&p, abi)) in params.iter().zip(sig).enumerate() {
            let ty = func.dfg.value_type(p);
            if ty != abi.value_type {
                self.block_error(
                    entry,
                    "layout",
                    format!(
                        "entry block parameter {i} ({p}) has type {ty} but the signature says {}",
                        abi.value_type
                    ),
                );
            }
        }
    }

    fn check_preamble(&mut self) {
        let func = self.func;
        for (gv, data) in func.global_values.iter() {
            let base = match data {
                GlobalValueData::Load { base, .. } | GlobalValueData::IAddImm { base, .. } => *base,
                _ => continue,
            };
            if !func.global_values.is_valid(base) || base >= gv {
                self.error(
                    None,
                    "entity",
                    format!("{gv} must be based on an earlier global value, not {base}"),
                );
            }
        }
        if let Some(gv) = func.stack_limit {
            if !func.global_values.is_valid(gv) {
                self.error(None, "entity", format!("stack_limit names undeclared {gv}"));
            }
        }
        for (fref, data) in func.dfg.ext_funcs.iter() {
            if !func.dfg.signatures.is_valid(data.signature) {
                self.error(
                    None,
                    "entity",
                    format!("{fref} names undeclared {}", data.signature),
                );
            }
        }
    }

    /// The type of a used value, or an `ssa` error if it is undefined or does not dominate.
    fn use_value(&mut self, at: Use, v: Value) -> Option<Type> {
        let dfg = &self.func.dfg;
        let target = dfg.resolve_aliases(v);
        let def = dfg.value_def(target);
        let defined = match def {
            ValueDef::Result(i, _) => self
                .func
                .layout
                .inst_block(i)
                .map(|b| (b, Some(self.inst_index[i] as usize))),
            ValueDef::Param(b, _) => self.func.layout.is_block_inserted(b).then_some((b, None)),
            ValueDef::Alias(_) => {
                self.error(Some(at.inst), "ssa", format!("{v} is an alias in a cycle"));
                return None;
            }
            ValueDef::Unused => None,
        };
        let Some((def_block, def_index)) = defined else {
            self.error(Some(at.inst), "ssa", format!("use of undefined value {v}"));
            return None;
        };
        if self.domtree.is_reachable(at.block) {
            let dominates = if def_block == at.block {
                def_index.is_none_or(|d| d < at.index)
            } else {
                self.domtree.dominates(def_block, at.block)
            };
            if !dominates {
                let site = match def {
                    ValueDef::Param(b, _) => format!("as a parameter of {b}"),
                    _ => format!("in {def_block}"),
                };
                self.error(
                    Some(at.inst),
                    "ssa",
                    format!("{v} is used where its definition ({site}) does not dominate the use"),
                );
            }
        }
        Some(dfg.value_type(target))
    }

    fn check_inst(&mut self, at: Use) {
        let func = self.func;
        let dfg = &func.dfg;
        let inst = at.inst;
        let data = *dfg.inst(inst);
        let opcode = data.opcode();
        let info = opcode.info();
        if data.format() != info.format {
            self.error(
                Some(inst),
                "types",
                format!("{opcode} must use format {:?}", info.format),
            );
            return;
        }
        let args = dfg.inst_args(inst).to_vec();
        let arg_types: Vec<Option<Type>> = args.iter().map(|&a| self.use_value(at, a)).collect();
        // An exception table's `context` values are uses too.
        for context in dfg.exception_contexts(inst) {
            self.use_value(at, context);
        }
        if !self.check_entities(inst, &data) {
            return;
        }
        // The controlling type.
        let ctrl = match info.ctrl {
            CtrlType::NotPolymorphic => Type::INVALID,
            CtrlType::Explicit => dfg.ctrl_type(inst),
            CtrlType::FromArg(n) => match arg_types.get(usize::from(n)).copied().flatten() {
                Some(t) => t,
                None => return,
            },
        };
        if info.ctrl != CtrlType::NotPolymorphic && !info.ctrl_types.contains(ctrl) {
            self.error(
                Some(inst),
                "types",
                format!(
                    "{opcode} does not accept type {ctrl} (expected {})",
                    info.ctrl_types.describe()
                ),
            );
            return;
        }
        for (i, rule) in info.args.iter().enumerate() {
            if let (Some(&Some(ty)), Some(&v)) = (arg_types.get(i), args.get(i)) {
                if !rule.accepts(ctrl, ty) {
                    self.error(
                        Some(inst),
                        "types",
                        format!(
                            "operand {i} ({v}) has type {ty}, expected {}",
                            rule.describe(ctrl)
                        ),
                    );
                }
            }
        }
        self.check_results(inst, ctrl);
        self.check_variable_args(inst, &data, &args, &arg_types);
        self.check_immediates(inst, &data, ctrl);
        self.check_branches(at);
    }

    /// Whether every entity `data` names exists; reports those that do not.
    fn check_entities(&mut self, inst: Inst, data: &InstructionData) -> bool {
        let func = self.func;
        let dfg = &func.dfg;
        let missing = match *data {
            InstructionData::UnaryConst { constant, .. } => {
                (!dfg.constants.is_valid(constant)).then(|| constant.to_string())
            }
            InstructionData::UnaryGlobalValue { global_value, .. } => {
                (!func.global_values.is_valid(global_value)).then(|| global_value.to_string())
            }
            InstructionData::Call { func_ref, .. }
            | InstructionData::TryCall { func_ref, .. }
            | InstructionData::FuncAddr { func_ref, .. } => {
                (!dfg.ext_funcs.is_valid(func_ref)).then(|| func_ref.to_string())
            }
            InstructionData::CallIndirect { sig_ref, .. } => {
                (!dfg.signatures.is_valid(sig_ref)).then(|| sig_ref.to_string())
            }
            InstructionData::BranchTable { table, .. } => {
                (!dfg.jump_tables.is_valid(table)).then(|| table.to_string())
            }
            InstructionData::StackLoad { stack_slot, .. }
            | InstructionData::StackStore { stack_slot, .. } => {
                (!func.stack_slots.is_valid(stack_slot)).then(|| stack_slot.to_string())
            }
            InstructionData::DynamicStackLoad {
                dynamic_stack_slot, ..
            }
            | InstructionData::DynamicStackStore {
                dynamic_stack_slot, ..
            } => Some(dynamic_stack_slot.to_string()),
            InstructionData::ExceptionHandlerAddress { block, .. } => {
                (!func.layout.is_block_inserted(block)).then(|| block.to_string())
            }
            _ => None,
        };
        let missing = missing.or_else(|| match *data {
            InstructionData::TryCall { exception, .. }
            | InstructionData::TryCallIndirect { exception, .. } => {
                match dfg.exception_tables.get(exception) {
                    None => Some(exception.to_string()),
                    Some(t) => (!dfg.signatures.is_valid(t.sig)).then(|| t.sig.to_string()),
                }
            }
            _ => None,
        });
        if let Some(name) = missing {
            self.error(Some(inst), "entity", format!("{name} is not declared"));
            return false;
        }
        for call in dfg.branch_destinations(inst) {
            if !func.layout.is_block_inserted(call.block) {
                self.error(
                    Some(inst),
                    "entity",
                    format!("branch to {} which is not in the function", call.block),
                );
                return false;
            }
        }
        true
    }

    fn call_sig(&self, inst: Inst) -> Option<&Signature> {
        let dfg = &self.func.dfg;
        dfg.call_signature(inst).and_then(|s| dfg.signatures.get(s))
    }

    fn check_results(&mut self, inst: Inst, ctrl: Type) {
        let dfg = &self.func.dfg;
        let opcode = dfg.inst(inst).opcode();
        let info = opcode.info();
        let expected: Vec<Option<Type>> = if opcode.results_from_signature() {
            match self.call_sig(inst) {
                Some(sig) => sig.returns.iter().map(|r| Some(r.value_type)).collect(),
                None => return,
            }
        } else {
            info.results.iter().map(|r| r.derive(ctrl)).collect()
        };
        let results = dfg.inst_results(inst).to_vec();
        if results.len() != expected.len() {
            self.error(
                Some(inst),
                "types",
                format!(
                    "{opcode} must have {} result(s), has {}",
                    expected.len(),
                    results.len()
                ),
            );
            return;
        }
        for (i, (&r, want)) in results.iter().zip(expected).enumerate() {
            let ty = dfg.value_type(r);
            if want != Some(ty) {
                let want = want.map_or("no valid type".to_string(), |t| t.to_string());
                self.error(
                    Some(inst),
                    "types",
                    format!("result {i} ({r}) has type {ty}, expected {want}"),
                );
            }
        }
    }

    /// Call arguments against the callee's signature; `return` against the function's.
    fn check_variable_args(
        &mut self,
        inst: Inst,
        data: &InstructionData,
        args: &[Value],
        arg_types: &[Option<Type>],
    ) {
        let opcode = data.opcode();
        let fixed = data.format().fixed_value_count().min(args.len());
        let (what, expected): (&str, Vec<Type>) = if opcode == Opcode::Return {
            (
                "return value",
                self.func
                    .signature
                    .returns
                    .iter()
                    .map(|r| r.value_type)
                    .collect(),
            )
        } else if opcode.is_call() {
            match self.call_sig(inst) {
                Some(sig) => {
                    let params = sig.params.iter().map(|p| p.value_type).collect();
                    if opcode.is_return() {
                        let callee: Vec<Type> = sig.returns.iter().map(|r| r.value_type).collect();
                        let own: Vec<Type> = self
                            .func
                            .signature
                            .returns
                            .iter()
                            .map(|r| r.value_type)
                            .collect();
                        if callee != own {
                            self.error(
                                Some(inst),
                                "types",
                                "a tail call's callee must return the same types as the caller"
                                    .into(),
                            );
                        }
                    }
                    ("argument", params)
                }
                None => return,
            }
        } else {
            return;
        };
        let given = &args[fixed..];
        if given.len() != expected.len() {
            self.error(
                Some(inst),
                "types",
                format!(
                    "{opcode} has {} {what}(s), expected {}",
                    given.len(),
                    expected.len()
                ),
            );
            return;
        }
        for (i, (&want, &v)) in expected.iter().zip(given).enumerate() {
            if let Some(ty) = arg_types[fixed + i] {
                if ty != want {
                    self.error(
                        Some(inst),
                        "types",
                        format!("{what} {i} ({v}) has type {ty}, expected {want}"),
                    );
                }
            }
        }
    }

    fn check_immediates(&mut self, inst: Inst, data: &InstructionData, ctrl: Type) {
        match *data {
            InstructionData::UnaryImm { imm, .. }
                if ctrl.bits() < 64 && (imm.0 as u64) >> ctrl.bits() != 0 =>
            {
                self.error(
                    Some(inst),
                    "immediate",
                    format!("constant {} does not fit in {ctrl}", imm.0),
                );
            }
            InstructionData::BinaryImm8 { imm, opcode, .. }
            | InstructionData::TernaryImm8 { imm, opcode, .. }
                if u32::from(imm) >= ctrl.lane_count() && opcode != Opcode::ExtractVector =>
            {
                self.error(
                    Some(inst),
                    "immediate",
                    format!(
                        "lane index {imm} is out of range for {ctrl} ({} lanes)",
                        ctrl.lane_count()
                    ),
                );
            }
            InstructionData::LoadNoOffset {
                opcode: Opcode::Bitcast,
                flags,
                arg,
            } => {
                // Reinterpreting lanes of one width as another depends on the byte order.
                let from = self.func.dfg.value_type(self.func.dfg.resolve_aliases(arg));
                if from.lane_count() != ctrl.lane_count() && flags.endianness == Endianness::Native
                {
                    self.error(
                        Some(inst),
                        "bitcast",
                        format!("bitcast from {from} to {ctrl} changes the lane count, so it needs a byte order (little or big)"),
                    );
                }
            }
            InstructionData::ExceptionHandlerAddress { block, imm, .. } => {
                // The handler's index among those of the try_call that ends `block`.
                let dfg = &self.func.dfg;
                let handlers = match self.func.layout.last_inst(block).map(|t| dfg.inst(t)) {
                    Some(InstructionData::TryCall { exception, .. })
                    | Some(InstructionData::TryCallIndirect { exception, .. }) => dfg
                        .exception_tables
                        .get(*exception)
                        .map(|t| t.handlers().count()),
                    _ => None,
                };
                match handlers {
                    None => self.error(
                        Some(inst),
                        "immediate",
                        format!("{block} does not end in a try_call"),
                    ),
                    Some(n) if imm.0 < 0 || imm.0 as u64 >= n as u64 => self.error(
                        Some(inst),
                        "immediate",
                        format!(
                            "the try_call ending {block} has no handler {} ({n} handlers)",
                            imm.0
                        ),
                    ),
                    Some(_) => {}
                }
            }
            InstructionData::UnaryConst { constant, opcode } => {
                let size = self.func.dfg.constants[constant].0.len();
                let want = if opcode == Opcode::F128const {
                    16
                } else {
                    ctrl.bytes() as usize
                };
                if size != want {
                    self.error(
                        Some(inst),
                        "immediate",
                        format!("{constant} has {size} bytes, expected {want}"),
                    );
                }
            }
            _ => {}
        }
    }

    /// Branch arguments against the target blocks' parameters.
    fn check_branches(&mut self, at: Use) {
        let dfg = &self.func.dfg;
        let inst = at.inst;
        let data = *dfg.inst(inst);
        let calls: Vec<BlockCall> = dfg.branch_destinations(inst).to_vec();
        let try_sig = match data {
            InstructionData::TryCall { .. } | InstructionData::TryCallIndirect { .. } => {
                self.call_sig(inst).cloned()
            }
            _ => None,
        };
        for (k, call) in calls.iter().enumerate() {
            let params = dfg.block_params(call.block).to_vec();
            let args = dfg.block_call_args(*call).to_vec();
            if params.len() != args.len() {
                self.error(
                    Some(inst),
                    "block-args",
                    format!(
                        "{} takes {} argument(s), but {} are passed",
                        call.block,
                        params.len(),
                        args.len()
                    ),
                );
                continue;
            }
            for (i, (&arg, &p)) in args.iter().zip(&params).enumerate() {
                let want = dfg.value_type(p);
                let ty = match arg {
                    BlockArg::Value(v) => match self.use_value(at, v) {
                        Some(t) => t,
                        None => continue,
                    },
                    BlockArg::TryCallRet(n) => {
                        let ret = try_sig
                            .as_ref()
                            .filter(|_| k == 0)
                            .and_then(|s| s.returns.get(n as usize));
                        match ret {
                            Some(r) => r.value_type,
                            None => {
                                self.error(
                                    Some(inst),
                                    "block-args",
                                    format!(
                                        "ret{n} is not a return value of this call's normal edge"
                                    ),
                                );
                                continue;
                            }
                        }
                    }
                    BlockArg::TryCallExn(n) => {
                        // On x86-64 both exception payloads are pointer-sized.
                        if try_sig.is_none() || k == 0 || n >= 2 {
                            self.error(
                                Some(inst),
                                "block-args",
                                format!("exn{n} is not an exception payload of this edge"),
                            );
                            continue;
                        }
                        Type::I64
                    }
                };
                if ty != want {
                    self.error(
                        Some(inst),
                        "block-args",
                        format!("argument {i} to {} has type {ty}, but the parameter {p} has type {want}", call.block),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::parser::parse_functions;

    fn first_error(text: &str) -> String {
        let func = &parse_functions(text).unwrap()[0];
        verify_function(func).unwrap_err()[0].to_string()
    }

    #[test]
    fn accepts_valid_code() {
        let text = "function %f(i32) -> i32 {
block0(v0: i32):
    brif v0, block1(v0), block2
block1(v1: i32):
    v2 = iadd v1, v0
    return v2
block2:
    v3 = iconst.i32 0
    return v3
}";
        let func = &parse_functions(text).unwrap()[0];
        assert_eq!(verify_function(func), Ok(()));
    }

    #[test]
    fn reports_rules() {
        assert_eq!(
            first_error("function %f(i32) -> i64 {\nblock0(v0: i32):\n    return v0\n}"),
            "3:5: error: function %f, inst0 (return): return value 0 (v0) has type i32, expected i64 [types]"
        );
        assert_eq!(
            first_error("function %f() {\nblock0:\n    jump block1\nblock1:\n    v1 = iconst.i32 1\n}"),
            "5:5: error: function %f, inst1 (v1 = iconst): block1 does not end with a terminator [terminator]"
        );
        assert_eq!(
            first_error("function %f(i32) {\nblock0(v0: i32):\n    brif v0, block1, block2\nblock1:\n    v1 = iconst.i32 1\n    jump block2\nblock2:\n    v2 = iadd v1, v1\n    return\n}"),
            "8:5: error: function %f, inst3 (v2 = iadd): v1 is used where its definition (in block1) does not dominate the use [ssa]"
        );
    }
}
