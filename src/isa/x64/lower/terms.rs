//! The term environment of the x64 rules: IR opcodes as extractor terms (from the opcode
//! table), one constructor term per row of the instruction table, and the Rust externs declared
//! in `rules/x64/types.rules`.

use super::ctx::{reg_word, word_reg, LowerCtx, ValueRegs, MEM_BIT};
use super::minst::MInst;
use super::{abi_lower, exceptions, stack_switch, tls};
use crate::dsl::exec::MAX_EXTERN_WORDS;
use crate::dsl::{TermEnv, Word};
use crate::ir::{self, opcodes::ImmKind, EntityRef};
use crate::isa::x64::amode::{Amode, FrameArea};
use crate::isa::x64::inst::{Arg, Inst, MAX_REG_SLOTS};
use crate::isa::x64::regs::Reg;
use crate::isa::x64::rows::ALL_OPS;
use crate::isa::x64::table::{Cc, Feature, TermType};
use crate::machinst::buffer::{MachLabel, SymbolId, TrapCode};
use regalloc2::RegClass;

/// A register-or-memory operand word: a packed register, or `MEM_BIT | amode index`.
#[derive(Clone, Copy, Debug)]
pub struct RegMem(pub u64);
/// An index into the current instruction's memory-operand arena.
#[derive(Clone, Copy, Debug)]
pub struct AmodeRef(pub u64);
/// The result of a term that only emits.
#[derive(Clone, Copy, Debug)]
pub struct SideEffect;
/// The result of `lower`: the outputs are in [`LowerCtx::outputs`].
#[derive(Clone, Copy, Debug)]
pub struct InstOutput;

macro_rules! word_newtype {
    ($t:ident, $name:literal, $to:expr, $from:expr) => {
        impl Word for $t {
            const RUST_TYPE: &'static str = $name;
            fn to_word(self) -> u64 {
                $to(self)
            }
            fn from_word(word: u64) -> Self {
                $from(word)
            }
        }
    };
}
word_newtype!(RegMem, "RegMem", |r: RegMem| r.0, RegMem);
word_newtype!(AmodeRef, "AmodeRef", |r: AmodeRef| r.0, AmodeRef);
word_newtype!(SideEffect, "SideEffect", |_| 0, |_| SideEffect);
word_newtype!(InstOutput, "InstOutput", |_| 0, |_| InstOutput);
word_newtype!(
    Cc,
    "Cc",
    |c: Cc| u64::from(c as u8),
    |w: u64| Cc::from_bits(w as u8)
);

/// The runtime routines rules may call, in the order of the `LibCall` enum of the rules.
#[derive(Clone, Copy, Debug)]
pub struct LibCall(u8);

impl LibCall {
    const NAMES: [&'static str; 11] = [
        "FloorF32",
        "FloorF64",
        "CeilF32",
        "CeilF64",
        "TruncF32",
        "TruncF64",
        "NearestF32",
        "NearestF64",
        "FmaF32",
        "FmaF64",
        "X86Pshufb",
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES[usize::from(self.0) % Self::NAMES.len()]
    }
}

word_newtype!(LibCall, "LibCall", |l: LibCall| u64::from(l.0), |w: u64| {
    LibCall(w as u8)
});

/// The DSL type of an opcode immediate.
fn imm_type(kind: ImmKind) -> &'static str {
    match kind {
        ImmKind::Imm64 => "i64",
        ImmKind::Uimm8 => "u8",
        ImmKind::Ieee16 => "u16",
        ImmKind::Ieee32 => "u32",
        ImmKind::Ieee64 => "u64",
        ImmKind::IntCC => "IntCC",
        ImmKind::FloatCC => "FloatCC",
        ImmKind::TrapCode => "TrapCode",
        ImmKind::MemFlags => "MemFlags",
        ImmKind::Offset32 => "i32",
        ImmKind::StackSlot => "StackSlot",
        ImmKind::FuncRef => "FuncRef",
        ImmKind::SigRef => "SigRef",
        ImmKind::AtomicRmwOp => "AtomicRmwOp",
        ImmKind::ShuffleMask => "ShuffleMask",
        ImmKind::Constant
        | ImmKind::GlobalValue
        | ImmKind::DynamicStackSlot
        | ImmKind::JumpTable
        | ImmKind::BlockCall
        | ImmKind::ExceptionTable
        | ImmKind::Block => "u32",
    }
}

/// The DSL type of an instruction-table operand.
fn row_type(t: TermType) -> &'static str {
    match t {
        TermType::Gpr => "Gpr",
        TermType::Xmm => "Xmm",
        TermType::GprMem => "GprMem",
        TermType::XmmMem => "XmmMem",
        TermType::Amode => "Amode",
        TermType::Imm8 | TermType::Imm16 | TermType::Imm32 | TermType::Imm64 => "i64",
        TermType::Cc => "Cc",
        TermType::Label => "Label",
        TermType::Symbol => "Symbol",
    }
}

/// The memory operand of an arena word and its trap code.
fn amode_at(ctx: &LowerCtx, index: u64) -> (Amode, Option<TrapCode>) {
    ctx.amodes[index as usize]
}

/// Registers one constructor per table row: inputs as the row's term signature says, a fresh
/// virtual register per output, the instruction emitted into the current sequence.
fn register_rows(env: &mut TermEnv<LowerCtx>) {
    for &op in ALL_OPS {
        let row = op.row();
        let (ins, outs) = row.term_signature();
        let args: Vec<&str> = ins.iter().map(|&t| row_type(t)).collect();
        let ret = match outs.len() {
            0 => "SideEffect",
            1 => row_type(outs[0]),
            _ => "ValueRegs",
        };
        let classes: Vec<RegClass> = outs
            .iter()
            .map(|&t| {
                if t == TermType::Xmm {
                    RegClass::Float
                } else {
                    RegClass::Int
                }
            })
            .collect();
        env.host_constructor(row.name, &args, ret, false, move |ctx, words, out| {
            if !ctx.isa.has(row.enc.feature) {
                ctx.fail(format!(
                    "{} needs the CPU feature {:?}, which the target does not have",
                    row.name, row.enc.feature
                ));
                return false;
            }
            // On the stack: this runs for every instruction a rule builds.
            let mut inputs = [Arg::Imm(0); MAX_EXTERN_WORDS];
            let mut trap = None;
            for (k, (&t, &w)) in ins.iter().zip(words).enumerate() {
                inputs[k] = match t {
                    TermType::Gpr | TermType::Xmm => Arg::Reg(word_reg(w)),
                    TermType::GprMem | TermType::XmmMem if w & MEM_BIT != 0 => {
                        let (a, code) = amode_at(ctx, w & !MEM_BIT);
                        trap = trap.or(code);
                        Arg::Mem(a)
                    }
                    TermType::GprMem | TermType::XmmMem => Arg::Reg(word_reg(w)),
                    TermType::Amode => {
                        let (a, code) = amode_at(ctx, w);
                        trap = trap.or(code);
                        Arg::Mem(a)
                    }
                    TermType::Imm8 | TermType::Imm16 | TermType::Imm32 | TermType::Imm64 => {
                        Arg::Imm(w as i64)
                    }
                    TermType::Cc => Arg::Cc(Cc::from_bits(w as u8)),
                    TermType::Label => Arg::Label(MachLabel(w as u32)),
                    TermType::Symbol => Arg::Symbol(SymbolId(w as u32)),
                };
            }
            let mut outputs = [Reg::INVALID; MAX_REG_SLOTS];
            for (r, &c) in outputs.iter_mut().zip(&classes) {
                *r = ctx.alloc_reg(c);
            }
            let outputs = &outputs[..classes.len()];
            match Inst::new(op, &inputs[..words.len().min(ins.len())], outputs) {
                Ok(inst) => {
                    ctx.emit_inst(inst, trap);
                    out[0] = match *outputs {
                        [] => 0,
                        [r] => reg_word(r),
                        [lo, hi, ..] => ValueRegs { lo, hi }.to_word(),
                    };
                    true
                }
                Err(e) => {
                    ctx.fail(format!("bad instruction built by a rule: {e}"));
                    false
                }
            }
        });
    }
}

/// The full environment: prelude, opcodes, rows, externs and constants.
pub fn lower_env() -> TermEnv<LowerCtx> {
    let mut env = crate::dsl::prelude::standard_env::<LowerCtx>();
    for &op in ir::Opcode::ALL {
        let info = op.info();
        let imms = info.immediates().iter().map(|&k| ("imm", imm_type(k)));
        env.opcode(
            info.name,
            op.index() as u32,
            info.format.fixed_value_count() as u32,
            imms,
        );
    }
    register_rows(&mut env);
    for (name, code) in [
        ("TRAP_INT_DIVZ", TrapCode::INTEGER_DIVISION_BY_ZERO),
        ("TRAP_INT_OVF", TrapCode::INTEGER_OVERFLOW),
        ("TRAP_BAD_TOINT", TrapCode::BAD_CONVERSION_TO_INTEGER),
    ] {
        env.constant(name, "TrapCode", u64::from(code.0));
    }
    register_externs(&mut env);
    super::shuffle::register(&mut env);
    env
}

fn register_externs(env: &mut TermEnv<LowerCtx>) {
    env.constructor("put_in_gpr", |ctx: &mut LowerCtx, v: ir::Value| {
        let regs = ctx.put_in_regs(v);
        if regs.lo.class() != RegClass::Int {
            ctx.fail("a float value where an integer register was expected");
        }
        regs.lo
    })
    .constructor("put_in_xmm", |ctx: &mut LowerCtx, v: ir::Value| {
        let regs = ctx.put_in_regs(v);
        if regs.lo.class() != RegClass::Float {
            ctx.fail("an integer value where an XMM register was expected");
        }
        regs.lo
    })
    .constructor("put_in_regs", |ctx: &mut LowerCtx, v: ir::Value| {
        ctx.put_in_regs(v)
    })
    .constructor("value_type", |ctx: &mut LowerCtx, v: ir::Value| {
        let v = ctx.func.dfg.resolve_aliases(v);
        ctx.func.dfg.value_type(v)
    })
    .constructor("reg_mem", |_: &mut LowerCtx, r: Reg| RegMem(reg_word(r)))
    .constructor("amode_mem", |_: &mut LowerCtx, a: AmodeRef| {
        RegMem(a.0 | MEM_BIT)
    })
    .constructor("value_reg", |_: &mut LowerCtx, r: Reg| ValueRegs::one(r))
    .constructor("value_pair", |_: &mut LowerCtx, lo: Reg, hi: Reg| {
        ValueRegs { lo, hi }
    })
    .constructor("regs_lo", |_: &mut LowerCtx, r: ValueRegs| r.lo)
    .constructor("regs_hi", |_: &mut LowerCtx, r: ValueRegs| r.hi)
    .constructor("output", |ctx: &mut LowerCtx, r: ValueRegs| {
        ctx.outputs.push(r);
        InstOutput
    })
    .constructor(
        "output2",
        |ctx: &mut LowerCtx, a: ValueRegs, b: ValueRegs| {
            ctx.outputs.push(a);
            ctx.outputs.push(b);
            InstOutput
        },
    )
    .constructor("output_none", |_: &mut LowerCtx| InstOutput)
    .constructor(
        "amode_base",
        |ctx: &mut LowerCtx, base: Reg, off: i32, flags: u64| {
            let trap = access_trap(ctx, flags);
            AmodeRef(ctx.amode_word(Amode::base_disp(base, off), trap))
        },
    )
    .constructor(
        "amode_base_index",
        |ctx: &mut LowerCtx, base: Reg, index: Reg, scale: u8, off: i32, flags: u64| {
            let trap = access_trap(ctx, flags);
            AmodeRef(ctx.amode_word(Amode::base_index(base, index, scale, off), trap))
        },
    )
    .partial_constructor("disp_plus", |_: &mut LowerCtx, off: i32, k: i64| {
        i32::try_from(k).ok().and_then(|k| off.checked_add(k))
    })
    .partial_constructor("addr_scale", |_: &mut LowerCtx, shift: i64| {
        (0..=3).contains(&shift).then_some(shift as u8)
    })
    .constructor("stack_amode", |ctx: &mut LowerCtx, slot: u32, off: i32| {
        let a = Amode::Frame {
            area: FrameArea::StackSlot,
            index: slot,
            offset: off,
        };
        AmodeRef(ctx.amode_word(a, None))
    })
    .constructor("const_amode", |ctx: &mut LowerCtx, bits: u64, size: u32| {
        // `size` bytes: the value's low bytes, zero-padded (16 for packed-row masks).
        let mut bytes = bits.to_le_bytes().to_vec();
        bytes.resize(size.clamp(1, 16) as usize, 0);
        let label = ctx.constant(&bytes, size.clamp(1, 16).next_power_of_two());
        AmodeRef(ctx.amode_word(Amode::rip(label), None))
    })
    .constructor("succ", |ctx: &mut LowerCtx, i: u8| ctx.succ_label(i))
    .constructor(
        "handler_amode",
        |ctx: &mut LowerCtx, block: u32, index: i64| {
            let label = exceptions::handler_label(ctx, ir::Block::from_u32(block), index);
            AmodeRef(ctx.amode_word(Amode::rip(label), None))
        },
    )
    .constructor("jmp_to", |ctx: &mut LowerCtx, target: MachLabel| {
        ctx.emit(MInst::Jump { target });
        SideEffect
    })
    .constructor(
        "jump_if",
        |ctx: &mut LowerCtx, cc: Cc, taken: MachLabel, not_taken: MachLabel| {
            ctx.emit(MInst::JumpIf {
                cc,
                taken,
                not_taken,
            });
            SideEffect
        },
    )
    .constructor("jump_table", |ctx: &mut LowerCtx, index: Reg| {
        let n = ctx.order.succs(ctx.cur_block as usize).len();
        let labels: Vec<MachLabel> = (0..n).map(|i| ctx.succ_label(i as u8)).collect();
        let tmp1 = ctx.alloc_reg(RegClass::Int);
        let tmp2 = ctx.alloc_reg(RegClass::Int);
        match labels.split_first() {
            Some((&default, targets)) => ctx.emit(MInst::JumpTable {
                index,
                tmp1,
                tmp2,
                default,
                targets: targets.to_vec(),
            }),
            None => ctx.fail("br_table without a default block"),
        }
        SideEffect
    })
    .constructor("func_address", |ctx: &mut LowerCtx, f: u32| {
        let data = ctx.func.dfg.ext_funcs.get(ir::FuncRef::from_u32(f));
        let Some((name, colocated)) = data.map(|d| (d.name.clone(), d.colocated)) else {
            ctx.fail("func_addr of an undeclared function");
            return ctx.alloc_reg(regalloc2::RegClass::Int);
        };
        symbol_address(ctx, name, 0, colocated)
    })
    .extractor("sinkable_load", |ctx: &mut LowerCtx, v: ir::Value| {
        ctx.sinkable_load(v).map(|i| (i,))
    })
    .constructor("sink", |ctx: &mut LowerCtx, load: ir::Inst| {
        ctx.sunk[load.index()] = true;
        SideEffect
    })
    .constructor(
        "atomic_loop",
        |ctx: &mut LowerCtx, op: u8, ty: ir::Type, a: AmodeRef, operand: Reg| {
            use super::minst::AtomicLoopOp as A;
            let op = [
                A::And,
                A::Nand,
                A::Or,
                A::Xor,
                A::Umin,
                A::Umax,
                A::Smin,
                A::Smax,
            ][usize::from(op) % 8];
            let (addr, trap) = ctx.amodes[a.0 as usize];
            let tmp = ctx.alloc_reg(RegClass::Int);
            let dst = ctx.alloc_reg(regalloc2::RegClass::Int);
            ctx.emit(MInst::AtomicLoop {
                op,
                bytes: ty.bytes() as u8,
                addr,
                operand,
                tmp,
                dst,
                trap,
            });
            dst
        },
    )
    .constructor("pinned_reg", |ctx: &mut LowerCtx| {
        if !ctx.flags.enable_pinned_reg {
            ctx.fail("get_pinned_reg without enable_pinned_reg");
        }
        Reg::phys(crate::isa::x64::abi::registers::PINNED_REG)
    })
    .constructor("set_pinned", |ctx: &mut LowerCtx, v: Reg| {
        if !ctx.flags.enable_pinned_reg {
            ctx.fail("set_pinned_reg without enable_pinned_reg");
        }
        let pinned = Reg::phys(crate::isa::x64::abi::registers::PINNED_REG);
        match Inst::new(
            crate::isa::x64::rows::Op::mov_r64_rm64,
            &[Arg::Reg(v)],
            &[pinned],
        ) {
            Ok(i) => ctx.emit(MInst::Real(i)),
            Err(e) => ctx.fail(format!("set_pinned_reg: {e}")),
        }
        SideEffect
    })
    .constructor("temp_slot", |ctx: &mut LowerCtx, size: u32| {
        ctx.temp_slots
            .push((size, size.clamp(1, 16).next_power_of_two()));
        (ctx.func.stack_slots.len() + ctx.temp_slots.len() - 1) as u32
    })
    .constructor("pool_const", |ctx: &mut LowerCtx, c: u32| {
        let bytes = ctx
            .func
            .dfg
            .constants
            .get(ir::Constant::from_u32(c))
            .map(|d| d.0.clone())
            .unwrap_or_default();
        let mut bytes = bytes;
        bytes.resize(16, 0);
        let label = ctx.constant(&bytes, 16);
        AmodeRef(ctx.amode_word(Amode::rip(label), None))
    })
    .constructor(
        "atomic_loop128",
        |ctx: &mut LowerCtx, op: u8, a: AmodeRef, operand: ValueRegs| {
            use super::minst::Atomic128Op as A;
            let ops = [
                A::Add,
                A::Sub,
                A::And,
                A::Nand,
                A::Or,
                A::Xor,
                A::Xchg,
                A::Umin,
                A::Umax,
                A::Smin,
                A::Smax,
            ];
            let (addr, trap) = ctx.amodes[a.0 as usize];
            let regs: Vec<Reg> = (0..4).map(|_| ctx.alloc_reg(RegClass::Int)).collect();
            ctx.emit(MInst::AtomicLoop128 {
                op: ops[usize::from(op) % ops.len()],
                addr,
                lo: operand.lo,
                hi: operand.hi,
                old_lo: regs[0],
                old_hi: regs[1],
                new_lo: regs[2],
                new_hi: regs[3],
                trap,
            });
            ValueRegs {
                lo: regs[0],
                hi: regs[1],
            }
        },
    )
    .constructor("machine_reg", |ctx: &mut LowerCtx, enc: u8| {
        if enc != 4 && enc != 5 {
            ctx.fail("only rsp and rbp are read directly");
        }
        Reg::phys(crate::isa::x64::regs::gpr(enc))
    })
    .constructor("amode_reg", |ctx: &mut LowerCtx, base: Reg, off: i32| {
        AmodeRef(ctx.amode_word(Amode::base_disp(base, off), None))
    })
    .constructor("global_value", |ctx: &mut LowerCtx, gv: u32| {
        super::abi_lower::global_value(ctx, ir::GlobalValue::from_u32(gv))
    })
    .constructor("u16_as_u32", |_: &mut LowerCtx, v: u16| u32::from(v))
    .constructor("off8", |_: &mut LowerCtx, off: i32| off.wrapping_add(8))
    .constructor("trap_on", |ctx: &mut LowerCtx, cc: Cc, code: TrapCode| {
        ctx.emit(MInst::TrapIf { cc, code });
        SideEffect
    })
    .constructor("ud2_trap", |ctx: &mut LowerCtx, code: TrapCode| {
        ctx.emit(MInst::Trap { code });
        SideEffect
    })
    .constructor("lower_return", |ctx: &mut LowerCtx, inst: ir::Inst| {
        abi_lower::lower_return(ctx, inst);
        InstOutput
    })
    .constructor("lower_call", |ctx: &mut LowerCtx, inst: ir::Inst| {
        abi_lower::lower_call(ctx, inst);
        InstOutput
    })
    .constructor(
        "stack_switch_basic",
        |ctx: &mut LowerCtx, store: Reg, load: Reg, payload: Reg| {
            stack_switch::stack_switch(ctx, store, load, payload)
        },
    )
    .constructor("tls_address", |ctx: &mut LowerCtx, gv: u32| {
        tls::tls_address(ctx, ir::GlobalValue::from_u32(gv))
    })
    .constructor("lower_try_call", |ctx: &mut LowerCtx, inst: ir::Inst| {
        abi_lower::lower_call(ctx, inst);
        SideEffect
    })
    .constructor("has_popcnt", |ctx: &mut LowerCtx| ctx.isa.popcnt)
    .constructor("has_lzcnt", |ctx: &mut LowerCtx| ctx.isa.lzcnt)
    .constructor("zeroes_upper32", |ctx: &mut LowerCtx, v: ir::Value| {
        zeroes_upper32(ctx, v)
    })
    .constructor("has_bmi1", |ctx: &mut LowerCtx| ctx.isa.bmi1)
    .constructor("has_bmi2", |ctx: &mut LowerCtx| ctx.isa.bmi2)
    .constructor("has_sse41", |ctx: &mut LowerCtx| ctx.isa.sse41)
    .constructor("has_avx", |ctx: &mut LowerCtx| ctx.isa.avx)
    .constructor("libcall1", |ctx: &mut LowerCtx, f: LibCall, x: Reg| {
        abi_lower::libcall(ctx, f.name(), &[x], x.class())
    })
    .constructor(
        "libcall2",
        |ctx: &mut LowerCtx, f: LibCall, a: Reg, b: Reg| {
            abi_lower::libcall(ctx, f.name(), &[a, b], a.class())
        },
    )
    .constructor(
        "libcall3",
        |ctx: &mut LowerCtx, f: LibCall, a: Reg, b: Reg, c: Reg| {
            abi_lower::libcall(ctx, f.name(), &[a, b, c], a.class())
        },
    )
    .constructor("has_fma", |ctx: &mut LowerCtx| ctx.isa.fma)
    .constructor("has_sse3", |ctx: &mut LowerCtx| ctx.isa.sse3)
    .constructor("has_ssse3", |ctx: &mut LowerCtx| ctx.isa.ssse3)
    .constructor("has_sse42", |ctx: &mut LowerCtx| ctx.isa.sse42)
    .constructor("has_avx2", |ctx: &mut LowerCtx| ctx.isa.has(Feature::Avx2))
    .constructor("has_avx512vl", |ctx: &mut LowerCtx| {
        ctx.isa.has(Feature::Avx512Vl)
    })
    .constructor("has_avx512dq", |ctx: &mut LowerCtx| {
        ctx.isa.has(Feature::Avx512VlDq)
    })
    .constructor("has_avx512vbmi", |ctx: &mut LowerCtx| {
        ctx.isa.has(Feature::Avx512VlVbmi)
    })
    .constructor("has_avx512bitalg", |ctx: &mut LowerCtx| {
        ctx.isa.has(Feature::Avx512VlBitalg)
    })
    .constructor("has_avx512vnni", |ctx: &mut LowerCtx| {
        ctx.isa.has(Feature::Avx512VlVnni)
    })
    .constructor("has_avx_vnni", |ctx: &mut LowerCtx| {
        ctx.isa.has(Feature::AvxVnni)
    })
    .constructor("const128", |ctx: &mut LowerCtx, lo: u64, hi: u64| {
        let bytes = (u128::from(lo) | (u128::from(hi) << 64)).to_le_bytes();
        let label = ctx.constant(&bytes, 16);
        AmodeRef(ctx.amode_word(Amode::rip(label), None))
    })
    .partial_constructor("imm32", |_: &mut LowerCtx, ty: ir::Type, k: i64| {
        if ty.bits() <= 32 {
            Some(i64::from(k as i32))
        } else {
            i32::try_from(k).ok().map(i64::from)
        }
    })
    .extractor("vconst_zero", |ctx: &mut LowerCtx, c: u32| {
        const_bytes(ctx, c)
            .is_some_and(|b| b.iter().all(|&x| x == 0))
            .then_some((c,))
    })
    .extractor("vconst_ones", |ctx: &mut LowerCtx, c: u32| {
        const_bytes(ctx, c)
            .is_some_and(|b| b.iter().all(|&x| x == 0xff))
            .then_some((c,))
    })
    .extractor("gpr_ty", |_: &mut LowerCtx, t: ir::Type| {
        (t.is_int() && t.bits() <= 64).then_some((t,))
    })
    .extractor("ty_32_64", |_: &mut LowerCtx, t: ir::Type| {
        (t == ir::Type::I32 || t == ir::Type::I64).then_some((t,))
    });
}

/// The bytes of constant-pool entry `c` of the function, if there is one.
fn const_bytes(ctx: &LowerCtx, c: u32) -> Option<&[u8]> {
    (ctx.func.dfg.constants)
        .get(ir::Constant::from_u32(c))
        .map(|d| d.0.as_slice())
}

/// x86 accesses memory little-endian; a big-endian access (memory-flags word bit 8) would
/// need its bytes swapped, which no rule does yet (nor does Cranelift's x64 back end).
/// Whether the rules lower `v`, an i32, by an instruction writing a 32-bit register, which
/// zeroes the upper half (so a `uextend.i64` of it needs no instruction). Only opcodes whose
/// every i32 rule ends in such an instruction (arith.rules' ALU, multiply and constant rules,
/// memory.rules' loads) are listed; a rule added for one of them must write 32 bits too.
fn zeroes_upper32(ctx: &LowerCtx, v: ir::Value) -> bool {
    use ir::Opcode as O;
    let dfg = &ctx.func.dfg;
    let v = dfg.resolve_aliases(v);
    if dfg.value_type(v) != ir::Type::I32 {
        return false;
    }
    match dfg.value_def(v) {
        ir::ValueDef::Result(inst, 0) => matches!(
            dfg.inst(inst).opcode(),
            O::Iadd
                | O::Isub
                | O::Band
                | O::Bor
                | O::Bxor
                | O::Imul
                | O::IaddImm
                | O::BandImm
                | O::BorImm
                | O::BxorImm
                | O::ImulImm
                | O::Iconst
                | O::Load
                | O::Uload8
                | O::Uload16
        ),
        _ => false,
    }
}

/// The trap code of an access with memory flags `flags` (a word from `memflags_word`), after
/// refusing big-endian accesses.
fn access_trap(ctx: &mut LowerCtx, flags: u64) -> Option<TrapCode> {
    if flags & (1 << 8) != 0 {
        ctx.fail("not supported yet: big-endian memory accesses");
    }
    (flags & 0xff != 0).then_some(TrapCode(flags as u8))
}

/// The address of symbol `name` + `offset` in a new register. In position-independent code
/// (`is_pic`), a symbol that is not colocated may live in a shared library, out of PC-relative
/// reach: its address is read from its GOT entry (`mov`, GOTPCREL), which holds the address
/// itself, so an offset cannot ride along. Otherwise it is addressed directly (`lea`, PC32).
fn symbol_address(ctx: &mut LowerCtx, name: ir::ExternalName, offset: i64, colocated: bool) -> Reg {
    let dst = ctx.alloc_reg(regalloc2::RegClass::Int);
    let got = !colocated && ctx.flags.is_pic;
    let disp = match i32::try_from(offset) {
        Ok(d) if !got || d == 0 => d,
        _ => {
            ctx.fail(
                "not supported yet: symbol offsets beyond 2 GiB or on symbols read from the GOT",
            );
            return dst;
        }
    };
    let symbol = ctx.symbol(crate::machinst::buffer::SymbolName::External(name));
    let amode = Arg::Mem(Amode::RipSymbol { symbol, got, disp });
    let op = if got {
        crate::isa::x64::rows::Op::mov_r64_rm64
    } else {
        crate::isa::x64::rows::Op::lea_r64
    };
    match Inst::new(op, &[amode], &[dst]) {
        Ok(inst) => ctx.emit_inst(inst, None),
        Err(e) => ctx.fail(format!("symbol address: {e}")),
    }
    dst
}
