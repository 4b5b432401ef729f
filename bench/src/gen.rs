//! Generated large functions, to show how compile cost grows with function size.
//!
//! One function of about `n` IR instructions, made of segments like this one:
//!
//! ```text
//!   block_h(i, a, x):            loop header: counter, an integer and a float carried around
//!     integer and float arithmetic on a, x, recent values and the long-lived pool
//!     a load from and a store to the buffer argument, a call to %helper
//!     brif c, block_t, block_f   a diamond joining at block_j(v)
//!   block_j(v):
//!     brif i + 1 < 10, block_h(i + 1, …), block_x
//!   block_x:                     the next segment's entry
//! ```
//!
//! A pool of integer and float values is defined in the entry block and all of them are used
//! by the return, so they stay live across every call and loop: more live values than
//! registers, which forces spills. Choices come from a fixed-seed generator, so every run
//! compiles the same text.

use std::fmt::Write;

/// Long-lived integer and float values (defined in the entry block, used at the return).
const INT_POOL: usize = 24;
const FLOAT_POOL: usize = 10;

/// xorshift64*: deterministic choices without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// The CLIF text being written, counting the instructions it holds.
struct Writer {
    text: String,
    next_value: u32,
    next_block: u32,
    insts: usize,
}

impl Writer {
    fn value(&mut self) -> String {
        self.next_value += 1;
        format!("v{}", self.next_value)
    }

    fn block(&mut self) -> String {
        self.next_block += 1;
        format!("block{}", self.next_block)
    }

    /// Writes `rhs` as an instruction defining a new value, and returns that value.
    fn def(&mut self, rhs: &str) -> String {
        let v = self.value();
        writeln!(self.text, "    {v} = {rhs}").unwrap();
        self.insts += 1;
        v
    }

    /// Writes `op lhs, c` with the constant `c` defined just before (CLIF has no `*_imm`
    /// forms any more), and returns the result.
    fn with_const(&mut self, op: &str, lhs: &str, c: i64) -> String {
        let k = self.def(&format!("iconst.i64 {c}"));
        self.def(&format!("{op} {lhs}, {k}"))
    }

    /// Writes an instruction without results.
    fn effect(&mut self, inst: &str) {
        writeln!(self.text, "    {inst}").unwrap();
        self.insts += 1;
    }

    fn label(&mut self, block: &str, params: &str) {
        writeln!(self.text, "\n{block}{params}:").unwrap();
    }
}

/// A CLIF file with `%helper` (declared, called) and `%big` of at least `n` instructions.
pub fn large_function(n: usize) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
    let mut w = Writer {
        text: String::new(),
        next_value: 2,
        next_block: 0,
        insts: 0,
    };
    w.text.push_str(
        "function %big(i64, i64, f64) -> i64 {\n    fn0 = %helper(i64, i64) -> i64\n\nblock0(v0: i64, v1: i64, v2: f64):\n",
    );
    let mut ints: Vec<String> = Vec::new();
    let mut floats: Vec<String> = Vec::new();
    for k in 0..INT_POOL {
        let base = if k == 0 {
            "v1".to_string()
        } else {
            ints[k - 1].clone()
        };
        ints.push(w.with_const("iadd", &base, k as i64 * 7 + 1));
    }
    for int in ints.iter().take(FLOAT_POOL) {
        let conv = w.def(&format!("fcvt_from_sint.f64 {int}"));
        floats.push(w.def(&format!("fadd v2, {conv}")));
    }
    let zero = w.def("iconst.i64 0");
    let header = w.block();
    writeln!(w.text, "    jump {header}({zero}, v1, v2)").unwrap();
    w.insts += 1;
    let mut header = header;
    while w.insts < n {
        header = segment(&mut w, &mut rng, &header, &ints, &floats);
    }
    // The last segment's exit: fold the pools into the result so they stay live to here.
    let (_, last, last_f) = (w.value(), w.value(), w.value());
    let params = format!("(v{}: i64, {last}: i64, {last_f}: f64)", w.next_value - 2);
    w.label(&header, &params);
    let mut acc = w.def(&format!("bitcast.i64 {last_f}"));
    acc = w.def(&format!("iadd {acc}, {last}"));
    for v in &ints {
        acc = w.def(&format!("bxor {acc}, {v}"));
    }
    for f in &floats {
        let bits = w.def(&format!("bitcast.i64 {f}"));
        acc = w.def(&format!("iadd {acc}, {bits}"));
    }
    w.effect(&format!("return {acc}"));
    w.text.push_str("}\n");
    let helper = "function %helper(i64, i64) -> i64 {\nblock0(v0: i64, v1: i64):\n    v2 = iadd v0, v1\n    return v2\n}\n\n";
    format!("{helper}{}", w.text)
}

/// Writes one loop segment whose header is `header` (already jumped to); returns the label
/// of the block after it, which is open for the next segment.
fn segment(
    w: &mut Writer,
    rng: &mut Rng,
    header: &str,
    ints: &[String],
    floats: &[String],
) -> String {
    let (i, a, x) = (w.value(), w.value(), w.value());
    w.label(header, &format!("({i}: i64, {a}: i64, {x}: f64)"));
    let mut recent = vec![a.clone()];
    let mut recent_f = vec![x.clone()];
    let pick = |rng: &mut Rng, recent: &[String], pool: &[String]| {
        if rng.below(3) == 0 {
            pool[rng.below(pool.len())].clone()
        } else {
            recent[recent.len() - 1 - rng.below(recent.len().min(4))].clone()
        }
    };
    for _ in 0..12 {
        let (l, r) = (pick(rng, &recent, ints), pick(rng, &recent, ints));
        let op = [
            "iadd", "isub", "imul", "band", "bor", "bxor", "ishl", "iadd",
        ][rng.below(8)];
        let v = match op {
            "ishl" => w.with_const(op, &l, rng.below(63) as i64 + 1),
            "iadd" if rng.below(2) == 0 => w.with_const(op, &l, rng.below(1000) as i64),
            _ => w.def(&format!("{op} {l}, {r}")),
        };
        recent.push(v);
    }
    for _ in 0..4 {
        let (l, r) = (pick(rng, &recent_f, floats), pick(rng, &recent_f, floats));
        let op = ["fadd", "fsub", "fmul"][rng.below(3)];
        recent_f.push(w.def(&format!("{op} {l}, {r}")));
    }
    let offset = rng.below(32) * 8;
    let loaded = w.def(&format!("load.i64 notrap aligned v0+{offset}"));
    let stored = pick(rng, &recent, ints);
    w.effect(&format!(
        "store notrap aligned {stored}, v0+{}",
        rng.below(32) * 8
    ));
    let arg = pick(rng, &recent, ints);
    let called = w.def(&format!("call fn0({loaded}, {arg})"));
    recent.push(called.clone());
    let as_float = w.def(&format!("fcvt_from_sint.f64 {called}"));
    let x_next = w.def(&format!(
        "fadd {as_float}, {}",
        recent_f[recent_f.len() - 1]
    ));
    // A diamond.
    let (then_b, else_b, join_b) = (w.block(), w.block(), w.block());
    let c = w.def(&format!(
        "icmp slt {}, {}",
        pick(rng, &recent, ints),
        pick(rng, &recent, ints)
    ));
    w.effect(&format!("brif {c}, {then_b}, {else_b}"));
    w.label(&then_b, "");
    let t = w.def(&format!(
        "iadd {}, {}",
        pick(rng, &recent, ints),
        pick(rng, &recent, ints)
    ));
    w.effect(&format!("jump {join_b}({t})"));
    w.label(&else_b, "");
    let e = w.def(&format!(
        "bxor {}, {}",
        pick(rng, &recent, ints),
        pick(rng, &recent, ints)
    ));
    w.effect(&format!("jump {join_b}({e})"));
    let joined = w.value();
    w.label(&join_b, &format!("({joined}: i64)"));
    let i_next = w.with_const("iadd", &i, 1);
    let more = w.with_const("icmp slt", &i_next, 10);
    let (exit_b, next_header) = (w.block(), w.block());
    w.effect(&format!(
        "brif {more}, {header}({i_next}, {joined}, {x_next}), {exit_b}"
    ));
    w.label(&exit_b, "");
    let zero = w.def("iconst.i64 0");
    w.effect(&format!("jump {next_header}({zero}, {joined}, {x_next})"));
    next_header
}
