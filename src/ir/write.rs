//! The CLIF text printer. Its output parses back to an equal function, so printing is a fixed
//! point: `print(parse(print(f))) == print(f)`.
//!
//! Entities keep their numbers; inline literals the parser moved to the constant pool
//! (`vconst.i32x4 [1 2 3 4]`) print as pool references (`vconst.i32x4 const0`) with the pool in
//! the preamble. An alias (`v1 -> v0`) prints just before the first instruction that uses it.

use super::dfg::ValueDef;
use super::entity::{ExceptionTable, Inst, SecondaryMap, Value};
use super::function::Function;
use super::instructions::{BlockArg, BlockCall, InstructionData};
use super::opcodes::CtrlType;
use std::fmt::{self, Write};

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_function(f, self)
    }
}

/// Writes `func` as CLIF text.
pub fn write_function(w: &mut dyn Write, func: &Function) -> fmt::Result {
    writeln!(w, "function {}{} {{", func.name, func.signature)?;
    let dfg = &func.dfg;
    let mut preamble = false;
    for (ss, data) in func.stack_slots.iter() {
        writeln!(w, "    {ss} = {data}")?;
        preamble = true;
    }
    for (gv, data) in func.global_values.iter() {
        writeln!(w, "    {gv} = {data}")?;
        preamble = true;
    }
    for (sig, data) in dfg.signatures.iter() {
        writeln!(w, "    {sig} = {data}")?;
        preamble = true;
    }
    for (fref, data) in dfg.ext_funcs.iter() {
        let colocated = if data.colocated { "colocated " } else { "" };
        writeln!(
            w,
            "    {fref} = {colocated}{} {}",
            data.name, data.signature
        )?;
        preamble = true;
    }
    for (c, data) in dfg.constants.iter() {
        writeln!(w, "    {c} = {data}")?;
        preamble = true;
    }
    if let Some(gv) = func.stack_limit {
        writeln!(w, "    stack_limit = {gv}")?;
        preamble = true;
    }
    let mut aliases_written = SecondaryMap::<Value, bool>::new();
    for (i, &block) in func.layout.blocks().iter().enumerate() {
        if i > 0 || preamble {
            writeln!(w)?;
        }
        write!(w, "{block}")?;
        let params = dfg.block_params(block);
        if !params.is_empty() {
            w.write_char('(')?;
            for (j, &p) in params.iter().enumerate() {
                let sep = if j > 0 { ", " } else { "" };
                write!(w, "{sep}{p}: {}", dfg.value_type(p))?;
            }
            w.write_char(')')?;
        }
        if func.layout.is_cold(block) {
            w.write_str(" cold")?;
        }
        writeln!(w, ":")?;
        for &inst in func.layout.block_insts(block) {
            write_aliases_used_by(w, func, inst, &mut aliases_written)?;
            w.write_str("    ")?;
            write_inst(w, func, inst)?;
            writeln!(w)?;
        }
    }
    writeln!(w, "}}")
}

/// Writes `vA -> vB` lines for aliases `inst` uses that are not written yet, targets first.
fn write_aliases_used_by(
    w: &mut dyn Write,
    func: &Function,
    inst: Inst,
    written: &mut SecondaryMap<Value, bool>,
) -> fmt::Result {
    let dfg = &func.dfg;
    let mut used: Vec<Value> = dfg.inst_args(inst).to_vec();
    for call in dfg.branch_destinations(inst) {
        for arg in dfg.block_call_args(*call) {
            if let BlockArg::Value(v) = arg {
                used.push(*v);
            }
        }
    }
    for v in used {
        // Collect the chain v -> … -> defined value, then write it from the far end.
        let mut chain = Vec::new();
        let mut cur = v;
        while let ValueDef::Alias(target) = dfg.value_def(cur) {
            if written[cur] || chain.len() > dfg.num_values() {
                break;
            }
            chain.push((cur, target));
            cur = target;
        }
        for &(alias, target) in chain.iter().rev() {
            if !written[alias] {
                written[alias] = true;
                writeln!(w, "    {alias} -> {target}")?;
            }
        }
    }
    Ok(())
}

fn write_block_call(w: &mut dyn Write, func: &Function, call: BlockCall) -> fmt::Result {
    write!(w, "{}", call.block)?;
    let args = func.dfg.block_call_args(call);
    if !args.is_empty() {
        w.write_char('(')?;
        for (i, a) in args.iter().enumerate() {
            let sep = if i > 0 { ", " } else { "" };
            write!(w, "{sep}{a}")?;
        }
        w.write_char(')')?;
    }
    Ok(())
}

/// `callee(args)` for indirect calls, whose first operand is the callee.
fn write_callee_and_args(w: &mut dyn Write, all: &[Value]) -> fmt::Result {
    match all.split_first() {
        Some((callee, args)) => {
            write!(w, "{callee}(")?;
            write_values(w, args)?;
            w.write_char(')')
        }
        None => w.write_str("<no callee>()"),
    }
}

fn write_values(w: &mut dyn Write, values: &[Value]) -> fmt::Result {
    for (i, v) in values.iter().enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        write!(w, "{sep}{v}")?;
    }
    Ok(())
}

/// Writes one instruction, without indentation or newline: `v3 = iadd v1, v2`.
pub fn write_inst(w: &mut dyn Write, func: &Function, inst: Inst) -> fmt::Result {
    let dfg = &func.dfg;
    let results = dfg.inst_results(inst);
    if !results.is_empty() {
        write_values(w, results)?;
        w.write_str(" = ")?;
    }
    let data = dfg.inst(inst);
    let opcode = data.opcode();
    w.write_str(opcode.name())?;
    if opcode.info().ctrl == CtrlType::Explicit {
        write!(w, ".{}", dfg.ctrl_type(inst))?;
    }
    use InstructionData::*;
    match *data {
        NullAry { .. } => Ok(()),
        Unary { arg, .. } => write!(w, " {arg}"),
        UnaryImm { imm, .. } => write!(w, " {imm}"),
        UnaryIeee16 { imm, .. } => write!(w, " {imm}"),
        UnaryIeee32 { imm, .. } => write!(w, " {imm}"),
        UnaryIeee64 { imm, .. } => write!(w, " {imm}"),
        UnaryConst { constant, .. } => write!(w, " {constant}"),
        UnaryGlobalValue { global_value, .. } => write!(w, " {global_value}"),
        Binary { args, .. } => write!(w, " {}, {}", args[0], args[1]),
        BinaryImm8 { arg, imm, .. } => write!(w, " {arg}, {imm}"),
        BinaryImm64 { arg, imm, .. } => write!(w, " {arg}, {imm}"),
        Ternary { args, .. } => write!(w, " {}, {}, {}", args[0], args[1], args[2]),
        TernaryImm8 { args, imm, .. } => write!(w, " {}, {}, {imm}", args[0], args[1]),
        Shuffle { args, mask, .. } => {
            write!(w, " {}, {}, [", args[0], args[1])?;
            for (i, m) in mask.iter().enumerate() {
                let sep = if i > 0 { " " } else { "" };
                write!(w, "{sep}{m}")?;
            }
            w.write_char(']')
        }
        IntCompare { cond, args, .. } => write!(w, " {cond} {}, {}", args[0], args[1]),
        IntCompareImm { cond, arg, imm, .. } => write!(w, " {cond} {arg}, {imm}"),
        FloatCompare { cond, args, .. } => write!(w, " {cond} {}, {}", args[0], args[1]),
        IntAddTrap { args, code, .. } => write!(w, " {}, {}, {code}", args[0], args[1]),
        Jump { destination, .. } => {
            w.write_char(' ')?;
            write_block_call(w, func, destination)
        }
        Brif { arg, blocks, .. } => {
            write!(w, " {arg}, ")?;
            write_block_call(w, func, blocks[0])?;
            w.write_str(", ")?;
            write_block_call(w, func, blocks[1])
        }
        BranchTable { arg, table, .. } => {
            let jt = &dfg.jump_tables[table];
            write!(w, " {arg}, ")?;
            write_block_call(w, func, jt.default_target())?;
            w.write_str(", [")?;
            for (i, &call) in jt.table().iter().enumerate() {
                if i > 0 {
                    w.write_str(", ")?;
                }
                write_block_call(w, func, call)?;
            }
            w.write_char(']')
        }
        Trap { code, .. } => write!(w, " {code}"),
        CondTrap { arg, code, .. } => write!(w, " {arg}, {code}"),
        Call { func_ref, args, .. } => {
            write!(w, " {func_ref}(")?;
            write_values(w, dfg.value_lists.get(args))?;
            w.write_char(')')
        }
        CallIndirect { sig_ref, .. } => {
            write!(w, " {sig_ref}, ")?;
            write_callee_and_args(w, dfg.inst_args(inst))
        }
        TryCall {
            func_ref,
            args,
            exception,
            ..
        } => {
            write!(w, " {func_ref}(")?;
            write_values(w, dfg.value_lists.get(args))?;
            w.write_str("), ")?;
            write_exception_table(w, func, exception)
        }
        TryCallIndirect { exception, .. } => {
            w.write_char(' ')?;
            write_callee_and_args(w, dfg.inst_args(inst))?;
            w.write_str(", ")?;
            write_exception_table(w, func, exception)
        }
        FuncAddr { func_ref, .. } => write!(w, " {func_ref}"),
        Load {
            flags, arg, offset, ..
        } => write!(w, "{flags} {arg}{offset}"),
        LoadNoOffset { flags, arg, .. } => write!(w, "{flags} {arg}"),
        Store {
            flags,
            args,
            offset,
            ..
        } => write!(w, "{flags} {}, {}{offset}", args[0], args[1]),
        StoreNoOffset { flags, args, .. } => write!(w, "{flags} {}, {}", args[0], args[1]),
        StackLoad {
            stack_slot, offset, ..
        } => write!(w, " {stack_slot}{offset}"),
        StackStore {
            arg,
            stack_slot,
            offset,
            ..
        } => write!(w, " {arg}, {stack_slot}{offset}"),
        DynamicStackLoad {
            dynamic_stack_slot, ..
        } => write!(w, " {dynamic_stack_slot}"),
        DynamicStackStore {
            arg,
            dynamic_stack_slot,
            ..
        } => write!(w, " {arg}, {dynamic_stack_slot}"),
        AtomicRmw {
            flags, op, args, ..
        } => {
            write!(w, "{flags} {op} {}, {}", args[0], args[1])
        }
        AtomicCas { flags, args, .. } => {
            write!(w, "{flags} {}, {}, {}", args[0], args[1], args[2])
        }
        MultiAry { args, .. } => {
            let args = dfg.value_lists.get(args);
            if !args.is_empty() {
                w.write_char(' ')?;
                write_values(w, args)?;
            }
            Ok(())
        }
        ExceptionHandlerAddress { block, imm, .. } => write!(w, " {block}, {imm}"),
    }
}

fn write_exception_table(w: &mut dyn Write, func: &Function, table: ExceptionTable) -> fmt::Result {
    let data = &func.dfg.exception_tables[table];
    write!(w, "{}, ", data.sig)?;
    write_block_call(w, func, data.normal_return())?;
    w.write_str(", [")?;
    let mut any = false;
    for (i, (tag, call)) in data.handlers().enumerate() {
        any = true;
        w.write_str(if i > 0 { ", " } else { " " })?;
        match tag {
            Some(tag) => write!(w, "tag{tag}: ")?,
            None => w.write_str("default: ")?,
        }
        write_block_call(w, func, call)?;
    }
    if any {
        w.write_char(' ')?;
    }
    w.write_char(']')
}

impl fmt::Display for super::parser::Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use super::parser::Header;
        match self {
            Header::Test(words) => write!(f, "test {}", words.join(" ")),
            Header::Target { isa, flags } => {
                write!(f, "target {isa}")?;
                flags.iter().try_for_each(|flag| write!(f, " {flag}"))
            }
            Header::Set { name, value: None } => write!(f, "set {name}"),
            Header::Set {
                name,
                value: Some(v),
            } => write!(f, "set {name}={v}"),
        }
    }
}

/// Prints the headers, then each function followed by its run commands.
impl fmt::Display for super::parser::TestFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for h in &self.headers {
            writeln!(f, "{h}")?;
        }
        for tf in &self.functions {
            writeln!(f)?;
            write!(f, "{}", tf.function)?;
            for cmd in &tf.run_commands {
                writeln!(f, "{cmd}")?;
            }
        }
        Ok(())
    }
}
