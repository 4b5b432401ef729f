//! The ABI moves of lowering: parameters on entry, results at `return`, arguments and results
//! around calls. The ABI layer (`abi::moves`) says where each part goes; this module turns the
//! steps into virtual-register moves, fixed-register operands and frame loads and stores.

use super::ctx::{LowerCtx, ValueRegs};
use super::exceptions;
use super::minst::{Fixed, MInst, StackMap, TryCallTargets};
use super::struct_args;
use crate::ir::{self, InstructionData as D};
use crate::isa::x64::abi::moves::{
    arg_passes, call_plan, callee_amode, caller_amode, ret_passes, sret_return, ArgPass, Extend,
    Place,
};
use crate::isa::x64::abi::AbiLayout;
use crate::isa::x64::amode::Amode;
use crate::isa::x64::inst::{Arg, Inst};
use crate::isa::x64::regs::Reg;
use crate::isa::x64::rows::Op;
use crate::machinst::buffer::SymbolName;
use regalloc2::RegClass;

/// Emits `op inputs -> fresh register of class`, returning the register.
fn emit1(ctx: &mut LowerCtx, op: Op, inputs: &[Arg], class: RegClass) -> Reg {
    let r = ctx.alloc_reg(class);
    match Inst::new(op, inputs, &[r]) {
        Ok(i) => ctx.emit(MInst::Real(i)),
        Err(e) => ctx.fail(format!("ABI move: {e}")),
    }
    r
}

fn emit0(ctx: &mut LowerCtx, op: Op, inputs: &[Arg]) {
    match Inst::new(op, inputs, &[]) {
        Ok(i) => ctx.emit(MInst::Real(i)),
        Err(e) => ctx.fail(format!("ABI move: {e}")),
    }
}

/// Binds `r` to the physical register `preg` at an instruction boundary; a register of the
/// other class (a value whose type the signature does not match) is an error, not a bad
/// constraint for the allocator.
pub(super) fn bind(ctx: &mut LowerCtx, list: &mut Vec<Fixed>, r: Reg, preg: regalloc2::PReg) {
    if r.is_valid() && r.class() == preg.class() {
        list.push((r, preg));
    } else {
        ctx.fail("a value in a register of the wrong class for its ABI location");
    }
}

/// Widens `r` as `ext` says (the producer of an argument or result does it).
fn extend(ctx: &mut LowerCtx, r: Reg, ext: Extend) -> Reg {
    let op = match (ext.from.bits(), ext.signed) {
        (8, false) => Op::movzx_r32_rm8,
        (8, true) => Op::movsx_r64_rm8,
        (16, false) => Op::movzx_r32_rm16,
        (16, true) => Op::movsx_r64_rm16,
        (32, false) => Op::mov_r32_rm32,
        (32, true) => Op::movsxd_r64_rm32,
        _ => return r,
    };
    emit1(ctx, op, &[Arg::Reg(r)], RegClass::Int)
}

/// The register holding part `part` of value `v`.
fn part_reg(ctx: &mut LowerCtx, v: ir::Value, part: u8) -> Reg {
    let regs = ctx.put_in_regs(v);
    if part == 0 {
        regs.lo
    } else {
        regs.hi
    }
}

/// A copy of `r` when it is already bound to another fixed register (one register cannot be
/// in two places at one instruction boundary).
fn distinct(ctx: &mut LowerCtx, fixed: &[Fixed], r: Reg) -> Reg {
    if !fixed.iter().any(|&(f, _)| f == r) {
        return r;
    }
    let op = if r.class() == RegClass::Float {
        Op::movaps_x_xm128
    } else {
        Op::mov_r64_rm64
    };
    emit1(ctx, op, &[Arg::Reg(r)], r.class())
}

/// The XMM load and store of a value of type `ty` in a stack slot: its own bytes (an f32 or
/// 32-bit vector four, an f64 or 64-bit vector eight), or all 16. A vector narrower than 32 bits
/// still has a slot of at least eight bytes, so four may be read and written.
fn xmm_moves(ty: ir::Type) -> (Op, Op) {
    match ty.bits() {
        0..=32 => (Op::movss_x_m32, Op::movss_m32_x),
        33..=64 => (Op::movsd_x_m64, Op::movsd_m64_x),
        _ => (Op::movdqu_x_xm128, Op::movdqu_m128_x),
    }
}

/// `load` from `src` into a fresh register, then `store` of it to `dst` (a memory-to-memory
/// move).
pub(super) fn emit_load_store(ctx: &mut LowerCtx, load: Op, src: Amode, store: Op, dst: Amode) {
    let r = emit1(ctx, load, &[Arg::Mem(src)], RegClass::Int);
    emit0(ctx, store, &[Arg::Mem(dst), Arg::Reg(r)]);
}

/// The load of a part of type `ty` into a register of `class` (all 64 bits of a GPR).
fn load_op(class: RegClass, ty: ir::Type) -> Op {
    match class {
        RegClass::Float => xmm_moves(ty).0,
        _ => Op::mov_r64_rm64,
    }
}

/// Loads `ty` from `amode` into a fresh register.
fn load(ctx: &mut LowerCtx, ty: ir::Type, amode: Amode) -> Reg {
    let class = match LowerCtx::class_of(ty) {
        RegClass::Float => RegClass::Float,
        _ => RegClass::Int,
    };
    emit1(ctx, load_op(class, ty), &[Arg::Mem(amode)], class)
}

/// Stores `r` (of part type `ty`) to `amode`.
pub(super) fn store(ctx: &mut LowerCtx, ty: ir::Type, amode: Amode, r: Reg) {
    let op = if r.class() == RegClass::Float {
        xmm_moves(ty).1
    } else {
        Op::mov_m64_r64
    };
    emit0(ctx, op, &[Arg::Mem(amode), Arg::Reg(r)]);
}

/// The code at function entry: incoming registers defined by one `Args` instruction, stack
/// arguments loaded from the incoming-argument area; the entry block's parameters alias them.
pub fn lower_args(ctx: &mut LowerCtx) {
    let Some(entry) = ctx.func.layout.entry_block() else {
        return;
    };
    let params: Vec<ir::Value> = ctx.func.dfg.block_params(entry).to_vec();
    let mut defs = Vec::new();
    let mut loads = Vec::new();
    let mut by_ref = Vec::new();
    let mut structs = Vec::new();
    for pass in arg_passes(&ctx.abi.clone()) {
        match pass {
            ArgPass::Part(p) => {
                let Some(&v) = params.get(p.value) else {
                    ctx.fail("the entry block's parameters do not match the signature");
                    return;
                };
                let dst = part_reg(ctx, v, p.part);
                match p.place {
                    Place::Reg(preg) => bind(ctx, &mut defs, dst, preg),
                    place => match callee_amode(place) {
                        Some(a) => loads.push((dst, p.ty, a)),
                        None => ctx.fail("not supported yet: parameters in a return area"),
                    },
                }
            }
            ArgPass::ByRef {
                value, ty, pointer, ..
            } => {
                let Some(&v) = params.get(value) else {
                    ctx.fail("the entry block's parameters do not match the signature");
                    return;
                };
                let ptr = ctx.alloc_reg(RegClass::Int);
                match pointer {
                    Place::Reg(preg) => bind(ctx, &mut defs, ptr, preg),
                    place => match callee_amode(place) {
                        Some(a) => loads.push((ptr, ir::Type::I64, a)),
                        None => ctx.fail("by-reference parameter without a location"),
                    },
                }
                by_ref.push((v, ty, ptr));
            }
            ArgPass::Struct { value, offset, .. } => {
                let Some(&v) = params.get(value) else {
                    ctx.fail("the entry block's parameters do not match the signature");
                    return;
                };
                structs.push((v, offset));
            }
            ArgPass::RetAreaPointer { place, .. } => {
                let dst = ctx.ret_area_reg();
                match place {
                    Place::Reg(preg) => bind(ctx, &mut defs, dst, preg),
                    place => match callee_amode(place) {
                        Some(a) => loads.push((dst, ir::Type::I64, a)),
                        None => ctx.fail("return-area pointer without a location"),
                    },
                }
            }
        }
    }
    ctx.emit(MInst::Args { defs });
    for (dst, ty, a) in loads {
        let r = load(ctx, ty, a);
        ctx.set_alias(dst, r);
    }
    for (v, offset) in structs {
        let dst = part_reg(ctx, v, 0);
        let r = struct_args::incoming_address(ctx, offset);
        ctx.set_alias(dst, r);
    }
    // The values behind by-reference pointers, read once the pointers are in registers.
    for (v, ty, ptr) in by_ref {
        for (part, part_ty, disp) in by_ref_parts(ty) {
            let dst = part_reg(ctx, v, part);
            let r = load(ctx, part_ty, Amode::base_disp(ptr, disp));
            ctx.set_alias(dst, r);
        }
    }
}

/// How a value passed by reference sits in memory: (part, part type, byte offset). An `i128`
/// is two 64-bit halves, low first; other types (f128, vectors) are one 16-byte register.
fn by_ref_parts(ty: ir::Type) -> Vec<(u8, ir::Type, i32)> {
    if ty == ir::Type::I128 {
        vec![(0, ir::Type::I64, 0), (1, ir::Type::I64, 8)]
    } else {
        vec![(0, ty, 0)]
    }
}

/// `return`: each result part to its register, then the return pseudo-instruction.
pub fn lower_return(ctx: &mut LowerCtx, inst: ir::Inst) {
    let args: Vec<ir::Value> = ctx.func.dfg.inst_args(inst).to_vec();
    let abi: AbiLayout = ctx.abi.clone();
    let mut uses: Vec<Fixed> = Vec::new();
    for p in ret_passes(&abi) {
        let Some(&v) = args.get(p.value) else {
            ctx.fail("return values do not match the signature");
            return;
        };
        let mut r = part_reg(ctx, v, p.part);
        if let Some(ext) = p.extend {
            r = extend(ctx, r, ext);
        }
        match p.place {
            Place::Reg(preg) => {
                let r = distinct(ctx, &uses, r);
                bind(ctx, &mut uses, r, preg);
            }
            Place::RetArea(off) => {
                let ptr = ctx.ret_area_reg();
                let at = Amode::base_disp(ptr, off as i32);
                // A narrow integer that is not extended writes only its own bytes: winch packs
                // such results next to each other.
                let narrow = match p.ty.bits() {
                    8 => Some(Op::mov_m8_r8),
                    16 => Some(Op::mov_m16_r16),
                    32 => Some(Op::mov_m32_r32),
                    _ => None,
                };
                match narrow {
                    Some(op) if p.extend.is_none() && r.class() == RegClass::Int => {
                        emit0(ctx, op, &[Arg::Mem(at), Arg::Reg(r)])
                    }
                    _ => store(ctx, p.ty, at, r),
                }
            }
            Place::ArgStack(_) => ctx.fail("a result in the argument area"),
        }
    }
    if let Some((param, preg)) = sret_return(&abi) {
        if let Some(entry) = ctx.func.layout.entry_block() {
            if let Some(&v) = ctx.func.dfg.block_params(entry).get(param) {
                let r = part_reg(ctx, v, 0);
                let r = distinct(ctx, &uses, r);
                bind(ctx, &mut uses, r, preg);
            }
        }
    }
    ctx.emit(MInst::Ret { uses });
}

/// `call` and `call_indirect`: arguments to registers and the outgoing area, the call with the
/// callee's clobbers, results defined in their registers. `return_call` and
/// `return_call_indirect` place the arguments the same way and end the function in a jump;
/// `try_call` and `try_call_indirect` end the block in a call with exception handlers (see
/// [`exceptions`]).
pub fn lower_call(ctx: &mut LowerCtx, inst: ir::Inst) {
    let dfg = &ctx.func.dfg;
    let tail = matches!(
        dfg.inst(inst).opcode(),
        ir::Opcode::ReturnCall | ir::Opcode::ReturnCallIndirect
    );
    let (sig, target, args): (ir::SigRef, Result<ir::FuncRef, ir::Value>, Vec<ir::Value>) =
        match dfg.inst(inst) {
            D::Call { func_ref, args, .. } => {
                let Some(f) = dfg.ext_funcs.get(*func_ref) else {
                    ctx.fail("call to an undeclared function");
                    return;
                };
                (
                    f.signature,
                    Ok(*func_ref),
                    dfg.value_lists.get(*args).to_vec(),
                )
            }
            D::CallIndirect { sig_ref, args, .. } => {
                let all = dfg.value_lists.get(*args).to_vec();
                (*sig_ref, Err(all[0]), all[1..].to_vec())
            }
            D::TryCall {
                func_ref,
                args,
                exception,
                ..
            } => (
                dfg.exception_tables[*exception].sig,
                Ok(*func_ref),
                dfg.value_lists.get(*args).to_vec(),
            ),
            D::TryCallIndirect {
                args, exception, ..
            } => {
                let all = dfg.value_lists.get(*args).to_vec();
                (
                    dfg.exception_tables[*exception].sig,
                    Err(all[0]),
                    all[1..].to_vec(),
                )
            }
            other => {
                ctx.fail(format!("not supported yet: {}", other.opcode()));
                return;
            }
        };
    let Some(signature) = dfg.signatures.get(sig).cloned() else {
        ctx.fail("call with an undeclared signature");
        return;
    };
    let try_call = matches!(
        dfg.inst(inst).opcode(),
        ir::Opcode::TryCall | ir::Opcode::TryCallIndirect
    );
    let results: Vec<ValueRegs> = if try_call {
        ctx.try_call_regs(inst).rets
    } else {
        let values = dfg.inst_results(inst).to_vec();
        values.into_iter().map(|v| ctx.value_regs(v)).collect()
    };
    let layout = match AbiLayout::compute(&signature, &ctx.flags) {
        Ok(l) => l,
        Err(e) => {
            ctx.fail(format!("call: {e}"));
            return;
        }
    };
    let plan = call_plan(&layout, &ctx.flags, try_call);
    // A try_call's context values wait in slots of their own, where the exception table says.
    let contexts = if try_call {
        exceptions::store_contexts(ctx, inst)
    } else {
        Vec::new()
    };
    let mut uses: Vec<Fixed> = Vec::new();
    for pass in &plan.args {
        match *pass {
            ArgPass::Part(p) => {
                let Some(&v) = args.get(p.value) else {
                    ctx.fail("call arguments do not match the signature");
                    return;
                };
                let mut r = part_reg(ctx, v, p.part);
                if let Some(ext) = p.extend {
                    r = extend(ctx, r, ext);
                }
                match p.place {
                    Place::Reg(preg) => {
                        let r = distinct(ctx, &uses, r);
                        bind(ctx, &mut uses, r, preg);
                    }
                    place => match caller_amode(&layout, place) {
                        Some(a) => store(ctx, p.ty, a, r),
                        None => ctx.fail("call argument without a location"),
                    },
                }
            }
            ArgPass::RetAreaPointer { place, ret_area } => {
                // A tail call returns straight to this function's caller: the callee (whose
                // results match this function's, as the verifier checks) writes them into the
                // caller's return area, not into this frame, which is gone by then.
                let r = if tail {
                    ctx.ret_area_reg()
                } else {
                    let area = crate::isa::x64::abi::moves::outgoing_amode(ret_area);
                    emit1(ctx, Op::lea_r64, &[Arg::Mem(area)], RegClass::Int)
                };
                match place {
                    Place::Reg(preg) => {
                        let r = distinct(ctx, &uses, r);
                        bind(ctx, &mut uses, r, preg);
                    }
                    place => match caller_amode(&layout, place) {
                        Some(a) => store(ctx, ir::Type::I64, a, r),
                        None => ctx.fail("return-area pointer without a location"),
                    },
                }
            }
            ArgPass::ByRef {
                value,
                ty,
                pointer,
                copy,
            } => {
                let Some(&v) = args.get(value) else {
                    ctx.fail("call arguments do not match the signature");
                    return;
                };
                // The copy lives in this frame's outgoing area, which the callee may not
                // overwrite: it only reads through the pointer.
                for (part, part_ty, disp) in by_ref_parts(ty) {
                    let r = part_reg(ctx, v, part);
                    let at = crate::isa::x64::abi::moves::outgoing_amode(copy + disp as u32);
                    store(ctx, part_ty, at, r);
                }
                let area = crate::isa::x64::abi::moves::outgoing_amode(copy);
                let r = emit1(ctx, Op::lea_r64, &[Arg::Mem(area)], RegClass::Int);
                match pointer {
                    Place::Reg(preg) => {
                        let r = distinct(ctx, &uses, r);
                        bind(ctx, &mut uses, r, preg);
                    }
                    place => match caller_amode(&layout, place) {
                        Some(a) => store(ctx, ir::Type::I64, a, r),
                        None => ctx.fail("by-reference argument without a location"),
                    },
                }
            }
            ArgPass::Struct { value, offset, .. } => {
                let (Some(&v), Some(size)) =
                    (args.get(value), struct_args::struct_size(&signature, value))
                else {
                    ctx.fail("call arguments do not match the signature");
                    return;
                };
                let from = part_reg(ctx, v, 0);
                struct_args::copy_to_outgoing(ctx, from, offset, size);
            }
        }
    }
    if tail {
        if ctx.abi.call_conv != ir::CallConv::Tail || layout.call_conv != ir::CallConv::Tail {
            ctx.fail("not supported yet: return_call outside the tail calling convention");
            return;
        }
        ctx.tail_call_args = ctx.tail_call_args.max(layout.stack_arg_size);
        ctx.outgoing_area = ctx.outgoing_area.max(plan.outgoing_area_size);
        let (symbol, target) = match target {
            Ok(func_ref) => {
                let name = ctx.func.dfg.ext_funcs[func_ref].name.clone();
                (Some(ctx.symbol(SymbolName::External(name))), None)
            }
            Err(callee) => (None, Some(ctx.put_in_regs(callee).lo)),
        };
        ctx.emit(MInst::ReturnCall {
            symbol,
            target,
            uses,
            callee_stack_args: layout.stack_arg_size,
        });
        return;
    }
    let mut defs: Vec<Fixed> = Vec::new();
    let mut ret_loads: Vec<(Reg, ir::Type, Amode)> = Vec::new();
    for p in &plan.rets {
        let Some(&regs) = results.get(p.value) else {
            ctx.fail("call results do not match the signature");
            return;
        };
        let r = if p.part == 0 { regs.lo } else { regs.hi };
        match p.place {
            Place::Reg(preg) => bind(ctx, &mut defs, r, preg),
            place => match caller_amode(&layout, place) {
                Some(a) => ret_loads.push((r, p.ty, a)),
                None => ctx.fail("call result without a location"),
            },
        }
    }
    let call = match target {
        Ok(func_ref) => {
            let name = ctx.func.dfg.ext_funcs[func_ref].name.clone();
            let sym = ctx.symbol(SymbolName::External(name));
            Inst::new(Op::call_sym, &[Arg::Symbol(sym)], &[])
        }
        Err(callee) => {
            let r = ctx.put_in_regs(callee).lo;
            Inst::new(Op::call_rm64, &[Arg::Reg(r)], &[])
        }
    };
    let call = match call {
        Ok(c) => c,
        Err(e) => {
            ctx.fail(format!("call: {e}"));
            return;
        }
    };
    ctx.is_leaf = false;
    ctx.outgoing_area = ctx.outgoing_area.max(plan.outgoing_area_size);
    let stack_map =
        (ctx.func.dfg.user_stack_maps.get(&inst)).map(|e| Box::new(StackMap(e.clone())));
    if try_call {
        exceptions::bind_payloads(ctx, inst, layout.call_conv, &mut defs);
        let Some(result_loads) = try_call_result_loads(ctx, ret_loads, &mut defs, plan.clobbers)
        else {
            return;
        };
        let (normal, handlers) = exceptions::targets(ctx, inst);
        let targets = Box::new(TryCallTargets {
            normal,
            handlers,
            contexts,
            result_loads,
        });
        ctx.emit(MInst::TryCall {
            inst: call,
            uses,
            defs,
            clobbers: plan.clobbers,
            callee_pop: plan.callee_pop_size,
            stack_map,
            targets,
        });
        return;
    }
    ctx.emit(MInst::Call {
        inst: call,
        uses,
        defs,
        clobbers: plan.clobbers,
        callee_pop: plan.callee_pop_size,
        stack_map,
    });
    for (dst, ty, a) in ret_loads {
        match Inst::new(load_op(dst.class(), ty), &[Arg::Mem(a)], &[dst]) {
            Ok(i) => ctx.emit(MInst::Real(i)),
            Err(e) => ctx.fail(format!("call result: {e}")),
        }
    }
}

/// A `try_call`'s results in the return area. Nothing may follow the terminator in its block,
/// so the terminator loads them itself right after the call (on the normal return only), each
/// into a register the call clobbers anyway and no other result or payload takes; `defs` binds
/// the result to it. `None` (after reporting) when the registers run out.
fn try_call_result_loads(
    ctx: &mut LowerCtx,
    ret_loads: Vec<(Reg, ir::Type, Amode)>,
    defs: &mut Vec<Fixed>,
    clobbers: regalloc2::PRegSet,
) -> Option<Vec<Inst>> {
    use crate::isa::x64::regs::{xmm, R10, R11, R12, R13, R14, R8, R9, RBX, RCX, RDI, RSI};
    // r15 is left out: it may be the pinned register.
    let gprs = [RCX, RSI, RDI, R8, R9, R10, R11, RBX, R12, R13, R14];
    let xmms = (2..16).map(xmm);
    let mut free: Vec<regalloc2::PReg> = gprs
        .into_iter()
        .chain(xmms)
        .filter(|&p| clobbers.contains(p) && !defs.iter().any(|&(_, d)| d == p))
        .collect();
    let mut loads = Vec::with_capacity(ret_loads.len());
    for (dst, ty, a) in ret_loads {
        let Some(at) = free.iter().position(|p| p.class() == dst.class()) else {
            ctx.fail(
                "not supported yet: a try_call with more results on the stack than free registers",
            );
            return None;
        };
        let preg = free.remove(at);
        match Inst::new(load_op(dst.class(), ty), &[Arg::Mem(a)], &[preg.into()]) {
            Ok(i) => loads.push(i),
            Err(e) => {
                ctx.fail(format!("try_call result: {e}"));
                return None;
            }
        }
        defs.push((dst, preg));
    }
    Some(loads)
}

/// A call to the runtime routine `name` with register arguments `args` (System V: integers in
/// rdi…, floats in xmm0…) returning one value of class `ret`; the result register.
pub fn libcall(ctx: &mut LowerCtx, name: &str, args: &[Reg], ret: RegClass) -> Reg {
    use crate::isa::x64::regs::{gpr, xmm, RAX};
    const INT_ARGS: [u8; 6] = [7, 6, 2, 1, 8, 9];
    let (mut ints, mut floats) = (0, 0);
    let mut uses: Vec<Fixed> = Vec::new();
    for &a in args {
        let preg = if a.class() == RegClass::Float {
            floats += 1;
            xmm(floats - 1)
        } else {
            ints += 1;
            gpr(INT_ARGS[(ints - 1) % 6])
        };
        let a = distinct(ctx, &uses, a);
        bind(ctx, &mut uses, a, preg);
    }
    let dst = ctx.alloc_reg(ret);
    let out = if ret == RegClass::Float { xmm(0) } else { RAX };
    let sym = ctx.symbol(SymbolName::LibCall(name.to_string()));
    match Inst::new(Op::call_sym, &[Arg::Symbol(sym)], &[]) {
        Ok(call) => {
            ctx.is_leaf = false;
            let clobbers =
                crate::isa::x64::abi::call_clobbers(ir::CallConv::SystemV, &ctx.flags, false);
            ctx.emit(MInst::Call {
                inst: call,
                uses,
                defs: vec![(dst, out)],
                clobbers,
                callee_pop: 0,
                stack_map: None,
            });
        }
        Err(e) => ctx.fail(format!("libcall: {e}")),
    }
    dst
}

/// The value of global value `gv` in a fresh register: the `vmctx` parameter, a load from
/// another global value, another plus a constant, or a symbol's address (through the GOT for
/// PIC code and symbols that are not colocated).
pub fn global_value(ctx: &mut LowerCtx, gv: ir::GlobalValue) -> Reg {
    let Some(data) = ctx.func.global_values.get(gv).cloned() else {
        ctx.fail("undeclared global value");
        return ctx.alloc_reg(RegClass::Int);
    };
    match data {
        ir::GlobalValueData::VMContext => {
            let entry = ctx.func.layout.entry_block();
            let param = ctx
                .func
                .signature
                .params
                .iter()
                .position(|p| p.purpose == ir::ArgumentPurpose::VMContext);
            match (entry, param) {
                (Some(b), Some(i)) => {
                    let v = ctx.func.dfg.block_params(b)[i];
                    ctx.put_in_regs(v).lo
                }
                _ => {
                    ctx.fail("vmctx global value without a vmctx parameter");
                    ctx.alloc_reg(RegClass::Int)
                }
            }
        }
        ir::GlobalValueData::Load {
            base,
            offset,
            flags,
            global_type,
        } => {
            if flags.endianness == ir::memflags::Endianness::Big {
                ctx.fail("not supported yet: big-endian memory accesses");
            }
            let b = global_value(ctx, base);
            // Its own bytes only (the next ones may not be mapped), into the register class
            // of its type: a float global value lives in an XMM register.
            let op = match global_type {
                ir::Type::F32 | ir::Type::F64 => xmm_moves(global_type).0,
                ir::Type::I8 => Op::movzx_r32_rm8,
                ir::Type::I16 => Op::movzx_r32_rm16,
                ir::Type::I32 => Op::mov_r32_rm32,
                ir::Type::I64 => Op::mov_r64_rm64,
                _ => {
                    ctx.fail(format!(
                        "not supported yet: a global value of type {global_type}"
                    ));
                    Op::mov_r64_rm64
                }
            };
            let load = emit1(
                ctx,
                op,
                &[Arg::Mem(Amode::base_disp(b, offset.0))],
                LowerCtx::class_of(global_type),
            );
            if let Some(code) = flags.trap_code {
                if let Some(MInst::Real(i)) = ctx.cur.pop() {
                    ctx.emit(MInst::Real(i.with_trap(super::ctx::trap_code(code))));
                }
            }
            load
        }
        ir::GlobalValueData::IAddImm { base, offset, .. } => {
            let b = global_value(ctx, base);
            match i32::try_from(offset.0) {
                Ok(k) => emit1(
                    ctx,
                    Op::lea_r64,
                    &[Arg::Mem(Amode::base_disp(b, k))],
                    RegClass::Int,
                ),
                Err(_) => {
                    let k = emit1(
                        ctx,
                        Op::movabs_r64_imm64,
                        &[Arg::Imm(offset.0)],
                        RegClass::Int,
                    );
                    emit1(
                        ctx,
                        Op::add_r64_rm64,
                        &[Arg::Reg(k), Arg::Reg(b)],
                        RegClass::Int,
                    )
                }
            }
        }
        ir::GlobalValueData::Symbol {
            name,
            offset,
            colocated,
            tls,
        } => {
            if tls {
                ctx.fail("not supported yet: thread-local symbols");
                return ctx.alloc_reg(RegClass::Int);
            }
            // Colocated symbols are in reach of a 32-bit PC-relative `lea`; any other one is read
            // from the GOT, which the JIT and the linker both provide.
            let symbol = ctx.symbol(SymbolName::External(name));
            let got = !colocated;
            let addr = if got {
                emit1(
                    ctx,
                    Op::mov_r64_rm64,
                    &[Arg::Mem(Amode::RipSymbol {
                        symbol,
                        got: true,
                        disp: 0,
                    })],
                    RegClass::Int,
                )
            } else {
                emit1(
                    ctx,
                    Op::lea_r64,
                    &[Arg::Mem(Amode::RipSymbol {
                        symbol,
                        got: false,
                        disp: 0,
                    })],
                    RegClass::Int,
                )
            };
            match i32::try_from(offset.0) {
                Ok(0) => addr,
                Ok(k) => emit1(
                    ctx,
                    Op::lea_r64,
                    &[Arg::Mem(Amode::base_disp(addr, k))],
                    RegClass::Int,
                ),
                Err(_) => {
                    ctx.fail("symbol offset beyond 32 bits");
                    addr
                }
            }
        }
    }
}
