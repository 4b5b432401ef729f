//! Rule coverage in the LCOV tracefile format (`rulesel coverage --lcov FILE`), which
//! coverage services, editors and `genhtml` read: one record per rules file, one `DA` line per
//! line on which rules start, with the number of times they fired.
//!
//! ```text
//! TN:rulesel
//! SF:rules/x64/arith.rules
//! DA:7,120
//! DA:8,0
//! LF:2
//! LH:1
//! end_of_record
//! ```
//!
//! Paths are the rule files' paths as loaded (`rules/...` for the embedded rules, relative to
//! the repository), so tools that read the sources run from the repository root.

use super::coverage::Coverage;
use std::fmt::Write as _;

/// The LCOV text of `cov`.
pub fn lcov(cov: &Coverage) -> String {
    let mut out = String::new();
    let sources = &cov.prog.sources;
    for (file, lines) in cov.lines_by_file() {
        let _ = writeln!(out, "TN:rulesel\nSF:{}", sources.path(file));
        for l in &lines {
            let _ = writeln!(out, "DA:{},{}", l.line, l.count);
        }
        let hit = lines.iter().filter(|l| l.count > 0).count();
        let _ = writeln!(out, "LF:{}\nLH:{hit}\nend_of_record", lines.len());
    }
    out
}
