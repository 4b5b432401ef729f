//! `rulesel mutate`: rule mutation testing. Alter one rule at a time ([`mutants`]), run the
//! run tests and a short differential campaign with the altered rules (compiled at run time,
//! as `--rules` does: no rebuild), and report the mutants no test noticed.
//!
//! ```text
//!  rules ─mutants─▶ [Mutant]            original rules ─run tests, campaign─▶ Plan (a file)
//!                      │                                                        │
//!                      └──▶ N worker threads, each: `rulesel mutate --judge ID --plan FILE`
//!                             (a process per mutant: miscompiled code crashes only it;
//!                              crash or time-out = noticed) ─▶ Verdict line
//!  ─▶ survivors, a table by operator and by the stage that noticed,
//!     last line `K of M mutants killed (P%)` (M: the mutants whose rules compile)
//! ```
//!
//! A survivor is a test gap (a test should notice) or an equivalent mutant (no program
//! could): its line says whether the rule fired in the run tests and the campaign, and on how
//! many run-test functions the mutant's code differed from the original's, which tells the two
//! apart in most cases.

pub mod judge;
pub mod mutants;
pub mod plan;

use super::progress::Progress;
use crate::compile::RuleChoice;
use crate::dsl::{self, Machine, RuleProgram, SourceMap};
use crate::isa::x64::lower::{ctx::LowerCtx, terms::lower_env};
use crate::runtest::{self, RuleLowering};
use judge::{Stage, Verdict};
use mutants::{Mutant, Operator};
use plan::Plan;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What `rulesel mutate` was asked.
#[derive(Clone, Debug)]
pub struct Options {
    /// The rules directory mutated (`None`: the embedded x64 rules).
    pub rules: Option<PathBuf>,
    /// Run-test files or directories.
    pub runtests: Vec<PathBuf>,
    /// Functions in the differential campaign run on each mutant (0: none).
    pub campaign_functions: usize,
    pub seed: u64,
    /// Mutants judged at once.
    pub jobs: usize,
    /// Only the mutants of the rules [`selects`] picks.
    pub only: Option<String>,
    /// Only every `sample`-th mutant (1: all).
    pub sample: usize,
    /// A judging process still running after this long is killed (and its mutant counted as
    /// noticed).
    pub timeout: Duration,
}

/// Does `only` pick the rule at `path:line`: a path part (`arith.rules`, `x64/`) or the
/// end of the location (`arith.rules:12`, not line 120)?
pub fn selects(only: &str, rule: &str) -> bool {
    let path = rule.rsplit_once(':').map_or(rule, |(p, _)| p);
    rule.ends_with(only) || path.contains(only)
}

/// The rule sources of `dir` (or the embedded x64 rules) and their program.
fn load(dir: Option<&Path>) -> Result<(SourceMap, &'static RuleProgram<LowerCtx>), String> {
    let sources = match dir {
        Some(d) => super::rule_sources(d)?,
        None => dsl::embedded_x64_sources(),
    };
    let prog = dsl::compile(sources.clone(), lower_env()).map_err(|e| e.render())?;
    Ok((sources, Box::leak(Box::new(prog))))
}

/// `path:line` of a rule, as [`mutants::Mutant::rule`] names it.
fn rule_key(prog: &RuleProgram<LowerCtx>, r: dsl::RuleId) -> String {
    let label = prog.rule_label(r);
    label.split(' ').next().unwrap_or("").to_string()
}

/// Every mutant of `sources`.
fn all_mutants(sources: &SourceMap, prog: &RuleProgram<LowerCtx>) -> Vec<Mutant> {
    let terms: HashSet<String> = prog.term_names().map(|(n, _)| n.to_string()).collect();
    mutants::mutants(sources, &terms)
}

/// The original rules on the run tests and the campaign.
fn measure_plan(
    prog: &'static RuleProgram<LowerCtx>,
    options: &Options,
) -> Result<(Plan, Vec<String>), String> {
    let rules = RuleChoice::Loaded(prog);
    let files = runtest::collect_files(&options.runtests).map_err(|e| e.to_string())?;
    let mut plan = Plan::default();
    let mut notes = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let mut machine = Machine::new();
        machine.enable_coverage(prog.rule_count());
        let compiler = RuleLowering {
            rules,
            machine: RefCell::new(machine),
        };
        let run = runtest::Options {
            compiler: &compiler,
            timeout: Some(Duration::from_secs(10)),
            regalloc_checker: true,
            // Configurations the host cannot run are compiled: their rules count as fired.
            compile_only: Some(&compiler),
        };
        let outcome = runtest::run_file(path, &run);
        plan.runtests.push((path.clone(), outcome.status));
        let machine = compiler.machine.borrow();
        for (r, &n) in machine.coverage().unwrap_or(&[]).iter().enumerate() {
            if n > 0 {
                let key = rule_key(prog, dsl::RuleId(r as u32));
                plan.fired.entry(key).or_default().push(i);
            }
        }
    }
    if options.campaign_functions > 0 {
        campaign_plan(&mut plan, &mut notes, prog, options)?;
    }
    Ok((plan, notes))
}

#[cfg(feature = "oracle")]
fn campaign_plan(
    plan: &mut Plan,
    notes: &mut Vec<String>,
    prog: &'static RuleProgram<LowerCtx>,
    options: &Options,
) -> Result<(), String> {
    use crate::fuzzgen::campaign::{run_campaign, Campaign};
    let campaign = Campaign {
        seed: options.seed,
        count: options.campaign_functions,
        calls_per_function: 4,
        limits: crate::fuzzgen::Limits::default(),
        out_dir: None,
        minimise: false,
        rules: RuleChoice::Loaded(prog),
        stop_at_first: false,
        start: 0,
    };
    let mut lines = Vec::new();
    let report = run_campaign(&campaign, |l| lines.push(l.to_string()));
    if report.mismatches > 0 {
        return Err(format!(
            "the original rules fail the campaign (seed {}):\n{}",
            options.seed,
            lines.join("\n")
        ));
    }
    plan.campaign = Some(plan::CampaignPlan {
        seed: options.seed,
        count: options.campaign_functions,
        unsupported_modules: report.unsupported.iter().map(|(_, n)| n).sum(),
    });
    for (r, &n) in report.rule_counts.iter().enumerate() {
        if n > 0 {
            plan.campaign_fired
                .insert(rule_key(prog, dsl::RuleId(r as u32)));
        }
    }
    notes.push(format!(
        "campaign: seed {}, {} functions per mutant",
        options.seed, report.functions
    ));
    Ok(())
}

#[cfg(not(feature = "oracle"))]
fn campaign_plan(
    _: &mut Plan,
    notes: &mut Vec<String>,
    _: &'static RuleProgram<LowerCtx>,
    _: &Options,
) -> Result<(), String> {
    notes
        .push("no differential campaign: this rulesel was built without the oracle feature".into());
    Ok(())
}

/// `rulesel mutate`.
pub fn command(options: &Options) -> ExitCode {
    match run(options) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<String, String> {
    let started = Instant::now();
    let (sources, prog) = load(options.rules.as_deref())?;
    let all = all_mutants(&sources, prog);
    let chosen: Vec<usize> = (0..all.len())
        .filter(|&i| {
            options
                .only
                .as_ref()
                .is_none_or(|o| selects(o, &all[i].rule))
        })
        .enumerate()
        .filter(|(k, _)| k % options.sample.max(1) == 0)
        .map(|(_, i)| i)
        .collect();
    let (plan, notes) = measure_plan(prog, options)?;
    let dir = std::env::temp_dir().join(format!("rulesel-mutate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let plan_path = dir.join("plan");
    std::fs::write(&plan_path, plan.to_text()).map_err(|e| e.to_string())?;
    let verdicts = judge_all(&chosen, options, &plan_path);
    let _ = std::fs::remove_dir_all(&dir);
    let mut out = String::new();
    for note in notes {
        let _ = writeln!(out, "{note}");
    }
    let _ = writeln!(
        out,
        "{} mutants of {} rules, {} judged, {} run-test files, {:.0} s",
        all.len(),
        prog.rule_count(),
        chosen.len(),
        plan.runtests.len(),
        started.elapsed().as_secs_f64()
    );
    out.push_str(&summary(&all, &chosen, &verdicts));
    Ok(out)
}

/// Judges the mutants `chosen` on `options.jobs` threads, each running one judging process
/// at a time, with a progress bar on a terminal.
fn judge_all(chosen: &[usize], options: &Options, plan: &Path) -> Vec<Verdict> {
    let next = AtomicUsize::new(0);
    let verdicts: Mutex<Vec<Option<Verdict>>> = Mutex::new(vec![None; chosen.len()]);
    let killed = AtomicUsize::new(0);
    let bar = Progress::new(chosen.len() as u64, "mutants");
    std::thread::scope(|s| {
        for _ in 0..options.jobs.max(1) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&id) = chosen.get(k) else {
                    break;
                };
                let verdict = judge_in_process(id, options, plan);
                if matches!(verdict, Verdict::Killed { .. }) {
                    killed.fetch_add(1, Ordering::Relaxed);
                }
                verdicts.lock().unwrap()[k] = Some(verdict);
                bar.step(&format!("{} killed", killed.load(Ordering::Relaxed)));
            });
        }
    });
    bar.finish();
    verdicts
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|v| v.expect("every mutant judged"))
        .collect()
}

/// Runs `rulesel mutate --judge ID` and reads its verdict; a crash or a time-out is a
/// mutant noticed.
fn judge_in_process(id: usize, options: &Options, plan: &Path) -> Verdict {
    let crash = |detail: String| Verdict::Killed {
        stage: Stage::Crash,
        detail,
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return crash(format!("cannot find rulesel: {e}")),
    };
    let mut cmd = Command::new(exe);
    cmd.args(["mutate", "--judge", &id.to_string(), "--plan"])
        .arg(plan)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(dir) = &options.rules {
        cmd.arg("--rules").arg(dir);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return crash(format!("cannot start a judge: {e}")),
    };
    let deadline = Instant::now() + options.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return crash(format!("no verdict after {} s", options.timeout.as_secs()));
            }
            Err(e) => return crash(e.to_string()),
        }
    };
    let mut text = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut out, &mut text);
    }
    text.lines()
        .find_map(Verdict::parse)
        .unwrap_or_else(|| crash(format!("the judge ended with {status}")))
}

/// `rulesel mutate --judge ID --plan FILE`: judges mutant `id` and prints its verdict line.
pub fn judge_command(id: usize, plan: &Path, rules: Option<&Path>) -> ExitCode {
    // A rulesel panic is caught by the harness as a failed file; keep stderr quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let verdict = (|| -> Result<Verdict, String> {
        let (sources, prog) = load(rules)?;
        let all = all_mutants(&sources, prog);
        let mutant = all.get(id).ok_or_else(|| format!("no mutant {id}"))?;
        let text = std::fs::read_to_string(plan).map_err(|e| e.to_string())?;
        let plan = Plan::parse(&text)?;
        Ok(judge::judge(
            &sources,
            RuleChoice::Loaded(prog),
            mutant,
            &plan,
            Duration::from_secs(5),
        ))
    })();
    match verdict {
        Ok(v) => {
            println!("{}", v.to_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Survivors, then counts by operator and by stage, then `K of M mutants killed (P%)`.
fn summary(all: &[Mutant], chosen: &[usize], verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let mut by_operator: BTreeMap<Operator, [usize; 3]> = BTreeMap::new();
    let mut by_stage: BTreeMap<Stage, usize> = BTreeMap::new();
    for (&id, verdict) in chosen.iter().zip(verdicts) {
        let m = &all[id];
        let row = by_operator.entry(m.operator).or_default();
        match verdict {
            Verdict::Stillborn(_) => row[0] += 1,
            Verdict::Killed { stage, .. } => {
                row[1] += 1;
                *by_stage.entry(*stage).or_default() += 1;
            }
            Verdict::Survived(s) => {
                row[2] += 1;
                let fired = match (s.fired_files, s.fired_in_campaign) {
                    (0, false) => "never fires in the tests".to_string(),
                    (0, true) => "fires only in the campaign".to_string(),
                    (n, c) => format!(
                        "fires in {n} run-test files{}",
                        if c { " and the campaign" } else { "" }
                    ),
                };
                let _ = writeln!(
                    out,
                    "survived {}: {} [{fired}; code differs in {} run-test functions]",
                    m.rule, m.what, s.changed_functions
                );
            }
        }
    }
    let _ = writeln!(out, "operator          stillborn  killed  survived");
    for (op, [stillborn, killed, survived]) in &by_operator {
        let _ = writeln!(
            out,
            "{:<16} {stillborn:>10} {killed:>7} {survived:>9}",
            op.name()
        );
    }
    for (stage, n) in &by_stage {
        let _ = writeln!(out, "killed by {}: {n}", stage.name());
    }
    let killed: usize = by_operator.values().map(|r| r[1]).sum();
    let judged: usize = by_operator.values().map(|r| r[1] + r[2]).sum();
    let percent = if judged == 0 {
        0.0
    } else {
        100.0 * killed as f64 / judged as f64
    };
    let _ = writeln!(out, "{killed} of {judged} mutants killed ({percent:.1}%)");
    out
}

#[cfg(test)]
mod tests {
    use super::selects;

    #[test]
    fn only_picks_paths_and_whole_lines() {
        let rule = "rules/x64/arith.rules:12";
        assert!(selects("arith.rules", rule));
        assert!(selects("x64/", rule));
        assert!(selects("arith.rules:12", rule));
        assert!(!selects("arith.rules:1", rule));
        assert!(!selects("arith.rules:120", rule));
        assert!(!selects("float.rules", rule));
    }
}
