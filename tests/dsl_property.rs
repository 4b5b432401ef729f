//! Property test of the match-tree compiler and executor: on generated rule sets of at least
//! 200 rules and random instructions, the executor fires exactly the rule (and returns exactly
//! the result) that the naive reference matcher picks by trying every rule in priority order.

use rulesel::dsl::testkit::{fake_env, generate_rules, with_prelude, FakeIr, Priorities, Rng};
use rulesel::dsl::{compile, Machine, Reference};
use std::collections::HashSet;

#[test]
fn executor_picks_the_same_rule_as_the_reference() {
    for seed in 1..=6u64 {
        let priorities = if seed % 2 == 0 {
            Priorities::Distinct
        } else {
            Priorities::Levels(8)
        };
        let text = generate_rules(seed, 250, priorities);
        let sources = with_prelude(&format!("gen{seed}.rules"), &text);
        let prog = match compile(sources, fake_env::<FakeIr>()) {
            Ok(p) => p,
            Err(e) => panic!("generated rule set {seed} must compile:\n{}", e.render()),
        };
        assert!(
            prog.rule_count() >= 250,
            "{priorities:?}: {}",
            prog.rule_count()
        );
        let lower = prog.term("lower").expect("generated sets declare lower");
        let mut rng = Rng::new(seed * 7919);
        let mut machine = Machine::new();
        let mut reference = Reference::new();
        let (mut matched, mut fired) = (0usize, HashSet::new());
        let mut fired_by_directed = HashSet::new();
        let mut inputs = 0usize;
        for _ in 0..40 {
            let mut ir = FakeIr::random(&mut rng, 3, 60);
            for i in 0..ir.insts.len() as u64 {
                inputs += 1;
                let want = reference.run(&prog, &mut ir, lower, &[i]).unwrap();
                let got = machine.run(&prog, &mut ir, lower, &[i]).unwrap();
                let got_rule = got.map(|_| machine.last_fired().expect("a result has a rule"));
                assert_eq!(
                    got.zip(got_rule).map(|(v, r)| (r, v)),
                    want,
                    "seed {seed}, instruction {i} of {:?}",
                    ir
                );
                if let Some((r, v)) = want {
                    assert_eq!(
                        prog.rule_label(r).rsplit(' ').next(),
                        Some(&*format!("r{v}"))
                    );
                    matched += 1;
                    fired.insert(r);
                }
            }
        }
        eprintln!(
            "seed {seed} ({priorities:?}): {} rules, {matched}/{inputs} inputs matched, {} distinct rules fired, {} warnings",
            prog.rule_count(),
            fired.len(),
            prog.warnings.len()
        );
        // Inputs built to match each rule in turn: the places where priorities decide.
        let mut own = 0;
        for &r in prog.rules_of(lower) {
            let (mut ir, root) = FakeIr::matching(&prog, r, &mut rng);
            let want = reference.run(&prog, &mut ir, lower, &[root]).unwrap();
            let got = machine.run(&prog, &mut ir, lower, &[root]).unwrap();
            let got_rule = got.map(|_| machine.last_fired().expect("a result has a rule"));
            assert_eq!(
                got.zip(got_rule).map(|(v, r)| (r, v)),
                want,
                "seed {seed}, input for {}",
                prog.rule_label(r)
            );
            if want.is_some_and(|w| w.0 == r) {
                own += 1;
            }
            if let Some((fired, _)) = want {
                fired_by_directed.insert(fired);
            }
        }
        eprintln!(
            "seed {seed}: inputs built for each of {} rules: {own} fired their own rule, {} distinct rules fired",
            prog.rules_of(lower).len(),
            fired_by_directed.len()
        );
        assert!(
            own * 2 > prog.rules_of(lower).len(),
            "seed {seed}: only {own} rules fired on their own input"
        );
        assert!(
            matched * 4 > inputs,
            "seed {seed}: only {matched} of {inputs} inputs matched a rule"
        );
        assert!(
            fired.len() >= 40,
            "seed {seed}: only {} rules fired",
            fired.len()
        );
    }
}
