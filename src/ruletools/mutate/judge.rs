//! Judging one mutant, in a process of its own (code a mutant miscompiles can crash only that
//! process): compile the edited rules, then look for a test that notices, cheapest first.
//!
//! ```text
//!  edited rules ─compile─▶ error? ─▶ stillborn (the rule checker rejects it; not counted)
//!       │
//!       ├─ run-test files where the rule fired (with the original rules) ─▶ one fails? killed
//!       ├─ every other run-test file the original rules pass ─────────────▶ one fails? killed
//!       ├─ the differential campaign of the plan ─▶ mismatch, or modules declined? killed
//!       └─ survived: with how many files the rule fired in, and how many functions of the
//!          run tests it compiled differently (0: no test reaches a difference)
//! ```
//!
//! A verdict is one line on stdout ([`Verdict::to_line`]), read by the parent.

use super::mutants::Mutant;
use super::plan::Plan;
use crate::compile::RuleChoice;
use crate::dsl::{self, Machine, RuleProgram, SourceMap};
use crate::ir::Function;
use crate::isa::x64::cpuid::TargetFeatures;
use crate::isa::x64::lower::{ctx::LowerCtx, terms::lower_env};
use crate::runtest::{self, CompiledFunction, Compiler, RuleLowering, Status};
use crate::settings::Flags;
use std::cell::{Cell, RefCell};
use std::time::Duration;

/// Where a mutant was noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// A run-test file in which the mutated rule fired.
    FiredRunTest,
    /// Another run-test file.
    RunTest,
    /// The differential campaign.
    Campaign,
    /// The judging process crashed (the mutant's code broke it) or ran out of time.
    Crash,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::FiredRunTest => "run test where the rule fires",
            Stage::RunTest => "other run test",
            Stage::Campaign => "differential campaign",
            Stage::Crash => "crash or time-out",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Stage::FiredRunTest => "fired-runtest",
            Stage::RunTest => "runtest",
            Stage::Campaign => "campaign",
            Stage::Crash => "crash",
        }
    }
}

/// What became of a mutant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The edited rules do not compile (type error, overlap, shadowed rule…): the first
    /// error.
    Stillborn(String),
    Killed {
        stage: Stage,
        detail: String,
    },
    Survived(Survival),
}

/// What the tests saw of a mutant none of them noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Survival {
    /// Run-test files the rule fired in (with the original rules).
    pub fired_files: usize,
    /// Whether it fired in the plan's campaign.
    pub fired_in_campaign: bool,
    /// Functions of the run tests the mutant compiled to other bytes.
    pub changed_functions: usize,
}

impl Verdict {
    /// `stillborn MESSAGE`, `killed STAGE DETAIL` or `survived FILES CAMPAIGN CHANGED`.
    pub fn to_line(&self) -> String {
        let flat = |s: &str| s.replace('\n', " | ");
        match self {
            Verdict::Stillborn(m) => format!("stillborn {}", flat(m)),
            Verdict::Killed { stage, detail } => {
                format!("killed {} {}", stage.word(), flat(detail))
            }
            Verdict::Survived(s) => format!(
                "survived {} {} {}",
                s.fired_files,
                u8::from(s.fired_in_campaign),
                s.changed_functions
            ),
        }
    }

    pub fn parse(line: &str) -> Option<Verdict> {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "stillborn" => Some(Verdict::Stillborn(rest.to_string())),
            "killed" => {
                let (word, detail) = rest.split_once(' ').unwrap_or((rest, ""));
                let stage = [
                    Stage::FiredRunTest,
                    Stage::RunTest,
                    Stage::Campaign,
                    Stage::Crash,
                ]
                .into_iter()
                .find(|s| s.word() == word)?;
                Some(Verdict::Killed {
                    stage,
                    detail: detail.to_string(),
                })
            }
            "survived" => {
                let n: Vec<usize> = rest
                    .split(' ')
                    .map(|w| w.parse().ok())
                    .collect::<Option<_>>()?;
                let [fired_files, campaign, changed_functions] = n[..] else {
                    return None;
                };
                Some(Verdict::Survived(Survival {
                    fired_files,
                    fired_in_campaign: campaign != 0,
                    changed_functions,
                }))
            }
            _ => None,
        }
    }
}

/// Compiles with the mutant's rules, and with the original ones to count the functions
/// whose code differs.
struct Comparing {
    mutant: RuleLowering,
    original: RuleLowering,
    changed: Cell<usize>,
}

impl Compiler for Comparing {
    fn compile(
        &self,
        func: &Function,
        flags: &Flags,
        features: TargetFeatures,
    ) -> Result<CompiledFunction, String> {
        let ours = self.mutant.compile(func, flags, features);
        let theirs = self.original.compile(func, flags, features);
        let same = match (&ours, &theirs) {
            (Ok(a), Ok(b)) => a.code.bytes == b.code.bytes,
            (Err(a), Err(b)) => a == b,
            _ => false,
        };
        if !same {
            self.changed.set(self.changed.get() + 1);
        }
        ours
    }
}

/// Judges `mutant` of `sources` (whose program is `original`) against `plan`; run commands
/// time out after `timeout`.
pub fn judge(
    sources: &SourceMap,
    original: RuleChoice,
    mutant: &Mutant,
    plan: &Plan,
    timeout: Duration,
) -> Verdict {
    let prog = match dsl::compile(mutant.apply(sources), lower_env()) {
        Ok(p) => p,
        Err(e) => {
            let first = e.diagnostics.iter().find(|d| d.is_error());
            return Verdict::Stillborn(first.map_or_else(String::new, |d| d.message.clone()));
        }
    };
    // One mutant per process: the program lives until the process ends.
    let prog: &'static RuleProgram<LowerCtx> = Box::leak(Box::new(prog));
    let lowering = |rules| RuleLowering {
        rules,
        machine: RefCell::new(Machine::new()),
    };
    let compiler = Comparing {
        mutant: lowering(RuleChoice::Loaded(prog)),
        original: lowering(original),
        changed: Cell::new(0),
    };
    let options = runtest::Options {
        compiler: &compiler,
        timeout: Some(timeout),
        regalloc_checker: true,
        // A mutant of a rule only configurations the host cannot run reach is noticed
        // there only if it no longer compiles.
        compile_only: Some(&compiler),
    };
    let fired = plan.fired.get(&mutant.rule).cloned().unwrap_or_default();
    let others = (0..plan.runtests.len()).filter(|i| !fired.contains(i));
    for (i, stage) in fired
        .iter()
        .map(|&i| (i, Stage::FiredRunTest))
        .chain(others.map(|i| (i, Stage::RunTest)))
    {
        let (path, status) = &plan.runtests[i];
        if *status != Status::Pass {
            continue;
        }
        let outcome = runtest::run_file(path, &options);
        if outcome.status != Status::Pass {
            let why = outcome.message.as_deref().unwrap_or("");
            let first = why.lines().next().unwrap_or("");
            return Verdict::Killed {
                stage,
                detail: format!("{}: {first}", path.display()),
            };
        }
    }
    if let Some(detail) = campaign_notices(plan, RuleChoice::Loaded(prog)) {
        return Verdict::Killed {
            stage: Stage::Campaign,
            detail,
        };
    }
    Verdict::Survived(Survival {
        fired_files: fired.len(),
        fired_in_campaign: plan.campaign_fired.contains(&mutant.rule),
        changed_functions: compiler.changed.get(),
    })
}

/// Runs the plan's campaign with `rules`: what it noticed (a finding, or more modules
/// declined than with the original rules), if anything.
#[cfg(feature = "oracle")]
fn campaign_notices(plan: &Plan, rules: RuleChoice) -> Option<String> {
    use crate::fuzzgen::campaign::{run_campaign, Campaign};
    let c = plan.campaign?;
    let campaign = Campaign {
        seed: c.seed,
        count: c.count,
        calls_per_function: 4,
        limits: crate::fuzzgen::Limits::default(),
        out_dir: None,
        minimise: false,
        rules,
        stop_at_first: true,
        start: 0,
    };
    let mut first = None;
    let report = run_campaign(&campaign, |line| {
        if first.is_none() && !line.contains("does not support") {
            first = Some(line.to_string());
        }
    });
    if report.mismatches > 0 {
        return Some(first.unwrap_or_else(|| "a mismatch".into()));
    }
    let declined: usize = report.unsupported.iter().map(|(_, n)| n).sum();
    if declined > c.unsupported_modules {
        let what: Vec<&str> = report.unsupported.iter().map(|(w, _)| w.as_str()).collect();
        return Some(format!(
            "{declined} modules declined as unsupported ({}), {} with the original rules",
            what.join("; "),
            c.unsupported_modules
        ));
    }
    None
}

#[cfg(not(feature = "oracle"))]
fn campaign_notices(_: &Plan, _: RuleChoice) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_read_back_as_written() {
        for v in [
            Verdict::Stillborn("overlap\nwith rule 3".into()),
            Verdict::Killed {
                stage: Stage::Campaign,
                detail: "module 3: %f0: rulesel [1], interpreter [2]".into(),
            },
            Verdict::Survived(Survival {
                fired_files: 3,
                fired_in_campaign: true,
                changed_functions: 0,
            }),
        ] {
            let back = Verdict::parse(&v.to_line()).unwrap();
            match (&v, &back) {
                (Verdict::Stillborn(_), Verdict::Stillborn(m)) => {
                    assert_eq!(m, "overlap | with rule 3")
                }
                _ => assert_eq!(back, v),
            }
        }
        assert_eq!(Verdict::parse("bogus"), None);
    }
}
