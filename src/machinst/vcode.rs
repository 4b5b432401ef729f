//! VCode: the lowered function as machine instructions over virtual registers, in blocks, and
//! the regalloc2 view of it.
//!
//! ```text
//!   block 0 ─ insts[0..k)   params: []       succs: [1, 2]   branch args: [[], []]
//!   block 1 ─ insts[k..m)   params: [v300]   succs: [3]      branch args: [[v301]]
//!   …
//! ```
//!
//! Lowering builds one [`VCode`] per function through [`VCode::new`]; every register operand of
//! every instruction comes from [`MachInst::collect_operands`], and the last instruction of each
//! block is its only branch or return. [`VCode`] implements [`regalloc2::Function`], so
//! [`VCode::allocate`] hands it straight to regalloc2 (ion or fastalloc, with the checker when
//! asked) and returns regalloc2's [`regalloc2::Output`]: an allocation per operand and the moves
//! to insert between instructions.

use crate::machinst::blockorder::BlockOrder;
use crate::machinst::lists::Lists;
use regalloc2::{
    Algorithm, Block, Function, Inst as RaInst, InstRange, Operand, Output, PRegSet, RegClass,
    RegallocOptions, VReg,
};

/// What the register allocator needs to know about a target instruction.
pub trait MachInst {
    /// Appends the instruction's regalloc2 operands to `out`; allocations come back in this
    /// order.
    fn collect_operands(&self, out: &mut Vec<Operand>);
    /// Registers the instruction overwrites besides its defs (calls).
    fn clobbers(&self) -> PRegSet;
    /// A return (ends a block with no successor).
    fn is_ret(&self) -> bool;
    /// A branch (ends a block with successors).
    fn is_branch(&self) -> bool;
}

/// The blocks as lowering hands them over, indexed like the [`BlockOrder`]'s.
#[derive(Clone, Debug)]
pub struct VBlocks {
    /// Per block, its instructions: a range of the function's instruction list.
    pub insts: Vec<(u32, u32)>,
    /// Per block, its parameters.
    pub params: Lists<VReg>,
    /// Per edge ([`BlockOrder::edge`]), the registers passed to the target's parameters.
    pub branch_args: Lists<VReg>,
}

/// The lowered function. See the module documentation.
pub struct VCode<I> {
    pub insts: Vec<I>,
    /// Per instruction, its regalloc2 operands.
    operands: Lists<Operand>,
    clobbers: Vec<PRegSet>,
    block_ranges: Vec<(u32, u32)>,
    succs: Lists<Block>,
    preds: Lists<Block>,
    params: Lists<VReg>,
    /// One list per edge, numbered like the entries of all the `succs` lists.
    branch_args: Lists<VReg>,
    num_vregs: usize,
}

/// How [`VCode::allocate`] runs regalloc2.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllocOptions {
    /// The single-pass allocator (fastalloc) instead of the backtracking one (ion).
    pub fastalloc: bool,
    /// Check the result with regalloc2's symbolic checker.
    pub checker: bool,
    /// regalloc2's own `info`-level log of its input and result (ion only).
    pub verbose_log: bool,
}

/// Why allocation failed.
#[derive(Clone, Debug)]
pub struct AllocError(pub String);

impl<I: MachInst> VCode<I> {
    /// Takes the function's instructions, its blocks and their edges (entry first, each block
    /// a range of `insts`, in order). `num_vregs` bounds every virtual register index used.
    pub fn new(insts: Vec<I>, blocks: VBlocks, order: &BlockOrder, num_vregs: usize) -> VCode<I> {
        let mut operands = Lists::with_capacity(insts.len(), 3);
        let mut clobbers = Vec::with_capacity(insts.len());
        for inst in &insts {
            operands.push_with(|items| inst.collect_operands(items));
            clobbers.push(inst.clobbers());
        }
        let (succs, preds) = order.edges();
        let block = |b: u32| Block::new(b as usize);
        VCode {
            insts,
            operands,
            clobbers,
            block_ranges: blocks.insts,
            succs: succs.map(block),
            preds: preds.map(block),
            params: blocks.params,
            branch_args: blocks.branch_args,
            num_vregs,
        }
    }

    /// The instruction range of block `b`.
    pub fn block_insts(&self, b: usize) -> std::ops::Range<usize> {
        let (lo, hi) = self.block_ranges[b];
        lo as usize..hi as usize
    }

    pub fn num_blocks(&self) -> usize {
        self.block_ranges.len()
    }

    /// Runs regalloc2 over the function as `options` ask. `ctx` is regalloc2's working memory,
    /// kept from one function to the next so that its tables are not allocated (and the pages
    /// touched) anew each time; the result lives in it.
    pub fn allocate<'c>(
        &self,
        env: &regalloc2::MachineEnv,
        options: AllocOptions,
        ctx: &'c mut regalloc2::Ctx,
    ) -> Result<&'c Output, AllocError> {
        let checker = options.checker;
        let options = RegallocOptions {
            verbose_log: options.verbose_log,
            validate_ssa: checker,
            algorithm: if options.fastalloc {
                Algorithm::Fastalloc
            } else {
                Algorithm::Ion
            },
        };
        let out = regalloc2::run_with_ctx(self, env, &options, ctx)
            .map_err(|e| AllocError(format!("register allocation failed: {e:?}")))?;
        if checker {
            let mut ch = regalloc2::checker::Checker::new(self, env);
            ch.prepare(out);
            ch.run()
                .map_err(|e| AllocError(format!("regalloc2 checker: {e:?}")))?;
        }
        Ok(out)
    }
}

impl<I: MachInst> Function for VCode<I> {
    fn num_insts(&self) -> usize {
        self.insts.len()
    }
    fn num_blocks(&self) -> usize {
        self.block_ranges.len()
    }
    fn entry_block(&self) -> Block {
        Block::new(0)
    }
    fn block_insns(&self, block: Block) -> InstRange {
        let (lo, hi) = self.block_ranges[block.index()];
        InstRange::new(RaInst::new(lo as usize), RaInst::new(hi as usize))
    }
    fn block_succs(&self, block: Block) -> &[Block] {
        self.succs.get(block.index())
    }
    fn block_preds(&self, block: Block) -> &[Block] {
        self.preds.get(block.index())
    }
    fn block_params(&self, block: Block) -> &[VReg] {
        self.params.get(block.index())
    }
    fn is_ret(&self, insn: RaInst) -> bool {
        self.insts[insn.index()].is_ret()
    }
    fn is_branch(&self, insn: RaInst) -> bool {
        self.insts[insn.index()].is_branch()
    }
    fn branch_blockparams(&self, block: Block, _insn: RaInst, succ_idx: usize) -> &[VReg] {
        self.branch_args
            .get(self.succs.start(block.index()) + succ_idx)
    }
    fn inst_operands(&self, insn: RaInst) -> &[Operand] {
        self.operands.get(insn.index())
    }
    fn inst_clobbers(&self, insn: RaInst) -> PRegSet {
        self.clobbers[insn.index()]
    }
    fn num_vregs(&self) -> usize {
        self.num_vregs
    }
    fn spillslot_size(&self, regclass: RegClass) -> usize {
        // 8-byte slots; XMM values move whole (128 bits).
        match regclass {
            RegClass::Int => 1,
            _ => 2,
        }
    }
}
