//! Run tests distilled from what `rulesel fuzz` found (`tests/fuzz_regressions/*.clif`, each
//! minimised from a differential mismatch; the comment at the top of each says what it was).

use rulesel::runtest::{self, Options, Status};
use std::path::PathBuf;
use std::time::Duration;

#[test]
fn fuzz_regressions_pass() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let options = Options {
        compiler: &runtest::Lowering,
        timeout: Some(Duration::from_secs(10)),
        regalloc_checker: true,
        compile_only: None,
    };
    let summary = runtest::run_paths(&[dir], &options, |_| {}).expect("the directory is readable");
    let failures: Vec<String> = summary
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Fail)
        .map(|o| o.to_string())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(summary.count(Status::Pass) >= 1, "{}", summary.line());
}
