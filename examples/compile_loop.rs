//! Compiles every function of a CLIF file many times and prints where the time went, for
//! profiling the compiler under `perf` or callgrind:
//! `cargo run --release --example compile_loop FILE [ITERATIONS]`.

use rulesel::compile::{compile_function_timed, PhaseTimes};
use rulesel::ir;
use rulesel::ruletools::explain::file_configuration;
use std::time::Instant;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: compile_loop FILE [ITERATIONS]")?;
    let iters: u32 = args
        .next()
        .map_or(Ok(10), |a| a.parse())
        .map_err(|e| format!("{e}"))?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let file = ir::parse_test_file(&text).map_err(|e| e.message)?;
    // The `set` lines, and the features of the first `target x86_64` line.
    let (flags, isa) = file_configuration(&file)?;
    let insts: usize = file
        .functions
        .iter()
        .map(|f| f.function.dfg.num_insts())
        .sum();
    let mut times = PhaseTimes::default();
    let start = Instant::now();
    for _ in 0..iters {
        for f in &file.functions {
            compile_function_timed(&f.function, &flags, &isa, &mut times)
                .map_err(|e| e.to_string())?;
        }
    }
    let per = start.elapsed() / iters;
    println!(
        "{insts} IR instructions: {per:?} per compile, {:.2} M instructions/s",
        insts as f64 / per.as_secs_f64() / 1e6
    );
    println!("phases over all iterations: {times:?}");
    Ok(())
}
