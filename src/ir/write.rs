//! The CLIF text printer. Its output parses back to an equal function, so printing is a fixed
//! point: `print(parse(print(f))) == print(f)`.
//!
//! Entities keep their numbers; inline literals the parser moved to the constant pool
//! (`vconst.i32x4 [1 2 3 4]`) print as pool references (`vconst.i32x4 const0`) with the pool in
//! the preamble. An alias (`v1 -> v0`) prints just before the first instruction that uses it.
//! As Cranelift does, instructions are indented to column 36 when the function has source
//! locations or debug tags, which stand in the margin: `@4fa34        v4 = uextend.i64 v3`.

use super::dfg::ValueDef;
use super::entity::{ExceptionTable, Inst, SecondaryMap, Value};
use super::function::Function;
use super::instructions::{BlockArg, BlockCall, ExceptionItem, InstructionData};
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
    for (i, region) in func.alias_regions.iter().enumerate() {
        writeln!(
            w,
            "    region{i} = {} \"{}\"",
            region.user_id, region.description
        )?;
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
        let patchable = if data.patchable { "patchable " } else { "" };
        writeln!(
            w,
            "    {fref} = {colocated}{patchable}{} {}",
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
    let margin = has_margin(func);
    let indent = if margin { INDENT_WITH_MARGIN } else { 4 };
    for (i, &block) in func.layout.blocks().iter().enumerate() {
        if i > 0 || preamble {
            writeln!(w)?;
        }
        write!(w, "{:1$}{block}", "", indent - 4)?;
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
            write_aliases_used_by(w, func, inst, &mut aliases_written, indent)?;
            let mut prefix = String::new();
            if let Some(tags) = func.debug_tags.get(&inst) {
                let shown: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
                write!(prefix, "<{}> ", shown.join(", "))?;
            }
            if let Some(loc) = func.srclocs[inst] {
                write!(prefix, "{loc} ")?;
            }
            write!(w, "{prefix:indent$}")?;
            write_inst(w, func, inst)?;
            writeln!(w)?;
        }
    }
    writeln!(w, "}}")
}

/// The column of instructions when source locations or debug tags stand in the margin.
const INDENT_WITH_MARGIN: usize = 36;

/// Whether some instruction has a source location or debug tags.
fn has_margin(func: &Function) -> bool {
    !func.debug_tags.is_empty()
        || func.layout.blocks().iter().any(|&b| {
            func.layout
                .block_insts(b)
                .iter()
                .any(|&i| func.srclocs[i].is_some())
        })
}

/// Writes `vA -> vB` lines for aliases `inst` uses that are not written yet, targets first.
fn write_aliases_used_by(
    w: &mut dyn Write,
    func: &Function,
    inst: Inst,
    written: &mut SecondaryMap<Value, bool>,
    indent: usize,
) -> fmt::Result {
    let dfg = &func.dfg;
    let mut used: Vec<Value> = dfg.inst_args(inst).to_vec();
    used.extend(dfg.exception_contexts(inst));
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
                writeln!(w, "{:indent$}{alias} -> {target}", "")?;
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
    if needs_type_suffix(func, inst) {
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
            w.write_char(')')?;
            write_stack_map(w, func, inst)
        }
        CallIndirect { sig_ref, .. } => {
            write!(w, " {sig_ref}, ")?;
            write_callee_and_args(w, dfg.inst_args(inst))?;
            write_stack_map(w, func, inst)
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
            write_exception_table(w, func, exception)?;
            write_stack_map(w, func, inst)
        }
        TryCallIndirect { exception, .. } => {
            w.write_char(' ')?;
            write_callee_and_args(w, dfg.inst_args(inst))?;
            w.write_str(", ")?;
            write_exception_table(w, func, exception)?;
            write_stack_map(w, func, inst)
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
    for (i, item) in data.items().iter().enumerate() {
        w.write_str(if i > 0 { ", " } else { " " })?;
        match *item {
            ExceptionItem::Tag(tag, call) => {
                write!(w, "tag{tag}: ")?;
                write_block_call(w, func, call)?;
            }
            ExceptionItem::Default(call) => {
                w.write_str("default: ")?;
                write_block_call(w, func, call)?;
            }
            ExceptionItem::Context(v) => write!(w, "context {v}")?,
        }
    }
    if !data.items().is_empty() {
        w.write_char(' ')?;
    }
    w.write_char(']')
}

/// `, stack_map=[i32 @ ss0+4, …]` after a call that has a user stack map.
fn write_stack_map(w: &mut dyn Write, func: &Function, inst: Inst) -> fmt::Result {
    let Some(entries) = func.dfg.user_stack_maps.get(&inst) else {
        return Ok(());
    };
    w.write_str(", stack_map=[")?;
    for (i, e) in entries.iter().enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        write!(w, "{sep}{} @ {}+{}", e.ty, e.slot, e.offset)?;
    }
    w.write_char(']')
}

/// Whether `inst` is written with its controlling type (`iconst.i32`): always when the type
/// cannot be inferred, and, as Cranelift writes it, when the operand it is inferred from is
/// defined in another block (whose text may come later).
fn needs_type_suffix(func: &Function, inst: Inst) -> bool {
    let dfg = &func.dfg;
    match dfg.inst(inst).opcode().info().ctrl {
        CtrlType::NotPolymorphic => false,
        CtrlType::Explicit => true,
        CtrlType::FromArg(n) => {
            let Some(&arg) = dfg.inst_args(inst).get(usize::from(n)) else {
                return true;
            };
            let def_block = match dfg.value_def(dfg.resolve_aliases(arg)) {
                ValueDef::Result(def, _) => func.layout.inst_block(def),
                ValueDef::Param(block, _) => Some(block),
                _ => None,
            };
            def_block.is_none() || def_block != func.layout.inst_block(inst)
        }
    }
}

impl fmt::Display for super::parser::Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use super::parser::HeaderKind;
        match &self.kind {
            HeaderKind::Test { command, options } => {
                write!(f, "test {command}")?;
                options.iter().try_for_each(|o| write!(f, " {o}"))
            }
            HeaderKind::Target { isa, flags } => {
                write!(f, "target {isa}")?;
                flags.iter().try_for_each(|flag| write!(f, " {flag}"))
            }
            HeaderKind::Set { name, value: None } => write!(f, "set {name}"),
            HeaderKind::Set {
                name,
                value: Some(v),
            } => write!(f, "set {name}={v}"),
            HeaderKind::Feature { name, enabled } => {
                let bang = if *enabled { "" } else { "!" };
                write!(f, "feature {bang}\"{name}\"")
            }
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
