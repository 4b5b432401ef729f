//! Prologues with stack probes and stack-limit checks, encoded and run for real: a C driver
//! gives the generated function a stack whose pages below the top are inaccessible, like an
//! operating system's guard page. Its SIGSEGV handler opens one page at a time and insists that
//! each fault is on the page right below the lowest open one, so a probe sequence that skips a
//! page, or touches pages out of order, fails the test.

use std::path::PathBuf;
use std::process::Command;

use rulesel::ir::{CallConv, Signature};
use rulesel::isa::x64::abi::emit::emit_frame_insts;
use rulesel::isa::x64::abi::frame::{FrameLayout, FrameRequest, StackSlotSpec};
use rulesel::isa::x64::abi::prologue::{
    epilogue, prologue, FrameInst, StackLimit, PROBESTACK_SYMBOL,
};
use rulesel::isa::x64::abi::AbiLayout;
use rulesel::isa::x64::encode::X64Buffer;
use rulesel::isa::x64::regs::{RDI, RSP};
use rulesel::machinst::buffer::{RelocKind, SymbolId};
use rulesel::module::Module;
use rulesel::settings::{Flags, ProbestackStrategy};

const PAGE: u32 = 4096;
const PROBESTACK: SymbolId = SymbolId(0);

/// The C side: a guarded stack, the fault handler, and a trampoline onto that stack.
const DRIVER: &str = r#"
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void f(uint64_t limit);
void call_on_stack(void (*fn)(uint64_t), char *sp, uint64_t arg);

enum { PAGES = 100 };
static char *region, *lowest_open;
static long faults;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    (void)sig; (void)ctx;
    char *page = (char *)((uintptr_t)si->si_addr & ~(uintptr_t)4095);
    if (page != lowest_open - 4096 || page < region) {
        static const char msg[] = "fault out of order\n";
        write(2, msg, sizeof msg - 1);
        _exit(3);
    }
    mprotect(page, 4096, PROT_READ | PROT_WRITE);
    lowest_open = page;
    faults++;
}

static void on_sigill(int sig) {
    (void)sig;
    static const char msg[] = "trap\n";
    write(1, msg, sizeof msg - 1);
    _exit(4);
}

/* argv: guarded (1) or all open (0); frame size below rbp; slack added to the tightest limit
   that still fits, or "none" for no limit. */
int main(int argc, char **argv) {
    if (argc != 4) return 2;
    int guarded = atoi(argv[1]);
    long size = atol(argv[2]);
    region = mmap(NULL, PAGES * 4096L, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return 2;
    char *end = region + PAGES * 4096L;
    lowest_open = end - 4096;
    if (guarded) mprotect(region, (PAGES - 1) * 4096L, PROT_NONE);

    stack_t alt = { .ss_sp = malloc(1 << 16), .ss_size = 1 << 16, .ss_flags = 0 };
    sigaltstack(&alt, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    signal(SIGILL, on_sigill);

    char *sp = end - 64;
    /* call pushes the return address, the prologue pushes rbp: the frame starts below. */
    uint64_t new_sp = (uint64_t)(sp - 16 - size);
    uint64_t limit = strcmp(argv[3], "none") == 0 ? 0 : new_sp + atol(argv[3]);
    call_on_stack(f, sp, limit);
    printf("%ld %ld\n", faults, (long)(end - 4096 - lowest_open) / 4096);
    return 0;
}
"#;

/// Everything but `f`: the trampoline and an outline probe function with the usual contract
/// (size in rax; touches every page from the top down; clobbers r11 and flags; rsp unchanged).
const SUPPORT_ASM: &str = r#"
.text
.globl call_on_stack
call_on_stack:
    push %rbp
    mov %rsp, %rbp
    mov %rsi, %rsp
    mov %rdi, %rax
    mov %rdx, %rdi
    call *%rax
    mov %rbp, %rsp
    pop %rbp
    ret

.globl __cranelift_probestack
__cranelift_probestack:
    mov %rax, %r11
1:  cmp $0x1000, %r11
    jbe 2f
    sub $0x1000, %rsp
    orq $0, 8(%rsp)
    sub $0x1000, %r11
    jmp 1b
2:  sub %r11, %rsp
    orq $0, 8(%rsp)
    add %rax, %rsp
    ret
.section .note.GNU-stack,"",@progbits
"#;

/// `void f(uint64_t limit)`: a frame of `size` bytes (prologue with probes and an optional
/// stack-limit check on rdi), a store to the lowest byte of the frame, and the epilogue.
fn function_asm(size: u32, flags: &Flags, with_limit: bool) -> String {
    let abi = AbiLayout::compute(&Signature::new(CallConv::SystemV), flags).unwrap();
    let slots = [StackSlotSpec { size, align: 16 }];
    let req = FrameRequest {
        stack_slots: &slots,
        spill_slots: 0,
        outgoing_area_size: 0,
        clobbered: regalloc2::PRegSet::empty(),
        is_leaf: true,
        tail_call_args_size: 0,
    };
    let frame = FrameLayout::compute(&abi, &req, flags).unwrap();
    assert_eq!(frame.size_below_fp(), size);
    let limit = StackLimit {
        base: RDI,
        steps: vec![],
    };
    let mut seq = prologue(&frame, flags, with_limit.then_some(&limit));
    seq.push(FrameInst::Store {
        src: RSP,
        base: RSP,
        disp: 0,
    });
    seq.extend(epilogue(&frame).unwrap());
    let mut buf = X64Buffer::new();
    emit_frame_insts(&seq, &mut buf, PROBESTACK, &frame).unwrap();
    let code = buf.finish().unwrap();

    let mut asm = String::from(".text\n.globl f\nf:\n");
    let mut at = 0usize;
    for reloc in &code.relocs {
        assert_eq!(
            (reloc.kind, reloc.symbol),
            (RelocKind::CallPlt4, PROBESTACK)
        );
        let bytes = &code.bytes[at..reloc.offset as usize];
        if !bytes.is_empty() {
            asm += &format!(".byte {}\n", join(bytes));
        }
        asm += &format!(".long {PROBESTACK_SYMBOL} + ({}) - .\n", reloc.addend);
        at = reloc.offset as usize + 4;
    }
    if at < code.bytes.len() {
        asm += &format!(".byte {}\n", join(&code.bytes[at..]));
    }
    asm + ".section .note.GNU-stack,\"\",@progbits\n"
}

fn join(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:#04x}"))
        .collect::<Vec<_>>()
        .join(",")
}

struct Program {
    dir: PathBuf,
}

impl Program {
    fn build(name: &str, f_asm: &str) -> Program {
        Program::build_with(name, "f.s", f_asm.as_bytes())
    }

    /// Links the driver with `f` from the file `f_file` (assembly or an object) of `contents`.
    fn build_with(name: &str, f_file: &str, contents: &[u8]) -> Program {
        let dir =
            std::env::temp_dir().join(format!("rulesel-abi-run-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.c"), DRIVER).unwrap();
        std::fs::write(dir.join("support.s"), SUPPORT_ASM).unwrap();
        std::fs::write(dir.join(f_file), contents).unwrap();
        let status = Command::new("cc")
            .args(["-O1", "-o"])
            .arg(dir.join("prog"))
            .arg(dir.join("main.c"))
            .arg(dir.join("support.s"))
            .arg(dir.join(f_file))
            .status()
            .expect("a C compiler is installed");
        assert!(status.success(), "cc failed for {name}");
        Program { dir }
    }

    /// Runs the program; returns the exit code and what it printed.
    fn run(&self, guarded: bool, size: u32, slack: &str) -> (i32, String) {
        let out = Command::new(self.dir.join("prog"))
            .arg(if guarded { "1" } else { "0" })
            .arg(size.to_string())
            .arg(slack)
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        (
            code,
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        )
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn probing(strategy: ProbestackStrategy) -> Flags {
    Flags {
        enable_probestack: true,
        probestack_strategy: strategy,
        ..Flags::default()
    }
}

#[test]
fn probes_touch_every_page_in_order_from_the_top() {
    for strategy in [ProbestackStrategy::Inline, ProbestackStrategy::Outline] {
        for pages in [1u32, 4, 5, 64] {
            let size = pages * PAGE;
            let name = format!("{strategy:?}-{pages}");
            let program = Program::build(&name, &function_asm(size, &probing(strategy), false));
            let (code, out) = program.run(true, size, "none");
            // The frame's lowest byte is 16 bytes below a page boundary (see the driver), so a
            // frame of n pages reaches n pages below the open top page.
            assert_eq!(
                (code, out.as_str()),
                (0, format!("{pages} {pages}").as_str()),
                "{name}"
            );
        }
    }
}

/// `f` compiled from CLIF by rulesel: a `pages`-page explicit slot whose lowest byte is stored
/// to, under `enable_probestack` with `strategy`, as an object from the module API.
fn compiled_f(pages: u32, strategy: &str) -> Vec<u8> {
    compiled_f_with(
        pages,
        &format!("set enable_probestack=true\nset probestack_strategy={strategy}"),
    )
}

fn compiled_f_with(pages: u32, settings: &str) -> Vec<u8> {
    let clif = format!(
        "{settings}
target x86_64

function %f(i64) system_v {{
    ss0 = explicit_slot {size}, align = 16
block0(v0: i64):
    v1 = iconst.i8 1
    stack_store v1, ss0
    return
}}",
        size = pages * PAGE
    );
    Module::from_clif(&clif).unwrap().finish_object().unwrap()
}

#[test]
fn compiled_functions_probe_every_page_in_order_from_the_top() {
    for strategy in ["inline", "outline"] {
        for pages in [1u32, 4, 5, 64] {
            let name = format!("compiled-{strategy}-{pages}");
            let program = Program::build_with(&name, "f.o", &compiled_f(pages, strategy));
            let (code, out) = program.run(true, pages * PAGE, "none");
            assert_eq!(
                (code, out.as_str()),
                (0, format!("{pages} {pages}").as_str()),
                "{name}"
            );
        }
    }
    // The control: compiled without probes, the same 5-page frame jumps over the guard.
    let program = Program::build_with("compiled-unprobed", "f.o", &compiled_f_with(5, ""));
    assert_eq!(program.run(true, 5 * PAGE, "none").0, 3);
}

#[test]
fn without_probes_a_large_frame_skips_the_guard_page() {
    // The control: the driver's check does catch a frame that jumps over pages.
    let size = 5 * PAGE;
    let program = Program::build("unprobed", &function_asm(size, &Flags::default(), false));
    assert_eq!(program.run(true, size, "none").0, 3);
    // One page needs no probe: the first touch is on the page right below.
    let program = Program::build("small", &function_asm(PAGE - 16, &Flags::default(), false));
    assert_eq!(program.run(true, PAGE - 16, "none"), (0, "1 1".to_string()));
}

#[test]
fn stack_limit_check_traps_when_the_frame_would_cross_the_limit() {
    for size in [64u32, 4096, 48 * 1024] {
        let program = Program::build(
            &format!("limit-{size}"),
            &function_asm(size, &Flags::default(), true),
        );
        // The limit exactly at the new stack pointer, or below it: runs.
        assert_eq!(program.run(false, size, "0").0, 0, "{size}");
        assert_eq!(program.run(false, size, "-4096").0, 0, "{size}");
        // One byte above: the frame would cross it.
        assert_eq!(
            program.run(false, size, "1"),
            (4, "trap".to_string()),
            "{size}"
        );
        assert_eq!(program.run(false, size, "65536").0, 4, "{size}");
    }
}
