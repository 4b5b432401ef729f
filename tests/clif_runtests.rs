//! Cranelift's own x86-64 run tests (`../shared/clif-runtests`), compiled by rulesel's lowering
//! and executed through the JIT. `tests/clif_runtests_passing.txt` lists the files known to pass;
//! the list may only grow:
//!
//! - a listed file that fails fails this test (a regression), with the file's first failure;
//! - a file that passes but is not listed is printed, so that it can be added (see them with
//!   `cargo test --test clif_runtests -- --nocapture`);
//! - a listed file the host cannot run (a missing CPU feature) is skipped, not failed;
//! - a file that is not listed may fail only by using something rulesel does not support
//!   yet, and must say so ("not supported yet: ..."): any other failure (a wrong result, a
//!   trap, an unclear error) is a bug.
//!
//! The regalloc2 checker runs on every allocation.

use rulesel::runtest::{run_paths, Lowering, Options, Status};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn passing_list() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clif_runtests_passing.txt");
    let text = std::fs::read_to_string(&path).expect("tests/clif_runtests_passing.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn shared_clif_runtests_that_passed_still_pass() {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/clif-runtests");
    let listed = passing_list();
    let options = Options {
        compiler: &Lowering,
        timeout: Some(Duration::from_secs(20)),
        regalloc_checker: true,
        compile_only: None,
    };
    let summary = run_paths(std::slice::from_ref(&dir), &options, |_| {}).unwrap();
    let mut regressions = Vec::new();
    let mut newly_passing = Vec::new();
    let mut unclear_failures = Vec::new();
    for outcome in &summary.outcomes {
        let name = outcome
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        match (outcome.status, listed.contains(&name)) {
            (Status::Fail, true) => regressions.push(outcome.to_string()),
            (Status::Fail, false)
                if !(outcome.message.as_deref())
                    .is_some_and(|m| m.contains("not supported yet")) =>
            {
                unclear_failures.push(outcome.to_string())
            }
            (Status::Pass, false) => newly_passing.push(name),
            (Status::Skip, true) => println!("listed but skipped on this host: {outcome}"),
            _ => {}
        }
    }
    let names: BTreeSet<String> = summary
        .outcomes
        .iter()
        .map(|o| o.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let unknown: Vec<&String> = listed.difference(&names).collect();
    println!("{}", summary.line());
    if !newly_passing.is_empty() {
        println!(
            "{} files pass that tests/clif_runtests_passing.txt does not list; add them:",
            newly_passing.len()
        );
        for name in &newly_passing {
            println!("{name}");
        }
    }
    assert!(
        unknown.is_empty(),
        "listed files that do not exist: {unknown:?}"
    );
    assert!(
        unclear_failures.is_empty(),
        "{} files fail other than by an unsupported feature:\n{}",
        unclear_failures.len(),
        unclear_failures.join("\n")
    );
    assert!(
        regressions.is_empty(),
        "{} listed files fail:\n{}",
        regressions.len(),
        regressions.join("\n")
    );
}
