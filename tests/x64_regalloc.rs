//! Instructions built from table rows go through regalloc2 (with its checker), get their
//! allocations applied, are encoded with spill moves, linked by `cc` and run: the printed
//! result must equal the same computation done in Rust.

use std::process::Command;

use regalloc2::{
    checker::Checker, Algorithm, Block, Edit, Function, InstOrEdit, InstRange, Operand, PReg,
    PRegSet, RegClass, RegallocOptions, VReg,
};
use rulesel::isa::x64::amode::{Amode, FrameArea, FrameResolver};
use rulesel::isa::x64::encode::{emit, X64Buffer};
use rulesel::isa::x64::inst::{Arg, Inst};
use rulesel::isa::x64::regs::{self, Reg, PINNED_VREGS, RAX, RSP};
use rulesel::isa::x64::rows::Op;

/// A one-block function of `Inst`s, its last instruction a `ret` that reads the result in rax.
struct Func {
    insts: Vec<Inst>,
    operands: Vec<Vec<Operand>>,
    num_vregs: usize,
}

impl Function for Func {
    fn num_insts(&self) -> usize {
        self.insts.len()
    }
    fn num_blocks(&self) -> usize {
        1
    }
    fn entry_block(&self) -> Block {
        Block::new(0)
    }
    fn block_insns(&self, _: Block) -> InstRange {
        InstRange::new(
            regalloc2::Inst::new(0),
            regalloc2::Inst::new(self.insts.len()),
        )
    }
    fn block_succs(&self, _: Block) -> &[Block] {
        &[]
    }
    fn block_preds(&self, _: Block) -> &[Block] {
        &[]
    }
    fn block_params(&self, _: Block) -> &[VReg] {
        &[]
    }
    fn is_ret(&self, i: regalloc2::Inst) -> bool {
        i.index() == self.insts.len() - 1
    }
    fn is_branch(&self, _: regalloc2::Inst) -> bool {
        false
    }
    fn branch_blockparams(&self, _: Block, _: regalloc2::Inst, _: usize) -> &[VReg] {
        &[]
    }
    fn inst_operands(&self, i: regalloc2::Inst) -> &[Operand] {
        &self.operands[i.index()]
    }
    fn inst_clobbers(&self, _: regalloc2::Inst) -> PRegSet {
        PRegSet::empty()
    }
    fn num_vregs(&self) -> usize {
        self.num_vregs
    }
    fn spillslot_size(&self, class: RegClass) -> usize {
        match class {
            RegClass::Int => 1,
            _ => 2,
        }
    }
}

/// Builds the function: fresh virtual registers and instructions.
struct Builder {
    insts: Vec<Inst>,
    next: usize,
}

impl Builder {
    fn vreg(&mut self, class: RegClass) -> Reg {
        self.next += 1;
        Reg::virt(VReg::new(PINNED_VREGS + self.next - 1, class))
    }
    fn gpr(&mut self) -> Reg {
        self.vreg(RegClass::Int)
    }
    fn xmm(&mut self) -> Reg {
        self.vreg(RegClass::Float)
    }
    fn push(&mut self, op: Op, inputs: &[Arg], outputs: &[Reg]) {
        self.insts
            .push(Inst::new(op, inputs, outputs).expect("valid operands"));
    }
    fn imm(&mut self, v: i64) -> Reg {
        let r = self.gpr();
        self.push(Op::mov_r64_imm32, &[Arg::Imm(v)], &[r]);
        r
    }
    fn binop(&mut self, op: Op, a: Reg, b: Arg) -> Reg {
        let r = self.gpr();
        self.push(op, &[Arg::Reg(a), b], &[r]);
        r
    }
}

/// Spill slot `s` is at rsp + 16·s.
struct Frame;
impl FrameResolver for Frame {
    fn frame_address(&self, _: FrameArea, index: u32, offset: i32) -> (PReg, i32) {
        (RSP, 16 * index as i32 + offset)
    }
}

/// The computation, in Rust.
fn expected() -> i64 {
    let values: Vec<i64> = (0..24).map(|i| i * 3 + 1).collect();
    let mut acc = 0i64;
    for (i, v) in values.iter().enumerate() {
        acc = if i % 2 == 0 { acc + v } else { acc ^ (v * 5) };
    }
    let sum_all: i64 = values.iter().sum();
    let q = (acc * 1000 + sum_all) / 7;
    let r = (acc * 1000 + sum_all) % 7;
    let shifted = q << (r as u32 + 1);
    let f = (shifted as f64 + 0.5) * 2.0;
    let back = f as i64;
    back + sum_all * 8 + 16
}

fn build() -> (Builder, Reg) {
    let mut b = Builder {
        insts: Vec::new(),
        next: 0,
    };
    // 24 values live at once: more than the 14 allocatable GPRs, so regalloc2 must spill.
    let values: Vec<Reg> = (0..24).map(|i| b.imm(i * 3 + 1)).collect();
    let mut acc = b.imm(0);
    for (i, &v) in values.iter().enumerate() {
        acc = if i % 2 == 0 {
            b.binop(Op::add_r64_rm64, acc, Arg::Reg(v))
        } else {
            let v5 = b.gpr();
            b.push(Op::imul_r64_rm64_imm32, &[Arg::Reg(v), Arg::Imm(5)], &[v5]);
            b.binop(Op::xor_r64_rm64, acc, Arg::Reg(v5))
        };
    }
    let mut sum_all = b.imm(0);
    for &v in &values {
        sum_all = b.binop(Op::add_r64_rm64, sum_all, Arg::Reg(v));
    }
    // (acc * 1000 + sum_all) divided by 7: rdx:rax fixed operands.
    let scaled = b.gpr();
    b.push(
        Op::imul_r64_rm64_imm32,
        &[Arg::Reg(acc), Arg::Imm(1000)],
        &[scaled],
    );
    let dividend = b.binop(Op::add_r64_rm64, scaled, Arg::Reg(sum_all));
    let zero = b.imm(0);
    let seven = b.imm(7);
    let (q, r) = (b.gpr(), b.gpr());
    b.push(
        Op::idiv_rm64,
        &[Arg::Reg(seven), Arg::Reg(dividend), Arg::Reg(zero)],
        &[q, r],
    );
    // q << (r + 1): the count must be in cl.
    let one = b.imm(1);
    let count = b.binop(Op::add_r64_rm64, r, Arg::Reg(one));
    let shifted = b.gpr();
    b.push(Op::shl_r64_cl, &[Arg::Reg(q), Arg::Reg(count)], &[shifted]);
    // Through the float unit: ((shifted as f64) + 0.5) * 2.0, truncated back.
    let half_bits = b.imm(0x3fe0_0000_0000_0000u64 as i64 >> 32);
    let half_hi = b.gpr();
    b.push(
        Op::shl_r64_imm8,
        &[Arg::Reg(half_bits), Arg::Imm(32)],
        &[half_hi],
    );
    let half = b.xmm();
    b.push(Op::movq_x_rm64, &[Arg::Reg(half_hi)], &[half]);
    let f0 = b.xmm();
    b.push(Op::movq_x_rm64, &[Arg::Reg(zero)], &[f0]);
    let f1 = b.xmm();
    b.push(
        Op::cvtsi2sd_x_rm64,
        &[Arg::Reg(f0), Arg::Reg(shifted)],
        &[f1],
    );
    let f2 = b.xmm();
    b.push(Op::addsd_x_xm64, &[Arg::Reg(f1), Arg::Reg(half)], &[f2]);
    let f3 = b.xmm();
    b.push(Op::addsd_x_xm64, &[Arg::Reg(f2), Arg::Reg(f2)], &[f3]);
    let back = b.gpr();
    b.push(Op::cvttsd2si_r64_xm64, &[Arg::Reg(f3)], &[back]);
    // back + sum_all*8 + 16 with one lea.
    let result = b.gpr();
    b.push(
        Op::lea_r64,
        &[Arg::Mem(Amode::base_index(back, sum_all, 3, 16))],
        &[result],
    );
    // The ret's use of the result in rax is the ABI's operand, added by the caller.
    b.push(Op::ret, &[], &[]);
    (b, result)
}

#[test]
fn allocated_code_runs() {
    let (b, result) = build();
    let operands: Vec<Vec<Operand>> = b
        .insts
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            let mut ops = Vec::new();
            inst.collect_operands(&mut ops);
            if i == b.insts.len() - 1 {
                ops.push(Operand::reg_fixed_use(result.to_vreg(), RAX));
            }
            ops
        })
        .collect();
    let func = Func {
        insts: b.insts.clone(),
        operands,
        num_vregs: PINNED_VREGS + b.next,
    };
    let env = regs::machine_env();
    for algorithm in [Algorithm::Ion, Algorithm::Fastalloc] {
        let options = RegallocOptions {
            algorithm,
            validate_ssa: true,
            ..RegallocOptions::default()
        };
        let out = regalloc2::run(&func, &env, &options).expect("allocation succeeds");
        let mut checker = Checker::new(&func, &env);
        checker.prepare(&out);
        checker
            .run()
            .expect("regalloc2's checker accepts the allocation");
        assert!(
            out.num_spillslots > 0,
            "{algorithm:?}: the test is meant to spill"
        );

        let mut buf = X64Buffer::new();
        let frame_size = (16 * out.num_spillslots as i64 + 15) & !15;
        let rsp = Reg::phys(RSP);
        let sub = Inst::new(
            Op::sub_r64_imm32,
            &[Arg::Reg(rsp), Arg::Imm(frame_size)],
            &[rsp],
        )
        .unwrap();
        emit(&sub, &mut buf, &Frame).unwrap();
        for item in out.block_insts_and_edits(&func, Block::new(0)) {
            let inst = match item {
                InstOrEdit::Inst(i) => {
                    if func.is_ret(i) {
                        let add = Inst::new(
                            Op::add_r64_imm32,
                            &[Arg::Reg(rsp), Arg::Imm(frame_size)],
                            &[rsp],
                        )
                        .unwrap();
                        emit(&add, &mut buf, &Frame).unwrap();
                    }
                    func.insts[i.index()].with_allocs(out.inst_allocs(i))
                }
                InstOrEdit::Edit(Edit::Move { from, to }) => {
                    Inst::gen_move(*from, *to).expect("regalloc2 moves through registers")
                }
            };
            emit(&inst, &mut buf, &Frame).expect("every register is allocated");
        }
        let code = buf.finish().unwrap();
        assert_eq!(
            run_with_cc(&code.bytes, algorithm),
            expected(),
            "{algorithm:?}"
        );
    }
}

/// Link `bytes` as `long f(void)` with a C driver, run it and return what it printed.
fn run_with_cc(bytes: &[u8], algorithm: Algorithm) -> i64 {
    let dir = std::env::temp_dir().join(format!(
        "rulesel-x64-regalloc-{}-{algorithm:?}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let asm: Vec<String> = bytes.iter().map(|b| format!("{b:#04x}")).collect();
    std::fs::write(
        dir.join("f.s"),
        format!(
            ".text\n.globl f\nf:\n.byte {}\n.section .note.GNU-stack,\"\",@progbits\n",
            asm.join(",")
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("main.c"),
        "#include <stdio.h>\nlong f(void);\nint main(void) { printf(\"%ld\\n\", f()); return 0; }\n",
    )
    .unwrap();
    let exe = dir.join("prog");
    let status = Command::new("cc")
        .arg(dir.join("main.c"))
        .arg(dir.join("f.s"))
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("a C compiler is installed");
    assert!(status.success(), "cc failed");
    let out = Command::new(&exe).output().expect("the program runs");
    assert!(
        out.status.success(),
        "the program crashed: {:?}",
        out.status
    );
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a number")
}
