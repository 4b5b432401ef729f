//! The `rulesel` command line.

use clap::{Parser, Subcommand};
use rulesel::dsl::prelude::{standard_env, NoHost};
use rulesel::dsl::{self, CompileError, RuleProgram};
use std::path::PathBuf;
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
        Command::Check { rules } => check(rules),
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
