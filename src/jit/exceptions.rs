//! Throwing exceptions through JIT code: the exception tables of every live JIT module, and the
//! run tests' throw hostcall, which walks frames by frame pointer and resumes at a handler.
//!
//! ```text
//!   %entry ── call ──▶ %main ── try_call [tag1: block2] ──▶ %throw ── call ──▶ __cranelift_throw
//!   fp = entry_fp      fp = M                                fp = T
//!
//!   __cranelift_throw(entry_fp, T, _, tag, payload1, payload2):
//!     frame (pc, fp) = (its own return address, T)   ── no table covers pc in %throw
//!     frame ([T + 8], [T]) = (return address in %main, M)  ── the try_call there has tag1:
//!     rsp = M - sp_below_fp, rbp = M, rax = payload1, rdx = payload2, jump to block2
//! ```
//!
//! Every frame between the thrower and the entry frame must have a frame pointer (which is how
//! a function making calls is compiled); the walk also looks at the entry frame itself, and
//! stops there. A `default` handler catches every tag. The third argument (the caller's frame
//! pointer, in the run tests) is not read: the runtime takes its own return address, which also
//! lets the thrower's own `try_call` around the hostcall catch. Nothing is restored but rsp and
//! rbp, which is why a `try_call` clobbers every register (see the lowering's `exceptions`).
//!
//! Without a handler the throw reports the tag on stderr and executes `ud2`, which a guarded
//! call ([`super::traps`]) turns into a failed run instead of a dead process.

use crate::machinst::buffer::ExceptionSite;
use std::ops::Range;
use std::sync::{Arc, RwLock};

/// The exception sites of one function placed at `start`.
#[derive(Clone, Debug)]
pub struct FunctionSites {
    pub start: usize,
    pub sites: Vec<ExceptionSite>,
}

/// The exception tables of a module's code.
#[derive(Debug)]
struct ModuleTables {
    code: Range<usize>,
    functions: Vec<FunctionSites>,
}

static TABLES: RwLock<Vec<Arc<ModuleTables>>> = RwLock::new(Vec::new());

/// The registration of a module's tables; dropping it removes them.
#[derive(Debug)]
pub struct Registration(Arc<ModuleTables>);

/// Makes the exception sites of `functions` (code in `code`) visible to throws, until the
/// registration is dropped. `None` when no function has a site.
pub fn register(code: Range<usize>, functions: Vec<FunctionSites>) -> Option<Registration> {
    if functions.iter().all(|f| f.sites.is_empty()) {
        return None;
    }
    let tables = Arc::new(ModuleTables { code, functions });
    let mut all = TABLES.write().unwrap_or_else(|e| e.into_inner());
    all.push(Arc::clone(&tables));
    Some(Registration(tables))
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut all = TABLES.write().unwrap_or_else(|e| e.into_inner());
        all.retain(|t| !Arc::ptr_eq(t, &self.0));
    }
}

/// Where a throw of `tag` resumes when the frame whose return address is `pc` catches it:
/// the handler's address and how far below the frame pointer the stack pointer goes.
pub fn find_handler(pc: usize, tag: u32) -> Option<(usize, u32)> {
    let all = TABLES.read().unwrap_or_else(|e| e.into_inner());
    let module = all.iter().find(|m| m.code.contains(&pc))?;
    let f = (module.functions.iter())
        .filter(|f| f.start <= pc)
        .max_by_key(|f| f.start)?;
    let ret = u32::try_from(pc - f.start).ok()?;
    let site = f.sites.iter().find(|s| s.ret_offset == ret)?;
    let handler = (site.handlers.iter()).find(|h| h.tag.is_none_or(|t| t == tag))?;
    Some((f.start + handler.offset as usize, site.sp_below_fp))
}

// `__cranelift_throw(entry_fp, fp, caller_fp, tag, payload1, payload2)`: replaces the third
// argument by the stub's return address (the pc in the thrower) and goes on in Rust with rsp
// as it was at the call (a `jmp`, so the Rust function sees an ordinary entry).
std::arch::global_asm!(
    ".pushsection .text.rulesel_cranelift_throw,\"ax\",@progbits",
    ".globl rulesel_cranelift_throw",
    ".p2align 4",
    "rulesel_cranelift_throw:",
    "mov rdx, [rsp]",
    "jmp {throw}",
    ".popsection",
    ".pushsection .text.rulesel_resume,\"ax\",@progbits",
    ".globl rulesel_resume",
    ".p2align 4",
    // rulesel_resume(pc = rdi, sp = rsi, fp = rdx, payload1 = rcx, payload2 = r8)
    "rulesel_resume:",
    "mov rsp, rsi",
    "mov rbp, rdx",
    "mov rax, rcx",
    "mov rdx, r8",
    "jmp rdi",
    ".popsection",
    throw = sym throw,
);

extern "C" {
    fn rulesel_cranelift_throw();
    fn rulesel_resume(pc: usize, sp: usize, fp: usize, payload1: u64, payload2: u64) -> !;
}

/// The address JIT code calls as `__cranelift_throw`.
pub fn throw_address() -> usize {
    rulesel_cranelift_throw as *const () as usize
}

/// The walk described in the module documentation; never returns.
extern "C" fn throw(
    entry_fp: usize,
    fp: usize,
    exit_pc: usize,
    tag: u32,
    payload1: u64,
    payload2: u64,
) -> ! {
    let (mut pc, mut fp) = (exit_pc, fp);
    let found = loop {
        if let Some((handler, sp_below_fp)) = find_handler(pc, tag) {
            break Some((handler, fp - sp_below_fp as usize));
        }
        if fp == entry_fp || fp == 0 || fp % 8 != 0 || fp > entry_fp {
            break None;
        }
        // SAFETY: `fp` is the frame pointer of a JIT frame below the entry frame: the saved
        // caller's rbp is at [fp] and the return address at [fp + 8].
        let (next_pc, next_fp) = unsafe { (*((fp + 8) as *const usize), *(fp as *const usize)) };
        if next_fp <= fp {
            break None;
        }
        (pc, fp) = (next_pc, next_fp);
    };
    match found {
        // SAFETY: the handler belongs to the frame at `fp`, which is live (it is between the
        // thrower and the entry frame); its stack pointer is the one the handler's code
        // expects. Nothing in this Rust frame needs dropping.
        Some((handler, sp)) => unsafe { rulesel_resume(handler, sp, fp, payload1, payload2) },
        None => {
            eprintln!("__cranelift_throw: no handler for tag {tag} between the thrower and the entry frame");
            // SAFETY: ud2 raises SIGILL, which the guarded call running the JIT code catches.
            unsafe { std::arch::asm!("ud2", options(noreturn)) }
        }
    }
}
