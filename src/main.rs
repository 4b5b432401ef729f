//! The `rulesel` command line.

use clap::{Parser, Subcommand};
use rulesel::compile::RuleChoice;
use rulesel::dsl::Style;
use rulesel::module::link::link_object_bytes;
use rulesel::module::{Module, ModuleError};
use rulesel::ruletools::{self, compile_report, coverage, explain, LoadError};
use rulesel::{ir, runtest};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "rulesel",
    version,
    about = "x86-64 code generation from CLIF, driven by rules"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and verify every function of every file; non-zero exit on any error.
    Parse {
        /// Print the parsed files back as CLIF.
        #[arg(long)]
        print: bool,
        /// The `.clif` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Compiles and runs the `; run` lines of CLIF run tests; non-zero exit if any file fails.
    Run {
        /// Seconds a run command may execute before it fails as timed out.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
        /// Run regalloc2's checker on every register allocation.
        #[arg(long)]
        checker: bool,
        /// Lower with the `.rules` files of this directory instead of the embedded x64 rules
        /// (the embedded prelude is added unless the directory has a `prelude.rules`).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// `.clif` files, or directories searched for them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Compiles a CLIF file (functions, plus `;!` data and linkage directives) into an ELF
    /// relocatable object; without `-o`, compiles each function on its own for each x86_64
    /// target of the file and prints its code size (`--disasm`: and its code).
    Compile {
        /// The `.clif` file.
        file: PathBuf,
        /// The object file to write.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Without `-o`: also print each function's code, relocations and trap sites.
        #[arg(short = 'D', long, conflicts_with = "output")]
        disasm: bool,
        /// Lower with the `.rules` files of this directory instead of the embedded x64 rules
        /// (the embedded prelude is added unless the directory has a `prelude.rules`).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Functions compiled in parallel on this many threads; the object is the same for any.
        #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: u16,
    },
    /// Compiles a CLIF file and links it with `cc` into an executable, with any C sources,
    /// objects or archives given after it.
    Build {
        /// The `.clif` file.
        file: PathBuf,
        /// C sources (`.c`), objects and archives linked with it.
        others: Vec<PathBuf>,
        /// The executable to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Libraries to link against (`-l m`, `-lpthread`).
        #[arg(short = 'l', long = "lib")]
        libs: Vec<String>,
        /// Lower with the `.rules` files of this directory instead of the embedded x64 rules
        /// (the embedded prelude is added unless the directory has a `prelude.rules`).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Differential fuzzing: random CLIF modules run here and in Cranelift's interpreter. Each
    /// mismatch is minimised and written as a `.clif` run test; the last line is
    /// `N functions, M mismatches`.
    #[cfg(feature = "oracle")]
    Fuzz {
        /// The campaign's seed (the same seed gives the same modules).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Functions to check.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Argument lists each function is called with.
        #[arg(long, default_value_t = 4)]
        calls: usize,
        /// Nesting depth of control flow (diamonds, loops, br_tables) in generated functions.
        #[arg(long, default_value_t = 2)]
        depth: u32,
        /// Most functions in a generated module (a function calls only later ones).
        #[arg(long, default_value_t = 3)]
        funcs: usize,
        /// Directory for the minimised run tests of mismatches.
        #[arg(long, default_value = "fuzz-mismatches")]
        out: PathBuf,
        /// Print what was generated: each (opcode, type), calling convention, call between
        /// conventions and compilers, signature shape, load-folding rule and setting, with
        /// counts (lowered pairs never generated show as 0).
        #[arg(long)]
        stats: bool,
        /// Compile only with rulesel (no function compiled by Cranelift).
        #[arg(long)]
        no_mixed: bool,
        /// Write findings as generated, without shrinking them (faster triage).
        #[arg(long)]
        no_minimise: bool,
        /// Stop at the first finding (and say after how many functions it came).
        #[arg(long)]
        stop_at_first: bool,
        /// Start at module K of the campaign (with `--count 1`, replays one module).
        #[arg(long, value_name = "K", default_value_t = 0)]
        start: u64,
        /// Lower with the `.rules` files of this directory instead of the embedded x64 rules
        /// (the embedded prelude is added unless the directory has a `prelude.rules`).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Compiles the x64 rules against the lowering environment: prints the findings, the
    /// (opcode, type) pairs no `lower` rule covers and `N rules, M terms, compiled in X ms`;
    /// non-zero exit on errors.
    Check {
        /// Directory of `.rules` files to check instead of the embedded rules (the embedded
        /// prelude is added unless the directory has a `prelude.rules`).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Runs CLIF run tests with rule counters on (targets whose features the host lacks are
    /// compiled, not run); prints every rule's firing count, the rules that fired only in such
    /// targets, the rules that never fired and `R of T rules fired (P%)`.
    Coverage {
        /// Also write the rule files annotated with the counts as HTML pages into this directory.
        #[arg(long, value_name = "DIR")]
        html: Option<PathBuf>,
        /// Also write the counts as an LCOV tracefile (one record per rules file, a line per
        /// rule), for coverage services, editors and `genhtml`.
        #[arg(long, value_name = "FILE")]
        lcov: Option<PathBuf>,
        /// Exit non-zero, naming them, when some rules never fired.
        #[arg(long)]
        deny_unfired: bool,
        /// Seconds a run command may execute before it fails as timed out.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
        /// Lower with the `.rules` files of this directory instead of the embedded x64 rules
        /// (the embedded prelude is added unless the directory has a `prelude.rules`).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// `.clif` files, or directories searched for them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// A Language Server Protocol server for `.rules` files on stdin and stdout (diagnostics,
    /// hover, definitions, references, completion, symbols, rename).
    Lsp,
    /// Formats `.rules` files in place (`--check`: only names the files that would change, and
    /// fails if there are any).
    Fmt {
        /// Change nothing; exit non-zero naming the files that are not formatted.
        #[arg(long)]
        check: bool,
        /// `.rules` files, or directories searched for them (default: `rules`).
        paths: Vec<PathBuf>,
    },
    /// Rule mutation testing: alters one x64 rule at a time (swaps two arguments of a
    /// constructor, changes an enum variant such as a condition code, an operand width or a
    /// literal, drops a guard), runs the run tests and a short differential campaign with each
    /// mutant, and lists the mutants no test noticed; the last line is `K of M mutants killed
    /// (P%)`.
    Mutate {
        /// Mutate the `.rules` files of this directory instead of the embedded x64 rules (the
        /// embedded prelude is added unless the directory has a `prelude.rules`).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Run-test files or directories (default: `tests/runtests` and
        /// `../shared/clif-runtests`, those that exist).
        #[arg(long = "runtests", value_name = "PATH")]
        runtests: Vec<PathBuf>,
        /// Functions of the differential campaign run on each mutant the run tests miss (0:
        /// none; needs the oracle feature).
        #[arg(long, default_value_t = 1000)]
        functions: usize,
        /// The campaign's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Mutants judged at once (default: the number of CPUs).
        #[arg(short, long)]
        jobs: Option<usize>,
        /// Only mutants of the rules at TEXT: a part of their path (`arith.rules`) or the end
        /// of their `path:line` (`control.rules:135`).
        #[arg(long, value_name = "TEXT")]
        only: Option<String>,
        /// Only every Nth mutant.
        #[arg(long, value_name = "N", default_value_t = 1)]
        sample: usize,
        /// Seconds a mutant's judging may take before it counts as noticed (hung).
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        /// Judge one mutant (internal: the processes `rulesel mutate` starts).
        #[arg(long, hide = true, requires = "plan")]
        judge: Option<usize>,
        /// The baseline measured with the original rules (internal).
        #[arg(long, hide = true)]
        plan: Option<PathBuf>,
    },
    /// For each IR instruction, the rule that lowered it and the instructions it produced; then
    /// the code after register allocation with offsets and bytes.
    Explain {
        /// The `.clif` file.
        file: PathBuf,
        /// Explain only this function (`%name` or `name`).
        #[arg(long, value_name = "NAME")]
        function: Option<String>,
        /// Explain one instruction instead (`inst5`, `5`, or `line:12` for the one on that line
        /// of the file): its candidate rules in the order the match tree tries them, and the
        /// first pattern step or guard of each that fails.
        #[arg(long, value_name = "INST")]
        why_not: Option<String>,
        /// Lower with the `.rules` files of this directory instead of the embedded x64 rules
        /// (the embedded prelude is added unless the directory has a `prelude.rules`).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse { print, files } => parse_files(&files, print),
        Command::Check { rules } => check(rules),
        Command::Lsp => ruletools::lsp::command(),
        Command::Fmt { check, paths } => ruletools::format_files::command(&paths, check),
        #[cfg(feature = "oracle")]
        Command::Fuzz {
            seed,
            count,
            calls,
            depth,
            funcs,
            out,
            stats,
            no_mixed,
            no_minimise,
            stop_at_first,
            start,
            rules,
        } => {
            let limits = rulesel::fuzzgen::Limits {
                depth,
                funcs,
                mixed: !no_mixed,
                ..Default::default()
            };
            with_rules(rules, |r| {
                let campaign = rulesel::fuzzgen::campaign::Campaign {
                    seed,
                    count,
                    calls_per_function: calls,
                    limits,
                    out_dir: Some(out),
                    minimise: !no_minimise,
                    rules: r,
                    stop_at_first,
                    start,
                };
                fuzz(&campaign, stats)
            })
        }
        Command::Run {
            timeout,
            checker,
            rules,
            paths,
        } => with_rules(rules, |r| run(&paths, timeout, checker, r)),
        Command::Compile {
            file,
            output,
            disasm,
            rules,
            jobs,
        } => with_rules(rules, |r| match output {
            Some(output) => compile_object(&file, &output, None, r, jobs.into()),
            None => compile_each(&file, disasm, r),
        }),
        Command::Build {
            file,
            others,
            output,
            libs,
            rules,
        } => with_rules(rules, |r| {
            let link = Link {
                others: &others,
                libs: &libs,
            };
            compile_object(&file, &output, Some(link), r, 1)
        }),
        Command::Coverage {
            html,
            lcov,
            deny_unfired,
            timeout,
            rules,
            paths,
        } => with_rules(rules, |r| {
            let outputs = coverage::Outputs {
                html,
                lcov,
                deny_unfired,
            };
            coverage::command(&paths, &outputs, timeout, r)
        }),
        Command::Mutate {
            rules,
            runtests,
            functions,
            seed,
            jobs,
            only,
            sample,
            timeout,
            judge,
            plan,
        } => {
            use ruletools::mutate;
            if let (Some(id), Some(plan)) = (judge, &plan) {
                return mutate::judge_command(id, plan, rules.as_deref());
            }
            let runtests = if runtests.is_empty() {
                ["tests/runtests", "../shared/clif-runtests"]
                    .map(PathBuf::from)
                    .into_iter()
                    .filter(|p| p.exists())
                    .collect()
            } else {
                runtests
            };
            let jobs = jobs.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            });
            mutate::command(&mutate::Options {
                rules,
                runtests,
                campaign_functions: functions,
                seed,
                jobs,
                only,
                sample,
                timeout: std::time::Duration::from_secs(timeout),
            })
        }
        Command::Explain {
            file,
            function,
            why_not,
            rules,
        } => with_rules(rules, |r| {
            explain_file(&file, function.as_deref(), why_not.as_deref(), r)
        }),
    }
}

/// Runs `command` with the rules of `dir` (compiled once, kept for the rest of the process) or
/// the embedded rules; rules that do not load end the command with their errors.
fn with_rules(dir: Option<PathBuf>, command: impl FnOnce(RuleChoice) -> ExitCode) -> ExitCode {
    let Some(dir) = dir else {
        return command(RuleChoice::Embedded);
    };
    match ruletools::load_rules(&dir) {
        Ok(prog) => command(RuleChoice::Loaded(Box::leak(Box::new(prog)))),
        Err(e) => {
            print!("{}", e.render(Style::for_stream(&std::io::stdout())));
            ExitCode::FAILURE
        }
    }
}

/// `rulesel fuzz`: a line per finding, a summary (and with `stats` the table of what was
/// generated), then `N functions, M mismatches`; failure exit status when there was a
/// mismatch.
#[cfg(feature = "oracle")]
fn fuzz(campaign: &rulesel::fuzzgen::campaign::Campaign, stats: bool) -> ExitCode {
    use rulesel::fuzzgen::campaign::run_campaign;
    // Panics of the oracle and of rulesel are caught and reported as findings (with their
    // message); the default hook would print a backtrace for each.
    std::panic::set_hook(Box::new(|_| {}));
    let start = std::time::Instant::now();
    let report = run_campaign(campaign, |line| println!("{line}"));
    for (what, modules) in &report.unsupported {
        println!("unsupported by rulesel: {what} ({modules} modules skipped)");
    }
    if stats {
        print!("{}", report.stats.table());
    }
    println!(
        "{} runs compared, {} modules the oracle could not run, {:.1} s",
        report.runs,
        report.oracle_problems.len(),
        start.elapsed().as_secs_f64()
    );
    if let Some(n) = report.functions_to_first {
        println!("first finding after {n} functions");
    }
    println!("{}", report.findings_line());
    println!("{}", report.last_line());
    if report.mismatches > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The text of a CLIF file, or `None` after saying on stderr why it cannot be read.
fn read_source(file: &Path) -> Option<String> {
    match std::fs::read_to_string(file) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!("{}: error: cannot read file: {e}", file.display());
            None
        }
    }
}

/// `rulesel parse`: errors go to stderr as `path:line:col: error: message` with the source line.
fn parse_files(files: &[PathBuf], print: bool) -> ExitCode {
    let mut failed = false;
    for path in files {
        let shown = path.display().to_string();
        let Some(text) = read_source(path) else {
            failed = true;
            continue;
        };
        let file = match rulesel::targets::parse_clif(&text) {
            Ok((file, _)) => file,
            Err(e) => {
                eprint!(
                    "{}",
                    ir::diagnostic::render(&shown, &text, e.pos, &e.message)
                );
                failed = true;
                continue;
            }
        };
        for tf in &file.functions {
            if let Err(errors) = ir::verify_function(&tf.function) {
                failed = true;
                for e in errors {
                    let pos = e.pos.unwrap_or_default();
                    eprint!(
                        "{}",
                        ir::diagnostic::render(&shown, &text, pos, &e.describe())
                    );
                }
            }
        }
        if print {
            print!("{file}");
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `rulesel run`: one `PASS|FAIL|SKIP path (k/n runs)` line per file (a failure's details
/// indented below), then `N passed, M failed, K skipped`.
fn run(paths: &[PathBuf], timeout: u64, checker: bool, rules: RuleChoice) -> ExitCode {
    let compiler = runtest::RuleLowering {
        rules,
        machine: RefCell::default(),
    };
    let options = runtest::Options {
        compiler: &compiler,
        timeout: Some(std::time::Duration::from_secs(timeout)),
        regalloc_checker: checker,
        compile_only: None,
    };
    match ruletools::progress::run_files(paths, &options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `rulesel check`: the warnings, the uncovered (opcode, type) pairs, then the size and time
/// line; on errors, the errors and their count.
fn check(rules: Option<PathBuf>) -> ExitCode {
    let style = Style::for_stream(&std::io::stdout());
    let compiled = match &rules {
        Some(dir) => ruletools::load_rules(dir),
        None => ruletools::compile_embedded(),
    };
    let prog = match compiled {
        Ok(prog) => prog,
        Err(LoadError::Compile(e)) => {
            print!("{}", e.render_styled(style));
            let n = e.errors().count();
            println!("{n} error{}", if n == 1 { "" } else { "s" });
            return ExitCode::FAILURE;
        }
        Err(e) => {
            print!("{}", e.render(style));
            return ExitCode::FAILURE;
        }
    };
    for w in &prog.warnings {
        print!("{}", prog.sources.render_styled(w, style));
    }
    if prog.term("lower").is_none() || prog.term("lower_branch").is_none() {
        println!("no `lower` and `lower_branch` terms: exhaustiveness not checked");
    } else {
        match ruletools::uncovered_pairs(&prog) {
            Ok(gaps) => {
                let pairs: usize = gaps.iter().map(|g| g.types.len()).sum();
                println!("{pairs} (opcode, type) pairs no rule covers:");
                for g in &gaps {
                    // One line per reason: the opcode, its types, why.
                    let mut reasons: Vec<&str> = Vec::new();
                    for &t in &g.types {
                        let r = ruletools::uncovered::reason(g.opcode, t);
                        if !reasons.contains(&r) {
                            reasons.push(r);
                        }
                    }
                    for r in reasons {
                        let types: Vec<_> = (g.types.iter().copied())
                            .filter(|&t| ruletools::uncovered::reason(g.opcode, t) == r)
                            .collect();
                        let part = ruletools::Uncovered {
                            opcode: g.opcode,
                            types,
                        };
                        println!("  {part} — {r}");
                    }
                }
            }
            Err(e) => {
                println!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "{} rules, {} terms, compiled in {:.2} ms",
        prog.rule_count(),
        prog.term_count(),
        prog.compile_time.as_secs_f64() * 1e3
    );
    ExitCode::SUCCESS
}

/// `rulesel explain`.
fn explain_file(
    file: &Path,
    function: Option<&str>,
    why_not: Option<&str>,
    rules: RuleChoice,
) -> ExitCode {
    let shown = file.display();
    let Some(text) = read_source(file) else {
        return ExitCode::FAILURE;
    };
    let explained = match why_not {
        Some(which) => ruletools::why_not::InstRef::parse(which)
            .and_then(|w| ruletools::why_not::why_not_text(&text, function, w, rules)),
        None => explain::explain_text(&text, function, rules),
    };
    match explained {
        Ok(listing) => {
            print!("{listing}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{shown}: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `rulesel compile` without `-o`: the report of [`compile_report`] on stdout; failure exit
/// status when a function did not compile.
fn compile_each(file: &Path, disasm: bool, rules: RuleChoice) -> ExitCode {
    let shown = file.display().to_string();
    let Some(text) = read_source(file) else {
        return ExitCode::FAILURE;
    };
    match compile_report::compile_each(&text, disasm, rules) {
        Ok(report) => {
            print!("{}", report.text);
            if report.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprint!(
                "{}",
                ir::diagnostic::render(&shown, &text, e.pos, &e.message)
            );
            ExitCode::FAILURE
        }
    }
}

/// What `rulesel build` links besides the compiled file: other inputs of `cc`, and libraries.
struct Link<'a> {
    others: &'a [PathBuf],
    libs: &'a [String],
}

/// `rulesel compile` (`link` is `None`) and `rulesel build`: the file's module as an object, or
/// linked into an executable with `cc`; functions compiled on `jobs` threads.
fn compile_object(
    file: &Path,
    output: &Path,
    link: Option<Link<'_>>,
    rules: RuleChoice,
    jobs: usize,
) -> ExitCode {
    let shown = file.display().to_string();
    let Some(text) = read_source(file) else {
        return ExitCode::FAILURE;
    };
    let module = Module::from_clif(&text).map(|mut m| {
        m.set_rules(rules);
        m.set_jobs(jobs);
        m
    });
    let object = match module.and_then(|m| m.finish_object()) {
        Ok(object) => object,
        Err(ModuleError::Parse { pos, message, .. }) => {
            eprint!("{}", ir::diagnostic::render(&shown, &text, pos, &message));
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{shown}: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match link {
        None => std::fs::write(output, &object)
            .map(|()| String::new())
            .map_err(|e| format!("cannot write {}: {e}", output.display())),
        Some(link) => {
            let others: Vec<&Path> = link.others.iter().map(PathBuf::as_path).collect();
            link_object_bytes(&object, &others, output, link.libs).map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(warnings) => {
            eprint!("{warnings}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
