//! Round trips of the constructs the shared run tests use, in canonical printed form.

use super::*;
use crate::ir::verifier::verify_function;

/// Parses `text`, verifies it, and checks it prints back unchanged.
fn round_trip(text: &str) {
    let funcs = parse_functions(text).unwrap_or_else(|e| panic!("{e}"));
    let mut printed = String::new();
    for f in &funcs {
        if let Err(errors) = verify_function(f) {
            panic!("{}", errors[0]);
        }
        printed += &f.to_string();
    }
    assert_eq!(printed, text);
}

#[test]
fn preamble_declarations() {
    round_trip(
        "function u1:2(i64 vmctx, i32 uext, i8 sext) -> i64 system_v {
    ss0 = explicit_slot 16, align = 16
    ss1 = explicit_slot 8
    gv0 = vmctx
    gv1 = load.i64 notrap aligned readonly gv0+8
    gv2 = iadd_imm.i64 gv1, 16
    gv3 = symbol colocated tls %tls_var+4
    sig0 = (i64) -> i64 tail
    sig1 = (i64 sret, i32) windows_fastcall
    fn0 = colocated %callee sig0
    fn1 = u0:7 sig1
    const0 = 0x00110022003300440055006600770088
    stack_limit = gv2

block0(v0: i64, v1: i32, v2: i8):
    v3 = global_value.i64 gv1
    v4 = stack_addr.i64 ss0+8
    v5 = call fn0(v3)
    call fn1(v4, v1)
    v6 = func_addr.i64 fn0
    v7 = call_indirect sig0, v6(v5)
    v8 = vconst.i16x8 const0
    return v7
}
",
    );
}

#[test]
fn control_flow_and_aliases() {
    round_trip(
        "function %f(i32, i64) -> i64 fast {
    sig0 = (i64) -> i64 tail
    fn0 = %g sig0

block0(v0: i32, v1: i64):
    v2 -> v1
    br_table v0, block3(v2), [block1, block2(v1, v1)]

block1:
    try_call fn0(v1), sig0, block3(ret0), [ tag1: block4(exn0, exn1), default: block4(exn0, exn1) ]

block2(v3: i64, v4: i64):
    v5 = iadd v3, v4
    brif.i32 v0, block3(v5), block1

block3(v6: i64) cold:
    return v6

block4(v7: i64, v8: i64):
    trap user7
}
",
    );
}

#[test]
fn memory_atomics_and_vectors() {
    round_trip(
        r#"function %f(i64, i32x4, f64) -> i8x16 fast {
    region0 = 7 "heap"

block0(v0: i64, v1: i32x4, v2: f64):
    v3 = load.i32 notrap aligned little v0-4
    store big region0 v3, v0+16
    v4 = atomic_rmw.i32 little xchg v0, v3
    v5 = atomic_cas v0, v3, v4
    v6 = uload8.i64 user3 v0
    istore16 v6, v0
    v7 = extractlane v1, 3
    v8 = insertlane v1, v7, 0
    v9 = bitcast.i8x16 little v8
    v10 = shuffle v9, v9, [0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31]
    v11 = f64const -0x1.8000000000000p1
    v12 = fcmp uno v2, v11
    v13 = icmp_imm ult v6, 10
    v14 = iconst.i8 255
    v15, v16 = uadd_overflow v14, v14
    v17 = uadd_overflow_trap v3, v3, int_ovf
    trapnz v16, user1
    return v10
}
"#,
    );
}

#[test]
fn text_numbers_are_kept_and_literals_normalised() {
    let text = "function %f() -> i8 {\nblock5:\n  v9 = iconst.i8 -1\n  v7 = vconst.i32x4 [1 2 3 -1]\n  return v9\n}";
    let f = &parse_functions(text).unwrap()[0];
    let printed = f.to_string();
    assert!(printed.contains("block5:"), "{printed}");
    assert!(printed.contains("v9 = iconst.i8 255"), "{printed}");
    assert!(
        printed.contains("const0 = 0xffffffff000000030000000200000001"),
        "{printed}"
    );
    assert_eq!(
        f.source_locs.insts[f.layout.block_insts(f.layout.blocks()[0])[1]]
            .unwrap()
            .line,
        4
    );
}

#[test]
fn headers_keep_their_order() {
    let file = parse_test_file(
        "test run\nset opt_level=speed\ntarget x86_64 sse41 has_avx\nset enable_llvm_abi_extensions ; why\ntarget aarch64\n",
    )
    .unwrap();
    let shown: Vec<String> = file.headers.iter().map(|h| h.to_string()).collect();
    assert_eq!(
        shown,
        [
            "test run",
            "set opt_level=speed",
            "target x86_64 sse41 has_avx",
            "set enable_llvm_abi_extensions",
            "target aarch64"
        ]
    );
}

#[test]
fn cranelift_constructs_beyond_the_run_tests() {
    // Alias regions, source locations, debug tags, patchable references, slot keys, user stack
    // maps, exception-table contexts, `uload32` without a suffix, the `winch` and
    // `preserve_all` conventions: each kept and printed back as written.
    round_trip(
        r#"function u0:919(i64 vmctx, i64, i32) -> i64 tail {
    ss0 = explicit_slot 16, align = 8, key = 42
    region0 = 8 "VMContext+0x8"
    region1 = 134217728 "PublicMemory"
    gv0 = vmctx
    gv1 = load.i64 notrap aligned readonly can_move region0 gv0+8
    sig0 = (i64 vmctx, i64) -> i64 tail
    sig1 = (i64) preserve_all
    sig2 = (i64) -> i64 winch
    fn0 = colocated patchable u0:12 sig0
    fn1 = %helper sig1

                                block0(v0: i64, v1: i64, v2: i32):
@4fa34                              v3 = uextend.i64 v2
@4fa34                              v4 = uload32 little region1 v3
<ss0, 7>                            v5 = sload32 v3+4
<1> @4fa37                          call fn1(v4), stack_map=[i64 @ ss0+0, i32 @ ss0+8]
@4fa38                              try_call fn0(v0, v1), sig0, block1(ret0), [ context v0, tag1: block2(exn0), default: block2(exn1) ]

                                block1(v7: i64):
@4fa39                              v8 = iadd v7, v5
@4fa39                              sequence_point
@4fa3a                              return v8

                                block2(v10: i64) cold:
@4fa3b                              return v10
}
"#,
    );
}
