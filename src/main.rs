//! The `rulesel` command line.

use clap::{Parser, Subcommand};
use rulesel::{dsl, ir, runtest};
use std::path::PathBuf;
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
        /// `.clif` files, or directories searched for them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Compiles a rule set and prints its findings (default: the rules built into the binary).
    Check {
        /// Directory of `.rules` files to check instead of the embedded rules.
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse { print, files } => parse_files(&files, print),
        Command::Check { rules } => check(rules),
        Command::Run {
            timeout,
            checker,
            paths,
        } => run(&paths, timeout, checker),
    }
}

/// `rulesel parse`: errors go to stderr as `path:line:col: error: message` with the source line.
fn parse_files(files: &[PathBuf], print: bool) -> ExitCode {
    let mut failed = false;
    for path in files {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{shown}: error: cannot read file: {e}");
                failed = true;
                continue;
            }
        };
        let file = match ir::parse_test_file(&text) {
            Ok(file) => file,
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
fn run(paths: &[PathBuf], timeout: u64, checker: bool) -> ExitCode {
    let options = runtest::Options {
        compiler: &runtest::Lowering,
        timeout: Some(std::time::Duration::from_secs(timeout)),
        regalloc_checker: checker,
    };
    match runtest::report(paths, &options, &mut std::io::stdout()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(rules: Option<PathBuf>) -> ExitCode {
    let sources = match rules {
        Some(dir) => match dsl::load_rules_dir(&dir) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => dsl::embedded_sources(),
    };
    let env = dsl::prelude::standard_env::<dsl::prelude::NoHost>();
    match dsl::compile(sources, env) {
        Ok(prog) => {
            for w in &prog.warnings {
                print!("{}", prog.sources.render(w));
            }
            println!(
                "{} rules, {} terms, compiled in {:.2} ms",
                prog.rule_count(),
                prog.term_count(),
                prog.compile_time.as_secs_f64() * 1e3
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            print!("{}", e.render());
            let n = e.errors().count();
            println!("{n} error{}", if n == 1 { "" } else { "s" });
            ExitCode::FAILURE
        }
    }
}
