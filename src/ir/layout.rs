//! The layout: which blocks are in the function, in what order, and the instructions of each
//! block in order. Blocks and instructions that exist in the data-flow graph but not in the layout
//! are not part of the function's code.

use super::entity::{Block, Inst, SecondaryMap};

#[derive(Clone, Debug, Default)]
struct BlockNode {
    in_layout: bool,
    cold: bool,
    insts: Vec<Inst>,
}

/// Block order and the instruction order within each block.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    blocks: Vec<Block>,
    nodes: SecondaryMap<Block, BlockNode>,
    inst_block: SecondaryMap<Inst, Option<Block>>,
}

impl Layout {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `block` at the end of the function. The block must not be in the layout yet.
    pub fn append_block(&mut self, block: Block) {
        debug_assert!(!self.is_block_inserted(block));
        self.nodes[block].in_layout = true;
        self.blocks.push(block);
    }

    pub fn is_block_inserted(&self, block: Block) -> bool {
        self.nodes[block].in_layout
    }

    /// Marks `block` as rarely executed (`block3 cold:`), a hint for code placement.
    pub fn set_cold(&mut self, block: Block) {
        self.nodes[block].cold = true;
    }

    pub fn is_cold(&self, block: Block) -> bool {
        self.nodes[block].cold
    }

    /// The blocks in layout order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The first block: the function's entry.
    pub fn entry_block(&self) -> Option<Block> {
        self.blocks.first().copied()
    }

    /// Appends `inst` at the end of `block`.
    pub fn append_inst(&mut self, inst: Inst, block: Block) {
        self.nodes[block].insts.push(inst);
        self.inst_block[inst] = Some(block);
    }

    /// Inserts `inst` just before `before`, which must be in the layout.
    pub fn insert_inst_before(&mut self, inst: Inst, before: Inst) {
        let Some(block) = self.inst_block[before] else {
            return;
        };
        let insts = &mut self.nodes[block].insts;
        let pos = insts
            .iter()
            .position(|&i| i == before)
            .unwrap_or(insts.len());
        insts.insert(pos, inst);
        self.inst_block[inst] = Some(block);
    }

    /// The instructions of `block`, in order.
    pub fn block_insts(&self, block: Block) -> &[Inst] {
        &self.nodes[block].insts
    }

    pub fn last_inst(&self, block: Block) -> Option<Inst> {
        self.nodes[block].insts.last().copied()
    }

    /// The block holding `inst`, if it is in the layout.
    pub fn inst_block(&self, inst: Inst) -> Option<Block> {
        self.inst_block[inst]
    }

    /// All instructions in layout order.
    pub fn insts(&self) -> impl Iterator<Item = Inst> + '_ {
        self.blocks
            .iter()
            .flat_map(move |&b| self.nodes[b].insts.iter().copied())
    }

    pub fn num_blocks(&self) -> usize {
        self.blocks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::entity::EntityRef;

    #[test]
    fn order() {
        let mut l = Layout::new();
        let (b0, b1) = (Block::new(0), Block::new(1));
        l.append_block(b1);
        l.append_block(b0);
        let (i0, i1, i2) = (Inst::new(0), Inst::new(1), Inst::new(2));
        l.append_inst(i0, b1);
        l.append_inst(i1, b0);
        l.insert_inst_before(i2, i0);
        assert_eq!(l.blocks(), &[b1, b0]);
        assert_eq!(l.entry_block(), Some(b1));
        assert_eq!(l.insts().collect::<Vec<_>>(), vec![i2, i0, i1]);
        assert_eq!(l.inst_block(i1), Some(b0));
        assert_eq!(l.last_inst(b1), Some(i0));
        assert!(!l.is_block_inserted(Block::new(2)));
    }
}
