//! The control-flow graph of a function and its dominator tree.
//!
//! Block `a` dominates block `b` when every path from the entry to `b` passes through `a`. The
//! tree is computed with the iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast
//! Dominance Algorithm"): visit blocks in reverse post-order, intersecting the dominators of
//! already-processed predecessors, until nothing changes. Blocks unreachable from the entry have
//! no dominator and dominate nothing.

use super::entity::{Block, SecondaryMap};
use super::function::Function;

const UNREACHABLE: u32 = u32::MAX;

/// Successors and predecessors of each block in the layout.
#[derive(Clone, Debug, Default)]
pub struct ControlFlowGraph {
    succs: SecondaryMap<Block, Vec<Block>>,
    preds: SecondaryMap<Block, Vec<Block>>,
}

impl ControlFlowGraph {
    /// The edges of `func`'s terminators; blocks outside the layout are ignored.
    pub fn compute(func: &Function) -> ControlFlowGraph {
        let mut cfg = ControlFlowGraph::default();
        for &block in func.layout.blocks() {
            let Some(last) = func.layout.last_inst(block) else {
                continue;
            };
            for call in func.dfg.branch_destinations(last) {
                let target = call.block;
                if func.layout.is_block_inserted(target) && !cfg.succs[block].contains(&target) {
                    cfg.succs[block].push(target);
                    cfg.preds[target].push(block);
                }
            }
        }
        cfg
    }

    pub fn succs(&self, block: Block) -> &[Block] {
        &self.succs[block]
    }

    pub fn preds(&self, block: Block) -> &[Block] {
        &self.preds[block]
    }
}

/// Immediate dominators and reverse post-order of the reachable blocks.
#[derive(Clone, Debug)]
pub struct DominatorTree {
    /// Reachable blocks in reverse post-order, entry first.
    rpo: Vec<Block>,
    /// Position of each block in `rpo`, or `UNREACHABLE`.
    rpo_index: SecondaryMap<Block, u32>,
    /// Immediate dominator, by RPO position (the entry is its own).
    idom: Vec<u32>,
    /// By RPO position: the block's number in a pre-order of the dominator tree, and the size
    /// of its subtree. The blocks `a` dominates are numbered `pre[a] .. pre[a] + size[a]`, so
    /// [`DominatorTree::dominates`] takes constant time however deep the tree.
    pre: Vec<u32>,
    size: Vec<u32>,
}

impl DominatorTree {
    pub fn compute(func: &Function, cfg: &ControlFlowGraph) -> DominatorTree {
        let mut rpo_index = SecondaryMap::with_default(UNREACHABLE);
        let Some(entry) = func.layout.entry_block() else {
            return DominatorTree {
                rpo: Vec::new(),
                rpo_index,
                idom: Vec::new(),
                pre: Vec::new(),
                size: Vec::new(),
            };
        };
        // Post-order by an explicit stack, so deep CFGs cannot overflow the call stack.
        let mut post = Vec::new();
        let mut visited = SecondaryMap::<Block, bool>::new();
        let mut stack = vec![(entry, 0usize)];
        visited[entry] = true;
        while let Some(&mut (block, ref mut next)) = stack.last_mut() {
            if let Some(&succ) = cfg.succs(block).get(*next) {
                *next += 1;
                if !visited[succ] {
                    visited[succ] = true;
                    stack.push((succ, 0));
                }
            } else {
                post.push(block);
                stack.pop();
            }
        }
        let rpo: Vec<Block> = post.into_iter().rev().collect();
        for (i, &b) in rpo.iter().enumerate() {
            rpo_index[b] = i as u32;
        }
        let mut idom = vec![UNREACHABLE; rpo.len()];
        idom[0] = 0;
        let mut changed = true;
        while changed {
            changed = false;
            for (i, &block) in rpo.iter().enumerate().skip(1) {
                let mut new_idom = UNREACHABLE;
                for &pred in cfg.preds(block) {
                    let p = rpo_index[pred];
                    if p == UNREACHABLE || idom[p as usize] == UNREACHABLE {
                        continue;
                    }
                    new_idom = if new_idom == UNREACHABLE {
                        p
                    } else {
                        intersect(&idom, p, new_idom)
                    };
                }
                if idom[i] != new_idom {
                    idom[i] = new_idom;
                    changed = true;
                }
            }
        }
        let (pre, size) = preorder(&idom);
        DominatorTree {
            rpo,
            rpo_index,
            idom,
            pre,
            size,
        }
    }

    pub fn is_reachable(&self, block: Block) -> bool {
        self.rpo_index[block] != UNREACHABLE
    }

    /// The reachable blocks in reverse post-order.
    pub fn rpo(&self) -> &[Block] {
        &self.rpo
    }

    /// The immediate dominator of `block`; `None` for the entry and unreachable blocks.
    pub fn idom(&self, block: Block) -> Option<Block> {
        let i = self.rpo_index[block];
        if i == UNREACHABLE || i == 0 {
            return None;
        }
        Some(self.rpo[self.idom[i as usize] as usize])
    }

    /// Whether `a` dominates `b` (every block dominates itself). False if either is unreachable.
    pub fn dominates(&self, a: Block, b: Block) -> bool {
        let (a, b) = (self.rpo_index[a], self.rpo_index[b]);
        if a == UNREACHABLE || b == UNREACHABLE {
            return false;
        }
        let (a, b) = (a as usize, b as usize);
        self.pre[a] <= self.pre[b] && self.pre[b] < self.pre[a] + self.size[a]
    }
}

/// Pre-order numbers and subtree sizes of the dominator tree given by `idom` (by RPO
/// position). A block's immediate dominator comes before it in RPO, so one backward pass sums
/// the subtree sizes and one forward pass hands each child the next free range of its parent.
fn preorder(idom: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let n = idom.len();
    let mut size = vec![1u32; n];
    for i in (1..n).rev() {
        size[idom[i] as usize] += size[i];
    }
    let mut pre = vec![0u32; n];
    // The next number free for a child of each block.
    let mut next = vec![1u32; n];
    for i in 1..n {
        let parent = idom[i] as usize;
        pre[i] = next[parent];
        next[parent] += size[i];
        next[i] = pre[i] + 1;
    }
    (pre, size)
}

/// The nearest common dominator of two processed blocks, by RPO position.
fn intersect(idom: &[u32], mut a: u32, mut b: u32) -> u32 {
    while a != b {
        while a > b {
            a = idom[a as usize];
        }
        while b > a {
            b = idom[b as usize];
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::entity::EntityRef;
    use crate::ir::parser::parse_functions;

    #[test]
    fn diamond_and_loop() {
        let text = "function %f(i32) {
block0(v0: i32):
    brif v0, block1, block2
block1:
    jump block3
block2:
    jump block3
block3:
    brif v0, block3, block4
block4:
    return
block5:
    jump block3
}";
        let func = &parse_functions(text).unwrap()[0];
        let cfg = ControlFlowGraph::compute(func);
        let dom = DominatorTree::compute(func, &cfg);
        let b = Block::new;
        assert_eq!(dom.idom(b(3)), Some(b(0)));
        assert_eq!(dom.idom(b(1)), Some(b(0)));
        assert_eq!(dom.idom(b(4)), Some(b(3)));
        assert!(dom.dominates(b(0), b(4)) && dom.dominates(b(3), b(3)));
        assert!(!dom.dominates(b(1), b(3)) && !dom.dominates(b(2), b(3)));
        assert!(!dom.is_reachable(b(5)) && !dom.dominates(b(5), b(3)));
        assert_eq!(cfg.preds(b(3)).len(), 4);
    }

    /// `dominates` agrees with walking the immediate dominators, on nested loops, diamonds and
    /// a chain deeper than any tree walk should be.
    #[test]
    fn dominates_agrees_with_the_idom_walk() {
        let mut text = String::from("function %g(i32) {\nblock0(v0: i32):\n    jump block1\n");
        let n: usize = 60;
        for k in 1..n {
            let body = match k % 4 {
                0 => format!("    brif v0, block{}, block{}", k + 1, (k + 2).min(n)),
                1 => format!(
                    "    brif v0, block{}, block{}",
                    k.saturating_sub(3).max(1),
                    k + 1
                ),
                2 => format!("    brif v0, block{}, block{}", k + 1, (k + 5).min(n)),
                _ => format!("    jump block{}", k + 1),
            };
            text.push_str(&format!("block{k}:\n{body}\n"));
        }
        text.push_str(&format!("block{n}:\n    return\n}}"));
        let func = &parse_functions(&text).unwrap()[0];
        let cfg = ControlFlowGraph::compute(func);
        let dom = DominatorTree::compute(func, &cfg);
        let walk = |a: Block, b: Block| {
            let mut cur = Some(b);
            while let Some(c) = cur {
                if c == a {
                    return true;
                }
                cur = dom.idom(c);
            }
            false
        };
        let mut dominated = 0;
        for i in 0..=n {
            for j in 0..=n {
                let (a, b) = (Block::new(i), Block::new(j));
                assert_eq!(dom.dominates(a, b), walk(a, b), "{a} dominates {b}");
                dominated += dom.dominates(a, b) as usize;
            }
        }
        assert!(
            dominated > 2 * (n + 1),
            "the test graph has a non-trivial tree"
        );
    }
}
