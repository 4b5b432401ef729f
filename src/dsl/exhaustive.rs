//! Exhaustiveness of a lowering term: which (opcode, controlling type) pairs no rule can match.
//!
//! A rule *may match* an instruction of opcode `op` and controlling type `ty` unless its
//! pattern tests the instruction's opcode for another opcode, its controlling type for another
//! literal type, or an extractor on the controlling type (`fits_in_64`, …) that rejects `ty`.
//! Everything deeper (operands, immediates, guards) is assumed able to succeed. A pair no rule
//! may match is certainly uncovered: the lowering would fail on every such instruction. (The
//! converse does not hold; a pair reported covered may still miss some operand shapes.)

use super::program::{Slot, Step, TermId, TermKind};
use super::RuleProgram;

impl<H> RuleProgram<H> {
    /// The pairs of `pairs` (opcode term, `Type` word) that no rule of `term` may match, for a
    /// term whose first argument is the instruction. Extractors on the controlling type are
    /// called with `host`.
    pub fn unmatched_pairs(
        &self,
        host: &mut H,
        term: TermId,
        pairs: &[(TermId, u64)],
    ) -> Vec<(TermId, u64)> {
        let root = Slot(0);
        pairs
            .iter()
            .copied()
            .filter(|&(op, ty)| {
                let Some(opcode) = self.opcode_number(op) else {
                    return false;
                };
                !self.rules_of(term).iter().any(|r| {
                    let steps = &self.rules[r.index()].steps;
                    let ctrl = steps.iter().find_map(|s| match *s {
                        Step::CtrlType { inst, out } if inst == root => Some(out),
                        _ => None,
                    });
                    steps.iter().all(|s| match *s {
                        Step::Opcode { inst, term, .. } if inst == root => {
                            self.opcode_number(term) == Some(opcode)
                        }
                        Step::Lit { slot, value } if Some(slot) == ctrl => value == ty,
                        Step::Extract { value, term, .. } if Some(value) == ctrl => {
                            self.extractor_accepts(host, term, ty)
                        }
                        _ => true,
                    })
                })
            })
            .collect()
    }

    fn opcode_number(&self, t: TermId) -> Option<u32> {
        match self.terms[t.index()].kind {
            TermKind::Opcode { opcode, .. } => Some(opcode),
            _ => None,
        }
    }

    fn extractor_accepts(&self, host: &mut H, t: TermId, word: u64) -> bool {
        match self.terms[t.index()].kind {
            TermKind::Decl {
                extractor: Some(ext),
                ..
            } => {
                let mut out = [0u64; super::exec::MAX_EXTERN_WORDS];
                (self.externs[ext.index()])(host, &[word], &mut out)
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::dsl::testkit::{fake_env, with_prelude, FakeIr};
    use crate::ir::Type;

    #[test]
    fn reports_pairs_no_rule_can_match() {
        let src = "(decl partial lower (Inst) u64)
            (rule (lower (has_type (fits_in_32 _) (iadd _ _))) 1)
            (rule 1 (lower (has_type $I64 (iadd _ (iconst _)))) (if-let 0 (u64_nonzero 5)) 2)
            (rule (lower (isub _ _)) 3)";
        let prog = crate::dsl::compile(with_prelude("t.rules", src), fake_env::<FakeIr>())
            .expect("valid rules");
        let lower = prog.term("lower").unwrap();
        let (iadd, isub, imul) = (
            prog.term("iadd").unwrap(),
            prog.term("isub").unwrap(),
            prog.term("imul").unwrap(),
        );
        let word = |t: Type| u64::from(t.code());
        let mut pairs = Vec::new();
        for op in [iadd, isub, imul] {
            for t in [Type::I8, Type::I32, Type::I64, Type::I128] {
                pairs.push((op, word(t)));
            }
        }
        let gaps = prog.unmatched_pairs(&mut FakeIr::default(), lower, &pairs);
        let expected = vec![
            (iadd, word(Type::I128)),
            (imul, word(Type::I8)),
            (imul, word(Type::I32)),
            (imul, word(Type::I64)),
            (imul, word(Type::I128)),
        ];
        assert_eq!(gaps, expected);
    }
}
