//! Unwinding through our frames: the system unwinder walks compiled code by its `.eh_frame`,
//! in a linked executable (glibc's `backtrace`) and in the JIT (a Rust panic raised in a host
//! callback crosses a JIT-compiled frame and is caught by `catch_unwind`).

mod programs;
use programs::run_program;
use rulesel::module::Module;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;

#[test]
fn backtrace_walks_compiled_frames() {
    // main → outer → inner → backtrace(): without unwind information for inner and outer the
    // walk stops inside inner. With it, it reaches main and the C runtime below it
    // (__libc_start_call_main, __libc_start_main, _start).
    let clif = "
function %inner(i32) -> i32 {
    ss0 = explicit_slot 512, align = 8
    fn0 = %backtrace(i64, i32) -> i32
block0(v0: i32):
    v1 = stack_addr.i64 ss0
    v2 = iconst.i32 64
    v3 = call fn0(v1, v2)
    v4 = iadd v3, v0
    return v4
}

function %outer(i32) -> i32 {
    fn0 = %inner(i32) -> i32
block0(v0: i32):
    v1 = call fn0(v0)
    v2 = iadd_imm v1, 0
    return v2
}

function %main() -> i32 {
    fn0 = %outer(i32) -> i32
block0:
    v0 = iconst.i32 0
    v1 = call fn0(v0)
    return v1
}";
    let frames = run_program("backtrace", clif, &[]).code;
    // inner, outer, main and two or three frames of the C runtime; a wrong description walks
    // into garbage and fills all 64 entries, a missing one stops early.
    assert!((5..=8).contains(&frames), "backtrace saw {frames} frames");
}

#[test]
fn gdb_backtrace_names_compiled_frames() {
    let Ok(version) = Command::new("gdb").arg("--version").output() else {
        eprintln!("gdb is not installed: skipping the debugger check");
        return;
    };
    assert!(version.status.success());
    let clif = "
function %leaf_caller(i32) -> i32 {
    fn0 = %abs(i32) -> i32
block0(v0: i32):
    v1 = call fn0(v0)
    v2 = iadd_imm v1, 1
    return v2
}

function %main() -> i32 {
    fn0 = %leaf_caller(i32) -> i32
block0:
    v0 = iconst.i32 -6
    v1 = call fn0(v0)
    return v1
}";
    let exe = programs::build_program("gdb_bt", clif);
    assert_eq!(Command::new(&exe).status().unwrap().code(), Some(7));
    let out = Command::new("gdb")
        .args([
            "-batch",
            "-nx",
            "-ex",
            "break abs",
            "-ex",
            "run",
            "-ex",
            "bt",
        ])
        .arg(&exe)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let frames: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    assert!(frames.len() >= 3, "{text}");
    assert!(frames[1].contains(" in leaf_caller ()"), "{text}");
    assert!(frames[2].contains(" in main ()"), "{text}");
}

#[test]
fn epilogues_are_described() {
    // Each function's rows as readelf interprets `.eh_frame` (both have frames: they call):
    // entry rsp+8, rsp+16 after
    // `push rbp`, rbp+16 after `mov rbp, rsp`, and rsp+8 again after `pop rbp`, one byte (the
    // `ret`) before the end of the function.
    let clif = "
function %twice(i32) -> i32 {
    fn0 = %abs(i32) -> i32
block0(v0: i32):
    v1 = call fn0(v0)
    v2 = iadd v1, v1
    return v2
}

function %main() -> i32 {
    fn0 = %twice(i32) -> i32
block0:
    v0 = iconst.i32 21
    v1 = call fn0(v0)
    return v1
}";
    let exe = programs::build_program("epilogue_cfi", clif);
    assert_eq!(Command::new(&exe).status().unwrap().code(), Some(42));
    let object = exe.with_extension("o");
    let out = Command::new("readelf")
        .arg("-wF")
        .arg(&object)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fdes = 0;
    for fde in text.split(" FDE ").skip(1) {
        fdes += 1;
        let end = fde
            .split("..")
            .nth(1)
            .and_then(|r| u64::from_str_radix(r.split_whitespace().next()?, 16).ok())
            .unwrap_or_else(|| panic!("no pc range in {fde}"));
        let rows: Vec<(u64, &str)> = (fde.lines())
            .filter_map(|l| {
                let mut cols = l.split_whitespace();
                let loc = u64::from_str_radix(cols.next()?, 16).ok()?;
                Some((
                    loc,
                    cols.next()
                        .filter(|c| c.starts_with("rsp") || c.starts_with("rbp"))?,
                ))
            })
            .collect();
        let cfas: Vec<&str> = rows.iter().map(|r| r.1).collect();
        assert_eq!(cfas, ["rsp+8", "rsp+16", "rbp+16", "rsp+8"], "{fde}");
        assert_eq!(rows[3].0 + 1, end, "rsp+8 from the ret on:\n{fde}");
    }
    assert_eq!(fdes, 2, "{text}");
}

extern "C-unwind" fn host_callback(x: i64) -> i64 {
    if x == 13 {
        panic!("unlucky {x}");
    }
    x * 2
}

#[test]
fn panic_in_host_callback_unwinds_through_jit_frame() {
    // %through calls the host back through a pointer and does work after the call, so its
    // frame is live (rbp set up, a callee-saved register holding v1) when the panic passes.
    let clif = "
function %through(i64, i64) -> i64 {
    sig0 = (i64) -> i64 system_v
block0(v0: i64, v1: i64):
    v2 = call_indirect sig0, v0(v1)
    v3 = iadd v2, v1
    return v3
}";
    let program = Module::from_clif(clif).unwrap().jit().unwrap();
    assert!(program.eh_frame().len() > 16);
    let addr = program.address_of("through").unwrap();
    type Through = extern "C-unwind" fn(extern "C-unwind" fn(i64) -> i64, i64) -> i64;
    // SAFETY: %through has this System V signature, and `program` outlives the calls.
    let through: Through = unsafe { std::mem::transmute(addr) };
    assert_eq!(through(host_callback, 5), 15);
    let caught = catch_unwind(AssertUnwindSafe(|| through(host_callback, 13)));
    let payload = caught.expect_err("the panic should reach catch_unwind");
    let message = payload.downcast_ref::<String>().map(String::as_str);
    assert_eq!(message, Some("unlucky 13"));
    // The JIT code is still usable after the unwind.
    assert_eq!(through(host_callback, 7), 21);
}
