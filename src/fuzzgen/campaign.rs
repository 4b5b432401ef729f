//! A fuzzing campaign: generate modules from a seed, check each one differentially, minimise
//! every finding and write it out as a `.clif` run test, and count what was generated
//! ([`Stats`]). `rulesel fuzz` is a thin shell over [`run_campaign`].
//!
//! Every compile runs regalloc2's checker; a checker failure is a compile failure of rulesel,
//! a finding like any mismatch. The rule executor's counters run for the whole campaign, so
//! the statistics say how often each rule that folds a load fired.

use super::differential::{
    build_oracle, build_rulesel, check_module, data_value, Failure, Finding, Mismatch, Outcome,
    Runner,
};
use super::generate::{generate_module, interesting_bits, Limits};
use super::minimise::minimise;
use super::program::Module;
use super::stats::Stats;
use crate::compile::RuleChoice;
use crate::dsl::testkit::Rng;
use crate::dsl::{Machine, RuleId};
use std::path::{Path, PathBuf};

/// What to run.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub seed: u64,
    /// Stop once this many functions have been checked.
    pub count: usize,
    /// Argument lists each function is called with.
    pub calls_per_function: usize,
    pub limits: Limits,
    /// Where findings are written as run tests (`None`: findings are only counted, as
    /// `rulesel mutate` does).
    pub out_dir: Option<PathBuf>,
    /// Shrink each finding before writing it (off: written as generated, which is faster
    /// when the shrinking meets loops that run until their time limit).
    pub minimise: bool,
    /// The rules rulesel lowers with.
    pub rules: RuleChoice,
    /// Stop at the first finding.
    pub stop_at_first: bool,
    /// The index of the first module (to replay module `k` of a campaign: `start: k`,
    /// `count: 1`).
    pub start: u64,
}

/// What a campaign found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Functions checked (including those in modules with a finding).
    pub functions: usize,
    /// Calls compared.
    pub runs: usize,
    /// Findings against rulesel: disagreements, rejections (regalloc2's checker included),
    /// panics.
    pub mismatches: usize,
    /// Of the mismatches: rulesel panicked.
    pub panics: usize,
    /// Of the mismatches: regalloc2's checker rejected an allocation.
    pub checker_errors: usize,
    /// Functions checked up to and including the module of the first finding.
    pub functions_to_first: Option<usize>,
    /// Modules rulesel declined as using something it does not support yet: each construct
    /// with the number of modules.
    pub unsupported: Vec<(String, usize)>,
    /// Modules the oracle could not handle (generator or Cranelift problems), with why.
    pub oracle_problems: Vec<String>,
    /// The run tests written, one per mismatch.
    pub written: Vec<PathBuf>,
    /// What was generated.
    pub stats: Stats,
    /// How often each rule fired (indexed by `RuleId`) over the modules checked.
    pub rule_counts: Vec<u64>,
}

impl Report {
    /// `findings: W wrong results, R failed compiles, P panics, C checker errors`.
    pub fn findings_line(&self) -> String {
        let other = self.mismatches - self.panics - self.checker_errors;
        format!(
            "findings: {other} wrong results or failed compiles, {} panics, {} checker errors",
            self.panics, self.checker_errors
        )
    }

    /// `N functions, M mismatches`.
    pub fn last_line(&self) -> String {
        format!(
            "{} functions, {} mismatches",
            self.functions, self.mismatches
        )
    }
}

/// The seed of module `k` of a campaign.
pub fn module_seed(seed: u64, k: u64) -> u64 {
    seed.wrapping_mul(0x0100_0000_01b3).wrapping_add(k)
}

/// Random argument lists for every function of `module` the harness may call: not those that
/// take a vmctx (a pointer only their callers can give).
pub fn random_calls(module: &Module, seed: u64, per_function: usize) -> Vec<Vec<Vec<u128>>> {
    let mut rng = Rng::new(seed ^ 0xA5A5_5A5A);
    module
        .funcs
        .iter()
        .map(|f| {
            if f.sig.params.iter().any(|p| p.vmctx) {
                return Vec::new();
            }
            let params = f.params();
            (0..per_function)
                .map(|_| {
                    params
                        .iter()
                        .map(|&t| interesting_bits(&mut rng, t))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// The rules of `rules` that fold a load into their instruction (their text calls
/// `sink_load`).
pub fn fold_rules(rules: RuleChoice) -> Vec<RuleId> {
    let Ok(prog) = rules.program() else {
        return Vec::new();
    };
    (0..prog.rule_count() as u32)
        .map(RuleId)
        .filter(|&r| prog.rule_source(r).contains("(sink_load"))
        .collect()
}

/// Runs the campaign; `progress` gets a line per finding and per oracle problem.
pub fn run_campaign(c: &Campaign, mut progress: impl FnMut(&str)) -> Report {
    let mut report = Report::default();
    let mut machine = Machine::new();
    let prog = c.rules.program().ok();
    if let Some(prog) = prog {
        machine.enable_coverage(prog.rule_count());
    }
    let mut runner = Runner {
        rules: c.rules,
        machine,
    };
    let mut k = c.start;
    // Modules that rulesel does not support or the oracle cannot run do not count; the bound
    // stops a campaign whose generator only makes such modules.
    let max_modules = c.start + 50 * c.count as u64 + 1000;
    while report.functions < c.count && k < max_modules {
        let seed = module_seed(c.seed, k);
        let module = generate_module(seed, c.limits);
        let calls = random_calls(&module, seed, c.calls_per_function);
        match check_module(&module, &calls, &mut runner) {
            Ok(runs) => {
                report.functions += module.funcs.len();
                report.runs += runs;
                report.stats.add_module(&module);
            }
            Err(Finding::Failure(Failure::Unsupported(what))) => {
                match report.unsupported.iter_mut().find(|(w, _)| *w == what) {
                    Some((_, n)) => *n += 1,
                    None => {
                        progress(&format!("module {k}: rulesel does not support {what} yet"));
                        report.unsupported.push((what, 1));
                    }
                }
            }
            Err(Finding::Failure(Failure::Oracle(why))) => {
                progress(&format!("module {k} (seed {seed}): {why}"));
                report.oracle_problems.push(why);
            }
            Err(finding) => {
                report.functions += module.funcs.len();
                report.stats.add_module(&module);
                report.mismatches += 1;
                match &finding {
                    Finding::Failure(Failure::Panic(_)) => report.panics += 1,
                    Finding::Failure(Failure::Rulesel { message, .. })
                        if message.contains("regalloc2 checker") =>
                    {
                        report.checker_errors += 1
                    }
                    _ => {}
                }
                report.functions_to_first.get_or_insert(report.functions);
                let what = match &finding {
                    Finding::Mismatch(m) => describe_mismatch(&module, m),
                    Finding::Failure(f) => f.to_string(),
                };
                let Some(dir) = &c.out_dir else {
                    progress(&format!("module {k} (seed {seed}): {what}"));
                    if c.stop_at_first {
                        break;
                    }
                    k += 1;
                    continue;
                };
                let path = dir.join(format!("mismatch-seed{}-module{k}.clif", c.seed));
                match write_finding(&module, &calls, &finding, &path, c, k, &mut runner) {
                    Ok(()) => {
                        progress(&format!(
                            "module {k}: {what}\n  written to {}",
                            path.display()
                        ));
                        report.written.push(path);
                    }
                    Err(e) => progress(&format!(
                        "module {k}: {what}\n  cannot write {}: {e}",
                        path.display()
                    )),
                }
                if c.stop_at_first {
                    break;
                }
            }
        }
        k += 1;
    }
    if let (Some(prog), Some(counts)) = (prog, runner.machine.coverage()) {
        for r in fold_rules(c.rules) {
            report
                .stats
                .folds
                .insert(prog.rule_label(r), counts[r.index()]);
        }
        report.rule_counts = counts.to_vec();
    }
    report
}

fn describe_mismatch(module: &Module, m: &Mismatch) -> String {
    let f = &module.funcs[m.func];
    let returns = f.returns();
    format!(
        "%{}: rulesel {}, interpreter {}",
        f.name,
        m.ours.describe(&returns),
        m.theirs.describe(&returns)
    )
}

/// The same kind of finding on function `func` with `args`: any disagreement for a mismatch,
/// the same stage for a rejection, a panic for a panic.
fn still_fails(
    finding: &Finding,
    module: &Module,
    func: usize,
    args: &[u128],
    runner: &mut Runner,
) -> bool {
    let mut calls: Vec<Vec<Vec<u128>>> = vec![Vec::new(); module.funcs.len()];
    calls[func].push(args.to_vec());
    let same_kind = |a: &Outcome, b: &Outcome| {
        matches!(
            (a, b),
            (Outcome::Returned(_), Outcome::Returned(_))
                | (Outcome::Trapped(_), Outcome::Trapped(_))
        )
    };
    match (finding, check_module(module, &calls, runner)) {
        // The same disagreement, not one the minimiser made up on the way: each side still
        // returns, or still traps, as it did.
        (Finding::Mismatch(was), Err(Finding::Mismatch(now))) => {
            same_kind(&was.ours, &now.ours) && same_kind(&was.theirs, &now.theirs)
        }
        (Finding::Failure(Failure::Panic(_)), Err(Finding::Failure(Failure::Panic(_)))) => true,
        (
            Finding::Failure(Failure::Rulesel { stage, .. }),
            Err(Finding::Failure(Failure::Rulesel { stage: now, .. })),
        ) => stage == &now,
        _ => false,
    }
}

/// Minimises the finding and writes it as a run test at `path`.
fn write_finding(
    module: &Module,
    calls: &[Vec<Vec<u128>>],
    finding: &Finding,
    path: &Path,
    c: &Campaign,
    k: u64,
    runner: &mut Runner,
) -> std::io::Result<()> {
    let (func, args) = match finding {
        Finding::Mismatch(m) => (m.func, m.args.clone()),
        // A module-level failure: shrink around the first function with a call.
        Finding::Failure(_) => {
            let f = calls.iter().position(|c| !c.is_empty()).unwrap_or(0);
            (f, calls[f].first().cloned().unwrap_or_default())
        }
    };
    // The minimiser keeps the rule counters out of its many compiles.
    let mut scratch = Runner {
        rules: runner.rules,
        machine: Machine::new(),
    };
    let (small, func, args) = if c.minimise {
        minimise(module, func, &args, &mut |m: &Module, a: &[u128]| {
            still_fails(finding, m, func, a, &mut scratch)
        })
    } else {
        (module.clone(), func, args)
    };
    let f = &small.funcs[func];
    let params = f.params();
    let returns = f.returns();
    let text = small.to_clif();
    let arg_text: Vec<String> = params
        .iter()
        .zip(&args)
        .map(|(&t, &b)| data_value(t, b).to_string())
        .collect();
    let call = format!("%{}({})", f.name, arg_text.join(", "));
    let native = small.cranelift_compiled();
    let oracle = build_oracle(&small.to_oracle_clif(), &small.config, &native);
    let theirs = oracle
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|o| o.call(func, &args, &params));
    let ours = oracle.as_ref().map_err(Clone::clone).and_then(|o| {
        build_rulesel(&text, &small.config, o, &mut scratch).map(|r| r.call(func, &args, &returns))
    });
    let mut out = format!(
        "; Found by `rulesel fuzz --seed {}` (module {k}){}.\n",
        c.seed,
        if c.minimise { ", then minimised" } else { "" }
    );
    if !native.is_empty() {
        let names: Vec<String> = native.iter().map(|n| format!("%{n}")).collect();
        out.push_str(&format!("; compiled by Cranelift: {}\n", names.join(" ")));
    }
    match &ours {
        Ok(o) => out.push_str(&format!(
            "; rulesel:     {call} -> {}\n",
            o.describe(&returns)
        )),
        Err(e) => out.push_str(&format!("; rulesel:     {e}\n")),
    }
    match &theirs {
        Ok(o) => out.push_str(&format!(
            "; interpreter: {call} -> {}\n",
            o.describe(&returns)
        )),
        Err(e) => out.push_str(&format!("; interpreter: {e}\n")),
    }
    out.push_str(&format!(
        "test interpret\ntest run\n{}\n",
        small.config.header()
    ));
    // A run line calls the function it follows (whatever name it writes), so it goes right
    // after the tested function.
    let header = format!("function %{}(", f.name);
    let tested_end = text
        .find(&header)
        .and_then(|at| text[at..].find("\n}\n").map(|end| at + end + 3))
        .unwrap_or(text.len());
    out.push_str(&text[..tested_end]);
    if let Ok(Outcome::Returned(bits)) = &theirs {
        let vals: Vec<String> = returns
            .iter()
            .zip(bits)
            .map(|(&t, &b)| data_value(t, b).to_string())
            .collect();
        let expected = if vals.len() == 1 {
            vals[0].clone()
        } else {
            format!("[{}]", vals.join(", "))
        };
        out.push_str(&format!("; run: {call} == {expected}\n"));
    }
    out.push_str(&text[tested_end..]);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, out)
}
