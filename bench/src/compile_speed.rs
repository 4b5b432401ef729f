//! Compile speed: the same CLIF functions compiled by rulesel (ion, fastalloc) and Cranelift
//! (opt_level none, speed), and where rulesel's time goes.

use crate::peer::{self, OptLevel, PassClock, PeerPhases};
use crate::{gen, geomean, median, Options};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::Context;
use rulesel::compile::{compile_function, compile_function_timed, PhaseTimes};
use rulesel::ir::{self, HeaderKind};
use rulesel::isa::x64::IsaFlags;
use rulesel::settings::Flags;
use std::path::Path;
use std::time::{Duration, Instant};

/// The four compilers, in table order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Compiler {
    RuleselIon,
    RuleselFast,
    CraneliftNone,
    CraneliftSpeed,
}

const COMPILERS: [Compiler; 4] = [
    Compiler::RuleselIon,
    Compiler::RuleselFast,
    Compiler::CraneliftNone,
    Compiler::CraneliftSpeed,
];

/// One input file, parsed by both.
struct Input {
    name: String,
    text: String,
    funcs: Vec<ir::Function>,
    /// rulesel's flags for ion and fastalloc (verifier off, like Cranelift's below).
    flags: [Flags; 2],
    isa: IsaFlags,
    peer_funcs: Vec<cranelift_codegen::ir::Function>,
    /// Cranelift's ISAs at opt_level none and speed.
    peer_isas: [OwnedTargetIsa; 2],
    insts: usize,
}

/// The figures of one input (or of several added up).
#[derive(Clone, Default)]
struct Row {
    name: String,
    funcs: usize,
    insts: usize,
    /// Code bytes: rulesel (ion), Cranelift none, Cranelift speed.
    bytes: [usize; 3],
    /// Median compile time of the whole input, per compiler.
    times: [Duration; 4],
}

impl Row {
    fn add(&mut self, other: &Row) {
        self.funcs += other.funcs;
        self.insts += other.insts;
        for k in 0..3 {
            self.bytes[k] += other.bytes[k];
        }
        for k in 0..4 {
            self.times[k] += other.times[k];
        }
    }

    /// IR instructions per second of compiler `k`.
    fn rate(&self, k: usize) -> f64 {
        self.insts as f64 / self.times[k].as_secs_f64()
    }
}

/// rulesel's phases for one group of inputs, per compile of the group, and Cranelift's (opt
/// none) on the same inputs.
struct PhaseRow {
    name: String,
    parse: Duration,
    times: PhaseTimes,
    peer: PeerPhases,
}

/// What section 1 found, for sections 3 and the summary line.
pub struct CompileResults {
    phases: Vec<PhaseRow>,
    /// rulesel (ion) throughput over Cranelift none: geometric mean over the run-test total
    /// and the generated functions.
    pub ratio_vs_none: f64,
}

fn load(name: &str, text: String) -> Result<Input, String> {
    let file = ir::parse_test_file(&text).map_err(|e| format!("rulesel parse: {}", e.message))?;
    let mut flags = Flags::default();
    let mut features: Vec<String> = Vec::new();
    let mut sets: Vec<(String, Option<String>)> = Vec::new();
    let mut seen_target = false;
    for h in &file.headers {
        match &h.kind {
            HeaderKind::Set { name, value } => {
                flags
                    .set(name, value.as_deref())
                    .map_err(|e| format!("set {name}: {e}"))?;
                if name != "opt_level" {
                    sets.push((name.clone(), value.clone()));
                }
            }
            HeaderKind::Target { isa, flags: words } if isa == "x86_64" && !seen_target => {
                seen_target = true;
                features = words.clone();
            }
            _ => {}
        }
    }
    let isa = IsaFlags::from_words(&features).map_err(|e| format!("target: {e}"))?;
    flags
        .set("enable_verifier", Some("false"))
        .map_err(|e| e.to_string())?;
    let mut fast = flags.clone();
    fast.set("regalloc_algorithm", Some("single_pass"))
        .map_err(|e| e.to_string())?;
    // Cranelift's reader refuses a `set` line after a `target` line (some run-test files set
    // flags for their later targets only); the headers were read above, so it reads only the
    // functions, the header lines blanked to keep line numbers.
    let header = |l: &str| {
        let l = l.trim_start();
        l.starts_with("set ") || l.starts_with("target ") || l.starts_with("test ")
    };
    let functions_only: String = (text.lines())
        .map(|l| if header(l) { "" } else { l })
        .flat_map(|l| [l, "\n"])
        .collect();
    let peer_funcs: Vec<_> = cranelift_reader::parse_test(&functions_only, Default::default())
        .map_err(|e| format!("cranelift parse: {e}"))?
        .functions
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    let funcs: Vec<ir::Function> = file.functions.into_iter().map(|tf| tf.function).collect();
    if funcs.len() != peer_funcs.len() || funcs.is_empty() {
        return Err("the parsers disagree on the functions".to_string());
    }
    let insts = (peer_funcs.iter())
        .map(|f| {
            f.layout
                .blocks()
                .map(|b| f.layout.block_insts(b).count())
                .sum::<usize>()
        })
        .sum();
    let peer_isas = [
        peer::isa(OptLevel::None, &sets, &features)?,
        peer::isa(OptLevel::Speed, &sets, &features)?,
    ];
    Ok(Input {
        name: name.to_string(),
        text,
        funcs,
        flags: [flags, fast],
        isa,
        peer_funcs,
        peer_isas,
        insts,
    })
}

/// Compiles every function of `input` once with `compiler`: time and code bytes.
fn compile_once(
    input: &Input,
    compiler: Compiler,
    ctx: &mut Context,
) -> Result<(Duration, usize), String> {
    let mut bytes = 0;
    match compiler {
        Compiler::RuleselIon | Compiler::RuleselFast => {
            let flags = &input.flags[(compiler == Compiler::RuleselFast) as usize];
            let start = Instant::now();
            for f in &input.funcs {
                let code = compile_function(f, flags, &input.isa).map_err(|e| e.to_string())?;
                bytes += code.bytes.len();
            }
            Ok((start.elapsed(), bytes))
        }
        Compiler::CraneliftNone | Compiler::CraneliftSpeed => {
            let isa = &*input.peer_isas[(compiler == Compiler::CraneliftSpeed) as usize];
            // Cranelift rewrites the function in place: clone before the clock starts.
            let fresh: Vec<_> = input.peer_funcs.clone();
            let start = Instant::now();
            for f in fresh {
                bytes += peer::compile(ctx, isa, f).map_err(|e| format!("cranelift: {e}"))?;
            }
            Ok((start.elapsed(), bytes))
        }
    }
}

/// Medians over `iters` compiles of `input` by each compiler.
fn measure(input: &Input, iters: usize, ctx: &mut Context) -> Result<Row, String> {
    let mut row = Row {
        name: input.name.clone(),
        funcs: input.funcs.len(),
        insts: input.insts,
        ..Row::default()
    };
    // Every compiler must take every function (and the rule program gets compiled) first.
    for (k, &c) in COMPILERS.iter().enumerate() {
        let (_, bytes) = compile_once(input, c, ctx)?;
        match k {
            0 => row.bytes[0] = bytes,
            2 => row.bytes[1] = bytes,
            3 => row.bytes[2] = bytes,
            _ => {}
        }
    }
    // Round robin, so that a change in the machine's load touches every compiler alike.
    let mut samples = vec![Vec::with_capacity(iters); COMPILERS.len()];
    for _ in 0..iters {
        for (k, &c) in COMPILERS.iter().enumerate() {
            samples[k].push(compile_once(input, c, ctx)?.0);
        }
    }
    for (k, s) in samples.iter_mut().enumerate() {
        row.times[k] = median(s);
    }
    Ok(row)
}

/// rulesel (ion, verifier on) phase by phase over `inputs`: the round of `iters` with the
/// least total time, the one the machine's other load disturbed least.
fn phases(name: &str, inputs: &[&Input], iters: usize) -> Result<PhaseRow, String> {
    let mut best: Option<PhaseRow> = None;
    for _ in 0..iters {
        let mut row = PhaseRow {
            name: name.to_string(),
            parse: Duration::ZERO,
            times: PhaseTimes::default(),
            peer: PeerPhases::default(),
        };
        for input in inputs {
            let start = Instant::now();
            let file = ir::parse_test_file(&input.text).map_err(|e| e.message)?;
            row.parse += start.elapsed();
            drop(file);
            let mut flags = input.flags[0].clone();
            flags
                .set("enable_verifier", Some("true"))
                .map_err(|e| e.to_string())?;
            for f in &input.funcs {
                compile_function_timed(f, &flags, &input.isa, &mut row.times)
                    .map_err(|e| e.to_string())?;
            }
        }
        if best.as_ref().is_none_or(|b| row.total() < b.total()) {
            best = Some(row);
        }
    }
    let mut best = best.ok_or_else(|| "no phase rounds".to_string())?;
    // Cranelift's own split, the round with the least total likewise.
    let mut ctx = Context::new();
    PassClock::install();
    for _ in 0..iters {
        PassClock::take();
        for input in inputs {
            compile_once(input, Compiler::CraneliftNone, &mut ctx)?;
        }
        let peer = PassClock::take();
        if best.peer.total.is_zero() || peer.total < best.peer.total {
            best.peer = peer;
        }
    }
    Ok(best)
}

impl PhaseRow {
    fn total(&self) -> Duration {
        let t = &self.times;
        self.parse + t.verify + t.lower + t.regalloc + t.emit
    }
}

fn print_header() {
    println!(
        "{:<34} {:>4} {:>7} {:>8} {:>8} {:>8} | {:>7} {:>7} {:>7} {:>7} | {:>6} {:>6} {:>6}",
        "input",
        "fns",
        "insts",
        "bytes",
        "cl-none",
        "cl-speed",
        "ion",
        "fast",
        "cl-none",
        "cl-spd",
        "ion/n",
        "fast/n",
        "ion/s"
    );
}

fn print_row(row: &Row) {
    let m = |k: usize| row.rate(k) / 1e6;
    println!(
        "{:<34} {:>4} {:>7} {:>8} {:>8} {:>8} | {:>7.2} {:>7.2} {:>7.2} {:>7.2} | {:>5.2}× {:>5.2}× {:>5.2}×",
        row.name,
        row.funcs,
        row.insts,
        row.bytes[0],
        row.bytes[1],
        row.bytes[2],
        m(0),
        m(1),
        m(2),
        m(3),
        m(0) / m(2),
        m(1) / m(2),
        m(0) / m(3)
    );
}

/// Section 1; keeps what section 3 needs.
pub fn run(options: &Options) -> Result<CompileResults, String> {
    let (file_iters, gen_iters) = if options.quick { (3, 1) } else { (21, 7) };
    println!("== 1. compile speed: IR instructions per second (millions), median of {file_iters} (files) / {gen_iters} (generated) single-threaded compiles");
    println!("   rulesel ion = regalloc2 backtracking, fast = regalloc2 fastalloc; Cranelift at opt_level none and speed; verifiers off");
    println!("   bytes = machine code (rulesel ion, Cranelift none, speed); ratios = rulesel throughput over Cranelift's");
    let mut ctx = Context::new();
    let mut entries: Vec<_> = std::fs::read_dir(&options.runtests)
        .map_err(|e| format!("{}: {e}", options.runtests.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "clif"))
        .collect();
    entries.sort();
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for path in &entries {
        let name = file_name(path);
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        match load(&name, text).and_then(|input| {
            // Both must compile every function of the file.
            for &c in &COMPILERS {
                compile_once(&input, c, &mut ctx)?;
            }
            Ok(input)
        }) {
            Ok(input) => inputs.push(input),
            Err(e) => skipped.push((name, e)),
        }
    }
    print_header();
    let mut total = Row {
        name: format!("all {} run-test files", inputs.len()),
        ..Row::default()
    };
    for input in &inputs {
        let row = measure(input, file_iters, &mut ctx)?;
        print_row(&row);
        total.add(&row);
    }
    println!("{}", "-".repeat(140));
    print_row(&total);
    let mut ratios = vec![total.rate(0) / total.rate(2)];
    let mut gens = Vec::new();
    for n in [1_000, 10_000, 100_000] {
        let input = load(&format!("generated {}k", n / 1000), gen::large_function(n))?;
        let row = measure(&input, gen_iters, &mut ctx)?;
        print_row(&row);
        ratios.push(row.rate(0) / row.rate(2));
        gens.push((input, row));
    }
    let per_inst = |row: &Row, k: usize| row.times[k].as_secs_f64() / row.insts as f64;
    let (small, large) = (&gens[0].1, &gens[2].1);
    println!(
        "cost per instruction at 100k over 1k: ion {:.2}×, fast {:.2}×, cl-none {:.2}×, cl-speed {:.2}×",
        per_inst(large, 0) / per_inst(small, 0),
        per_inst(large, 1) / per_inst(small, 1),
        per_inst(large, 2) / per_inst(small, 2),
        per_inst(large, 3) / per_inst(small, 3)
    );
    println!(
        "skipped {} files that one of the two does not compile",
        skipped.len()
    );
    let phase_iters = if options.quick { 2 } else { 7 };
    let mut phase_rows = vec![phases(
        "run-test files",
        &inputs.iter().collect::<Vec<_>>(),
        phase_iters,
    )?];
    for (input, _) in &gens {
        phase_rows.push(phases(&input.name, &[input], phase_iters)?);
    }
    Ok(CompileResults {
        phases: phase_rows,
        ratio_vs_none: geomean(&ratios),
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Section 3: rulesel's phases as shares of its total.
pub fn print_phases(results: &CompileResults) {
    println!("== 3. where rulesel's time goes (ion, verifier on), share of parse + compile (least disturbed of several rounds)");
    println!("   rules = the rule executor (match trees and the constructors they call); lower other = the rest of lowering");
    print!("{:<16}", "phase");
    for r in &results.phases {
        print!(" {:>16}", r.name);
    }
    println!();
    type Pick = fn(&PhaseRow) -> Duration;
    let lines: [(&str, Pick); 6] = [
        ("parse", |r| r.parse),
        ("verify", |r| r.times.verify),
        ("lower: rules", |r| r.times.rules),
        ("lower: other", |r| {
            r.times.lower.saturating_sub(r.times.rules)
        }),
        ("regalloc", |r| r.times.regalloc),
        ("emit", |r| r.times.emit),
    ];
    for (label, pick) in lines {
        print!("{label:<16}");
        for r in &results.phases {
            print!(
                " {:>15.1}%",
                100.0 * pick(r).as_secs_f64() / r.total().as_secs_f64()
            );
        }
        println!();
    }
    print!("{:<16}", "total ms");
    for r in &results.phases {
        print!(" {:>16.2}", r.total().as_secs_f64() * 1e3);
    }
    println!();
    println!("   Cranelift (opt_level none, verifier off) on the same inputs, share of its compile, by its own pass timer:");
    type PeerPick = fn(&PeerPhases) -> Duration;
    let lines: [(&str, PeerPick); 4] = [
        ("lower", |p| p.lower),
        ("regalloc", |p| p.regalloc),
        ("emit", |p| p.emit),
        ("other", |p| {
            p.total.saturating_sub(p.lower + p.regalloc + p.emit)
        }),
    ];
    for (label, pick) in lines {
        print!("{:<16}", format!("cl {label}"));
        for r in &results.phases {
            print!(
                " {:>15.1}%",
                100.0 * pick(&r.peer).as_secs_f64() / r.peer.total.as_secs_f64()
            );
        }
        println!();
    }
    print!("{:<16}", "cl total ms");
    for r in &results.phases {
        print!(" {:>16.2}", r.peer.total.as_secs_f64() * 1e3);
    }
    println!();
}
