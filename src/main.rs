//! The `rulesel` command line.

use clap::{Parser, Subcommand};
use rulesel::ir;
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse { print, files } => parse_files(&files, print),
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
