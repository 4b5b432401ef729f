//! Emission: the allocated VCode becomes bytes. The frame is laid out from what allocation
//! used (spill slots, clobbered callee-saved registers), then the prologue, every instruction
//! with regalloc2's moves between them, and the epilogue at each return go into a MachBuffer.
//!
//! Labels: `MachLabel(b)` is lowered block `b`; the constant-pool entries and jump tables that
//! lowering numbered after the blocks are registered with the buffer before any code, so their
//! labels come out in the same order.

use super::minst::{Atomic128Op, AtomicLoopOp, MInst};
use super::Lowered;
use crate::ir;
use crate::isa::x64::abi::args::{ArgLoc, ArgSlot};
use crate::isa::x64::abi::emit::emit_frame_insts;
use crate::isa::x64::abi::prologue::{
    epilogue, prologue, FrameInst, LimitStep, StackLimit, PROBESTACK_SYMBOL,
};
use crate::isa::x64::abi::registers::{PROBE_LOOP_REG, PROBE_SIZE_REG, STACK_LIMIT_REG};
use crate::isa::x64::abi::tail_call::{return_call_sequence, RETURN_CALL_TARGET_REG};
use crate::isa::x64::abi::{FrameLayout, FrameRequest, StackSlotSpec};
use crate::isa::x64::amode::{Amode, FrameArea};
use crate::isa::x64::encode::{emit, X64Buffer};
use crate::isa::x64::inst::{Arg, Inst};
use crate::isa::x64::regs::{Reg, RSP};
use crate::isa::x64::rows::Op;
use crate::isa::x64::table::Cc;
use crate::isa::x64::unwind;
use crate::machinst::buffer::{CodeMark, CompiledCode, MachLabel, RelocKind, SymbolId, SymbolName};
use regalloc2::{Block, Edit, Function, InstOrEdit, OperandKind, Output, PRegSet};

/// Every register the allocated code writes: defs, move destinations and call clobbers.
fn clobbered_regs(lowered: &Lowered, out: &Output) -> PRegSet {
    let mut set = PRegSet::empty();
    let vcode = &lowered.vcode;
    for i in 0..vcode.insts.len() {
        let i = regalloc2::Inst::new(i);
        for (op, a) in vcode.inst_operands(i).iter().zip(out.inst_allocs(i)) {
            if op.kind() == OperandKind::Def {
                if let Some(r) = a.as_reg() {
                    set.add(r);
                }
            }
        }
        set.union_from(vcode.inst_clobbers(i));
    }
    for (_, edit) in &out.edits {
        let Edit::Move { to, .. } = edit;
        if let Some(r) = to.as_reg() {
            set.add(r);
        }
    }
    set
}

/// How the prologue finds the bound of the function's `stack_limit = gv` line: the chain of
/// `load` and `iadd_imm` global values down to the `vmctx` parameter, which the prologue reads
/// from its argument register before anything has overwritten it.
fn stack_limit(ctx: &super::ctx::LowerCtx, gv: ir::GlobalValue) -> Result<StackLimit, String> {
    let mut steps = Vec::new();
    let mut current = gv;
    loop {
        let data = ctx
            .func
            .global_values
            .get(current)
            .ok_or_else(|| format!("stack_limit: undeclared global value {current}"))?;
        match data {
            ir::GlobalValueData::VMContext => break,
            ir::GlobalValueData::Load {
                base,
                offset,
                global_type,
                ..
            } => {
                if *global_type != ir::Type::I64 {
                    return Err(format!("stack_limit: {current} is not an i64 load"));
                }
                steps.push(LimitStep::Load(offset.0));
                current = *base;
            }
            ir::GlobalValueData::IAddImm { base, offset, .. } => {
                let add = i32::try_from(offset.0).map_err(|_| {
                    format!("stack_limit: offset of {current} does not fit in 32 bits")
                })?;
                steps.push(LimitStep::Add(add));
                current = *base;
            }
            ir::GlobalValueData::Symbol { .. } => {
                return Err("not supported yet: stack_limit from a symbol global value".to_string())
            }
        }
    }
    steps.reverse();
    let param = (ctx.abi.args.iter())
        .position(|a| a.purpose == ir::ArgumentPurpose::VMContext)
        .ok_or("stack_limit: the signature has no vmctx parameter")?;
    match ctx.abi.args[param].loc {
        ArgLoc::Slot(ArgSlot::Reg { reg, .. }) => Ok(StackLimit { base: reg, steps }),
        _ => Err("not supported yet: stack_limit with a vmctx parameter on the stack".to_string()),
    }
}

/// The registers the prologue's stack-limit check and probes may write, which a `preserve_all`
/// function saves as it saves every register it writes (none elsewhere: they are caller-saved).
fn prologue_temporaries(ctx: &super::ctx::LowerCtx, stack_limit: bool) -> PRegSet {
    let mut regs = PRegSet::empty();
    if ctx.abi.call_conv == ir::CallConv::PreserveAll
        && (stack_limit || ctx.flags.enable_probestack)
    {
        for r in [STACK_LIMIT_REG, PROBE_LOOP_REG, PROBE_SIZE_REG] {
            regs.add(r);
        }
    }
    regs
}

/// Lays out the frame and encodes the function.
pub fn emit_function(lowered: &Lowered, out: &Output) -> Result<CompiledCode, String> {
    let ctx = &lowered.ctx;
    let vcode = &lowered.vcode;
    let limit = match ctx.func.stack_limit {
        Some(gv) => Some(stack_limit(ctx, gv)?),
        None => None,
    };
    let slots: Vec<StackSlotSpec> = ctx
        .func
        .stack_slots
        .iter()
        .map(|(_, d)| StackSlotSpec {
            size: d.size,
            align: 1 << d.align_shift.min(4),
        })
        .chain(
            ctx.temp_slots
                .iter()
                .map(|&(size, align)| StackSlotSpec { size, align }),
        )
        .collect();
    let req = FrameRequest {
        stack_slots: &slots,
        spill_slots: out.num_spillslots as u32,
        outgoing_area_size: ctx.outgoing_area,
        clobbered: prologue_temporaries(ctx, limit.is_some()) | clobbered_regs(lowered, out),
        is_leaf: ctx.is_leaf,
        tail_call_args_size: ctx.tail_call_args,
    };
    let frame = FrameLayout::compute(&ctx.abi, &req, &ctx.flags).map_err(|e| e.to_string())?;
    let pro = prologue(&frame, &ctx.flags, limit.as_ref());
    let epi = epilogue(&frame).map_err(|e| e.to_string())?;
    let mut symbols = ctx.symbols.clone();
    let probestack = SymbolId(symbols.len() as u32);
    if pro.contains(&FrameInst::CallProbestack) {
        symbols.push(SymbolName::LibCall(PROBESTACK_SYMBOL.to_string()));
    }

    let mut buf = X64Buffer::with_capacity(vcode.insts.len() + out.edits.len());
    let nblocks = vcode.num_blocks();
    for _ in 0..nblocks {
        buf.new_label();
    }
    for (i, (bytes, align)) in ctx.constants.iter().enumerate() {
        let l = buf.add_constant(bytes, *align);
        if l != MachLabel((nblocks + i) as u32) {
            return Err("constant-pool labels out of order".to_string());
        }
    }
    let bad = |e: &dyn std::fmt::Display| format!("emission: {e}");
    let pro_marks = emit_frame_insts(&pro, &mut buf, probestack, &frame).map_err(|e| bad(&e))?;
    // One mark per instruction of every epilogue, in emission order, for unwind information.
    let mut epi_marks = Vec::new();
    for b in 0..nblocks {
        buf.bind_label(MachLabel(b as u32));
        for item in out.block_insts_and_edits(vcode, Block::new(b)) {
            match item {
                InstOrEdit::Edit(Edit::Move { from, to }) => {
                    let mv = Inst::gen_move(*from, *to)
                        .ok_or_else(|| format!("no move from {from} to {to}"))?;
                    emit(&mv, &mut buf, &frame).map_err(|e| bad(&e))?;
                }
                InstOrEdit::Inst(i) => match &vcode.insts[i.index()] {
                    // A call's fixed registers are its allocation already; only the
                    // instruction (an indirect call's target) takes allocations.
                    MInst::Call {
                        inst,
                        callee_pop,
                        stack_map,
                        ..
                    } => emit_call(
                        &inst.with_allocs(out.inst_allocs(i)),
                        *callee_pop,
                        stack_map.as_deref().map(|m| m.0.as_slice()),
                        &mut buf,
                        &frame,
                    )
                    .map_err(|e| bad(&e))?,
                    m => {
                        let m = m.with_allocs(out.inst_allocs(i));
                        let pic = ctx.flags.is_pic;
                        emit_minst(&m, &mut buf, &frame, &epi, probestack, pic, &mut epi_marks)
                            .map_err(|e| bad(&e))?;
                    }
                },
            }
        }
    }
    let mut code = buf.finish().map_err(|e| bad(&e))?;
    code.symbols = symbols;
    let ends = |marks: &[CodeMark]| -> Vec<u32> {
        (marks.iter())
            .map(|m| code.mark_offsets[m.0 as usize])
            .collect()
    };
    let frame_code = unwind::FrameCode {
        prologue: &pro,
        prologue_ends: &ends(&pro_marks),
        epilogue: &epi,
        epilogue_ends: &ends(&epi_marks),
        code_len: code.code_len,
    };
    code.unwind = unwind::describe(&frame_code, &frame);
    Ok(code)
}

/// A call (its registers allocated), recorded as a call site with its user stack map, and the
/// stack adjustment after a callee that pops `callee_pop` bytes of its arguments.
fn emit_call(
    inst: &Inst,
    callee_pop: u32,
    stack_map: Option<&[crate::ir::UserStackMapEntry]>,
    buf: &mut X64Buffer,
    frame: &FrameLayout,
) -> Result<(), String> {
    emit(inst, buf, frame).map_err(|e| e.to_string())?;
    buf.add_call_site();
    record_stack_map(stack_map, buf, frame);
    rereserve(callee_pop, buf, frame)
}

/// Records a call's user stack map at its return address: each entry's stack-pointer offset.
fn record_stack_map(
    stack_map: Option<&[crate::ir::UserStackMapEntry]>,
    buf: &mut X64Buffer,
    frame: &FrameLayout,
) {
    use crate::ir::EntityRef;
    if let Some(entries) = stack_map {
        let entries = (entries.iter())
            .map(|e| {
                let at =
                    frame.sp_offset(FrameArea::StackSlot, e.slot.index() as u32, e.offset as i32);
                (e.ty, at as u32)
            })
            .collect();
        buf.add_user_stack_map(entries);
    }
}

fn emit_minst(
    m: &MInst,
    buf: &mut X64Buffer,
    frame: &FrameLayout,
    epi: &[FrameInst],
    probestack: SymbolId,
    pic: bool,
    epi_marks: &mut Vec<CodeMark>,
) -> Result<(), String> {
    let e = |r: Result<(), crate::isa::x64::encode::EmitError>| r.map_err(|e| e.to_string());
    match m {
        MInst::Real(inst) => e(emit(inst.lea_as_add().as_ref().unwrap_or(inst), buf, frame))?,
        MInst::Args { .. } => {}
        MInst::ReturnCall {
            symbol,
            callee_stack_args,
            ..
        } => {
            let seq = return_call_sequence(frame, *callee_stack_args).map_err(|e| e.to_string())?;
            emit_frame_insts(&seq, buf, probestack, frame).map_err(|e| e.to_string())?;
            // The callee's address goes in r10 (the sequence leaves it alone), then `jmp r10`.
            let r10 = Reg::phys(RETURN_CALL_TARGET_REG);
            if let Some(symbol) = symbol {
                let at = Amode::RipSymbol {
                    symbol: *symbol,
                    got: pic,
                    disp: 0,
                };
                let op = if pic { Op::mov_r64_rm64 } else { Op::lea_r64 };
                let lea = Inst::new(op, &[Arg::Mem(at)], &[r10]).map_err(|e| e.to_string())?;
                e(emit(&lea, buf, frame))?;
            }
            let jmp = Inst::new(Op::jmp_rm64, &[Arg::Reg(r10)], &[]).map_err(|e| e.to_string())?;
            e(emit(&jmp, buf, frame))?;
        }
        MInst::Ret { .. } => {
            epi_marks
                .extend(emit_frame_insts(epi, buf, probestack, frame).map_err(|e| e.to_string())?);
        }
        MInst::Call {
            inst,
            callee_pop,
            stack_map,
            ..
        } => emit_call(
            inst,
            *callee_pop,
            stack_map.as_deref().map(|m| m.0.as_slice()),
            buf,
            frame,
        )?,
        MInst::TryCall {
            inst,
            callee_pop,
            stack_map,
            targets,
            ..
        } => {
            e(emit(inst, buf, frame))?;
            buf.add_call_site();
            let contexts = (targets.contexts.iter())
                .map(|&slot| frame.fp_offset(FrameArea::StackSlot, slot, 0))
                .collect();
            buf.add_exception_site(frame.size_below_fp(), targets.handlers.clone(), contexts);
            record_stack_map(stack_map.as_deref().map(|m| m.0.as_slice()), buf, frame);
            rereserve(*callee_pop, buf, frame)?;
            for load in &targets.result_loads {
                e(emit(load, buf, frame))?;
            }
            let jmp = Inst::new(Op::jmp, &[Arg::Label(targets.normal)], &[])
                .map_err(|e| e.to_string())?;
            e(emit(&jmp, buf, frame))?;
        }
        MInst::StackSwitch {
            store,
            load,
            payload_in,
            payload_out,
            ..
        } => emit_stack_switch(*store, *load, [*payload_in, *payload_out], buf, frame)?,
        MInst::ElfTlsGetAddr {
            symbol, get_addr, ..
        } => {
            // The sequence the ELF x86-64 TLS ABI fixes, prefixes and all, so that the linker
            // recognises it: data16 lea sym@tlsgd(%rip), %rdi.
            buf.put_bytes(&[0x66, 0x48, 0x8d, 0x3d]);
            buf.add_reloc(RelocKind::ElfTlsGd4, *symbol, -4);
            buf.put_bytes(&[0; 4]);
            // data16 data16 rex.W call __tls_get_addr@plt.
            buf.put_bytes(&[0x66, 0x66, 0x48, 0xe8]);
            buf.add_reloc(RelocKind::CallPlt4, *get_addr, -4);
            buf.put_bytes(&[0; 4]);
            buf.add_call_site();
        }
        MInst::Jump { .. } | MInst::JumpIf { .. } => {
            for inst in m.branch_insts() {
                e(emit(&inst, buf, frame))?;
            }
        }
        MInst::TrapIf { cc, code } => {
            let skip = buf.new_label();
            let jcc = Inst::new(Op::jcc, &[Arg::Cc(cc.invert()), Arg::Label(skip)], &[])
                .map_err(|e| e.to_string())?;
            e(emit(&jcc, buf, frame))?;
            let ud2 = Inst::new(Op::ud2, &[], &[])
                .map_err(|e| e.to_string())?
                .with_trap(*code);
            e(emit(&ud2, buf, frame))?;
            buf.bind_label(skip);
        }
        MInst::Trap { code } => {
            let ud2 = Inst::new(Op::ud2, &[], &[])
                .map_err(|e| e.to_string())?
                .with_trap(*code);
            e(emit(&ud2, buf, frame))?;
        }
        MInst::AtomicLoop {
            op,
            bytes,
            addr,
            operand,
            tmp,
            dst,
            trap,
        } => emit_atomic_loop(*op, *bytes, *addr, *operand, *tmp, *dst, *trap, buf, frame)?,
        MInst::AtomicLoop128 {
            op,
            addr,
            lo,
            hi,
            old_lo,
            old_hi,
            new_lo,
            new_hi,
            trap,
        } => emit_atomic_loop128(
            *op,
            *addr,
            [*lo, *hi, *old_lo, *old_hi, *new_lo, *new_hi],
            *trap,
            buf,
            frame,
        )?,
        MInst::JumpTable {
            index,
            tmp1,
            tmp2,
            default,
            targets,
        } => {
            // cmp index, len; jae default; then through the table of 32-bit offsets from its
            // start: lea tmp1, [rip+table]; movsxd tmp2, [tmp1+index*4]; add tmp2, tmp1; jmp tmp2.
            let build = |op, inputs: &[Arg], outputs: &[Reg]| {
                Inst::new(op, inputs, outputs).map_err(|e| e.to_string())
            };
            let len = i64::try_from(targets.len()).unwrap_or(i64::MAX);
            let cmp = build(Op::cmp_r64_imm32, &[Arg::Reg(*index), Arg::Imm(len)], &[])?;
            let jae = build(Op::jcc, &[Arg::Cc(Cc::Ae), Arg::Label(*default)], &[])?;
            e(emit(&cmp, buf, frame))?;
            e(emit(&jae, buf, frame))?;
            let table = buf.add_jump_table(targets);
            let lea = build(Op::lea_r64, &[Arg::Mem(Amode::rip(table))], &[*tmp1])?;
            let load = build(
                Op::movsxd_r64_rm32,
                &[Arg::Mem(Amode::base_index(*tmp1, *index, 2, 0))],
                &[*tmp2],
            )?;
            let add = build(
                Op::add_r64_rm64,
                &[Arg::Reg(*tmp2), Arg::Reg(*tmp1)],
                &[*tmp2],
            )?;
            let jmp = build(Op::jmp_rm64, &[Arg::Reg(*tmp2)], &[])?;
            for i in [lea, load, add, jmp] {
                e(emit(&i, buf, frame))?;
            }
        }
    }
    Ok(())
}

/// The switch of [`MInst::StackSwitch`] (registers allocated). Two scratch registers are any
/// the operands do not use: the instruction clobbers all of them.
fn emit_stack_switch(
    store: Reg,
    load: Reg,
    payload: [Reg; 2],
    buf: &mut X64Buffer,
    frame: &FrameLayout,
) -> Result<(), String> {
    use crate::isa::x64::regs::{gpr, RBP};
    let used = [store, load, payload[0], payload[1]];
    let mut scratch = [0u8, 1, 2, 6, 8, 9, 10, 11]
        .into_iter()
        .map(|n| Reg::phys(gpr(n)))
        .filter(|r| !used.contains(r));
    let (Some(tmp1), Some(tmp2)) = (scratch.next(), scratch.next()) else {
        return Err("stack_switch: no scratch registers".to_string());
    };
    let build = |op, inputs: &[Arg], outputs: &[Reg]| {
        Inst::new(op, inputs, outputs).map_err(|e| e.to_string())
    };
    let mut seq = Vec::new();
    // rsp and rbp: the new value from `load`, the old one to `store`.
    for (offset, reg) in [(0, Reg::phys(RSP)), (8, Reg::phys(RBP))] {
        seq.push(build(
            Op::mov_r64_rm64,
            &[Arg::Mem(Amode::base_disp(load, offset))],
            &[tmp1],
        )?);
        seq.push(build(
            Op::mov_m64_r64,
            &[Arg::Mem(Amode::base_disp(store, offset)), Arg::Reg(reg)],
            &[],
        )?);
        seq.push(build(Op::mov_r64_rm64, &[Arg::Reg(tmp1)], &[reg])?);
    }
    // The target's pc from `load`; ours (just after the jump) to `store`.
    let resume = buf.new_label();
    seq.push(build(
        Op::mov_r64_rm64,
        &[Arg::Mem(Amode::base_disp(load, 16))],
        &[tmp1],
    )?);
    seq.push(build(
        Op::lea_r64,
        &[Arg::Mem(Amode::rip(resume))],
        &[tmp2],
    )?);
    seq.push(build(
        Op::mov_m64_r64,
        &[Arg::Mem(Amode::base_disp(store, 16)), Arg::Reg(tmp2)],
        &[],
    )?);
    seq.push(build(Op::jmp_rm64, &[Arg::Reg(tmp1)], &[])?);
    for inst in &seq {
        emit(inst, buf, frame).map_err(|e| e.to_string())?;
    }
    buf.bind_label(resume);
    Ok(())
}

/// `sub rsp, n` after a call whose callee popped `n` bytes of arguments, so that rsp is back at
/// its fixed place (nothing when `n` is 0).
fn rereserve(n: u32, buf: &mut X64Buffer, frame: &FrameLayout) -> Result<(), String> {
    if n == 0 {
        return Ok(());
    }
    let rsp = Reg::phys(RSP);
    let sub = Inst::new(
        Op::sub_r64_imm32,
        &[Arg::Reg(rsp), Arg::Imm(i64::from(n))],
        &[rsp],
    )
    .map_err(|e| e.to_string())?;
    emit(&sub, buf, frame).map_err(|e| e.to_string())
}

/// The compare-and-swap loop of [`MInst::AtomicLoop`] (registers allocated).
#[allow(clippy::too_many_arguments)]
fn emit_atomic_loop(
    op: AtomicLoopOp,
    bytes: u8,
    addr: Amode,
    operand: Reg,
    tmp: Reg,
    dst: Reg,
    trap: Option<crate::machinst::buffer::TrapCode>,
    buf: &mut X64Buffer,
    frame: &FrameLayout,
) -> Result<(), String> {
    let build = |op, inputs: &[Arg], outputs: &[Reg]| {
        Inst::new(op, inputs, outputs).map_err(|e| e.to_string())
    };
    let with_trap = |i: Inst| match trap {
        Some(c) => i.with_trap(c),
        None => i,
    };
    let (load, cmp, cmpxchg) = match bytes {
        1 => (Op::movzx_r32_rm8, Op::cmp_r8_rm8, Op::lock_cmpxchg_m8_r8),
        2 => (
            Op::movzx_r32_rm16,
            Op::cmp_r16_rm16,
            Op::lock_cmpxchg_m16_r16,
        ),
        4 => (Op::mov_r32_rm32, Op::cmp_r32_rm32, Op::lock_cmpxchg_m32_r32),
        _ => (Op::mov_r64_rm64, Op::cmp_r64_rm64, Op::lock_cmpxchg_m64_r64),
    };
    let mut seq = vec![with_trap(build(load, &[Arg::Mem(addr)], &[dst])?)];
    let again = buf.new_label();
    let r = Arg::Reg;
    let mut body = Vec::new();
    match op {
        AtomicLoopOp::And | AtomicLoopOp::Nand | AtomicLoopOp::Or | AtomicLoopOp::Xor => {
            let alu = match op {
                AtomicLoopOp::Or => Op::or_r64_rm64,
                AtomicLoopOp::Xor => Op::xor_r64_rm64,
                _ => Op::and_r64_rm64,
            };
            body.push(build(Op::mov_r64_rm64, &[r(dst)], &[tmp])?);
            body.push(build(alu, &[r(tmp), r(operand)], &[tmp])?);
            if op == AtomicLoopOp::Nand {
                body.push(build(Op::not_r64, &[r(tmp)], &[tmp])?);
            }
        }
        _ => {
            // tmp = operand; keep the old value instead when it wins the comparison.
            let cc = match op {
                AtomicLoopOp::Umin => Cc::B,
                AtomicLoopOp::Umax => Cc::A,
                AtomicLoopOp::Smin => Cc::L,
                _ => Cc::G,
            };
            body.push(build(Op::mov_r64_rm64, &[r(operand)], &[tmp])?);
            body.push(build(cmp, &[r(dst), r(operand)], &[])?);
            body.push(build(
                Op::cmovcc_r64_rm64,
                &[Arg::Cc(cc), r(tmp), r(dst)],
                &[tmp],
            )?);
        }
    }
    body.push(with_trap(build(
        cmpxchg,
        &[Arg::Mem(addr), r(tmp), r(dst)],
        &[dst],
    )?));
    body.push(build(Op::jcc, &[Arg::Cc(Cc::Ne), Arg::Label(again)], &[])?);
    for i in seq.drain(..) {
        emit(&i, buf, frame).map_err(|e| e.to_string())?;
    }
    buf.bind_label(again);
    for i in body {
        emit(&i, buf, frame).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The loop of [`MInst::AtomicLoop128`]; `regs` are operand lo/hi, old lo/hi (rax/rdx) and new
/// lo/hi (rbx/rcx), allocated.
fn emit_atomic_loop128(
    op: Atomic128Op,
    addr: Amode,
    regs: [Reg; 6],
    trap: Option<crate::machinst::buffer::TrapCode>,
    buf: &mut X64Buffer,
    frame: &FrameLayout,
) -> Result<(), String> {
    let [lo, hi, old_lo, old_hi, new_lo, new_hi] = regs.map(Arg::Reg);
    let build = |op, inputs: &[Arg], outputs: &[Reg]| {
        Inst::new(op, inputs, outputs).map_err(|e| e.to_string())
    };
    let with_trap = |i: Inst| match trap {
        Some(c) => i.with_trap(c),
        None => i,
    };
    let high = match addr {
        Amode::Base {
            base,
            index,
            scale,
            disp,
        } => Amode::Base {
            base,
            index,
            scale,
            disp: disp.wrapping_add(8),
        },
        other => other,
    };
    let (rl, rh, nl, nh) = (regs[2], regs[3], regs[4], regs[5]);
    let head = [
        with_trap(build(Op::mov_r64_rm64, &[Arg::Mem(addr)], &[rl])?),
        with_trap(build(Op::mov_r64_rm64, &[Arg::Mem(high)], &[rh])?),
    ];
    let mut body = Vec::new();
    let mov = |dst: Reg, src: Arg| build(Op::mov_r64_rm64, &[src], &[dst]);
    let two = |lo_op, hi_op| -> Result<Vec<Inst>, String> {
        Ok(vec![
            mov(nl, old_lo)?,
            mov(nh, old_hi)?,
            build(lo_op, &[Arg::Reg(nl), lo], &[nl])?,
            build(hi_op, &[Arg::Reg(nh), hi], &[nh])?,
        ])
    };
    match op {
        Atomic128Op::Add => body.extend(two(Op::add_r64_rm64, Op::adc_r64_rm64)?),
        Atomic128Op::Sub => body.extend(two(Op::sub_r64_rm64, Op::sbb_r64_rm64)?),
        Atomic128Op::And => body.extend(two(Op::and_r64_rm64, Op::and_r64_rm64)?),
        Atomic128Op::Or => body.extend(two(Op::or_r64_rm64, Op::or_r64_rm64)?),
        Atomic128Op::Xor => body.extend(two(Op::xor_r64_rm64, Op::xor_r64_rm64)?),
        Atomic128Op::Nand => {
            body.extend(two(Op::and_r64_rm64, Op::and_r64_rm64)?);
            body.push(build(Op::not_r64, &[Arg::Reg(nl)], &[nl])?);
            body.push(build(Op::not_r64, &[Arg::Reg(nh)], &[nh])?);
        }
        Atomic128Op::Xchg => {
            body.push(mov(nl, lo)?);
            body.push(mov(nh, hi)?);
        }
        _ => {
            // Flags of old - operand, then keep the old value when it wins.
            let cc = match op {
                Atomic128Op::Umin => Cc::B,
                Atomic128Op::Umax => Cc::Ae,
                Atomic128Op::Smin => Cc::L,
                _ => Cc::Ge,
            };
            body.extend(two(Op::sub_r64_rm64, Op::sbb_r64_rm64)?);
            body.push(mov(nl, lo)?);
            body.push(mov(nh, hi)?);
            body.push(build(
                Op::cmovcc_r64_rm64,
                &[Arg::Cc(cc), Arg::Reg(nl), old_lo],
                &[nl],
            )?);
            body.push(build(
                Op::cmovcc_r64_rm64,
                &[Arg::Cc(cc), Arg::Reg(nh), old_hi],
                &[nh],
            )?);
        }
    }
    body.push(with_trap(build(
        Op::lock_cmpxchg16b_m128,
        &[Arg::Mem(addr), old_hi, old_lo, new_hi, new_lo],
        &[rh, rl],
    )?));
    let again = buf.new_label();
    body.push(build(Op::jcc, &[Arg::Cc(Cc::Ne), Arg::Label(again)], &[])?);
    for i in head {
        emit(&i, buf, frame).map_err(|e| e.to_string())?;
    }
    buf.bind_label(again);
    for i in body {
        emit(&i, buf, frame).map_err(|e| e.to_string())?;
    }
    Ok(())
}
