//! Instructions built from table rows go through regalloc2 (with its checker), get their
//! allocations applied, are encoded with spill moves, linked by `cc` and run: the printed
//! result must equal the same computation done in Rust.

mod x64_support;

use regalloc2::Algorithm;
use rulesel::isa::x64::amode::Amode;
use rulesel::isa::x64::inst::Arg;
use rulesel::isa::x64::regs::{Reg, RAX};
use rulesel::isa::x64::rows::Op;
use x64_support::{compile, run_with_cc, Builder};

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
    let mut b = Builder::default();
    // 24 values live at once: more than the 14 allocatable GPRs, so regalloc2 must spill.
    let values: Vec<Reg> = (0..24)
        .map(|i| b.op1(Op::mov_r64_imm32, &[Arg::Imm(i * 3 + 1)]))
        .collect();
    let mut acc = b.op1(Op::mov_r64_imm32, &[Arg::Imm(0)]);
    for (i, &v) in values.iter().enumerate() {
        acc = if i % 2 == 0 {
            b.op1(Op::add_r64_rm64, &[Arg::Reg(acc), Arg::Reg(v)])
        } else {
            let v5 = b.gpr();
            b.push(Op::imul_r64_rm64_imm32, &[Arg::Reg(v), Arg::Imm(5)], &[v5]);
            b.op1(Op::xor_r64_rm64, &[Arg::Reg(acc), Arg::Reg(v5)])
        };
    }
    let mut sum_all = b.op1(Op::mov_r64_imm32, &[Arg::Imm(0)]);
    for &v in &values {
        sum_all = b.op1(Op::add_r64_rm64, &[Arg::Reg(sum_all), Arg::Reg(v)]);
    }
    // (acc * 1000 + sum_all) divided by 7: rdx:rax fixed operands.
    let scaled = b.gpr();
    b.push(
        Op::imul_r64_rm64_imm32,
        &[Arg::Reg(acc), Arg::Imm(1000)],
        &[scaled],
    );
    let dividend = b.op1(Op::add_r64_rm64, &[Arg::Reg(scaled), Arg::Reg(sum_all)]);
    let zero = b.op1(Op::mov_r64_imm32, &[Arg::Imm(0)]);
    let seven = b.op1(Op::mov_r64_imm32, &[Arg::Imm(7)]);
    let (q, r) = (b.gpr(), b.gpr());
    b.push(
        Op::idiv_rm64,
        &[Arg::Reg(seven), Arg::Reg(dividend), Arg::Reg(zero)],
        &[q, r],
    );
    // q << (r + 1): the count must be in cl.
    let one = b.op1(Op::mov_r64_imm32, &[Arg::Imm(1)]);
    let count = b.op1(Op::add_r64_rm64, &[Arg::Reg(r), Arg::Reg(one)]);
    let shifted = b.gpr();
    b.push(Op::shl_r64_cl, &[Arg::Reg(q), Arg::Reg(count)], &[shifted]);
    // Through the float unit: ((shifted as f64) + 0.5) * 2.0, truncated back.
    let half_bits = b.konst(0.5f64.to_bits());
    let half = b.xmm();
    b.push(Op::movq_x_rm64, &[Arg::Reg(half_bits)], &[half]);
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
    let (mut b, result) = build();
    // The first instruction carries the function's (absent) incoming arguments.
    b.insts.insert(
        0,
        rulesel::isa::x64::inst::Inst::new(Op::nop_n, &[Arg::Imm(1)], &[]).unwrap(),
    );
    let func = b.finish(&[], &[(result, RAX)]);
    let main_c = "#include <stdio.h>\nlong f(void);\nint main(void) { printf(\"%ld\\n\", f()); return 0; }\n";
    for algorithm in [Algorithm::Ion, Algorithm::Fastalloc] {
        let (code, spill_slots) = compile(&func, algorithm);
        assert!(spill_slots > 0, "{algorithm:?}: the test is meant to spill");
        let printed = run_with_cc(&code, main_c, &format!("x64-regalloc-{algorithm:?}"));
        assert_eq!(
            printed.trim().parse::<i64>().ok(),
            Some(expected()),
            "{algorithm:?}"
        );
    }
}
