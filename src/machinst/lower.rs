//! Target-independent facts the lowering of any target needs about a function before it
//! starts: how often each value is used, and where side effects separate instructions.
//!
//! ```text
//!   block:  v1 = load p      color 0 → 1   (a load may trap: it is a side effect)
//!           v2 = iadd v0, v1 color 1       v1 may merge into the iadd: same color as the
//!           store v2, q      color 1 → 2   load's exit, and v1 has one use
//!           v3 = load q      color 2 → 3
//! ```
//!
//! An instruction's *color* is the number of side-effecting instructions before it in its
//! block. A load can become a memory operand of its user only when the user's color is the
//! load's color plus one (no side effect in between) and the user is the load's only use —
//! otherwise moving the load would reorder it with a store, call or trap, or duplicate it.

use crate::ir::{self, EntityRef};

/// Use counts and side-effect colors of one function.
#[derive(Clone, Debug, Default)]
pub struct LowerFacts {
    /// IR uses of each value (operands and branch arguments), aliases resolved.
    uses: Vec<u32>,
    /// The side-effect color of each instruction (see the module documentation).
    color: Vec<u32>,
}

impl LowerFacts {
    pub fn new(func: &ir::Function) -> LowerFacts {
        let dfg = &func.dfg;
        let mut uses = vec![0u32; dfg.num_values()];
        let mut color = vec![0u32; dfg.num_insts()];
        for &b in func.layout.blocks() {
            let mut c = 0;
            for &inst in func.layout.block_insts(b) {
                color[inst.index()] = c;
                if !dfg.inst(inst).opcode().info().is_pure() {
                    c += 1;
                }
                for &v in dfg.inst_args(inst) {
                    uses[dfg.resolve_aliases(v).index()] += 1;
                }
                for call in dfg.branch_destinations(inst) {
                    for a in dfg.block_call_args(*call) {
                        if let ir::BlockArg::Value(v) = a {
                            uses[dfg.resolve_aliases(*v).index()] += 1;
                        }
                    }
                }
            }
        }
        LowerFacts { uses, color }
    }

    /// How many times `v` (alias-resolved) is used.
    pub fn uses(&self, v: ir::Value) -> u32 {
        self.uses[v.index()]
    }

    /// Can the instruction `producer` (a side effect, such as a load) move down to `user`, in
    /// the same block, without crossing another side effect?
    pub fn adjacent_effects(&self, producer: ir::Inst, user: ir::Inst) -> bool {
        self.color[producer.index()] + 1 == self.color[user.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_separate_loads_from_stores() {
        let text = "function %f(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = load.i64 v0
    v3 = iadd v1, v2
    store v3, v0
    v4 = load.i64 v0
    v5 = iadd v4, v4
    return v5
}";
        let file = ir::parse_test_file(text).unwrap();
        let f = &file.functions[0].function;
        let facts = LowerFacts::new(f);
        let insts: Vec<ir::Inst> = f.layout.insts().collect();
        // load → iadd: adjacent; load → store: the load's own effect only; v4's load → the
        // iadd after it: adjacent, but v4 is used twice.
        assert!(facts.adjacent_effects(insts[0], insts[1]));
        assert!(!facts.adjacent_effects(insts[0], insts[4]));
        assert_eq!(facts.uses(f.dfg.inst_results(insts[3])[0]), 2);
        assert_eq!(facts.uses(f.dfg.inst_results(insts[0])[0]), 1);
    }
}
