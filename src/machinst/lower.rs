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
//! load's color plus one (no side effect in between) and the load is *used once* — otherwise
//! moving the load would reorder it with a store, call or trap, or duplicate it.
//!
//! Used once is more than one use. A pure instruction is folded into each of its users (a
//! compare into a branch and into a select), so it is computed once per user, and so are its
//! operands:
//!
//! ```text
//!   v2 = load v1          one IR use (the icmp), but the icmp is folded into the select
//!   v3 = icmp eq v0, v2   and lowered on its own for the uextend: two machine instructions
//!   v4 = uextend v3       read v2. Folding the load into one of them would leave the other
//!   v5 = select v3, …     without a register for v2.
//! ```
//!
//! So a value used more than once makes every operand of its pure definition count as used
//! more than once, transitively (Cranelift's `ValueUseState` does the same).

use crate::ir::{self, EntityRef};

/// Use counts and side-effect colors of one function.
#[derive(Clone, Debug, Default)]
pub struct LowerFacts {
    /// IR uses of each value (operands and branch arguments), aliases resolved.
    uses: Vec<u32>,
    /// Values that may be read at more than one place in the machine code: used more than
    /// once, or an operand of a pure instruction whose results are (see the module
    /// documentation).
    multiple: Vec<bool>,
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
        let multiple = Self::multiple_uses(func, &uses);
        LowerFacts {
            uses,
            multiple,
            color,
        }
    }

    /// The values that may be read at more than one place: used more than once, and the
    /// operands of pure instructions whose results together are, transitively.
    fn multiple_uses(func: &ir::Function, uses: &[u32]) -> Vec<bool> {
        let dfg = &func.dfg;
        let mut multiple: Vec<bool> = uses.iter().map(|&n| n > 1).collect();
        let mut work: Vec<ir::Inst> = Vec::new();
        for inst in func.layout.insts() {
            let results = dfg.inst_results(inst);
            let total: u32 = results.iter().map(|r| uses[r.index()]).sum();
            if total > 1 || results.iter().any(|r| multiple[r.index()]) {
                work.push(inst);
            }
        }
        while let Some(inst) = work.pop() {
            if !dfg.inst(inst).opcode().info().is_pure() {
                continue;
            }
            for &a in dfg.inst_args(inst) {
                let a = dfg.resolve_aliases(a);
                if !multiple[a.index()] {
                    multiple[a.index()] = true;
                    if let ir::ValueDef::Result(def, _) = dfg.value_def(a) {
                        work.push(def);
                    }
                }
            }
        }
        multiple
    }

    /// How many times `v` (alias-resolved) is used.
    pub fn uses(&self, v: ir::Value) -> u32 {
        self.uses[v.index()]
    }

    /// Is `v` (alias-resolved) read by exactly one machine instruction, whatever its users'
    /// users do (see the module documentation)?
    pub fn used_once(&self, v: ir::Value) -> bool {
        self.uses[v.index()] == 1 && !self.multiple[v.index()]
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

    #[test]
    fn a_value_under_a_pure_instruction_used_twice_is_not_used_once() {
        let text = "function %f(i64, i64) -> i64, i64 {
block0(v0: i64, v1: i64):
    v2 = load.i64 v1
    v3 = icmp eq v0, v2
    v4 = uextend.i64 v3
    v5 = select v3, v0, v1
    v6 = load.i64 v1
    v7 = iadd v0, v6
    v8 = iadd v7, v7
    v9 = load.i64 v1
    v10 = iadd v0, v9
    v11 = ineg v10
    v12 = iadd v11, v11
    v13 = iadd v8, v12
    return v4, v13
}";
        let file = ir::parse_test_file(text).unwrap();
        let f = &file.functions[0].function;
        let facts = LowerFacts::new(f);
        let v = |n: usize| ir::Value::new(n);
        // v2's icmp is folded into the select and lowered for the uextend.
        assert_eq!(facts.uses(v(2)), 1);
        assert!(!facts.used_once(v(2)));
        // v6's iadd is pure and used twice: it may be computed twice.
        assert!(!facts.used_once(v(6)));
        // Two pure levels up: v9 → v10 → v11 (used twice).
        assert!(!facts.used_once(v(9)));
        // Used once by an instruction used once.
        assert!(facts.used_once(v(12)));
    }
}
