//! Rule coverage over run-test files: how often each rule fired, which never did, as text and
//! as HTML pages of the rule files annotated with the counts.
//!
//! The counts come from the executor's coverage counters ([`crate::dsl::Machine::enable_coverage`])
//! on one machine shared by every function of every file the harness compiles. Configurations
//! whose features the host lacks (AVX-512 on most machines) are compiled without being run, on
//! a second machine: their firings count too, and the rules that fired only there are named.

use crate::compile::RuleChoice;
use crate::dsl::{FileId, Machine, RuleId, RuleProgram};
use crate::isa::x64::lower::ctx::LowerCtx;
use crate::runtest::{self, RuleLowering, Summary};
use indexmap::IndexMap;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Firing counts of every rule of a program (indexed by [`RuleId`]).
pub struct Coverage<'a> {
    pub prog: &'a RuleProgram<LowerCtx>,
    /// Firings in every configuration, run or only compiled.
    pub counts: Vec<u64>,
    /// Firings in the configurations only compiled (the host lacks their features).
    pub compiled_only: Vec<u64>,
}

/// Runs the run-test files under `paths` (as `rulesel run` does) with `rules`, counting rule
/// firings. `on_file` sees each file's outcome. The run's summary comes back with the counts.
pub fn run_files(
    paths: &[PathBuf],
    rules: RuleChoice,
    timeout: Option<Duration>,
    on_file: impl FnMut(&runtest::FileOutcome),
) -> Result<(Summary, Coverage<'static>), String> {
    let prog = rules.program()?;
    let counting = || {
        let mut machine = Machine::new();
        machine.enable_coverage(prog.rule_count());
        RuleLowering {
            rules,
            machine: RefCell::new(machine),
        }
    };
    let (compiler, unrunnable) = (counting(), counting());
    let options = runtest::Options {
        compiler: &compiler,
        timeout,
        regalloc_checker: false,
        compile_only: Some(&unrunnable),
    };
    let summary = runtest::run_paths(paths, &options, on_file).map_err(|e| e.to_string())?;
    let counts_of = |c: &RuleLowering| {
        (c.machine.borrow().coverage())
            .map(<[u64]>::to_vec)
            .unwrap_or_else(|| vec![0; prog.rule_count()])
    };
    let compiled_only = counts_of(&unrunnable);
    let counts = (counts_of(&compiler).iter())
        .zip(&compiled_only)
        .map(|(a, b)| a + b)
        .collect();
    Ok((
        summary,
        Coverage {
            prog,
            counts,
            compiled_only,
        },
    ))
}

impl Coverage<'_> {
    /// Rules that fired at least once.
    pub fn fired(&self) -> usize {
        self.counts.iter().filter(|&&c| c > 0).count()
    }

    /// The rules that fired only in configurations compiled, not run, in source order.
    pub fn fired_only_compiled(&self) -> Vec<RuleId> {
        (0..self.counts.len())
            .filter(|&i| self.counts[i] > 0 && self.counts[i] == self.compiled_only[i])
            .map(|i| RuleId(i as u32))
            .collect()
    }

    /// The rules that never fired, in source order.
    pub fn unfired(&self) -> Vec<RuleId> {
        (0..self.counts.len())
            .filter(|&i| self.counts[i] == 0)
            .map(|i| RuleId(i as u32))
            .collect()
    }

    /// `R of T rules fired (P%)`.
    pub fn summary_line(&self) -> String {
        let total = self.counts.len();
        let percent = if total == 0 {
            100.0
        } else {
            self.fired() as f64 * 100.0 / total as f64
        };
        format!("{} of {total} rules fired ({percent:.1}%)", self.fired())
    }

    /// Every rule with its count (`count  path:line name`), then the rules that never fired,
    /// then [`Coverage::summary_line`].
    pub fn report(&self) -> String {
        let mut out = String::new();
        for (i, &c) in self.counts.iter().enumerate() {
            let _ = writeln!(out, "{c:>10}  {}", self.prog.rule_label(RuleId(i as u32)));
        }
        let compiled = self.fired_only_compiled();
        let _ = writeln!(
            out,
            "\nfired only in configurations compiled, not run (the host lacks their features) ({}):",
            compiled.len()
        );
        for r in compiled {
            let _ = writeln!(out, "  {}", self.prog.rule_label(r));
        }
        let unfired = self.unfired();
        let _ = writeln!(out, "\nnever fired ({}):", unfired.len());
        for r in unfired {
            let _ = writeln!(out, "  {}", self.prog.rule_label(r));
        }
        let _ = writeln!(out, "{}", self.summary_line());
        out
    }

    /// Per rules file with rules, in file order: each line on which rules start, with the
    /// firings of the rules starting there, in line order (the table the HTML pages and the
    /// LCOV records show).
    pub fn lines_by_file(&self) -> IndexMap<FileId, Vec<RuleLine>> {
        let sources = &self.prog.sources;
        let mut table: IndexMap<FileId, Vec<RuleLine>> = IndexMap::new();
        for (i, &count) in self.counts.iter().enumerate() {
            let span = self.prog.rule_span(RuleId(i as u32));
            let line = sources.line_col(span).line;
            let lines = table.entry(span.file).or_default();
            match lines.iter_mut().find(|l| l.line == line) {
                Some(l) => {
                    l.count += count;
                    l.unfired |= count == 0;
                }
                None => lines.push(RuleLine {
                    line,
                    count,
                    unfired: count == 0,
                }),
            }
        }
        table.sort_unstable_keys();
        for lines in table.values_mut() {
            lines.sort_by_key(|l| l.line);
        }
        table
    }

    /// Writes `index.html` and one page per rule file into `dir` (created if missing): each
    /// file's text with every rule's first line marked by its count, unfired rules in red.
    pub fn write_html(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let sources = &self.prog.sources;
        let mut index = String::new();
        for (f, marks) in self.lines_by_file() {
            let page = page_name(sources.path(f));
            std::fs::write(dir.join(&page), self.file_page(f, &marks))?;
            let fired = marks.iter().filter(|m| m.count > 0).count();
            let _ = writeln!(
                index,
                "<tr><td><a href=\"{page}\">{}</a></td><td>{fired} of {}</td></tr>",
                escape(sources.path(f)),
                marks.len()
            );
        }
        let body = format!(
            "<h1>Rule coverage</h1>\n<p>{}</p>\n<table>\n<tr><th>file</th><th>lines with rules fired</th></tr>\n{index}</table>\n",
            escape(&self.summary_line())
        );
        std::fs::write(dir.join("index.html"), html_page("rule coverage", &body))
    }

    fn file_page(&self, f: FileId, marks: &[RuleLine]) -> String {
        let sources = &self.prog.sources;
        let mut rows = String::new();
        let mut marks = marks.iter().peekable();
        for (n, text) in sources.text(f).lines().enumerate() {
            let line = n as u32 + 1;
            // Several rules on one line share it: their total, red if any never fired.
            let (class, count) = match marks.next_if(|m| m.line == line) {
                None => ("", String::new()),
                Some(m) if m.unfired => (" class=\"unfired\"", m.count.to_string()),
                Some(m) => (" class=\"fired\"", m.count.to_string()),
            };
            let _ = writeln!(
                rows,
                "<tr{class}><td class=\"n\">{line}</td><td class=\"c\">{count}</td><td><pre>{}</pre></td></tr>",
                escape(text)
            );
        }
        let path = escape(sources.path(f));
        let body = format!(
            "<p><a href=\"index.html\">index</a></p>\n<h1>{path}</h1>\n<table>\n{rows}</table>\n"
        );
        html_page(&path, &body)
    }
}

/// A line of a rules file on which rules start: their firings added up, and whether one of
/// them never fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleLine {
    pub line: u32,
    pub count: u64,
    pub unfired: bool,
}

/// The page of a rule file: its path with separators replaced, so all pages sit in one
/// directory.
pub fn page_name(path: &str) -> String {
    let mut name: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.push_str(".html");
    name
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title><style>\n\
         body {{ font-family: sans-serif; }} table {{ border-collapse: collapse; }}\n\
         td, th {{ padding: 0 0.5em; text-align: left; }} pre {{ margin: 0; }}\n\
         td.n, td.c {{ text-align: right; color: #666; }}\n\
         tr.fired td.c {{ color: #060; background: #dfd; }}\n\
         tr.unfired td {{ background: #fdd; }} tr.unfired td.c {{ color: #900; }}\n\
         </style></head><body>\n{body}</body></html>\n"
    )
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// What `rulesel coverage` writes besides its report, and whether unfired rules fail it.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    pub html: Option<PathBuf>,
    pub lcov: Option<PathBuf>,
    pub deny_unfired: bool,
}

/// The `rulesel coverage` command: runs `paths` with counters on (verdicts on stderr), writes
/// the outputs asked for, prints the report on stdout; with `deny_unfired`, fails naming the
/// rules that never fired.
pub fn command(
    paths: &[PathBuf],
    outputs: &Outputs,
    timeout: u64,
    rules: RuleChoice,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let timeout = Some(Duration::from_secs(timeout));
    let total = crate::runtest::collect_files(paths).map_or(0, |f| f.len());
    let bar = super::progress::Progress::new(total as u64, "files");
    let on_file = |o: &runtest::FileOutcome| {
        bar.print(|| eprintln!("{o}"));
        bar.step("");
    };
    let run = run_files(paths, rules, timeout, on_file);
    bar.finish();
    let (summary, cov) = match run {
        Ok(result) => result,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("{}", summary.line());
    if let Some(dir) = &outputs.html {
        if let Err(e) = cov.write_html(dir) {
            eprintln!("error: cannot write {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    if let Some(file) = &outputs.lcov {
        if let Err(e) = std::fs::write(file, super::lcov::lcov(&cov)) {
            eprintln!("error: cannot write {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    }
    print!("{}", cov.report());
    let unfired = cov.unfired();
    if outputs.deny_unfired && !unfired.is_empty() {
        eprintln!("error: {} rules never fired:", unfired.len());
        for r in unfired {
            eprintln!("  {}", cov.prog.rule_label(r));
        }
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
