//! No-panic fuzzing of the rule toolchain (lexer, parser, checker, overlap analysis, match-tree
//! compiler, diagnostics rendering and, when a mutant compiles, the executor), on stable Rust:
//! seeded mutations of valid rule files plus random token soup.
//!
//! `cargo test --test dsl_fuzz` runs a short pass. For a long run:
//! `DSL_FUZZ_ITERS=200000 cargo test --release --test dsl_fuzz -- --ignored --nocapture`
//! (a failing input is written to `target/dsl-fuzz-crash.rules`).

use rulesel::dsl::ast::{AstArena, Herd};
use rulesel::dsl::testkit::{fake_env, generate_rules, FakeIr, Priorities, Rng};
use rulesel::dsl::{compile, embedded_sources, parse, Machine, SourceMap};
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

/// Atoms that keep a mutant well-formed (so it reaches the checker).
const ATOMS: &[&str] = &[
    "_",
    "x",
    "y",
    "z",
    "k",
    "lower",
    "iadd",
    "isub",
    "iconst",
    "load",
    "has_type",
    "u64",
    "u8",
    "i64",
    "bool",
    "Inst",
    "Value",
    "Type",
    "Cc",
    "Cc.Lt",
    "Cc.Ge",
    "f",
    "g",
    "h",
    "u64_add",
    "u64_nonzero",
    "u64_is_zero",
    "fits_in_32",
    "i64_lt",
    "$I64",
    "$true",
    "$Ten",
    "0",
    "1",
    "2",
    "-1",
    "255",
    "256",
    "0xffffffffffffffff",
    "18446744073709551616",
];

/// Mutates whole tokens and balanced forms, keeping parentheses balanced.
fn mutate_tokens(rng: &mut Rng, text: &str) -> Option<String> {
    use logos::Logos;
    use rulesel::dsl::lexer::Tok;
    let toks: Vec<(Tok<'_>, std::ops::Range<usize>)> = Tok::lexer(text)
        .spanned()
        .filter_map(|(t, r)| t.ok().map(|t| (t, r)))
        .collect();
    if toks.is_empty() {
        return None;
    }
    let pick = rng.below(toks.len() as u64) as usize;
    // The balanced form starting at the `(` at or after `pick`.
    let form = |from: usize| -> Option<std::ops::Range<usize>> {
        let open = (from..toks.len()).find(|&i| toks[i].0 == Tok::LParen)?;
        let mut depth = 0;
        for (i, (t, _)) in toks.iter().enumerate().skip(open) {
            match t {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(toks[open].1.start..toks[i].1.end);
                    }
                }
                _ => {}
            }
        }
        None
    };
    let mut out = text.to_string();
    match rng.below(4) {
        0 => {
            let (t, r) = &toks[pick];
            if !matches!(
                t,
                Tok::Name(_) | Tok::Int(_) | Tok::ConstName(_) | Tok::Underscore
            ) {
                return None;
            }
            out.replace_range(r.clone(), rng.pick::<&str>(ATOMS));
        }
        1 => {
            let r = form(pick)?;
            out.replace_range(r, "");
        }
        2 => {
            let r = form(pick)?;
            let copy = text[r.clone()].to_string();
            out.insert_str(r.end, &format!("\n{copy}"));
        }
        _ => {
            let r = form(pick)?;
            let other = form(rng.below(toks.len() as u64) as usize)?;
            if r.end <= other.start {
                let (a, b) = (text[r.clone()].to_string(), text[other.clone()].to_string());
                out.replace_range(other, &a);
                out.replace_range(r, &b);
            }
        }
    }
    Some(out)
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    if rng.chance(70) {
        let mut t = text.to_string();
        for _ in 0..1 + rng.below(3) {
            if let Some(m) = mutate_tokens(rng, &t) {
                t = m;
            }
        }
        return t;
    }
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

/// What became of a fuzz input.
#[derive(Clone, Copy)]
enum Outcome {
    SyntaxError,
    CheckError,
    Compiled,
}

/// Compiles `text` (after the prelude unless `text` is a mutant of it), renders every
/// finding and runs `lower` (if it exists) on a few random instructions. Panics propagate to
/// the caller.
fn exercise(text: &str, prelude: bool, rng: &mut Rng) -> Outcome {
    parsers_agree(text);
    let mut sources = if prelude {
        embedded_sources()
    } else {
        SourceMap::new()
    };
    sources.add("fuzz.rules", text);
    match compile(sources, fake_env::<FakeIr>()) {
        Err(e) => {
            let _ = e.render();
            let syntax = e
                .errors()
                .any(|d| d.message.starts_with("unexpected") || d.message.contains("128 bits"));
            if syntax {
                Outcome::SyntaxError
            } else {
                Outcome::CheckError
            }
        }
        Ok(prog) => {
            for w in &prog.warnings {
                let _ = prog.sources.render(w);
            }
            if let Some(lower) = prog.term("lower") {
                if !prog.rules_of(lower).is_empty() && prog.term_arity(lower) == 1 {
                    let mut ir = FakeIr::random(rng, 2, 12);
                    let mut m = Machine::new();
                    for i in 0..ir.insts.len() as u64 {
                        let _ = m.run(&prog, &mut ir, lower, &[i]);
                    }
                }
            }
            Outcome::Compiled
        }
    }
}

/// The hand-written parser and the LALRPOP one build the same tree or report the same error,
/// and so does the hand-written one on the file cut into pieces (of a size taken from the
/// text, so cuts fall everywhere over the runs).
fn parsers_agree(text: &str) {
    let file = rulesel::dsl::FileId(0);
    let herd = Herd::new();
    let arena = AstArena::new(&herd);
    let whole = parse::parse_file(file, text, &arena);
    assert_eq!(
        whole,
        parse::parse_file_lalrpop(file, text, &arena),
        "the parsers disagree on:\n{text}"
    );
    let piece = 1 + text.len() % 97;
    assert_eq!(
        parse::parse_files_in_pieces(&[(file, text)], piece, &herd),
        vec![whole],
        "pieces of {piece} bytes parse differently:\n{text}"
    );
}

fn fuzz(iterations: u64, seed: u64) {
    let seeds = seeds();
    let mut rng = Rng::new(seed);
    let mut outcomes = [0u64; 3];
    for n in 0..iterations {
        let (input, prelude) = if rng.chance(2) {
            // Deep nesting and wide forms: the bounds that keep the stack safe.
            let depth = rng.below(3000) as usize;
            let text = if rng.chance(50) {
                format!(
                    "(decl f (u64) u64)\n(rule (f {}x{}) 1)",
                    "(g ".repeat(depth),
                    ")".repeat(depth)
                )
            } else {
                format!(
                    "(decl f ({}) u64)\n(rule (f {}) 1)",
                    "u64 ".repeat(depth),
                    "1 ".repeat(depth)
                )
            };
            (text, true)
        } else if rng.chance(15) {
            (token_soup(&mut rng), true)
        } else {
            let which = rng.below(seeds.len() as u64) as usize;
            (mutate(&mut rng, &seeds[which]), which != 0)
        };
        let mut exec_rng = Rng::new(n);
        match catch_unwind(AssertUnwindSafe(|| {
            exercise(&input, prelude, &mut exec_rng)
        })) {
            Ok(outcome) => outcomes[outcome as usize] += 1,
            Err(_) => {
                let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/dsl-fuzz-crash.rules");
                let _ = std::fs::write(path, &input);
                panic!("iteration {n}: the toolchain panicked on this input:\n{input}");
            }
        }
    }
    eprintln!(
        "{iterations} inputs: {} syntax errors, {} check errors, {} compiled",
        outcomes[0], outcomes[1], outcomes[2]
    );
    // A fuzzer that never got past the parser would prove little.
    assert!(
        outcomes[1] > iterations / 10 && outcomes[2] > iterations / 20,
        "{outcomes:?}"
    );
}

#[test]
fn parsers_agree_on_mutants_and_generated_rules() {
    let mut seeds = seeds();
    for (_, text) in rulesel::dsl::EMBEDDED_X64_RULES {
        seeds.push(text.to_string());
    }
    for p in [Priorities::Distinct, Priorities::Levels(8)] {
        seeds.push(generate_rules(42, 300, p));
    }
    let mut rng = Rng::new(11);
    for seed in &seeds {
        parsers_agree(seed);
    }
    for _ in 0..6000 {
        let text = if rng.chance(10) {
            token_soup(&mut rng)
        } else {
            let which = rng.below(seeds.len() as u64) as usize;
            mutate(&mut rng, &seeds[which])
        };
        parsers_agree(&text);
    }
}

#[test]
fn parsers_agree_on_odd_tokens() {
    let words = [
        "0x",
        "0x_",
        "0xg",
        "0b",
        "0b2",
        "0b12",
        "-",
        "-x",
        "--1",
        "-0x1f",
        "1_000",
        "12ab",
        "1.5",
        "0x1ffffffffffffffffffffffffffffffff",
        "$",
        "$1",
        "$a-b",
        "$a.b",
        "a$b",
        "x#",
        "é",
        "x\u{b}y",
        "_",
        "__",
        "_1",
        "if-let",
        "if-lets",
        "if-",
        "iff",
        "types",
        "and",
        "a.b-c<d>=e!f?g+h*i/j",
        "a@b",
        "a@(f)",
        "x;c",
        "\u{c}",
        "\t",
        "\r\n",
        "@",
        "(",
        ")",
        "\"",
        "#",
        "a\u{0}",
    ];
    for w in words {
        for text in [
            format!("(rule (f {w}) 1)"),
            format!("(rule (f x) {w})"),
            format!("(decl f ({w}) u64)"),
            format!("(const ${w} u64 {w})"),
            format!("(rule r {w} (f x) 1)"),
            w.to_string(),
        ] {
            parsers_agree(&text);
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
