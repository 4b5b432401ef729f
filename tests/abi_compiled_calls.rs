//! Calls across the C and Rust boundary with functions compiled from CLIF by rulesel: many mixed
//! integer and float arguments (narrow ones extended, i128 halves, more than fit in registers)
//! under `system_v` and `windows_fastcall`, in both directions, all checked by value. Under
//! Windows x64 the i128s become i64s: rulesel passes an i128 there as Cranelift does (two
//! halves), GCC and LLVM 18+ by reference.
//!
//! - `%recv*` stores each argument into a 16-byte slot of the buffer it is given; its caller (a C
//!   program linked with the object, or Rust through the JIT) checks every slot.
//! - `%send*` calls a C function with constants; the C function checks every argument and
//!   returns a mask of the ones that matched, which `%send*` returns.

mod abi_support;

use abi_support::Program;
use rulesel::module::Module;

/// One parameter: CLIF type and extension, C type, Rust type, and the value passed (as a C and
/// Rust literal, and as the CLIF constant).
struct Param {
    clif: &'static str,
    c: &'static str,
    rust: &'static str,
    value: &'static str,
}

const fn p(clif: &'static str, c: &'static str, rust: &'static str, value: &'static str) -> Param {
    Param {
        clif,
        c,
        rust,
        value,
    }
}

/// 20 parameters: 13 integer words (two i128) and 9 floats, more than either register file
/// holds under both conventions. (The first i128 takes the last two System V registers: one
/// that went to the stack with a register left would be where Cranelift, which rulesel
/// follows, and GCC part ways.)
const PARAMS: [Param; 20] = [
    p("i8 uext", "uint8_t", "u8", "0xa5"),
    p("i16 sext", "int16_t", "i16", "-12345"),
    p("i32", "int32_t", "i32", "-559038737"),
    p(
        "i128",
        "__int128",
        "i128",
        "0x01020304050607081112131415161718",
    ),
    p("f32", "float", "f32", "1.5"),
    p("f64", "double", "f64", "-22500000000.0"),
    p("i64", "int64_t", "i64", "0x123456789abcdef0"),
    p("i8 sext", "int8_t", "i8", "-100"),
    p("i16 uext", "uint16_t", "u16", "0xbeef"),
    p("f64", "double", "f64", "3.125"),
    p("f32", "float", "f32", "-0.75"),
    p("i64", "int64_t", "i64", "-7"),
    p("i32 sext", "int32_t", "i32", "-42"),
    p("f64", "double", "f64", "1e-300"),
    p("i128", "__int128", "i128", "-0x7ffffffffffffff9"),
    p("f32", "float", "f32", "65536.5"),
    p("i64", "int64_t", "i64", "0x7fffffff00000003"),
    p("f64", "double", "f64", "0.1"),
    p("f64", "double", "f64", "6.5"),
    p("f64", "double", "f64", "1e300"),
];

fn clif_type(param: &Param) -> &'static str {
    param.clif.split(' ').next().unwrap()
}

/// The value as a C expression of the parameter's type (C has no 128-bit literals).
fn c_value(param: &Param) -> String {
    match param.c {
        "__int128" => format!("(__int128)({})", i128_halves_c(param.value)),
        "float" => format!("{}f", param.value),
        "int64_t" => format!("(int64_t){}ll", param.value),
        _ => format!("({}){}", param.c, param.value),
    }
}

fn i128_value(text: &str) -> i128 {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let v = i128::from_str_radix(digits.trim_start_matches("0x"), 16).unwrap();
    if neg {
        -v
    } else {
        v
    }
}

fn i128_halves_c(text: &str) -> String {
    let v = i128_value(text) as u128;
    format!(
        "((unsigned __int128)0x{:x}ull << 64 | 0x{:x}ull)",
        (v >> 64) as u64,
        v as u64
    )
}

/// The CLIF instructions that make the value in `v{n}`: i128 from two i64 halves, floats from
/// their bits (CLIF float literals are hexadecimal).
fn clif_constant(param: &Param, n: usize) -> String {
    let (lo, hi) = (n + 100, n + 200);
    match clif_type(param) {
        "i128" => {
            let v = i128_value(param.value) as u128;
            format!(
                "    v{lo} = iconst.i64 {:#x}\n    v{hi} = iconst.i64 {:#x}\n    v{n} = iconcat v{lo}, v{hi}\n",
                v as u64,
                (v >> 64) as u64,
            )
        }
        "f32" => format!(
            "    v{lo} = iconst.i32 {:#x}\n    v{n} = bitcast.f32 v{lo}\n",
            param.value.parse::<f32>().unwrap().to_bits()
        ),
        "f64" => format!(
            "    v{lo} = iconst.i64 {:#x}\n    v{n} = bitcast.f64 v{lo}\n",
            param.value.parse::<f64>().unwrap().to_bits()
        ),
        ty => format!("    v{n} = iconst.{ty} {}\n", param.value),
    }
}

/// The parameters under convention `cc`: [`PARAMS`], with i64s for the i128s under Windows.
fn params(cc: &str) -> Vec<Param> {
    PARAMS
        .iter()
        .map(|q| match (cc, q.clif) {
            ("windows_fastcall", "i128") => p(
                "i64",
                "int64_t",
                "i64",
                if q.value.starts_with('-') {
                    "-0x7ffffffffffffff9"
                } else {
                    "0x1112131415161718"
                },
            ),
            _ => p(q.clif, q.c, q.rust, q.value),
        })
        .collect()
}

fn clif_params(params: &[Param]) -> String {
    let all: Vec<&str> = params.iter().map(|p| p.clif).collect();
    all.join(", ")
}

/// `%{name}(i64 buf, PARAMS...) -> i64`: stores argument `i` at `buf + 16 * i` and returns
/// 0x600d.
fn recv_clif(name: &str, cc: &str) -> String {
    let params = params(cc);
    let mut s = format!(
        "function %{name}(i64, {}) -> i64 {cc} {{\n",
        clif_params(&params)
    );
    let values: Vec<String> = (1..=params.len())
        .map(|i| format!("v{i}: {}", clif_type(&params[i - 1])))
        .collect();
    s += &format!("block0(v0: i64, {}):\n", values.join(", "));
    for i in 1..=params.len() {
        s += &format!("    store notrap v{i}, v0+{}\n", 16 * (i - 1));
    }
    s += "    v99 = iconst.i64 0x600d\n    return v99\n}\n";
    s
}

/// `%{name}() -> i64`: calls C function `%{callee}` (convention `cc`) with the parameter values
/// and returns its result.
fn send_clif(name: &str, callee: &str, cc: &str) -> String {
    let params = params(cc);
    let mut s = format!(
        "function %{name}() -> i64 system_v {{\n    fn0 = %{callee}({}) -> i64 {cc}\nblock0:\n",
        clif_params(&params)
    );
    for (i, param) in params.iter().enumerate() {
        s += &clif_constant(param, i + 1);
    }
    let args: Vec<String> = (1..=params.len()).map(|i| format!("v{i}")).collect();
    s += &format!(
        "    v99 = call fn0({})\n    return v99\n}}\n",
        args.join(", ")
    );
    s
}

/// Both receiving functions, and with `senders` both sending ones (which need the C program).
fn module_clif(senders: bool) -> String {
    let mut functions = vec![
        recv_clif("recv_sysv", "system_v"),
        recv_clif("recv_win", "windows_fastcall"),
    ];
    if senders {
        functions.push(send_clif("send_sysv", "check_sysv", "system_v"));
        functions.push(send_clif("send_win", "check_win", "windows_fastcall"));
    }
    format!(
        "set enable_llvm_abi_extensions=true\ntarget x86_64\n\n{}",
        functions.join("\n")
    )
}

/// The C program: calls both `recv` functions and checks every slot, defines both `check`
/// functions (which report each mismatching argument), calls both `send` functions.
fn c_program() -> String {
    let mut s = String::from(
        "#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n\n\
         typedef struct { _Alignas(16) unsigned char b[16]; } slot;\n\
         static int failures;\n\
         #define EXPECT_SLOT(buf, i, type, value) do { type want = value; \\\n\
             if (memcmp(&(buf)[i], &want, sizeof want) != 0) { \\\n\
                 printf(\"%s: argument %d arrived wrong\\n\", __func__, i); failures++; } } while (0)\n\n",
    );
    for (name, attr, cc) in [
        ("sysv", "", "system_v"),
        ("win", "__attribute__((ms_abi)) ", "windows_fastcall"),
    ] {
        let params = params(cc);
        let c_params: Vec<String> = (params.iter().enumerate())
            .map(|(i, p)| format!("{} a{i}", p.c))
            .collect();
        let c_params = c_params.join(", ");
        let c_args: Vec<String> = params.iter().map(c_value).collect();
        let c_args = c_args.join(", ");
        s += &format!("{attr}int64_t recv_{name}(slot *buf, {c_params});\n");
        s += &format!("int64_t send_{name}(void);\n");
        s += &format!("{attr}int64_t check_{name}({c_params}) {{\n    int64_t mask = 0;\n");
        for (i, param) in params.iter().enumerate() {
            s += &format!(
                "    if (a{i} == {}) mask |= 1ll << {i}; else printf(\"check_{name}: argument {i} arrived wrong\\n\");\n",
                c_value(param)
            );
        }
        s += "    return mask;\n}\n";
        s += &format!(
            "static void run_{name}(void) {{\n    slot buf[{n}];\n    memset(buf, 0xcc, sizeof buf);\n    \
             if (recv_{name}(buf, {c_args}) != 0x600d) {{ printf(\"recv_{name}: bad result\\n\"); failures++; }}\n",
            n = params.len()
        );
        for (i, param) in params.iter().enumerate() {
            s += &format!(
                "    EXPECT_SLOT(buf, {i}, {}, {});\n",
                param.c,
                c_value(param)
            );
        }
        s += &format!(
            "    int64_t mask = send_{name}();\n    if (mask != (1ll << {n}) - 1) {{ printf(\"send_{name}: mask %llx\\n\", (long long)mask); failures++; }}\n}}\n",
            n = params.len()
        );
    }
    s += "int main(void) {\n    run_sysv();\n    run_win();\n    printf(\"failures %d\\n\", failures);\n    return 0;\n}\n";
    s
}

#[test]
fn c_calls_compiled_functions_and_compiled_functions_call_c_with_many_mixed_arguments() {
    let object = Module::from_clif(&module_clif(true))
        .unwrap()
        .finish_object()
        .unwrap();
    let program =
        Program::build_with_objects("compiled-calls", &c_program(), &[("gen.o", object)], "");
    assert_eq!(program.run(), "failures 0");
}

type Slot = [u8; 16];

/// The bytes argument `i` should have left in its slot (the low bytes of the slot).
fn expected_bytes(param: &Param) -> Vec<u8> {
    match param.rust {
        "u8" => (i128_or_int(param.value) as u8).to_le_bytes().to_vec(),
        "i8" => (i128_or_int(param.value) as i8).to_le_bytes().to_vec(),
        "u16" => (i128_or_int(param.value) as u16).to_le_bytes().to_vec(),
        "i16" => (i128_or_int(param.value) as i16).to_le_bytes().to_vec(),
        "i32" => (i128_or_int(param.value) as i32).to_le_bytes().to_vec(),
        "i64" => (i128_or_int(param.value) as i64).to_le_bytes().to_vec(),
        "i128" => i128_or_int(param.value).to_le_bytes().to_vec(),
        "f32" => param.value.parse::<f32>().unwrap().to_le_bytes().to_vec(),
        _ => param.value.parse::<f64>().unwrap().to_le_bytes().to_vec(),
    }
}

fn i128_or_int(text: &str) -> i128 {
    if text.trim_start_matches('-').starts_with("0x") {
        i128_value(text)
    } else {
        text.parse().unwrap()
    }
}

fn check_slots(buf: &[Slot], who: &str, params: &[Param]) {
    for (i, param) in params.iter().enumerate() {
        let want = expected_bytes(param);
        assert_eq!(
            &buf[i][..want.len()],
            &want[..],
            "{who}: argument {i} ({})",
            param.clif
        );
    }
}

macro_rules! recv_type {
    ($abi:literal, $wide:ty) => {
        unsafe extern $abi fn(
            *mut Slot, u8, i16, i32, $wide, f32, f64, i64, i8, u16, f64, f32, i64, i32, f64,
            $wide, f32, i64, f64, f64, f64,
        ) -> i64
    };
}

#[test]
fn rust_calls_compiled_functions_through_extern_c_and_win64() {
    // The Rust signature above spells PARAMS; keep them in step.
    let rust: Vec<&str> = PARAMS.iter().map(|p| p.rust).collect();
    assert_eq!(
        rust.join(","),
        "u8,i16,i32,i128,f32,f64,i64,i8,u16,f64,f32,i64,i32,f64,i128,f32,i64,f64,f64,f64"
    );
    let program = Module::from_clif(&module_clif(false))
        .unwrap()
        .jit()
        .unwrap();
    // Calls the compiled function `$name` as an `extern $abi` Rust function with the values of
    // the convention's parameters (i128s of type `$wide`); every argument must land in its slot
    // of the buffer.
    macro_rules! call_and_check {
        ($name:literal, $abi:literal, $cc:literal, $wide:ty) => {{
            let params = params($cc);
            let v = |i: usize| i128_or_int(params[i].value);
            let f32v = |i: usize| params[i].value.parse::<f32>().unwrap();
            let f64v = |i: usize| params[i].value.parse::<f64>().unwrap();
            let mut buf = [[0xccu8; 16]; PARAMS.len()];
            let addr = program.address_of($name).unwrap();
            // SAFETY: the function has the convention `$abi` and exactly these parameter
            // types; `buf` has a slot for each.
            let recv: recv_type!($abi, $wide) = unsafe { std::mem::transmute(addr) };
            let r = unsafe {
                recv(
                    buf.as_mut_ptr(),
                    v(0) as u8,
                    v(1) as i16,
                    v(2) as i32,
                    v(3) as $wide,
                    f32v(4),
                    f64v(5),
                    v(6) as i64,
                    v(7) as i8,
                    v(8) as u16,
                    f64v(9),
                    f32v(10),
                    v(11) as i64,
                    v(12) as i32,
                    f64v(13),
                    v(14) as $wide,
                    f32v(15),
                    v(16) as i64,
                    f64v(17),
                    f64v(18),
                    f64v(19),
                )
            };
            assert_eq!(r, 0x600d);
            check_slots(&buf, concat!("extern \"", $abi, "\""), &params);
        }};
    }
    call_and_check!("recv_sysv", "C", "system_v", i128);
    call_and_check!("recv_win", "win64", "windows_fastcall", i64);
}
