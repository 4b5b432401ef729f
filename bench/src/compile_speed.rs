//! Compile speed: the same CLIF functions compiled by rulesel (ion, fastalloc) and Cranelift
//! (opt_level none with either allocator, speed), and where rulesel's time goes; what each
//! hands its register allocator, and how much heap each uses.

use crate::alloc_input::{self, AllocInput};
use crate::heap::{self, HeapUse};
use crate::peer::{self, OptLevel, PassClock, PeerPhases};
use crate::{gen, geomean, median, real_code, Options};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::Context;
use rulesel::compile::{compile_function, compile_function_timed, PhaseTimes};
use rulesel::ir::{self, HeaderKind};
use rulesel::isa::x64::IsaFlags;
use rulesel::settings::Flags;
use std::path::Path;
use std::time::{Duration, Instant};

/// The five compilers, in table order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Compiler {
    RuleselIon,
    RuleselFast,
    CraneliftNone,
    /// Cranelift at opt_level none with its `single_pass` allocator (regalloc2's fastalloc).
    CraneliftFast,
    CraneliftSpeed,
}

const COMPILERS: [Compiler; 5] = [
    Compiler::RuleselIon,
    Compiler::RuleselFast,
    Compiler::CraneliftNone,
    Compiler::CraneliftFast,
    Compiler::CraneliftSpeed,
];

/// Column indices of `COMPILERS`.
const ION: usize = 0;
const FAST: usize = 1;
const CL_NONE: usize = 2;
const CL_FAST: usize = 3;
const CL_SPEED: usize = 4;

/// One input file, parsed by both.
pub struct Input {
    name: String,
    pub text: String,
    pub funcs: Vec<ir::Function>,
    /// rulesel's flags for ion and fastalloc (verifier off, like Cranelift's below), and ion's
    /// with regalloc2's log on (for counting its input).
    pub flags: [Flags; 3],
    pub isa: IsaFlags,
    pub peer_funcs: Vec<cranelift_codegen::ir::Function>,
    /// Cranelift's ISAs at opt_level none, none with `single_pass`, speed, and none with
    /// regalloc2's log on.
    peer_isas: [OwnedTargetIsa; 4],
    insts: usize,
}

impl Input {
    fn peer_isa(&self, c: Compiler) -> &dyn TargetIsa {
        &*self.peer_isas[match c {
            Compiler::CraneliftFast => 1,
            Compiler::CraneliftSpeed => 2,
            _ => 0,
        }]
    }

    /// Cranelift at opt_level none with its default allocator.
    pub fn peer_isa_none(&self) -> &dyn TargetIsa {
        self.peer_isa(Compiler::CraneliftNone)
    }
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
    times: [Duration; 5],
}

impl Row {
    fn add(&mut self, other: &Row) {
        self.funcs += other.funcs;
        self.insts += other.insts;
        for k in 0..3 {
            self.bytes[k] += other.bytes[k];
        }
        for k in 0..COMPILERS.len() {
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
    let mut logged = flags.clone();
    logged
        .set("regalloc_verbose_logs", Some("true"))
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
    let with = |name: &str, value: &str| {
        let mut sets = sets.clone();
        sets.push((name.to_string(), Some(value.to_string())));
        sets
    };
    let peer_isas = [
        peer::isa(OptLevel::None, &sets, &features)?,
        peer::isa(
            OptLevel::None,
            &with("regalloc_algorithm", "single_pass"),
            &features,
        )?,
        peer::isa(OptLevel::Speed, &sets, &features)?,
        peer::isa(
            OptLevel::None,
            &with("regalloc_verbose_logs", "true"),
            &features,
        )?,
    ];
    Ok(Input {
        name: name.to_string(),
        text,
        funcs,
        flags: [flags, fast, logged],
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
        Compiler::CraneliftNone | Compiler::CraneliftFast | Compiler::CraneliftSpeed => {
            let isa = input.peer_isa(compiler);
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

/// The heap `compiler` uses compiling every function of `input` once, on a fresh thread.
fn heap_use(input: &Input, compiler: Compiler) -> Result<HeapUse, String> {
    let (done, used) = match compiler {
        Compiler::RuleselIon | Compiler::RuleselFast => {
            let flags = &input.flags[(compiler == Compiler::RuleselFast) as usize];
            heap::measure(|| {
                for f in &input.funcs {
                    compile_function(f, flags, &input.isa).map_err(|e| e.to_string())?;
                }
                Ok::<(), String>(())
            })
        }
        _ => {
            let isa = input.peer_isa(compiler);
            // The clones are made before the counters start: Cranelift gets its input as an
            // owned function, rulesel as a reference.
            let fresh: Vec<_> = input.peer_funcs.clone();
            heap::measure(move || {
                let mut ctx = Context::new();
                for f in fresh {
                    peer::compile(&mut ctx, isa, f)?;
                }
                Ok(())
            })
        }
    };
    done.map(|()| used)
}

/// What rulesel (ion) and Cranelift (none, ion) hand regalloc2 for every function of `input`.
fn alloc_inputs(input: &Input) -> Result<[AllocInput; 2], String> {
    let ours = alloc_input::count(|| {
        for f in &input.funcs {
            compile_function(f, &input.flags[2], &input.isa).map_err(|e| e.to_string())?;
        }
        Ok(())
    })?;
    let mut ctx = Context::new();
    let peer = alloc_input::count(|| {
        for f in input.peer_funcs.clone() {
            peer::compile(&mut ctx, &*input.peer_isas[3], f)?;
        }
        Ok(())
    })?;
    Ok([ours, peer])
}

/// Heap use per compiler and allocator input of some inputs, added up.
#[derive(Clone, Default)]
struct Footprint {
    name: String,
    insts: usize,
    funcs: usize,
    heap: [HeapUse; 4],
    alloc: [AllocInput; 2],
}

/// The compilers of the heap table, in column order.
const HEAP_COMPILERS: [Compiler; 4] = [
    Compiler::RuleselIon,
    Compiler::RuleselFast,
    Compiler::CraneliftNone,
    Compiler::CraneliftFast,
];

fn footprint(name: &str, inputs: &[&Input]) -> Result<Footprint, String> {
    let mut fp = Footprint {
        name: name.to_string(),
        ..Footprint::default()
    };
    for input in inputs {
        fp.insts += input.insts;
        fp.funcs += input.funcs.len();
        for (k, &c) in HEAP_COMPILERS.iter().enumerate() {
            fp.heap[k].add(&heap_use(input, c)?);
        }
        let [ours, peer] = alloc_inputs(input)?;
        fp.alloc[0].add(&ours);
        fp.alloc[1].add(&peer);
    }
    Ok(fp)
}

fn print_footprints(fps: &[Footprint]) {
    println!();
    println!("== 1b. allocator input: what each compiler hands regalloc2 (ion) for the same functions, counted from regalloc2's own log");
    println!("   vregs = distinct virtual registers in operands; fixed = operands tied to one register; reuse = two-address defs;");
    println!("   clob = instructions with clobbers (calls); moves = moves, spills and reloads ion inserted; /IR = per IR instruction");
    println!(
        "{:<28} {:<9} {:>8} {:>7} {:>8} {:>5} {:>9} {:>5} {:>7} {:>7} {:>6} {:>8} {:>5}",
        "input",
        "compiler",
        "vcode",
        "blocks",
        "vregs",
        "/IR",
        "operands",
        "/IR",
        "fixed",
        "reuse",
        "clob",
        "moves",
        "/IR"
    );
    for fp in fps {
        for (k, who) in ["rulesel", "cranelift"].iter().enumerate() {
            let a = &fp.alloc[k];
            let per = |x: u64| x as f64 / fp.insts as f64;
            println!(
                "{:<28} {:<9} {:>8} {:>7} {:>8} {:>5.2} {:>9} {:>5.2} {:>7} {:>7} {:>6} {:>8} {:>5.2}",
                if k == 0 { fp.name.as_str() } else { "" },
                who,
                a.insts,
                a.blocks,
                a.vregs,
                per(a.vregs),
                a.operands,
                per(a.operands),
                a.fixed,
                a.reuse,
                a.clobbering,
                a.moves,
                per(a.moves)
            );
        }
    }
    println!();
    println!("== 1c. memory: heap per IR instruction, each input compiled once on a fresh thread (files: sums of per-file figures)");
    println!("   alloc = bytes asked of the allocator; peak = most bytes live at once above the start; calls/fn = allocations per function");
    println!(
        "{:<28} | {:<31} | {:<31} | {:<31}",
        "", "alloc B per IR inst", "peak B per IR inst", "allocations per function"
    );
    println!(
        "{:<28} | {:>7} {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7} {:>7}",
        "input",
        "ion",
        "fast",
        "cl-none",
        "cl-fast",
        "ion",
        "fast",
        "cl-none",
        "cl-fast",
        "ion",
        "fast",
        "cl-none",
        "cl-fast"
    );
    for fp in fps {
        let per = |x: u64| x as f64 / fp.insts as f64;
        let h = &fp.heap;
        let calls = |x: u64| x as f64 / fp.funcs as f64;
        println!(
            "{:<28} | {:>7.0} {:>7.0} {:>7.0} {:>7.0} | {:>7.0} {:>7.0} {:>7.0} {:>7.0} | {:>7.0} {:>7.0} {:>7.0} {:>7.0}",
            fp.name,
            per(h[0].bytes),
            per(h[1].bytes),
            per(h[2].bytes),
            per(h[3].bytes),
            per(h[0].peak),
            per(h[1].peak),
            per(h[2].peak),
            per(h[3].peak),
            calls(h[0].calls),
            calls(h[1].calls),
            calls(h[2].calls),
            calls(h[3].calls)
        );
    }
    let ratio = |fp: &Footprint, k: usize| fp.heap[k].bytes as f64 / fp.heap[k + 2].bytes as f64;
    let peak =
        |fp: &Footprint, k: usize| fp.heap[k].peak as f64 / fp.heap[k + 2].peak.max(1) as f64;
    for fp in fps {
        println!(
            "{:<28}   rulesel over cranelift: alloc ion {:.2}×, fast {:.2}×; peak ion {:.2}×, fast {:.2}×",
            fp.name,
            ratio(fp, 0),
            ratio(fp, 1),
            peak(fp, 0),
            peak(fp, 1)
        );
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
            ION => row.bytes[0] = bytes,
            CL_NONE => row.bytes[1] = bytes,
            CL_SPEED => row.bytes[2] = bytes,
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
        "{:<34} {:>4} {:>7} {:>8} {:>8} {:>8} | {:>7} {:>7} {:>7} {:>7} {:>7} | {:>6} {:>6} {:>6} {:>6}",
        "input",
        "fns",
        "insts",
        "bytes",
        "cl-none",
        "cl-speed",
        "ion",
        "fast",
        "cl-none",
        "cl-fast",
        "cl-spd",
        "ion/n",
        "fast/n",
        "fast/f",
        "ion/s"
    );
}

fn print_row(row: &Row) {
    let m = |k: usize| row.rate(k) / 1e6;
    println!(
        "{:<34} {:>4} {:>7} {:>8} {:>8} {:>8} | {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} | {:>5.2}× {:>5.2}× {:>5.2}× {:>5.2}×",
        row.name,
        row.funcs,
        row.insts,
        row.bytes[0],
        row.bytes[1],
        row.bytes[2],
        m(ION),
        m(FAST),
        m(CL_NONE),
        m(CL_FAST),
        m(CL_SPEED),
        m(ION) / m(CL_NONE),
        m(FAST) / m(CL_NONE),
        m(FAST) / m(CL_FAST),
        m(ION) / m(CL_SPEED)
    );
}

/// Section 1; keeps what section 3 needs.
pub fn run(options: &Options) -> Result<CompileResults, String> {
    let (file_iters, gen_iters) = if options.quick { (3, 1) } else { (21, 7) };
    println!("== 1. compile speed: IR instructions per second (millions), median of {file_iters} (files) / {gen_iters} (generated) single-threaded compiles");
    println!("   rulesel ion = regalloc2 backtracking, fast = regalloc2 fastalloc; Cranelift at opt_level none (backtracking;");
    println!("   cl-fast: single_pass = fastalloc) and speed; verifiers off");
    println!("   bytes = machine code (rulesel ion, Cranelift none, speed); ratios = rulesel throughput over Cranelift's:");
    println!("   ion/n, fast/n over cl-none; fast/f = fast over cl-fast; ion/s over cl-speed");
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
    println!("{}", "-".repeat(158));
    print_row(&total);
    let mut ratios = vec![total.rate(ION) / total.rate(CL_NONE)];
    let mut gens = Vec::new();
    for n in [1_000, 10_000, 100_000] {
        let input = load(&format!("generated {}k", n / 1000), gen::large_function(n))?;
        let row = measure(&input, gen_iters, &mut ctx)?;
        print_row(&row);
        ratios.push(row.rate(ION) / row.rate(CL_NONE));
        gens.push((input, row));
    }
    let real = match real_code::program_text(&options.quickjs)? {
        Some((files, text)) => {
            let input = load(&format!("QuickJS ({files} files)"), text)?;
            let row = measure(&input, gen_iters, &mut ctx)?;
            print_row(&row);
            Some((input, row))
        }
        None => None,
    };
    let per_inst = |row: &Row, k: usize| row.times[k].as_secs_f64() / row.insts as f64;
    let (small, large) = (&gens[0].1, &gens[2].1);
    let growth = |k: usize| per_inst(large, k) / per_inst(small, k);
    println!(
        "cost per instruction at 100k over 1k: ion {:.2}×, fast {:.2}×, cl-none {:.2}×, cl-fast {:.2}×, cl-speed {:.2}×",
        growth(ION),
        growth(FAST),
        growth(CL_NONE),
        growth(CL_FAST),
        growth(CL_SPEED)
    );
    println!(
        "skipped {} files that one of the two does not compile",
        skipped.len()
    );
    let mut fps = vec![footprint(&total.name, &inputs.iter().collect::<Vec<_>>())?];
    for (input, _) in gens.iter().chain(&real) {
        fps.push(footprint(&input.name, &[input])?);
    }
    print_footprints(&fps);
    match &real {
        Some((input, row)) => print_real_code(input, row)?,
        None => println!(
            "\n== 1d. real code: {} not found, row skipped",
            options.quickjs.display()
        ),
    }
    let phase_iters = if options.quick { 2 } else { 7 };
    let mut phase_rows = vec![phases(
        "run-test files",
        &inputs.iter().collect::<Vec<_>>(),
        phase_iters,
    )?];
    for (input, _) in gens.iter().chain(&real) {
        phase_rows.push(phases(&input.name, &[input], phase_iters)?);
    }
    Ok(CompileResults {
        phases: phase_rows,
        ratio_vs_none: geomean(&ratios),
    })
}

/// Section 1d: the real-code row's ratios, and the heap of compiling it as one program.
fn print_real_code(input: &Input, row: &Row) -> Result<(), String> {
    let heap = real_code::program_heap(input)?;
    let [ours, peer] = heap.program;
    let mb = |b: u64| b as f64 / 1e6;
    println!();
    println!(
        "== 1d. real code: {} ({} IR instructions), compiled as one program",
        row.name, row.insts
    );
    println!("   peak = most heap live at once while parsing the text and compiling every function, keeping each one's code");
    println!(
        "   throughput: ion {:.2}× cranelift-none, fast {:.2}× cranelift-none, fast {:.2}× cranelift-single_pass",
        row.rate(ION) / row.rate(CL_NONE),
        row.rate(FAST) / row.rate(CL_NONE),
        row.rate(FAST) / row.rate(CL_FAST)
    );
    println!(
        "   code bytes: rulesel ion {} / cranelift-none {} = {:.3}×; / cranelift-speed {} = {:.3}×",
        row.bytes[0],
        row.bytes[1],
        row.bytes[0] as f64 / row.bytes[1] as f64,
        row.bytes[2],
        row.bytes[0] as f64 / row.bytes[2] as f64
    );
    println!(
        "   program peak heap: rulesel ion {:.1} MB / cranelift-none {:.1} MB = {:.2}×; bytes allocated {:.0} MB / {:.0} MB = {:.2}×",
        mb(ours.peak),
        mb(peer.peak),
        ours.peak as f64 / peer.peak.max(1) as f64,
        mb(ours.bytes),
        mb(peer.bytes),
        ours.bytes as f64 / peer.bytes.max(1) as f64
    );
    let [parse_ours, parse_peer] = heap.parse;
    println!(
        "   of which parsing alone: peak {:.1} MB / {:.1} MB = {:.2}×",
        mb(parse_ours.peak),
        mb(parse_peer.peak),
        parse_ours.peak as f64 / parse_peer.peak.max(1) as f64
    );
    real_code::FunctionSizes::measure(input)?.print(8);
    Ok(())
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
