//! Rows do what their operand lists say: one function exercises arithmetic, shifts, bit
//! counting, conditions, BMI, atomics and SSE/AVX/FMA rows through regalloc2, is linked by `cc`
//! and run, and every result it stores is compared with the same operation in Rust. Decoding
//! (tests/x64_encoding.rs) shows the bytes are the instruction named; this shows the access
//! flags, fixed registers and operand order are right, so allocated code computes the right
//! thing.

mod x64_support;

use regalloc2::{Algorithm, RegClass};
use rulesel::isa::x64::amode::Amode;
use rulesel::isa::x64::inst::Arg;
use rulesel::isa::x64::regs::{Reg, RDI};
use rulesel::isa::x64::rows::Op;
use rulesel::isa::x64::table::Cc;
use x64_support::{compile, run_with_cc, Builder};

const A: u64 = 0x0123_4567_89ab_cdef;
const B: u64 = 0xfedc_ba98_7654_3211;

/// The function under construction and the results it is expected to store.
struct Checks {
    b: Builder,
    out: Reg,
    expected: Vec<(&'static str, u64)>,
}

impl Checks {
    /// The address of result slot `k`.
    fn slot(&self, k: usize) -> Amode {
        Amode::base_disp(self.out, 8 * k as i32)
    }

    /// Store register `r` (GPR, or the low 64 bits of an XMM) as the next result.
    fn expect(&mut self, name: &'static str, r: Reg, value: u64) {
        let r = if r.class() == RegClass::Float {
            self.b.op1(Op::movq_r64_x, &[Arg::Reg(r)])
        } else {
            r
        };
        let slot = self.slot(self.expected.len());
        self.b
            .push(Op::mov_m64_r64, &[Arg::Mem(slot), Arg::Reg(r)], &[]);
        self.expected.push((name, value));
    }

    /// Claim the next result slot, initialised to `init`, for an instruction that writes
    /// memory; it must hold `value` at the end.
    fn expect_memory(&mut self, name: &'static str, init: Reg, value: u64) -> Amode {
        let slot = self.slot(self.expected.len());
        self.b
            .push(Op::mov_m64_r64, &[Arg::Mem(slot), Arg::Reg(init)], &[]);
        self.expected.push((name, value));
        slot
    }

    fn op1(&mut self, op: Op, inputs: &[Arg]) -> Reg {
        self.b.op1(op, inputs)
    }

    fn konst(&mut self, v: u64) -> Reg {
        self.b.konst(v)
    }

    fn float(&mut self, v: f64) -> Reg {
        let bits = self.konst(v.to_bits());
        self.op1(Op::movq_x_rm64, &[Arg::Reg(bits)])
    }
}

fn r(reg: Reg) -> Arg {
    Arg::Reg(reg)
}

fn integer_rows(c: &mut Checks, a: Reg, b: Reg) {
    let sum = c.op1(Op::add_r64_rm64, &[r(a), r(b)]);
    c.expect("add", sum, A.wrapping_add(B));
    let plus5 = c.op1(Op::sub_r64_imm32, &[r(a), Arg::Imm(-5)]);
    c.expect("sub imm", plus5, A + 5);
    let slot = c.expect_memory("add to memory", a, A.wrapping_add(B));
    c.b.push(Op::add_m64_r64, &[Arg::Mem(slot), r(b)], &[]);
    let times = c.op1(Op::imul_r64_rm64_imm32, &[r(b), Arg::Imm(77)]);
    c.expect("imul3", times, B.wrapping_mul(77));

    let wide = u128::from(A) * u128::from(B);
    let prod = c.b.op(Op::mul_rm64, &[r(b), r(a)]);
    c.expect("mul lo", prod[0], wide as u64);
    c.expect("mul hi", prod[1], (wide >> 64) as u64);

    let (x, y) = (-1_000_003i64, 97i64);
    let xr = c.konst(x as u64);
    let yr = c.konst(y as u64);
    let hi = c.op1(Op::cqo, &[r(xr)]);
    let qr = c.b.op(Op::idiv_rm64, &[r(yr), r(xr), r(hi)]);
    c.expect("idiv q", qr[0], (x / y) as u64);
    c.expect("idiv r", qr[1], (x % y) as u64);
    let x32 = c.op1(Op::mov_r32_imm32, &[Arg::Imm(0xffff_fff0)]);
    let zero = c.op1(Op::xor_r32_zero, &[]);
    let qr = c.b.op(Op::div_rm32, &[r(yr), r(x32), r(zero)]);
    c.expect("div32 q", qr[0], u64::from(0xffff_fff0u32 / 97));
    c.expect("div32 r", qr[1], u64::from(0xffff_fff0u32 % 97));

    let count = c.op1(Op::mov_r32_imm32, &[Arg::Imm(13)]);
    let shl = c.op1(Op::shl_r64_cl, &[r(a), r(count)]);
    c.expect("shl cl", shl, A << 13);
    let sar = c.op1(Op::sar_r64_imm8, &[r(b), Arg::Imm(7)]);
    c.expect("sar", sar, ((B as i64) >> 7) as u64);
    let ror = c.op1(Op::ror_r32_imm8, &[r(a), Arg::Imm(8)]);
    c.expect("ror32", ror, u64::from((A as u32).rotate_right(8)));
    let rol16 = c.op1(Op::rol_r16_cl, &[r(a), r(count)]);
    let low = u64::from((A as u16).rotate_left(13));
    c.expect("rol16 keeps the upper bits", rol16, (A & !0xffff) | low);

    let bsf = c.op1(Op::bsf_r64_rm64, &[r(b)]);
    c.expect("bsf", bsf, u64::from(B.trailing_zeros()));
    let bsr = c.op1(Op::bsr_r64_rm64, &[r(a)]);
    c.expect("bsr", bsr, u64::from(63 - A.leading_zeros()));
    let bswap = c.op1(Op::bswap_r64, &[r(a)]);
    c.expect("bswap64", bswap, A.swap_bytes());
    let bswap32 = c.op1(Op::bswap_r32, &[r(a)]);
    c.expect("bswap32", bswap32, u64::from((A as u32).swap_bytes()));

    // bt sets CF to bit 5 of A; setb writes only the low byte of its register.
    c.b.push(Op::bt_rm64_imm8, &[r(a), Arg::Imm(5)], &[]);
    let base = c.op1(Op::mov_r32_imm32, &[Arg::Imm(0xff00)]);
    let set = c.b.gpr();
    c.b.push(Op::setcc_r8, &[Arg::Cc(Cc::B), r(base)], &[set]);
    let bit = (A >> 5) & 1;
    c.expect("setb keeps the rest", set, 0xff00 | bit);
    let zx = c.op1(Op::movzx_r32_rm8, &[r(set)]);
    c.expect("movzx8", zx, bit);

    c.b.push(Op::cmp_r64_rm64, &[r(a), r(b)], &[]);
    let min_s = c.b.gpr();
    c.b.push(Op::cmovcc_r64_rm64, &[Arg::Cc(Cc::G), r(a), r(b)], &[min_s]);
    let signed_min = if (A as i64) > (B as i64) { B } else { A };
    c.expect("cmovg", min_s, signed_min);
    c.b.push(Op::cmp_r64_rm64, &[r(a), r(b)], &[]);
    let below = c.b.gpr();
    c.b.push(Op::cmovcc_r64_rm64, &[Arg::Cc(Cc::B), r(a), r(b)], &[below]);
    c.expect("cmovb", below, if A < B { B } else { A });

    let neg = c.op1(Op::neg_r64, &[r(a)]);
    c.expect("neg", neg, A.wrapping_neg());
    let not = c.op1(Op::not_r32, &[r(a)]);
    c.expect("not32", not, u64::from(!(A as u32)));
    let sx8 = c.op1(Op::movsx_r64_rm8, &[r(b)]);
    c.expect("movsx8", sx8, B as u8 as i8 as i64 as u64);
    let sxd = c.op1(Op::movsxd_r64_rm32, &[r(b)]);
    c.expect("movsxd", sxd, B as u32 as i32 as i64 as u64);
    let zx16 = c.op1(Op::movzx_r64_rm16, &[r(b)]);
    c.expect("movzx16", zx16, B & 0xffff);
    let cdqe = c.op1(Op::cdqe, &[r(b)]);
    c.expect("cdqe", cdqe, B as u32 as i32 as i64 as u64);
    let lea = c.op1(Op::lea_r64, &[Arg::Mem(Amode::base_index(a, b, 2, -8))]);
    c.expect(
        "lea",
        lea,
        A.wrapping_add(B.wrapping_mul(4)).wrapping_sub(8),
    );

    let swapped = c.b.op(Op::xchg_r64_r64, &[r(a), r(b)]);
    c.expect("xchg rm", swapped[0], B);
    c.expect("xchg reg", swapped[1], A);
}

fn atomic_rows(c: &mut Checks, a: Reg, b: Reg) {
    let slot = c.expect_memory("lock xadd memory", a, A.wrapping_add(B));
    let old = c.op1(Op::lock_xadd_m64_r64, &[Arg::Mem(slot), r(b)]);
    c.expect("lock xadd old", old, A);

    let slot = c.expect_memory("lock cmpxchg hit", a, B);
    let seen = c.op1(Op::lock_cmpxchg_m64_r64, &[Arg::Mem(slot), r(b), r(a)]);
    c.expect("lock cmpxchg hit old", seen, A);
    let five = c.op1(Op::mov_r32_imm32, &[Arg::Imm(5)]);
    let slot = c.expect_memory("lock cmpxchg miss", a, A);
    let seen = c.op1(Op::lock_cmpxchg_m64_r64, &[Arg::Mem(slot), r(b), r(five)]);
    c.expect("lock cmpxchg miss current", seen, A);
}

fn bit_manipulation_rows(c: &mut Checks, a: Reg, b: Reg) {
    let lz = c.op1(Op::lzcnt_r64_rm64, &[r(a)]);
    c.expect("lzcnt", lz, u64::from(A.leading_zeros()));
    let tz = c.op1(Op::tzcnt_r32_rm32, &[r(b)]);
    c.expect("tzcnt32", tz, u64::from((B as u32).trailing_zeros()));
    let pop = c.op1(Op::popcnt_r64_rm64, &[r(b)]);
    c.expect("popcnt", pop, u64::from(B.count_ones()));
    let andn = c.op1(Op::andn_r64_r64_rm64, &[r(a), r(b)]);
    c.expect("andn", andn, !A & B);
    let blsi = c.op1(Op::blsi_r64_rm64, &[r(b)]);
    c.expect("blsi", blsi, B & B.wrapping_neg());
    let blsr = c.op1(Op::blsr_r64_rm64, &[r(b)]);
    c.expect("blsr", blsr, B & (B - 1));
    let blsmsk = c.op1(Op::blsmsk_r64_rm64, &[r(b)]);
    c.expect("blsmsk", blsmsk, B ^ (B - 1));
    let twenty = c.op1(Op::mov_r32_imm32, &[Arg::Imm(20)]);
    let bzhi = c.op1(Op::bzhi_r64_rm64_r64, &[r(a), r(twenty)]);
    c.expect("bzhi", bzhi, A & ((1 << 20) - 1));
    let shlx = c.op1(Op::shlx_r64_rm64_r64, &[r(a), r(twenty)]);
    c.expect("shlx", shlx, A << 20);
    let sarx = c.op1(Op::sarx_r64_rm64_r64, &[r(b), r(twenty)]);
    c.expect("sarx", sarx, ((B as i64) >> 20) as u64);
    let shrx = c.op1(Op::shrx_r64_rm64_r64, &[r(b), r(twenty)]);
    c.expect("shrx", shrx, B >> 20);
    let rorx = c.op1(Op::rorx_r64_rm64_imm8, &[r(a), Arg::Imm(12)]);
    c.expect("rorx", rorx, A.rotate_right(12));
    let wide = u128::from(A) * u128::from(B);
    let hl = c.b.op(Op::mulx_r64_r64_rm64, &[r(b), r(a)]);
    c.expect("mulx hi", hl[0], (wide >> 64) as u64);
    c.expect("mulx lo", hl[1], wide as u64);
}

fn float_rows(c: &mut Checks, fma_avx_sse41: bool) {
    let zero = c.op1(Op::xorps_x_zero, &[]);
    let n = c.op1(Op::mov_r32_imm32, &[Arg::Imm(12345)]);
    let x = c.op1(Op::cvtsi2sd_x_rm64, &[r(zero), r(n)]);
    c.expect("cvtsi2sd", x, 12345f64.to_bits());
    let root = c.op1(Op::sqrtsd_x_xm64, &[r(x), r(x)]);
    c.expect("sqrtsd", root, 12345f64.sqrt().to_bits());
    let scaled = c.op1(Op::mulsd_x_xm64, &[r(root), r(root)]);
    let back = c.op1(Op::cvttsd2si_r64_xm64, &[r(scaled)]);
    let sq = 12345f64.sqrt();
    c.expect("cvttsd2si", back, (sq * sq) as i64 as u64);

    let two = c.float(2.0);
    let three = c.float(3.0);
    let min = c.op1(Op::minsd_x_xm64, &[r(three), r(two)]);
    c.expect("minsd", min, 2f64.to_bits());
    // The zeroing xor writes flags, so it goes before the compare.
    let base = c.op1(Op::xor_r32_zero, &[]);
    c.b.push(Op::ucomisd_x_xm64, &[r(two), r(three)], &[]);
    let lt = c.b.gpr();
    c.b.push(Op::setcc_r8, &[Arg::Cc(Cc::B), r(base)], &[lt]);
    c.expect("ucomisd 2 < 3", lt, 1);

    // fabs(-2.5): all ones, shifted right once, and.
    let neg = c.float(-2.5);
    let ones = c.op1(Op::pcmpeqd_x_ones, &[]);
    let mask = c.op1(Op::psrlq_x_imm8, &[r(ones), Arg::Imm(1)]);
    let abs = c.op1(Op::andpd_x_xm128, &[r(neg), r(mask)]);
    c.expect("fabs", abs, 2.5f64.to_bits());

    let single = c.op1(Op::mov_r32_imm32, &[Arg::Imm(i64::from(1.5f32.to_bits()))]);
    let s = c.op1(Op::movd_x_rm32, &[r(single)]);
    let d = c.op1(Op::cvtss2sd_x_xm32, &[r(zero), r(s)]);
    c.expect("cvtss2sd", d, 1.5f64.to_bits());

    if fma_avx_sse41 {
        let x27 = c.float(2.7);
        let floor = c.op1(Op::roundsd_x_xm64_imm8, &[r(x27), r(x27), Arg::Imm(1)]);
        c.expect("roundsd floor", floor, 2f64.to_bits());
        let acc = c.float(1.5);
        let fma = c.op1(Op::vfmadd231sd_x_x_xm64, &[r(acc), r(two), r(three)]);
        c.expect("vfmadd231sd", fma, 7.5f64.to_bits());
        let sum = c.op1(Op::vaddsd_x_x_xm64, &[r(two), r(three)]);
        c.expect("vaddsd", sum, 5f64.to_bits());
        let sub = c.op1(Op::vfnmsub213sd_x_x_xm64, &[r(acc), r(two), r(three)]);
        c.expect("vfnmsub213sd", sub, (-(2.0 * 1.5) - 3.0f64).to_bits());
    }
}

#[test]
fn rows_compute_what_they_say() {
    let bmi = std::arch::is_x86_feature_detected!("bmi1")
        && std::arch::is_x86_feature_detected!("bmi2")
        && std::arch::is_x86_feature_detected!("lzcnt")
        && std::arch::is_x86_feature_detected!("popcnt");
    let fma_avx_sse41 = std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("avx")
        && std::arch::is_x86_feature_detected!("sse4.1");

    let mut b = Builder::default();
    b.push(Op::nop_n, &[Arg::Imm(1)], &[]);
    let out = b.gpr();
    let mut c = Checks {
        b,
        out,
        expected: Vec::new(),
    };
    let a = c.konst(A);
    let bb = c.konst(B);
    integer_rows(&mut c, a, bb);
    atomic_rows(&mut c, a, bb);
    if bmi {
        bit_manipulation_rows(&mut c, a, bb);
    }
    float_rows(&mut c, fma_avx_sse41);
    c.b.push(Op::ret, &[], &[]);

    let n = c.expected.len();
    let func = c.b.finish(&[(out, RDI)], &[]);
    let main_c = format!(
        "#include <stdio.h>\nvoid f(unsigned long *);\n\
         int main(void) {{ unsigned long r[{n}] = {{0}}; f(r);\n\
         for (int i = 0; i < {n}; i++) printf(\"%lu\\n\", r[i]); return 0; }}\n"
    );
    for algorithm in [Algorithm::Ion, Algorithm::Fastalloc] {
        let (code, _) = compile(&func, algorithm);
        let printed = run_with_cc(&code, &main_c, &format!("x64-semantics-{algorithm:?}"));
        let got: Vec<u64> = printed.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(got.len(), n);
        let wrong: Vec<String> = (c.expected.iter().zip(&got))
            .filter(|((_, want), got)| want != *got)
            .map(|((name, want), got)| format!("{name}: want {want:#x}, got {got:#x}"))
            .collect();
        assert!(wrong.is_empty(), "{algorithm:?}:\n{}", wrong.join("\n"));
    }
    println!("{n} results checked (BMI rows: {bmi}, FMA/AVX/SSE4.1 rows: {fma_avx_sse41})");
}
