//! Whole programs: CLIF → object → `cc` → run, checking output and exit code. Every program's
//! object is also disassembled (no `(bad)`) and has one FDE per function (see `programs`).

mod programs;
use programs::run_program;

fn exit_code(name: &str, clif: &str) -> i32 {
    let out = run_program(name, clif, &[]);
    assert_eq!(out.stdout, "", "{name}");
    out.code
}

#[test]
fn return_a_constant() {
    let clif = "
function %main() -> i32 {
block0:
    v0 = iconst.i32 42
    return v0
}";
    assert_eq!(exit_code("const", clif), 42);
}

#[test]
fn return_an_argument() {
    // main(argc, argv) returns argc: the program name plus three arguments.
    let clif = "
function %main(i32, i64) -> i32 {
block0(v0: i32, v1: i64):
    return v0
}";
    assert_eq!(run_program("argc", clif, &["a", "b", "c"]).code, 4);
}

#[test]
fn add_sub_mul() {
    // ((argc + 20) * 3 - 5) with argc = 1: 58.
    let clif = "
function %main(i32, i64) -> i32 {
block0(v0: i32, v1: i64):
    v2 = iadd_imm v0, 20
    v3 = iconst.i32 3
    v4 = imul v2, v3
    v5 = iconst.i32 5
    v6 = isub v4, v5
    return v6
}";
    assert_eq!(run_program("arith", clif, &[]).code, 58);
}

#[test]
fn if_else() {
    // argc > 2 ? 10 : 20
    let clif = "
function %main(i32, i64) -> i32 {
block0(v0: i32, v1: i64):
    v2 = icmp_imm sgt v0, 2
    brif v2, block1, block2
block1:
    v3 = iconst.i32 10
    jump block3(v3)
block2:
    v4 = iconst.i32 20
    jump block3(v4)
block3(v5: i32):
    return v5
}";
    assert_eq!(run_program("ifelse_no", clif, &[]).code, 20);
    assert_eq!(run_program("ifelse_yes", clif, &["x", "y"]).code, 10);
}

#[test]
fn while_and_for_loops() {
    // for (i = 0, s = 0; i < 10; i++) s += i;   then   while (s > 40) s -= 7;   → 45 → 38
    let clif = "
function %main() -> i32 {
block0:
    v0 = iconst.i32 0
    jump block1(v0, v0)
block1(v1: i32, v2: i32):
    v3 = icmp_imm slt v1, 10
    brif v3, block2, block3(v2)
block2:
    v4 = iadd v2, v1
    v5 = iadd_imm v1, 1
    jump block1(v5, v4)
block3(v6: i32):
    v7 = icmp_imm sgt v6, 40
    brif v7, block4, block5
block4:
    v8 = iadd_imm v6, -7
    jump block3(v8)
block5:
    return v6
}";
    assert_eq!(exit_code("loops", clif), 38);
}

#[test]
fn switch_through_br_table() {
    // switch (argc) { case 0: 10; case 1: 20; case 2: 30; default: 99 }
    let clif = "
function %main(i32, i64) -> i32 {
block0(v0: i32, v1: i64):
    br_table v0, block9, [block1, block2, block3]
block1:
    v2 = iconst.i32 10
    return v2
block2:
    v3 = iconst.i32 20
    return v3
block3:
    v4 = iconst.i32 30
    return v4
block9:
    v5 = iconst.i32 99
    return v5
}";
    assert_eq!(run_program("switch1", clif, &[]).code, 20);
    assert_eq!(run_program("switch2", clif, &["a"]).code, 30);
    assert_eq!(run_program("switch9", clif, &["a", "b", "c"]).code, 99);
}

#[test]
fn internal_calls_and_local_functions() {
    let clif = "
;! local %twice
function %twice(i32) -> i32 {
block0(v0: i32):
    v1 = iadd v0, v0
    return v1
}

function %main() -> i32 {
    fn0 = %twice(i32) -> i32
block0:
    v0 = iconst.i32 11
    v1 = call fn0(v0)
    v2 = call fn0(v1)
    return v2
}";
    assert_eq!(exit_code("calls", clif), 44);
}

#[test]
fn calls_with_ten_arguments() {
    // Four of the ten arguments go on the stack; each is weighted so that a misplaced one shows.
    let clif = "
function %weigh(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> i64 {
block0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64, v5: i64, v6: i64, v7: i64, v8: i64, v9: i64):
    v102 = iconst.i64 2
    v10 = imul v1, v102
    v103 = iconst.i64 3
    v11 = imul v2, v103
    v104 = iconst.i64 4
    v12 = imul v3, v104
    v105 = iconst.i64 5
    v13 = imul v4, v105
    v106 = iconst.i64 6
    v14 = imul v5, v106
    v107 = iconst.i64 7
    v15 = imul v6, v107
    v108 = iconst.i64 8
    v16 = imul v7, v108
    v109 = iconst.i64 9
    v17 = imul v8, v109
    v110 = iconst.i64 10
    v18 = imul v9, v110
    v19 = iadd v0, v10
    v20 = iadd v19, v11
    v21 = iadd v20, v12
    v22 = iadd v21, v13
    v23 = iadd v22, v14
    v24 = iadd v23, v15
    v25 = iadd v24, v16
    v26 = iadd v25, v17
    v27 = iadd v26, v18
    return v27
}

function %main() -> i32 {
    fn0 = %weigh(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> i64
block0:
    v0 = iconst.i64 1
    v1 = iconst.i64 0
    v2 = iconst.i64 2
    v3 = call fn0(v1, v1, v1, v1, v1, v1, v0, v1, v1, v2)
    v4 = ireduce.i32 v3
    return v4
}";
    // 7 * 1 + 10 * 2
    assert_eq!(exit_code("many_args", clif), 27);
}

#[test]
fn calls_with_float_arguments() {
    // scale(2.5, 3, 4.0) = (2.5 * 4.0) * 3 = 30
    let clif = "
function %scale(f64, i32, f32) -> f64 {
block0(v0: f64, v1: i32, v2: f32):
    v3 = fpromote.f64 v2
    v4 = fmul v0, v3
    v5 = fcvt_from_sint.f64 v1
    v6 = fmul v4, v5
    return v6
}

function %main() -> i32 {
    fn0 = %scale(f64, i32, f32) -> f64
block0:
    v0 = f64const 0x1.4p1
    v1 = iconst.i32 3
    v2 = f32const 0x1.0p2
    v3 = call fn0(v0, v1, v2)
    v4 = f64const 0x1.ep4
    v5 = fcmp eq v3, v4
    brif v5, block1, block2
block1:
    v6 = iconst.i32 30
    return v6
block2:
    v7 = iconst.i32 1
    return v7
}";
    assert_eq!(exit_code("float_args", clif), 30);
}

#[test]
fn recursion() {
    let clif = "
function %fib(i64) -> i64 {
    fn0 = %fib(i64) -> i64
block0(v0: i64):
    v1 = icmp_imm ult v0, 2
    brif v1, block2, block1
block1:
    v2 = iadd_imm v0, -1
    v3 = call fn0(v2)
    v4 = iadd_imm v0, -2
    v5 = call fn0(v4)
    v6 = iadd v3, v5
    return v6
block2:
    return v0
}

function %main() -> i32 {
    fn0 = %fib(i64) -> i64
block0:
    v0 = iconst.i64 13
    v1 = call fn0(v0)
    v2 = ireduce.i32 v1
    return v2
}";
    assert_eq!(exit_code("fib", clif), 233);
}

#[test]
fn loads_and_stores_of_every_width() {
    // Each width is stored to a stack slot and loaded back (sign- and zero-extending the narrow
    // ones); the sum of the checks' failures is the exit code.
    let clif = "
function %main() -> i32 {
    ss0 = explicit_slot 64, align = 16
block0:
    v0 = stack_addr.i64 ss0
    v1 = iconst.i64 -2
    istore8 v1, v0
    v2 = sload8.i64 v0
    v3 = uload8.i64 v0
    istore16 v1, v0+2
    v4 = sload16.i64 v0+2
    v5 = uload16.i64 v0+2
    istore32 v1, v0+4
    v6 = sload32.i64 v0+4
    v7 = uload32.i64 v0+4
    store v1, v0+8
    v8 = load.i64 v0+8
    v9 = f32const 0x1.8p1
    store v9, v0+16
    v10 = load.f32 v0+16
    v11 = f64const -0x1.4p3
    store v11, v0+24
    v12 = load.f64 v0+24
    v20 = icmp_imm ne v2, -2
    v21 = icmp_imm ne v3, 254
    v22 = icmp_imm ne v4, -2
    v23 = icmp_imm ne v5, 65534
    v24 = icmp_imm ne v6, -2
    v25 = icmp_imm ne v7, 0xffff_fffe
    v26 = icmp_imm ne v8, -2
    v27 = fcmp ne v10, v9
    v28 = fcmp ne v12, v11
    v30 = uextend.i32 v20
    v31 = uextend.i32 v21
    v32 = uextend.i32 v22
    v33 = uextend.i32 v23
    v34 = uextend.i32 v24
    v35 = uextend.i32 v25
    v36 = uextend.i32 v26
    v37 = uextend.i32 v27
    v38 = uextend.i32 v28
    v40 = iadd v30, v31
    v41 = iadd v40, v32
    v42 = iadd v41, v33
    v43 = iadd v42, v34
    v44 = iadd v43, v35
    v45 = iadd v44, v36
    v46 = iadd v45, v37
    v47 = iadd v46, v38
    return v47
}";
    assert_eq!(exit_code("widths", clif), 0);
}

#[test]
fn stack_locals() {
    // An array of 8 i32 in a stack slot: a[i] = i * i, then the sum (140).
    let clif = "
function %main() -> i32 {
    ss0 = explicit_slot 32
block0:
    v0 = iconst.i64 0
    jump block1(v0)
block1(v1: i64):
    v2 = icmp_imm slt v1, 8
    brif v2, block2, block3
block2:
    v3 = ireduce.i32 v1
    v4 = imul v3, v3
    v5 = stack_addr.i64 ss0
    v6 = ishl_imm v1, 2
    v7 = iadd v5, v6
    store v4, v7
    v8 = iadd_imm v1, 1
    jump block1(v8)
block3:
    v9 = iconst.i32 0
    jump block4(v0, v9)
block4(v10: i64, v11: i32):
    v12 = icmp_imm slt v10, 8
    brif v12, block5, block6
block5:
    v13 = stack_addr.i64 ss0
    v14 = ishl_imm v10, 2
    v15 = iadd v13, v14
    v16 = load.i32 v15
    v17 = iadd v11, v16
    v18 = iadd_imm v10, 1
    jump block4(v18, v17)
block6:
    return v11
}";
    assert_eq!(exit_code("locals", clif), 140);
}

#[test]
fn libc_calls() {
    // puts of a string built on the stack, then putchar of each digit of 1234.
    let clif = "
function %main() -> i32 {
    ss0 = explicit_slot 16
    fn0 = %puts(i64) -> i32
    fn1 = %putchar(i32) -> i32
block0:
    v0 = stack_addr.i64 ss0
    v1 = iconst.i64 0x0021_6f6c_6c65_68
    store v1, v0
    v2 = call fn0(v0)
    v3 = iconst.i32 49
    jump block1(v3)
block1(v4: i32):
    v5 = call fn1(v4)
    v6 = iadd_imm v4, 1
    v7 = icmp_imm sle v6, 52
    brif v7, block1(v6), block2
block2:
    v8 = iconst.i32 10
    v9 = call fn1(v8)
    v10 = iconst.i32 0
    return v10
}";
    let out = run_program("libc", clif, &[]);
    assert_eq!(out.stdout, "hello!\n1234\n");
    assert_eq!(out.code, 0);
}

#[test]
fn data_objects_with_relocations() {
    // A writable table of pointers into a read-only string; main prints the second entry with
    // puts, then the first with fputs to libc's `stdout` (not colocated: reached through the
    // GOT), and counts in a zero-initialised counter.
    let clif = r#"
;! data local %msg = "hello from data\n\0"
;! data mut %ptrs align 8 = [ptr %msg, ptr %msg + 6]
;! data mut local %counter zeros 8 align 8
function %main() -> i32 {
    gv0 = symbol colocated %ptrs
    gv1 = symbol colocated %counter
    gv2 = symbol %stdout
    fn0 = %puts(i64) -> i32
    fn1 = %fputs(i64, i64) -> i32
block0:
    v0 = symbol_value.i64 gv0
    v1 = load.i64 v0+8
    v2 = call fn0(v1)
    v7 = symbol_value.i64 gv2
    v8 = load.i64 v7
    v9 = load.i64 v0
    v10 = call fn1(v9, v8)
    v3 = symbol_value.i64 gv1
    v4 = load.i64 v3
    v5 = iadd_imm v4, 5
    store v5, v3
    v6 = load.i32 v3
    return v6
}"#;
    let out = run_program("data", clif, &[]);
    assert_eq!(out.stdout, "from data\n\nhello from data\n");
    assert_eq!(out.code, 5);
}

#[test]
fn outline_stack_probes_in_objects() {
    // A 1 MiB frame with outline probes: the object carries its own local
    // __cranelift_probestack (one more function, one more FDE), and the program runs.
    let clif = "
set enable_probestack=true
set probestack_strategy=outline
function %main() -> i32 {
    ss0 = explicit_slot 1048576
block0:
    v0 = stack_addr.i64 ss0
    v1 = iconst.i32 9
    store v1, v0+1000000
    v2 = load.i32 v0+1000000
    return v2
}";
    assert_eq!(exit_code("probestack", clif), 9);
}

#[test]
fn addresses_of_functions() {
    // puts (in libc, through the GOT) and a local function (PC-relative) called by address.
    let clif = "
;! local %seven
function %seven() -> i32 {
block0:
    v0 = iconst.i32 7
    return v0
}

function %main() -> i32 {
    fn0 = %puts(i64) -> i32
    fn1 = colocated %seven() -> i32
    sig2 = (i64) -> i32
    sig3 = () -> i32
    ss0 = explicit_slot 8
block0:
    v0 = func_addr.i64 fn0
    v1 = stack_addr.i64 ss0
    v2 = iconst.i64 0x0069_6820
    store v2, v1
    v3 = call_indirect sig2, v0(v1)
    v4 = func_addr.i64 fn1
    v5 = call_indirect sig3, v4()
    return v5
}";
    let out = run_program("func_addr", clif, &[]);
    assert_eq!(out.stdout, " hi\n");
    assert_eq!(out.code, 7);
}
