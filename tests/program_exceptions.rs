//! Exception tables in ELF objects: a program whose `try_call` catches what a C runtime throws,
//! the runtime finding the handler through the `rulesel_exceptions` section alone (its layout is
//! documented in `src/obj.rs`), three rulesel frames up from the thrower.

mod programs;
use programs::build_program_with;
use std::process::Command;

const PROGRAM: &str = "
function %thrower(i32) -> i32 {
    fn0 = %rulesel_throw(i32, i64, i64)

block0(v0: i32):
    v1 = icmp_imm sge v0, 2
    brif v1, block1, block2

block1:
    v2 = iadd_imm v0, 5
    v3 = iconst.i64 40
    v4 = iconst.i64 2
    call fn0(v2, v3, v4)
    v5 = iconst.i32 0
    return v5

block2:
    v6 = iconst.i32 3
    return v6
}

function %middle(i32) -> i32 {
    fn0 = %thrower(i32) -> i32

block0(v0: i32):
    v1 = call fn0(v0)
    v2 = iadd v1, v0
    return v2
}

function %catcher(i32) -> i32 {
    sig0 = (i32) -> i32
    fn0 = %middle(i32) -> i32

block0(v0: i32):
    v1 = iadd_imm v0, 1000
    try_call fn0(v0), sig0, block1(ret0), [ tag7: block2(exn0, exn1), default: block3(exn0) ]

block1(v2: i32):
    return v2

block2(v3: i64, v4: i64):
    v5 = iadd v3, v4
    v6 = ireduce.i32 v5
    return v6

block3(v7: i64):
    v8 = ireduce.i32 v7
    v9 = iadd_imm v8, 100
    v10 = isub v1, v0
    v11 = iadd v9, v10
    v12 = iadd_imm v11, -1000
    return v12
}

function %main(i32, i64) -> i32 {
    fn0 = %catcher(i32) -> i32

block0(v0: i32, v1: i64):
    v2 = call fn0(v0)
    return v2
}
";

fn exit_code(exe: &std::path::Path, args: &[&str]) -> i32 {
    let out = Command::new(exe).args(args).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    out.status.code().unwrap_or(-1)
}

#[test]
fn a_c_runtime_throws_through_three_frames_to_the_handler_its_table_names() {
    let runtime = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/programs/throw_runtime.c"
    );
    let exe = build_program_with("exceptions", PROGRAM, &[std::path::Path::new(runtime)]);
    // No throw: middle returns 3 + argc.
    assert_eq!(exit_code(&exe, &[]), 4);
    // argc 2 throws tag 7: exn0 + exn1 = 40 + 2.
    assert_eq!(exit_code(&exe, &["a"]), 42);
    // argc 3 throws tag 8: the default handler, exn0 + 100, with v1 - v0 still 1000.
    assert_eq!(exit_code(&exe, &["a", "b"]), 140);
}
