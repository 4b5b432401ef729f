//! No-panic fuzzing of the CLIF front end (parser, verifier) and of compiling what verifies, on
//! stable Rust: seeded grammar-aware mutations of valid inputs, which are the shared run tests
//! and modules from the random CLIF generator.
//!
//! Every rejection must be a located error: a parse error with a line and column inside the
//! text, a verifier error with the position of what it blames, a compile error naming the
//! function. A panic fails the test and writes the input to `target/fuzz-clif-crash.clif`.
//!
//! `cargo test --test fuzz_clif` runs a short pass of each target. For a long run:
//! `RULESEL_FUZZ_SECS=600 cargo test --release --test fuzz_clif -- --ignored --nocapture`.

use rulesel::compile::compile_function;
use rulesel::dsl::testkit::Rng;
use rulesel::fuzzgen::{generate_module, Limits};
use rulesel::isa::x64::cpuid::TargetFeatures;
use rulesel::isa::x64::IsaFlags;
use rulesel::settings::Flags;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// Valid inputs to mutate: the shared run tests and generated modules.
fn corpus() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/clif-runtests");
    let mut paths: Vec<_> = std::fs::read_dir(root)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "clif"));
    paths.sort();
    let mut texts: Vec<String> = paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    texts.extend((0..40).map(|s| generate_module(s, Limits::default()).to_clif()));
    texts
}

/// Words that are meaningful in CLIF, for insertions and replacements.
const WORDS: &[&str] = &[
    "v0",
    "v1",
    "v9",
    "v4294967295",
    "block0",
    "block1",
    "block7",
    "i8",
    "i32",
    "i64",
    "i128",
    "f32",
    "f64",
    "i32x4",
    "iadd",
    "iconst.i64",
    "brif",
    "jump",
    "br_table",
    "return",
    "call",
    "fn0",
    "ss0",
    "stack_load.i64",
    "stack_store",
    "load.i32",
    "store",
    "notrap",
    "aligned",
    "0",
    "-1",
    "0x7fffffffffffffff",
    "18446744073709551616",
    "+NaN",
    "-Inf",
    "0x1.8p3",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "=",
    "->",
    "%f",
    "%",
    "sig0",
    "colocated",
    "explicit_slot",
    "function",
    "\n",
    " ",
    "uextend.i64",
    "icmp",
    "eq",
    "ult",
    "fcmp",
    "select",
    "isplit",
    "iconcat",
    "udiv",
    "trapz",
    "int_divz",
    "user1",
    "; run: %f(1) == 2\n",
];

/// One seeded mutation of `text`: swapping, deleting, duplicating or replacing words and lines,
/// damaging a byte, or cutting the text short.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let words: Vec<&str> = text.split_inclusive([' ', '\n', ',', '(', ')']).collect();
    if words.is_empty() {
        return text.to_string();
    }
    let mut out: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(out.len() as u64) as usize;
        match rng.below(7) {
            0 => out[at] = words[rng.below(words.len() as u64) as usize].to_string(),
            1 => out[at] = format!("{} ", rng.pick(WORDS)),
            2 => out[at].clear(),
            3 => {
                let copy = out[rng.below(out.len() as u64) as usize].clone();
                out.insert(at, copy);
            }
            4 => {
                // Replace a number inside the word with an edge case.
                let w = &out[at];
                let digits: String = w.chars().filter(|c| c.is_ascii_digit()).collect();
                if !digits.is_empty() {
                    let edge = *rng.pick(&[
                        "0",
                        "1",
                        "255",
                        "65536",
                        "4294967296",
                        "99999999999999999999",
                    ]);
                    out[at] = w.replacen(&digits[..1], edge, 1);
                }
            }
            5 => {
                let cut = rng.below(out.len() as u64) as usize;
                out.truncate(cut.max(1));
            }
            _ => out[at] = format!("{}{}", out[at], rng.pick(WORDS)),
        }
        if out.is_empty() {
            break;
        }
    }
    out.concat()
}

#[derive(Default, Debug)]
struct Tally {
    inputs: u64,
    parse_errors: u64,
    verify_errors: u64,
    compile_errors: u64,
    compiled: u64,
}

/// Runs one input through parse, verify and, with `compile`, code generation, checking that
/// every rejection is located.
fn exercise(text: &str, compile: bool, tally: &mut Tally) {
    tally.inputs += 1;
    let lines = text.lines().count().max(1);
    let file = match rulesel::ir::parse_test_file(text) {
        Ok(file) => file,
        Err(e) => {
            assert!(
                e.pos.line >= 1 && e.pos.line as usize <= lines + 1 && e.offset <= text.len(),
                "parse error outside the text: {}:{}: {}",
                e.pos.line,
                e.pos.col,
                e.message
            );
            tally.parse_errors += 1;
            return;
        }
    };
    let flags = Flags::default();
    let isa = IsaFlags::from_features(TargetFeatures::host());
    for tf in &file.functions {
        if let Err(errors) = rulesel::ir::verify_function(&tf.function) {
            assert!(!errors.is_empty(), "verifier failed without an error");
            for e in &errors {
                let pos = e
                    .pos
                    .unwrap_or_else(|| panic!("unlocated verifier error: {}", e.describe()));
                assert!(
                    pos.line >= 1 && pos.line as usize <= lines + 1,
                    "{}",
                    e.describe()
                );
            }
            tally.verify_errors += 1;
            continue;
        }
        if !compile {
            continue;
        }
        match compile_function(&tf.function, &flags, &isa) {
            Ok(_) => tally.compiled += 1,
            Err(e) => {
                assert_eq!(e.function, tf.function.name.to_string(), "{e}");
                tally.compile_errors += 1;
            }
        }
    }
}

/// Fuzzes for `budget` (and at least `min_inputs` inputs) from `seed`.
fn fuzz(seed: u64, budget: Duration, min_inputs: u64, compile: bool) -> Tally {
    let corpus = corpus();
    assert!(corpus.len() > 40, "the shared run tests are missing");
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    let start = Instant::now();
    while tally.inputs < min_inputs || start.elapsed() < budget {
        let base = &corpus[rng.below(corpus.len() as u64) as usize];
        let mut input = mutate(&mut rng, base);
        if rng.chance(20) {
            input = mutate(&mut rng, &input);
        }
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| exercise(&input, compile, &mut tally))) {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/fuzz-clif-crash.clif");
            let _ = std::fs::write(path, &input);
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("input {} ({path}): {why}\n{input}", tally.inputs);
        }
    }
    eprintln!("{tally:?} in {:.1} s", start.elapsed().as_secs_f64());
    tally
}

fn long_budget() -> Duration {
    let secs = std::env::var("RULESEL_FUZZ_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    Duration::from_secs(secs)
}

#[test]
fn parser_and_verifier_short_pass() {
    let t = fuzz(11, Duration::ZERO, 3000, false);
    // A fuzzer that never got past the parser would prove little.
    assert!(
        t.verify_errors > 0 && t.parse_errors > t.inputs / 10,
        "{t:?}"
    );
}

#[test]
fn compile_short_pass() {
    let t = fuzz(12, Duration::ZERO, 600, true);
    assert!(t.compiled > t.inputs / 10, "{t:?}");
}

#[test]
#[ignore = "long fuzzing run; set RULESEL_FUZZ_SECS"]
fn parser_and_verifier_long_pass() {
    fuzz(std::process::id().into(), long_budget(), 0, false);
}

#[test]
#[ignore = "long fuzzing run; set RULESEL_FUZZ_SECS"]
fn compile_long_pass() {
    fuzz(u64::from(std::process::id()) << 1, long_budget(), 0, true);
}
