//! What each compiler hands the register allocator, counted the same way for both: both give
//! regalloc2 their VCode through its `Function` trait, and with `regalloc_verbose_logs` set
//! (the setting of both) regalloc2's backtracking allocator logs, at `info` level, every block,
//! every instruction with its operands and clobbers, and every move it inserted. A logger here
//! reads those lines back into counts.
//!
//! ```text
//!   block3: [succs [4] preds [2]]                                  one VCode block
//!     inst17: op Use: v130i reg [p3i], Def: v131i reuse(0) [p3i]    one instruction, two operands
//!     inst18-pre: move p3i -> stack0                              a move ion inserted
//! ```

use std::collections::HashSet;
use std::sync::Mutex;

/// Allocator input of some functions, and the moves ion added to it.
#[derive(Clone, Copy, Default, Debug)]
pub struct AllocInput {
    pub functions: u64,
    pub blocks: u64,
    /// VCode instructions.
    pub insts: u64,
    /// Distinct virtual registers in operands, summed over the functions.
    pub vregs: u64,
    pub operands: u64,
    /// Operands constrained to one physical register (`fixed(p)`, and fixed non-allocatable
    /// registers).
    pub fixed: u64,
    /// Defs that must reuse an input's register (two-address instructions).
    pub reuse: u64,
    /// Instructions that clobber registers (calls).
    pub clobbering: u64,
    /// Moves, spills and reloads ion inserted.
    pub moves: u64,
}

impl AllocInput {
    pub fn add(&mut self, o: &AllocInput) {
        self.functions += o.functions;
        self.blocks += o.blocks;
        self.insts += o.insts;
        self.vregs += o.vregs;
        self.operands += o.operands;
        self.fixed += o.fixed;
        self.reuse += o.reuse;
        self.clobbering += o.clobbering;
        self.moves += o.moves;
    }
}

#[derive(Default)]
struct Counter {
    counts: AllocInput,
    /// The virtual registers seen in the current function.
    vregs: HashSet<u32>,
}

impl Counter {
    fn end_function(&mut self) {
        self.counts.vregs += self.vregs.len() as u64;
        self.vregs.clear();
    }

    fn line(&mut self, line: &str) {
        if line.starts_with("=== REGALLOC RESULTS") {
            self.end_function();
            self.counts.functions += 1;
        } else if line.starts_with("block") {
            self.counts.blocks += 1;
        } else if let Some(rest) = line.strip_prefix("  inst") {
            let Some((head, body)) = rest.split_once(": ") else {
                return;
            };
            if head.ends_with("-pre") || head.ends_with("-post") {
                self.counts.moves += body.starts_with("move ") as u64;
            } else {
                self.inst(body);
            }
        }
    }

    /// `op|br|ret ARG, ARG… [clobber: …]`, each ARG `OPERAND [ALLOCATION]`.
    fn inst(&mut self, body: &str) {
        self.counts.insts += 1;
        let args = match body.find(" [clobber: ") {
            Some(k) => {
                self.counts.clobbering += 1;
                &body[..k]
            }
            None => body,
        };
        let Some((_, args)) = args.split_once(' ') else {
            return;
        };
        for arg in args.split("], ").filter(|a| !a.trim().is_empty()) {
            self.counts.operands += 1;
            if arg.starts_with("Fixed: ") || arg.contains(" fixed(") {
                self.counts.fixed += 1;
            }
            if arg.contains(" reuse(") {
                self.counts.reuse += 1;
            }
            if let Some((_, v)) = arg.split_once(": v") {
                let digits = v.bytes().take_while(u8::is_ascii_digit).count();
                if let Ok(n) = v[..digits].parse() {
                    self.vregs.insert(n);
                }
            }
        }
    }
}

static COUNTER: Mutex<Option<Counter>> = Mutex::new(None);

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.target().starts_with("regalloc2")
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut counter = COUNTER.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = counter.as_mut() {
            c.line(&record.args().to_string());
        }
    }

    fn flush(&self) {}
}

/// Counts what regalloc2 logs while `work` runs; `work` must compile with
/// `regalloc_verbose_logs` set and the backtracking allocator. Logging is off again afterwards,
/// so timed compiles pay nothing for it.
pub fn count(work: impl FnOnce() -> Result<(), String>) -> Result<AllocInput, String> {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Fails only when a logger is already installed, and nothing else installs one.
        let _ = log::set_logger(&Logger);
    });
    *COUNTER.lock().unwrap_or_else(|e| e.into_inner()) = Some(Counter::default());
    log::set_max_level(log::LevelFilter::Info);
    let done = work();
    log::set_max_level(log::LevelFilter::Off);
    let mut counter = (COUNTER.lock().unwrap_or_else(|e| e.into_inner()).take())
        .ok_or("the allocator-input counter went missing")?;
    counter.end_function();
    done.map(|()| counter.counts)
}
