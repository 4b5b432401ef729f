//! Benchmark of the rule language on a generated set of 2,000 `lower` rules over the fake IR:
//! compile time (parse, check, overlap analysis, match-tree compilation; wall-clock, and the
//! CPU time of all threads) and executor matches per second against the naive reference
//! matcher. Prints; asserts nothing.
//!
//! `cargo run --release --example dsl_bench [RULES]`. Two rule sets: priorities in a few
//! levels (as hand-written rules have) and every rule its own priority (the worst case for a
//! match tree, which must then respect a total order).

use rulesel::dsl::testkit::{fake_env, generate_rules, with_prelude, FakeIr, Priorities, Rng};
use rulesel::dsl::{compile, Machine, Reference};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    for priorities in [Priorities::Levels(8), Priorities::Distinct] {
        println!("== {count} generated rules, priorities {priorities:?}");
        bench(count, priorities);
    }
}

fn bench(count: usize, priorities: Priorities) {
    let text = generate_rules(42, count, priorities);
    let mut times = Vec::new();
    let mut prog = None;
    let mut cpu = Duration::ZERO;
    for _ in 0..41 {
        let sources = with_prelude("bench.rules", &text);
        let (start, cpu_start) = (Instant::now(), process_cpu_time());
        let p = compile(sources, fake_env::<FakeIr>()).expect("generated rules compile");
        times.push(start.elapsed());
        cpu += process_cpu_time().saturating_sub(cpu_start);
        prog = Some(p);
    }
    let prog = prog.expect("compiled at least once");
    let cpu_per_compile = cpu / times.len() as u32;
    times.sort();
    let ph = prog.phase_times;
    println!(
        "phases of the last compile: parse {:.2} ms, check {:.2} ms, then side by side: overlap {:.2} ms, match trees {:.2} ms",
        ms(ph.parse),
        ms(ph.check),
        ms(ph.overlap),
        ms(ph.match_trees)
    );
    println!(
        "{} rules ({} terms): compile min {:.2} ms, median {:.2} ms, CPU {:.2} ms on all threads ({} warnings, {} match ops, {} switch entries)",
        prog.rule_count(),
        prog.term_count(),
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(cpu_per_compile),
        prog.warnings.len(),
        prog.code.ops.len(),
        prog.code.tables.len()
    );

    let mut rng = Rng::new(7);
    let bodies: Vec<FakeIr> = (0..20).map(|_| FakeIr::random(&mut rng, 4, 250)).collect();
    let lower = prog.term("lower").expect("generated sets declare lower");
    let mut machine = Machine::new();
    let mut reference = Reference::new();
    let mut fired = 0u64;
    let exec_rate = rate(|| {
        let mut n = 0;
        for ir in &bodies {
            let mut ir = ir.clone();
            for i in 0..ir.insts.len() as u64 {
                if black_box(machine.run(&prog, &mut ir, lower, &[i])).is_ok_and(|r| r.is_some()) {
                    fired += 1;
                }
                n += 1;
            }
        }
        n
    });
    let ref_rate = rate(|| {
        let mut n = 0;
        for ir in &bodies {
            let mut ir = ir.clone();
            for i in 0..ir.insts.len() as u64 {
                black_box(reference.run(&prog, &mut ir, lower, &[i]).ok());
                n += 1;
            }
        }
        n
    });
    println!(
        "executor: {:.2} M matches/s; naive reference: {:.3} M matches/s; speed-up {:.1}x ({} of the executor's matches fired a rule)",
        exec_rate / 1e6,
        ref_rate / 1e6,
        exec_rate / ref_rate,
        fired
    );
    machine.enable_coverage(prog.rule_count());
    for ir in &bodies {
        let mut ir = ir.clone();
        for i in 0..ir.insts.len() as u64 {
            let _ = machine.run(&prog, &mut ir, lower, &[i]);
        }
    }
    let counts = machine.coverage().expect("coverage enabled");
    let never = counts.iter().filter(|&&c| c == 0).count();
    println!(
        "coverage over {} inputs: {} rules fired, {never} never fired",
        bodies.iter().map(|b| b.insts.len()).sum::<usize>(),
        counts.len() - never
    );
}

/// CPU time of the whole process (every thread, user and system) so far. The compiler works
/// on several threads, so this is what it costs beside how long it takes.
fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs `pass` (which returns the number of matches it did) for about half a second; returns
/// matches per second.
fn rate(mut pass: impl FnMut() -> u64) -> f64 {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_millis(500) {
        n += pass();
    }
    n as f64 / start.elapsed().as_secs_f64()
}
