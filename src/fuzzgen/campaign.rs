//! A fuzzing campaign: generate modules from a seed, check each one differentially, minimise
//! every finding and write it out as a `.clif` run test. `rulesel fuzz` is a thin shell over
//! [`run_campaign`].

use super::differential::{
    build_oracle, build_rulesel, check_module, data_value, Failure, Finding, Mismatch, Outcome,
    Target,
};
use super::generate::{generate_module, interesting_bits, Limits};
use super::minimise::minimise;
use super::program::Module;
use crate::dsl::testkit::Rng;
use crate::isa::x64::cpuid::TargetFeatures;
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
    /// Where minimised findings are written.
    pub out_dir: PathBuf,
}

/// What a campaign found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Functions checked (including those in modules with a finding).
    pub functions: usize,
    /// Calls compared.
    pub runs: usize,
    /// Findings against rulesel: disagreements, rejections, panics.
    pub mismatches: usize,
    /// Modules rulesel declined as using something it does not support yet: each construct
    /// with the number of modules.
    pub unsupported: Vec<(String, usize)>,
    /// Modules the oracle could not handle (generator or Cranelift problems), with why.
    pub oracle_problems: Vec<String>,
    /// The run tests written, one per mismatch.
    pub written: Vec<PathBuf>,
}

impl Report {
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

/// Module `k` compiles for the host's CPU features when even and for the x86-64 baseline when
/// odd, so both the feature-using rules and their fallbacks are exercised.
pub fn module_target(k: u64) -> Target {
    Target {
        features: if k.is_multiple_of(2) {
            TargetFeatures::host()
        } else {
            TargetFeatures::default()
        },
    }
}

/// Random argument lists for every function of `module`.
pub fn random_calls(module: &Module, seed: u64, per_function: usize) -> Vec<Vec<Vec<u128>>> {
    let mut rng = Rng::new(seed ^ 0xA5A5_5A5A);
    module
        .funcs
        .iter()
        .map(|f| {
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

/// Runs the campaign; `progress` gets a line per finding and per oracle problem.
pub fn run_campaign(c: &Campaign, mut progress: impl FnMut(&str)) -> Report {
    let mut report = Report::default();
    let mut k = 0u64;
    // Modules that rulesel does not support or the oracle cannot run do not count; the bound
    // stops a campaign whose generator only makes such modules.
    let max_modules = 50 * c.count as u64 + 1000;
    while report.functions < c.count && k < max_modules {
        let seed = module_seed(c.seed, k);
        let module = generate_module(seed, c.limits);
        let target = module_target(k);
        let calls = random_calls(&module, seed, c.calls_per_function);
        match check_module(&module, &calls, target) {
            Ok(runs) => {
                report.functions += module.funcs.len();
                report.runs += runs;
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
                report.mismatches += 1;
                let what = match &finding {
                    Finding::Mismatch(m) => describe_mismatch(&module, m),
                    Finding::Failure(f) => f.to_string(),
                };
                let path = c
                    .out_dir
                    .join(format!("mismatch-seed{}-module{k}.clif", c.seed));
                match write_finding(&module, &calls, &finding, target, &path, c, k) {
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
            }
        }
        k += 1;
    }
    report
}

fn describe_mismatch(module: &Module, m: &Mismatch) -> String {
    let f = &module.funcs[m.func];
    format!(
        "%{}: rulesel {}, interpreter {}",
        f.name,
        m.ours.describe(&f.returns),
        m.theirs.describe(&f.returns)
    )
}

/// The same kind of finding on function `func` with `args`: any disagreement for a mismatch,
/// the same stage for a rejection, a panic for a panic.
fn still_fails(
    finding: &Finding,
    module: &Module,
    func: usize,
    args: &[u128],
    target: Target,
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
    match (finding, check_module(module, &calls, target)) {
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
    target: Target,
    path: &Path,
    c: &Campaign,
    k: u64,
) -> std::io::Result<()> {
    let (func, args) = match finding {
        Finding::Mismatch(m) => (m.func, m.args.clone()),
        // A module-level failure: shrink around the first function with a call.
        Finding::Failure(_) => (0, calls[0].first().cloned().unwrap_or_default()),
    };
    // Minimisation never renumbers functions (pruning comes after it), so `func` holds.
    let (small, func, args) = minimise(module, func, &args, &mut |m: &Module, a: &[u128]| {
        still_fails(finding, m, func, a, target)
    });
    let f = &small.funcs[func];
    let params = f.params();
    let text = small.to_clif();
    let arg_text: Vec<String> = params
        .iter()
        .zip(&args)
        .map(|(&t, &b)| data_value(t, b).to_string())
        .collect();
    let call = format!("%{}({})", f.name, arg_text.join(", "));
    let theirs = build_oracle(&text).and_then(|o| o.call(func, &args, &params));
    let ours = build_rulesel(&text, target).map(|r| r.call(func, &args, &f.returns));
    let mut out = format!(
        "; Found by `rulesel fuzz --seed {}` (module {k}), then minimised.\n",
        c.seed
    );
    match &ours {
        Ok(o) => out.push_str(&format!(
            "; rulesel:     {call} -> {}\n",
            o.describe(&f.returns)
        )),
        Err(e) => out.push_str(&format!("; rulesel:     {e}\n")),
    }
    match &theirs {
        Ok(o) => out.push_str(&format!(
            "; interpreter: {call} -> {}\n",
            o.describe(&f.returns)
        )),
        Err(e) => out.push_str(&format!("; interpreter: {e}\n")),
    }
    out.push_str(&format!(
        "test interpret\ntest run\n{}\n\n{text}",
        target.target_line()
    ));
    if let Ok(Outcome::Returned(bits)) = &theirs {
        let vals: Vec<String> = f
            .returns
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
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, out)
}
