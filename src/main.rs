//! The `rulesel` command line.

use clap::{Parser, Subcommand};
use rulesel::dsl;
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
