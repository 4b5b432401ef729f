//! No-panic fuzzing of the rule toolchain (lexer, parser, checker, overlap analysis, match-tree
//! compiler, diagnostics rendering and, when a mutant compiles, the executor), on stable Rust:
//! seeded mutations of valid rule files plus random token soup.
//!
//! `cargo test --test dsl_fuzz` runs a short pass. For a long run:
//! `DSL_FUZZ_ITERS=200000 cargo test --release --test dsl_fuzz -- --ignored --nocapture`
//! (a failing input is written to `target/dsl-fuzz-crash.rules`).

use rulesel::dsl::testkit::{fake_env, generate_rules, FakeIr, Priorities, Rng};
use rulesel::dsl::{compile, embedded_sources, Machine, SourceMap};
use std::panic::{catch_unwind, AssertUnwindSafe};

const TOKENS: &[&str] = &[
    "(",
    ")",
    "(",
    ")",
    " ",
    "\n",
    "; c\n",
    "_",
    "@",
    "rule",
    "decl",
    "partial",
    "multi",
    "type",
    "primitive",
    "enum",
    "extern",
    "constructor",
    "extractor",
    "const",
    "if-let",
    "if",
    "let",
    "and",
    "lower",
    "iadd",
    "iconst",
    "has_type",
    "u64",
    "Inst",
    "Value",
    "Type",
    "x",
    "y",
    "$I64",
    "$true",
    "$Nope",
    "0",
    "1",
    "-1",
    "300",
    "0xffffffffffffffff",
    "-0x8000000000000000",
    "99999999999999999999999999999999999999999",
    "u64_add",
    "u64_nonzero",
    "fits_in_32",
    "Cc.A",
    "é",
    "\u{0}",
    "#",
    "\"",
    "(rule (lower x) 1)",
    "(decl partial lower (Inst) u64)",
    "(type Cc (enum A (B (f u64))))",
    "(rule (lower (has_type $I64 (iadd x x))) 2)",
];

/// Valid rule files to mutate; the first is the prelude itself.
fn seeds() -> Vec<String> {
    let prelude = embedded_sources();
    let mut s: Vec<String> = prelude
        .file_ids()
        .map(|f| prelude.text(f).to_string())
        .collect();
    s.push(generate_rules(3, 30, Priorities::Levels(3)));
    s.push(
        "(type Cc (enum Lt (Ge (x u64))))\n(decl f (Cc u64) u64)\n(rule 1 (f (Cc.Lt) x) x)\n\
         (rule (f (Cc.Ge y) _) (let ((z u64 (u64_add y 1))) z))\n(decl g (u64) Cc)\n\
         (rule (g x) (Cc.Ge x))\n(decl partial h (u64) u64)\n(rule (h x) (if-let 0 (u64_and x 1)) (if (u64_lt x 9)) x)"
            .to_string(),
    );
    s
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = bytes.len() as u64;
        let at = if len == 0 {
            0
        } else {
            rng.below(len + 1) as usize
        };
        match rng.below(5) {
            0 if len > 0 => {
                let end = (at + 1 + rng.below(12) as usize).min(bytes.len());
                bytes.drain(at.min(bytes.len())..end);
            }
            1 if len > 0 => {
                let end = (at + rng.below(40) as usize).min(bytes.len());
                let chunk = bytes[at.min(end)..end].to_vec();
                let to = rng.below(bytes.len() as u64 + 1) as usize;
                bytes.splice(to..to, chunk);
            }
            2 => {
                bytes.truncate(at);
            }
            _ => {
                let tok = (*rng.pick(TOKENS)).as_bytes();
                let at = at.min(bytes.len());
                bytes.splice(at..at, tok.iter().copied());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn token_soup(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(60) {
        let token: &str = rng.pick::<&str>(TOKENS);
        s.push_str(token);
        s.push(' ');
    }
    s
}

/// Compiles `text` (after the prelude unless `text` is a mutant of it), renders every finding and runs `lower` (if it exists)
/// on a few random instructions. Panics propagate to the caller.
fn exercise(text: &str, prelude: bool, rng: &mut Rng) {
    let mut sources = if prelude {
        embedded_sources()
    } else {
        SourceMap::new()
    };
    sources.add("fuzz.rules", text);
    match compile(sources, fake_env::<FakeIr>()) {
        Err(e) => {
            let _ = e.render();
        }
        Ok(prog) => {
            for w in &prog.warnings {
                let _ = prog.sources.render(w);
            }
            if let Some(lower) = prog.term("lower") {
                if prog.rules_of(lower).is_empty() || prog.term_arity(lower) != 1 {
                    return;
                }
                let mut ir = FakeIr::random(rng, 2, 12);
                let mut m = Machine::new();
                for i in 0..ir.insts.len() as u64 {
                    let _ = m.run(&prog, &mut ir, lower, &[i]);
                }
            }
        }
    }
}

fn fuzz(iterations: u64, seed: u64) {
    let seeds = seeds();
    let mut rng = Rng::new(seed);
    for n in 0..iterations {
        let (input, prelude) = if rng.chance(15) {
            (token_soup(&mut rng), true)
        } else {
            let which = rng.below(seeds.len() as u64) as usize;
            (mutate(&mut rng, &seeds[which]), which != 0)
        };
        let mut exec_rng = Rng::new(n);
        if catch_unwind(AssertUnwindSafe(|| {
            exercise(&input, prelude, &mut exec_rng)
        }))
        .is_err()
        {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/dsl-fuzz-crash.rules");
            let _ = std::fs::write(path, &input);
            panic!("iteration {n}: the toolchain panicked on this input:\n{input}");
        }
    }
}

#[test]
fn short_fuzz_pass_never_panics() {
    fuzz(1500, 1);
}

#[test]
#[ignore = "long fuzzing run; set DSL_FUZZ_ITERS"]
fn long_fuzz_pass_never_panics() {
    let iters = std::env::var("DSL_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed = std::env::var("DSL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    fuzz(iters, seed);
}
