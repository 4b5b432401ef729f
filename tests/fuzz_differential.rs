//! A short differential campaign against Cranelift's interpreter. Needs the `oracle` feature
//! (`cargo test --features oracle --test fuzz_differential`); without it the file is empty, so
//! the default `cargo test` never compiles Cranelift.
#![cfg(feature = "oracle")]

use rulesel::compile::RuleChoice;
use rulesel::fuzzgen::campaign::{run_campaign, Campaign};
use rulesel::fuzzgen::Limits;

#[test]
fn short_campaign_has_no_mismatches() {
    let out = std::env::temp_dir().join(format!("rulesel-fuzz-test-{}", std::process::id()));
    let campaign = Campaign {
        seed: 9,
        count: 300,
        calls_per_function: 4,
        limits: Limits::default(),
        out_dir: Some(out.clone()),
        rules: RuleChoice::Embedded,
        stop_at_first: false,
        start: 0,
    };
    let mut lines = Vec::new();
    let report = run_campaign(&campaign, |l| lines.push(l.to_string()));
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(report.mismatches, 0, "{}", lines.join("\n"));
    assert!(
        report.oracle_problems.is_empty(),
        "{:?}",
        report.oracle_problems
    );
    assert!(report.functions >= 300 && report.runs >= 1000, "{report:?}");
}
