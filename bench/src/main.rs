//! rulesel against Cranelift on the same CLIF input, in one run:
//!
//! 1. compile speed — the scalar run-test files and generated 1k/10k/100k-instruction
//!    functions, compiled by rulesel (ion and fastalloc) and Cranelift (opt_level none with
//!    either allocator, and speed), single-threaded, median of several iterations; what each
//!    hands the register allocator (1b) and the heap each uses (1c); real code (1d): every
//!    QuickJS function as Wasmtime emits it, compiled as one program: throughput, code bytes
//!    and peak heap against Cranelift;
//! 2. code speed — the kernels in `bench/*.clif`, JIT-compiled by both and run (rulesel with
//!    either allocator);
//! 3. where rulesel's time goes — parse, verify, lower (rules apart), regalloc, emit.
//!
//! The last line sums it up:
//! `compile x.xx× cranelift-none, code x.xx× cranelift-none, x.xx× cranelift-speed`
//! (compile: rulesel's throughput over Cranelift's, higher is better; code: rulesel's run
//! time over Cranelift's, lower is better; each a geometric mean).

mod alloc_input;
mod code_speed;
mod compile_speed;
mod gen;
mod heap;
mod peer;
mod real_code;

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What the command line asked for.
pub struct Options {
    /// Fewer iterations, for a run under a minute.
    pub quick: bool,
    pub runtests: PathBuf,
    pub kernels: PathBuf,
    /// Real code compiled as one program (the QuickJS functions); its row is left out when
    /// the directory is missing.
    pub quickjs: PathBuf,
    /// Write the generated functions here as `generated-{1k,10k,100k}.clif` and stop (for
    /// profiling one of them with `rulesel compile`).
    pub write_generated: Option<PathBuf>,
    /// Print Cranelift's listing of this file's functions and stop.
    pub listing: Option<PathBuf>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        runtests: PathBuf::from("../shared/clif-runtests"),
        kernels: PathBuf::from("bench"),
        quickjs: PathBuf::from("../shared/wasm-clif/quickjs"),
        write_generated: None,
        listing: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => options.quick = true,
            "--runtests" => {
                options.runtests = args.next().ok_or("--runtests needs a directory")?.into()
            }
            "--write-generated" => {
                options.write_generated =
                    Some(args.next().ok_or("--write-generated needs a directory")?.into())
            }
            "--kernels" => {
                options.kernels = args.next().ok_or("--kernels needs a directory")?.into()
            }
            "--listing" => {
                options.listing = Some(args.next().ok_or("--listing needs a file")?.into())
            }
            "--quickjs" => {
                options.quickjs = args.next().ok_or("--quickjs needs a directory")?.into()
            }
            _ => {
                return Err(format!(
                    "unknown argument `{a}` (expected --quick, --runtests DIR, --kernels DIR, --quickjs DIR, --write-generated DIR, --listing FILE)"
                ))
            }
        }
    }
    Ok(options)
}

/// The median of `samples` (sorted in place).
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The geometric mean of `xs` (positive).
pub fn geomean(xs: &[f64]) -> f64 {
    (xs.iter().map(|x| x.ln()).sum::<f64>() / xs.len() as f64).exp()
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(dir) = &options.write_generated {
        for n in [1_000, 10_000, 100_000] {
            let path = dir.join(format!("generated-{}k.clif", n / 1000));
            if let Err(e) = std::fs::write(&path, gen::large_function(n)) {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    if let Some(file) = &options.listing {
        let listed = std::fs::read_to_string(file)
            .map_err(|e| format!("{}: {e}", file.display()))
            .and_then(|text| peer::listing(&text));
        return match listed {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let compile = match compile_speed::run(&options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!();
    let code = match code_speed::run(&options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!();
    compile_speed::print_phases(&compile);
    println!();
    println!(
        "compile {:.2}× cranelift-none, code {:.2}× cranelift-none, {:.2}× cranelift-speed",
        compile.ratio_vs_none, code.vs_none, code.vs_speed
    );
    ExitCode::SUCCESS
}
