//! Shared by the x64 tests that run code: a one-block regalloc2 function of table instructions,
//! its allocation (checked), encoding with spill moves and a frame, and running it through `cc`.

use std::process::Command;

use regalloc2::{
    checker::Checker, Algorithm, Block, Edit, Function, InstOrEdit, InstRange, Operand, PReg,
    PRegSet, RegClass, RegallocOptions, VReg,
};
use rulesel::isa::x64::amode::{FrameArea, FrameResolver};
use rulesel::isa::x64::encode::{emit, X64Buffer};
use rulesel::isa::x64::inst::{Arg, Inst};
use rulesel::isa::x64::regs::{Reg, PINNED_VREGS, RSP};
use rulesel::isa::x64::rows::Op;
use rulesel::isa::x64::table::Kind;

/// A one-block function; the last instruction returns. `operands[i]` is instruction `i`'s
/// collected operands plus any the test adds (the ABI's fixed argument defs and return uses).
pub struct Func {
    pub insts: Vec<Inst>,
    pub operands: Vec<Vec<Operand>>,
    pub num_vregs: usize,
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

/// Builds a function: fresh virtual registers and instructions.
#[derive(Default)]
pub struct Builder {
    pub insts: Vec<Inst>,
    next: usize,
}

impl Builder {
    pub fn vreg(&mut self, class: RegClass) -> Reg {
        self.next += 1;
        Reg::virt(VReg::new(PINNED_VREGS + self.next - 1, class))
    }
    pub fn gpr(&mut self) -> Reg {
        self.vreg(RegClass::Int)
    }
    pub fn xmm(&mut self) -> Reg {
        self.vreg(RegClass::Float)
    }
    pub fn push(&mut self, op: Op, inputs: &[Arg], outputs: &[Reg]) {
        let inst = Inst::new(op, inputs, outputs).unwrap_or_else(|e| panic!("{e}"));
        self.insts.push(inst);
    }
    /// Append `op` with fresh registers for all its outputs, which it returns.
    pub fn op(&mut self, op: Op, inputs: &[Arg]) -> Vec<Reg> {
        let outputs: Vec<Reg> = op
            .row()
            .outputs()
            .map(|o| {
                if o.kind == Kind::Xmm {
                    self.xmm()
                } else {
                    self.gpr()
                }
            })
            .collect();
        self.push(op, inputs, &outputs);
        outputs
    }
    /// Append `op` and return its only output.
    pub fn op1(&mut self, op: Op, inputs: &[Arg]) -> Reg {
        self.op(op, inputs)[0]
    }
    /// A 64-bit constant in a fresh register.
    pub fn konst(&mut self, v: u64) -> Reg {
        self.op1(Op::movabs_r64_imm64, &[Arg::Imm(v as i64)])
    }

    /// The function, with `entry_defs` defined by the first instruction (as incoming
    /// arguments would be) and `ret_uses` read by the last.
    pub fn finish(self, entry_defs: &[(Reg, PReg)], ret_uses: &[(Reg, PReg)]) -> Func {
        let last = self.insts.len() - 1;
        let operands = (self.insts.iter().enumerate())
            .map(|(i, inst)| {
                let mut ops = Vec::new();
                inst.collect_operands(&mut ops);
                if i == 0 {
                    ops.extend(
                        entry_defs
                            .iter()
                            .map(|&(r, p)| Operand::reg_fixed_def(r.to_vreg(), p)),
                    );
                }
                if i == last {
                    ops.extend(
                        ret_uses
                            .iter()
                            .map(|&(r, p)| Operand::reg_fixed_use(r.to_vreg(), p)),
                    );
                }
                ops
            })
            .collect();
        Func {
            insts: self.insts,
            operands,
            num_vregs: PINNED_VREGS + self.next,
        }
    }
}

/// Spill slot `s` is at rsp + 8·s.
pub struct Frame;
impl FrameResolver for Frame {
    fn frame_address(&self, _: FrameArea, index: u32, offset: i32) -> (PReg, i32) {
        (RSP, 8 * index as i32 + offset)
    }
}

/// Allocate `func` with `algorithm` (checked by regalloc2's checker) and encode it with a frame
/// for the spill slots. Returns the code and the number of spill slots used.
pub fn compile(func: &Func, algorithm: Algorithm) -> (Vec<u8>, usize) {
    let env = rulesel::isa::x64::abi::machine_env(
        rulesel::ir::CallConv::SystemV,
        &rulesel::settings::Flags::default(),
    );
    let options = RegallocOptions {
        algorithm,
        validate_ssa: true,
        ..RegallocOptions::default()
    };
    let out = regalloc2::run(func, &env, &options).expect("allocation succeeds");
    let mut checker = Checker::new(func, &env);
    checker.prepare(&out);
    checker
        .run()
        .expect("regalloc2's checker accepts the allocation");

    let mut buf = X64Buffer::new();
    let frame_size = (8 * out.num_spillslots as i64 + 15) & !15;
    let rsp = Reg::phys(RSP);
    let adjust = |op| Inst::new(op, &[Arg::Reg(rsp), Arg::Imm(frame_size)], &[rsp]).unwrap();
    emit(&adjust(Op::sub_r64_imm32), &mut buf, &Frame).unwrap();
    for item in out.block_insts_and_edits(func, Block::new(0)) {
        let inst = match item {
            InstOrEdit::Inst(i) => {
                if func.is_ret(i) {
                    emit(&adjust(Op::add_r64_imm32), &mut buf, &Frame).unwrap();
                }
                func.insts[i.index()].with_allocs(out.inst_allocs(i))
            }
            InstOrEdit::Edit(Edit::Move { from, to }) => {
                Inst::gen_move(*from, *to).expect("regalloc2 moves through registers")
            }
        };
        emit(&inst, &mut buf, &Frame).expect("every register is allocated");
    }
    (buf.finish().unwrap().bytes, out.num_spillslots)
}

/// Link `bytes` as the function `f` with the C program `main_c`, run it and return its output.
pub fn run_with_cc(bytes: &[u8], main_c: &str, tag: &str) -> String {
    let dir = std::env::temp_dir().join(format!("rulesel-{tag}-{}", std::process::id()));
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
    std::fs::write(dir.join("main.c"), main_c).unwrap();
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
    String::from_utf8_lossy(&out.stdout).into_owned()
}
