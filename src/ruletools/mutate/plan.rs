//! What the original rules do on the tests, measured once by the parent of a mutation run and
//! read by every process that judges a mutant: each run-test file's outcome and the rules
//! that fired in it, and the differential campaign's figures.
//!
//! Written as plain lines (`runtest pass PATH`, `fired RULE 3 17`, `campaign SEED COUNT …`,
//! `campaign-fired RULE`), one file per run in the temporary directory.

use crate::runtest::Status;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The baseline a mutant is judged against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Every run-test file, with the original rules' outcome.
    pub runtests: Vec<(PathBuf, Status)>,
    /// For each rule (`path:line`), the run-test files (indexes into `runtests`) it fired in.
    pub fired: HashMap<String, Vec<usize>>,
    /// The differential campaign run on each mutant, if any.
    pub campaign: Option<CampaignPlan>,
    /// The rules that fired in the campaign with the original rules.
    pub campaign_fired: HashSet<String>,
}

/// A short differential campaign and what the original rules gave on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CampaignPlan {
    pub seed: u64,
    /// Functions to check.
    pub count: usize,
    /// Modules the original rules declined as unsupported.
    pub unsupported_modules: usize,
}

impl Plan {
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (path, status) in &self.runtests {
            let s = match status {
                Status::Pass => "pass",
                Status::Fail => "fail",
                Status::Skip => "skip",
            };
            let _ = writeln!(out, "runtest {s} {}", path.display());
        }
        let mut rules: Vec<_> = self.fired.iter().collect();
        rules.sort();
        for (rule, files) in rules {
            let list: Vec<String> = files.iter().map(usize::to_string).collect();
            let _ = writeln!(out, "fired {rule} {}", list.join(" "));
        }
        if let Some(c) = &self.campaign {
            let _ = writeln!(
                out,
                "campaign {} {} {}",
                c.seed, c.count, c.unsupported_modules
            );
        }
        let mut fired: Vec<_> = self.campaign_fired.iter().collect();
        fired.sort();
        for rule in fired {
            let _ = writeln!(out, "campaign-fired {rule}");
        }
        out
    }

    pub fn parse(text: &str) -> Result<Plan, String> {
        let mut plan = Plan::default();
        for (i, line) in text.lines().enumerate() {
            let bad = || format!("plan line {}: {line}", i + 1);
            let mut words = line.split(' ');
            match words.next() {
                Some("runtest") => {
                    let status = match words.next() {
                        Some("pass") => Status::Pass,
                        Some("fail") => Status::Fail,
                        Some("skip") => Status::Skip,
                        _ => return Err(bad()),
                    };
                    let path: Vec<&str> = words.collect();
                    plan.runtests.push((PathBuf::from(path.join(" ")), status));
                }
                Some("fired") => {
                    let rule = words.next().ok_or_else(bad)?.to_string();
                    let files = words
                        .map(|w| w.parse().map_err(|_| bad()))
                        .collect::<Result<Vec<usize>, String>>()?;
                    plan.fired.insert(rule, files);
                }
                Some("campaign") => {
                    let mut n = || -> Result<u64, String> {
                        words.next().and_then(|w| w.parse().ok()).ok_or_else(bad)
                    };
                    plan.campaign = Some(CampaignPlan {
                        seed: n()?,
                        count: n()? as usize,
                        unsupported_modules: n()? as usize,
                    });
                }
                Some("campaign-fired") => {
                    plan.campaign_fired
                        .insert(words.next().ok_or_else(bad)?.to_string());
                }
                _ => return Err(bad()),
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_read_back_as_written() {
        let plan = Plan {
            runtests: vec![
                ("a b.clif".into(), Status::Pass),
                ("c.clif".into(), Status::Fail),
                ("d.clif".into(), Status::Skip),
            ],
            fired: [("rules/x64/arith.rules:12".to_string(), vec![0, 2])].into(),
            campaign: Some(CampaignPlan {
                seed: 7,
                count: 500,
                unsupported_modules: 3,
            }),
            campaign_fired: ["rules/x64/arith.rules:12".to_string()].into(),
        };
        assert_eq!(Plan::parse(&plan.to_text()), Ok(plan));
        assert!(Plan::parse("nonsense").is_err());
    }
}
