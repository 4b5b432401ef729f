//! Code speed: the CLIF kernels under `bench/`, JIT-compiled by rulesel (ion, and fastalloc as
//! `set regalloc_algorithm=single_pass` selects it) and by Cranelift (opt_level none and speed),
//! run on the same input; their results must agree.

use crate::peer::{OptLevel, PeerJit};
use crate::{geomean, median, Options};
use rulesel::module::Module;
use std::time::{Duration, Instant};

/// A kernel: `entry(buf, n) -> i64` (System V) in `file`, with a buffer of `buf_bytes`.
struct Kernel {
    file: &'static str,
    entry: &'static str,
    what: &'static str,
    n: i64,
    buf_bytes: usize,
}

const KERNELS: [Kernel; 7] = [
    Kernel {
        file: "sieve.clif",
        entry: "sieve",
        what: "integer loops: sieve of Eratosthenes, n = 20M",
        n: 20_000_000,
        buf_bytes: 20_000_000,
    },
    Kernel {
        file: "matmul.clif",
        entry: "matmul",
        what: "float: 300×300 f64 matrix multiply",
        n: 300,
        buf_bytes: 3 * 300 * 300 * 8,
    },
    Kernel {
        file: "fib.clif",
        entry: "fib_kernel",
        what: "calls: recursive fib(32)",
        n: 32,
        buf_bytes: 8,
    },
    Kernel {
        file: "interp.clif",
        entry: "interp",
        what: "branches: br_table bytecode interpreter, 3M loops",
        n: 3_000_000,
        buf_bytes: 16,
    },
    Kernel {
        file: "shellsort.clif",
        entry: "shellsort",
        what: "memory: Shell sort of 1M i64",
        n: 1_000_000,
        buf_bytes: 8_000_000,
    },
    Kernel {
        file: "dot.clif",
        entry: "dot",
        what: "vector floats: f32x4 dot product of 2×4M f32",
        n: 4_000_000,
        buf_bytes: 2 * 4_000_000 * 4,
    },
    Kernel {
        file: "bytecount.clif",
        entry: "bytecount",
        what: "vector bytes: i8x16 count of one byte in 32 MB",
        n: 32_000_000,
        buf_bytes: 32_000_000,
    },
];

type Entry = unsafe extern "C" fn(*mut u8, i64) -> i64;

/// Code-speed ratios: rulesel's run time over Cranelift's, geometric means over the kernels.
pub struct CodeResults {
    pub vs_none: f64,
    pub vs_speed: f64,
}

/// Runs `f` on a fresh zeroed buffer `samples` times: the median time and the result.
fn time_kernel(f: Entry, k: &Kernel, samples: usize) -> (Duration, i64) {
    let mut times = Vec::with_capacity(samples);
    let mut result = 0;
    for _ in 0..samples {
        let mut buf = vec![0u8; k.buf_bytes];
        let start = Instant::now();
        // SAFETY: the kernel's signature is (i64, i64) -> i64 system_v, and it touches only
        // the first `buf_bytes` bytes of the buffer it is given.
        result = unsafe { f(buf.as_mut_ptr(), k.n) };
        times.push(start.elapsed());
    }
    (median(&mut times), result)
}

fn entry_of(address: Option<*const u8>, name: &str) -> Result<Entry, String> {
    let address = address.ok_or_else(|| format!("no function %{name}"))?;
    // SAFETY: `address` is the start of a compiled function with the `Entry` signature.
    Ok(unsafe { std::mem::transmute::<*const u8, Entry>(address) })
}

pub fn run(options: &Options) -> Result<CodeResults, String> {
    let samples = if options.quick { 3 } else { 7 };
    println!("== 2. code speed: run time in ms (median of {samples}), rulesel ion (and fastalloc) vs Cranelift none and speed; lower is better");
    println!(
        "{:<12} {:<50} {:>9} {:>9} {:>9} {:>9} | {:>7} {:>7} {:>7}",
        "kernel",
        "what",
        "rulesel",
        "rs-fast",
        "cl-none",
        "cl-speed",
        "rs/none",
        "rs/spd",
        "fst/non"
    );
    let (mut vs_none, mut vs_speed, mut fast_vs_none) = (Vec::new(), Vec::new(), Vec::new());
    for k in &KERNELS {
        let path = options.kernels.join(k.file);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let ours = Module::from_clif(&text)
            .and_then(|m| m.jit())
            .map_err(|e| format!("{}: rulesel: {e}", k.file))?;
        let fast = Module::from_clif(&format!("set regalloc_algorithm=single_pass\n{text}"))
            .and_then(|m| m.jit())
            .map_err(|e| format!("{}: rulesel fastalloc: {e}", k.file))?;
        let funcs =
            cranelift_reader::parse_functions(&text).map_err(|e| format!("{}: {e}", k.file))?;
        let none = PeerJit::new(&funcs, OptLevel::None, &[])
            .map_err(|e| format!("{}: cranelift: {e}", k.file))?;
        let speed = PeerJit::new(&funcs, OptLevel::Speed, &[])
            .map_err(|e| format!("{}: cranelift: {e}", k.file))?;
        let (t_ours, r_ours) =
            time_kernel(entry_of(ours.address_of(k.entry), k.entry)?, k, samples);
        let (t_fast, r_fast) =
            time_kernel(entry_of(fast.address_of(k.entry), k.entry)?, k, samples);
        let (t_none, r_none) =
            time_kernel(entry_of(none.address_of(k.entry), k.entry)?, k, samples);
        let (t_speed, r_speed) =
            time_kernel(entry_of(speed.address_of(k.entry), k.entry)?, k, samples);
        if r_ours != r_none || r_ours != r_speed || r_ours != r_fast {
            return Err(format!(
                "{}: results differ: rulesel {r_ours}, fastalloc {r_fast}, cranelift none {r_none}, speed {r_speed}",
                k.file
            ));
        }
        let ms = |t: Duration| t.as_secs_f64() * 1e3;
        let (a, b) = (ms(t_ours) / ms(t_none), ms(t_ours) / ms(t_speed));
        let c = ms(t_fast) / ms(t_none);
        vs_none.push(a);
        vs_speed.push(b);
        fast_vs_none.push(c);
        println!(
            "{:<12} {:<50} {:>9.2} {:>9.2} {:>9.2} {:>9.2} | {:>6.2}× {:>6.2}× {:>6.2}×",
            k.entry,
            k.what,
            ms(t_ours),
            ms(t_fast),
            ms(t_none),
            ms(t_speed),
            a,
            b,
            c
        );
    }
    let results = CodeResults {
        vs_none: geomean(&vs_none),
        vs_speed: geomean(&vs_speed),
    };
    println!(
        "{:<12} {:<50} {:>9} {:>9} {:>9} {:>9} | {:>6.2}× {:>6.2}× {:>6.2}×",
        "geomean",
        "",
        "",
        "",
        "",
        "",
        results.vs_none,
        results.vs_speed,
        geomean(&fast_vs_none)
    );
    Ok(results)
}
