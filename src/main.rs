//! The `rulesel` command line.

use clap::{Parser, Subcommand};
use rulesel::dsl::prelude::{standard_env, NoHost};
use rulesel::dsl::{self, CompileError, RuleProgram};
use rulesel::module::link::link_object_bytes;
use rulesel::module::{Module, ModuleError};
use rulesel::{ir, runtest};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

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
    /// Compiles a CLIF file (functions, plus `;!` data and linkage directives) into an ELF
    /// relocatable object.
    Compile {
        /// The `.clif` file.
        file: PathBuf,
        /// The object file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Compiles a CLIF file and links it with `cc` into an executable.
    Build {
        /// The `.clif` file.
        file: PathBuf,
        /// The executable to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Libraries to link against (`-l m`, `-lpthread`).
        #[arg(short = 'l', long = "lib")]
        libs: Vec<String>,
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
        /// Directory for the minimised run tests of mismatches.
        #[arg(long, default_value = "fuzz-mismatches")]
        out: PathBuf,
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
        #[cfg(feature = "oracle")]
        Command::Fuzz {
            seed,
            count,
            calls,
            out,
        } => fuzz(seed, count, calls, out),
        Command::Run {
            timeout,
            checker,
            paths,
        } => run(&paths, timeout, checker),
        Command::Compile { file, output } => compile_object(&file, &output, None),
        Command::Build { file, output, libs } => compile_object(&file, &output, Some(&libs)),
    }
}

/// `rulesel fuzz`: a line per finding, a summary, then `N functions, M mismatches`; failure
/// exit status when there was a mismatch.
#[cfg(feature = "oracle")]
fn fuzz(seed: u64, count: usize, calls: usize, out: PathBuf) -> ExitCode {
    use rulesel::fuzzgen::campaign::{run_campaign, Campaign};
    let campaign = Campaign {
        seed,
        count,
        calls_per_function: calls,
        limits: rulesel::fuzzgen::Limits::default(),
        out_dir: out,
    };
    let start = std::time::Instant::now();
    let report = run_campaign(&campaign, |line| println!("{line}"));
    for (what, modules) in &report.unsupported {
        println!("unsupported by rulesel: {what} ({modules} modules skipped)");
    }
    println!(
        "{} runs compared, {} modules the oracle could not run, {:.1} s",
        report.runs,
        report.oracle_problems.len(),
        start.elapsed().as_secs_f64()
    );
    println!("{}", report.last_line());
    if report.mismatches > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
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
    match runtest::run_paths(paths, &options, |outcome| println!("{outcome}")) {
        Ok(summary) => {
            println!("{}", summary.line());
            if summary.count(runtest::Status::Fail) > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The embedded rules, compiled once per process. `check` has no IR to run them on, so
/// `NoHost` stands in for the host.
static EMBEDDED: OnceLock<Result<RuleProgram<NoHost>, CompileError>> = OnceLock::new();

fn check(rules: Option<PathBuf>) -> ExitCode {
    let loaded;
    let result = match rules {
        Some(dir) => match dsl::load_rules_dir(&dir) {
            Ok(sources) => {
                loaded = dsl::compile(sources, standard_env::<NoHost>());
                loaded.as_ref()
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => dsl::compile_embedded_once(&EMBEDDED, standard_env::<NoHost>),
    };
    match result {
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

/// `rulesel compile` (`libs` is `None`) and `rulesel build`: the file's module as an object, or
/// linked into an executable with `cc`.
fn compile_object(file: &Path, output: &Path, libs: Option<&[String]>) -> ExitCode {
    let shown = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{shown}: error: cannot read file: {e}");
            return ExitCode::FAILURE;
        }
    };
    let object = match Module::from_clif(&text).and_then(|m| m.finish_object()) {
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
    let result = match libs {
        None => std::fs::write(output, &object)
            .map(|()| String::new())
            .map_err(|e| format!("cannot write {}: {e}", output.display())),
        Some(libs) => link_object_bytes(&object, output, libs).map_err(|e| e.to_string()),
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
