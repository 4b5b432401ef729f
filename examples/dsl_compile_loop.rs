//! Compiles the 2,000 generated rules of `dsl_bench` (priorities in 8 levels) many times, for
//! profiling the rule compiler: `cargo run --release --example dsl_compile_loop [N]`.

use rulesel::dsl::compile;
use rulesel::dsl::testkit::{fake_env, generate_rules, with_prelude, FakeIr, Priorities};
use std::time::{Duration, Instant};

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let text = generate_rules(42, 2000, Priorities::Levels(8));
    let mut best = Duration::MAX;
    for _ in 0..n {
        let sources = with_prelude("bench.rules", &text);
        let start = Instant::now();
        let prog = compile(sources, fake_env::<FakeIr>()).expect("generated rules compile");
        best = best.min(start.elapsed());
        std::hint::black_box(prog);
    }
    println!("min {best:?} over {n} compiles");
}
