//! The JIT's trampoline, relocations and trap recovery, against Rust `extern "C"` / `extern
//! "win64"` functions (whose addresses are passed as callees) and against functions assembled
//! here from table instructions and mapped with `JitModule`.

use regalloc2::PReg;
use rulesel::ir::{AbiParam, CallConv, Signature, Type};
use rulesel::isa::x64::abi::moves::{ret_passes, Place};
use rulesel::isa::x64::abi::{AbiLayout, ArgSlot};
use rulesel::isa::x64::amode::{Amode, FrameArea, FrameResolver};
use rulesel::isa::x64::encode::{emit, X64Buffer};
use rulesel::isa::x64::inst::{Arg, Inst};
use rulesel::isa::x64::regs::{Reg, R10, R8, RAX, RCX, RDI, RDX, RSI, RSP};
use rulesel::isa::x64::rows::Op;
use rulesel::jit::trampoline::Trampoline;
use rulesel::jit::traps::{timeout_signal, Watchdog};
use rulesel::jit::{JitError, JitFunction, JitModule};
use rulesel::machinst::buffer::{CompiledCode, RelocKind, SymbolId, TrapCode};
use rulesel::settings::Flags;
use std::sync::Mutex;

fn sig(cc: CallConv, params: &[Type], returns: &[Type]) -> Signature {
    let mut s = Signature::new(cc);
    s.params = params.iter().map(|&t| AbiParam::new(t)).collect();
    s.returns = returns.iter().map(|&t| AbiParam::new(t)).collect();
    s
}

const I8: Type = Type::I8;
const I16: Type = Type::I16;
const I32: Type = Type::I32;
const I64: Type = Type::I64;
const I128: Type = Type::I128;
const F32: Type = Type::F32;
const F64: Type = Type::F64;

/// The arguments a callee saw, as bits, for the test to compare.
static SEEN: Mutex<Vec<u128>> = Mutex::new(Vec::new());

fn f32b(x: f32) -> u128 {
    u128::from(x.to_bits())
}
fn f64b(x: f64) -> u128 {
    u128::from(x.to_bits())
}

#[allow(clippy::too_many_arguments)]
extern "C" fn many_sysv(
    a: i8,
    b: i16,
    c: i32,
    d: i64,
    e: f32,
    f: f64,
    g: i128,
    h: i64,
    i: f64,
    j: i32,
    k: i64,
    l: i128,
    m: f32,
    n: f64,
    o: f64,
    p: f64,
    q: f64,
    r: f64,
    s: f64,
    t: i8,
    u: f32,
) -> i64 {
    *SEEN.lock().unwrap() = vec![
        a as u8 as u128,
        b as u16 as u128,
        c as u32 as u128,
        d as u64 as u128,
        f32b(e),
        f64b(f),
        g as u128,
        h as u64 as u128,
        f64b(i),
        j as u32 as u128,
        k as u64 as u128,
        l as u128,
        f32b(m),
        f64b(n),
        f64b(o),
        f64b(p),
        f64b(q),
        f64b(r),
        f64b(s),
        t as u8 as u128,
        f32b(u),
    ];
    d.wrapping_mul(3).wrapping_add(i64::from(a))
}

/// The argument values passed to `many_sysv`, as bits of their types.
fn many_values() -> (Vec<Type>, Vec<u128>) {
    let types = vec![
        I8, I16, I32, I64, F32, F64, I128, I64, F64, I32, I64, I128, F32, F64, F64, F64, F64, F64,
        F64, I8, F32,
    ];
    let values = vec![
        0x85,
        0x8123,
        0x8765_4321,
        0x1122_3344_5566_7788,
        f32b(1.5),
        f64b(-2.25),
        0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
        0xdead_beef,
        f64b(1e300),
        7,
        u128::from(u64::MAX),
        0xffee_ddcc_bbaa_9988_7766_5544_3322_1100,
        f32b(-0.0),
        f64b(3.0),
        f64b(4.0),
        f64b(5.0),
        f64b(6.0),
        f64b(7.0),
        f64b(f64::NAN),
        0x7f,
        f32b(f32::INFINITY),
    ];
    (types, values)
}

#[test]
fn system_v_many_mixed_arguments_with_stack_and_i128() {
    let _serial = SERIAL.lock().unwrap();
    let (types, values) = many_values();
    // (`fast` is System V too, except that it assigns an i128's halves one at a time, as
    // Cranelift does; the differential campaign checks it against Cranelift.)
    {
        let cc = CallConv::SystemV;
        let tramp = Trampoline::new(&sig(cc, &types, &[I64]), &Flags::default()).unwrap();
        let mut slots = values.clone();
        slots.resize(tramp.slots(), 0);
        SEEN.lock().unwrap().clear();
        unsafe { tramp.call(many_sysv as *const u8, &mut slots) }.unwrap();
        assert_eq!(*SEEN.lock().unwrap(), values, "{cc:?}");
        let expected = 0x1122_3344_5566_7788i64.wrapping_mul(3) + i64::from(0x85u8 as i8);
        assert_eq!(slots[0] as u64, expected as u64);
    }
}

/// Serialises the tests that share `SEEN`.
static SERIAL: Mutex<()> = Mutex::new(());

#[allow(clippy::too_many_arguments)]
extern "win64" fn many_win64(
    a: i32,
    b: f64,
    c: i64,
    d: f32,
    e: i8,
    f: f64,
    g: i16,
    h: i64,
    i: f32,
) -> f64 {
    *SEEN.lock().unwrap() = vec![
        a as u32 as u128,
        f64b(b),
        c as u64 as u128,
        f32b(d),
        e as u8 as u128,
        f64b(f),
        g as u16 as u128,
        h as u64 as u128,
        f32b(i),
    ];
    b * 2.0 + f64::from(d)
}

#[test]
fn windows_fastcall_positional_registers_and_shadow_space() {
    let _serial = SERIAL.lock().unwrap();
    let types = [I32, F64, I64, F32, I8, F64, I16, I64, F32];
    let values = vec![
        0xffff_fffe,
        f64b(10.5),
        0x7000_0000_0000_0001,
        f32b(0.25),
        0x80,
        f64b(-1.0),
        0x1234,
        0x8000_0000_0000_0000,
        f32b(9.0),
    ];
    let tramp = Trampoline::new(
        &sig(CallConv::WindowsFastcall, &types, &[F64]),
        &Flags::default(),
    )
    .unwrap();
    let mut slots = values.clone();
    unsafe { tramp.call(many_win64 as *const u8, &mut slots) }.unwrap();
    assert_eq!(*SEEN.lock().unwrap(), values);
    assert_eq!(slots[0] as u64, 21.25f64.to_bits());
}

#[repr(C)]
struct TwoInts {
    a: i64,
    b: i64,
}
#[repr(C)]
struct IntFloat {
    a: i64,
    b: f64,
}

extern "C" fn two_ints(x: i64) -> TwoInts {
    TwoInts { a: x + 1, b: x * 2 }
}
extern "C" fn int_and_float(x: f64, y: i32) -> IntFloat {
    IntFloat {
        a: i64::from(y) - 1,
        b: x / 2.0,
    }
}
extern "C" fn wide(x: i128, y: i128) -> i128 {
    x.wrapping_mul(y)
}
extern "C" fn narrow(x: i8, y: u16) -> i8 {
    x.wrapping_add(y as i8)
}

#[test]
fn several_results_i128_and_narrow_values() {
    let flags = Flags::default();
    let t = Trampoline::new(&sig(CallConv::SystemV, &[I64], &[I64, I64]), &flags).unwrap();
    let mut v = vec![20, 0];
    unsafe { t.call(two_ints as *const u8, &mut v) }.unwrap();
    assert_eq!(v, [21, 40]);

    let t = Trampoline::new(&sig(CallConv::SystemV, &[F64, I32], &[I64, F64]), &flags).unwrap();
    let mut v = vec![f64b(7.0), 0xffff_fff0];
    unsafe { t.call(int_and_float as *const u8, &mut v) }.unwrap();
    assert_eq!(v[0] as u64, (-17i64) as u64);
    assert_eq!(v[1], f64b(3.5));

    let t = Trampoline::new(&sig(CallConv::SystemV, &[I128, I128], &[I128]), &flags).unwrap();
    let (x, y) = (0x1_0000_0000_0000_0003i128, -5i128);
    let mut v = vec![x as u128, y as u128];
    unsafe { t.call(wide as *const u8, &mut v) }.unwrap();
    assert_eq!(v[0], x.wrapping_mul(y) as u128);

    let t = Trampoline::new(&sig(CallConv::SystemV, &[I8, I16], &[I8]), &flags).unwrap();
    let mut v = vec![0x7f, 0x0102];
    unsafe { t.call(narrow as *const u8, &mut v) }.unwrap();
    assert_eq!(v[0] as u8, 0x81);
}

/// Frame addresses are not used by the hand-assembled functions.
struct NoFrame;
impl FrameResolver for NoFrame {
    fn frame_address(&self, _: FrameArea, _: u32, offset: i32) -> (PReg, i32) {
        (RSP, offset)
    }
}

struct Asm(X64Buffer);

impl Asm {
    fn new() -> Asm {
        Asm(X64Buffer::new())
    }
    fn inst(&mut self, op: Op, inputs: &[Arg], outputs: &[PReg]) -> &mut Asm {
        let outputs: Vec<Reg> = outputs.iter().map(|&p| p.into()).collect();
        emit(
            &Inst::new(op, inputs, &outputs).unwrap(),
            &mut self.0,
            &NoFrame,
        )
        .unwrap();
        self
    }
    fn trap(&mut self, op: Op, inputs: &[Arg], outputs: &[PReg], code: TrapCode) -> &mut Asm {
        let outputs: Vec<Reg> = outputs.iter().map(|&p| p.into()).collect();
        let inst = Inst::new(op, inputs, &outputs).unwrap().with_trap(code);
        emit(&inst, &mut self.0, &NoFrame).unwrap();
        self
    }
    fn finish(self) -> CompiledCode {
        self.0.finish().unwrap()
    }
}

fn r(p: PReg) -> Arg {
    Arg::Reg(p.into())
}
fn mem(base: PReg, disp: i32) -> Arg {
    Arg::Mem(Amode::base_disp(base, disp))
}

#[test]
fn hidden_return_area_results() {
    // (i64) -> 6 × i64 under System V with implicit sret: results 0 and 1 in rax and rdx, the
    // rest in the return area whose address comes first, in rdi (x in rsi). Result k is x + k.
    let flags = Flags {
        enable_multi_ret_implicit_sret: true,
        ..Flags::default()
    };
    let s = sig(CallConv::SystemV, &[I64], &[I64; 6]);
    let layout = AbiLayout::compute(&s, &flags).unwrap();
    let Some(ArgSlot::Reg { reg: ptr, .. }) = layout.ret_area_ptr else {
        panic!("expected the return-area pointer in a register: {layout:?}");
    };
    assert_eq!(ptr, RDI);
    let rulesel::isa::x64::abi::ArgLoc::Slot(ArgSlot::Reg { reg: x, .. }) = layout.args[0].loc
    else {
        panic!("expected x in a register: {layout:?}");
    };
    assert_eq!(x, RSI);
    let mut a = Asm::new();
    for part in ret_passes(&layout) {
        let k = part.value as i32;
        match part.place {
            Place::Reg(reg) => {
                a.inst(Op::lea_r64, &[mem(x, k)], &[reg]);
            }
            Place::RetArea(offset) => {
                a.inst(Op::lea_r64, &[mem(x, k)], &[R10]);
                a.inst(Op::mov_m64_r64, &[mem(ptr, offset as i32), r(R10)], &[]);
            }
            Place::ArgStack(_) => unreachable!(),
        }
    }
    a.inst(Op::ret, &[], &[]);
    let code = a.finish();
    let module = JitModule::new(&[JitFunction {
        name: "six",
        code: &code,
        symbols: &[],
    }])
    .unwrap();
    let t = Trampoline::new(&s, &flags).unwrap();
    let mut v = vec![0u128; t.slots()];
    v[0] = 1000;
    unsafe { t.call(module.address_of("six").unwrap(), &mut v) }.unwrap();
    assert_eq!(v, [1000, 1001, 1002, 1003, 1004, 1005]);
}

#[test]
fn tail_callee_pops_its_stack_arguments() {
    // tail (10 × i64) -> i64: six in registers, four on the stack; the callee sums the stack
    // ones and returns with `ret 32`.
    let flags = Flags::default();
    let s = sig(CallConv::Tail, &[I64; 10], &[I64]);
    let layout = AbiLayout::compute(&s, &flags).unwrap();
    assert_eq!(layout.callee_pop_size(), 32);
    let mut a = Asm::new();
    a.inst(Op::mov_r64_rm64, &[r(RDI)], &[RAX]);
    for k in 0..4 {
        a.inst(Op::add_r64_rm64, &[r(RAX), mem(RSP, 8 + 8 * k)], &[RAX]);
    }
    a.inst(Op::ret_imm16, &[Arg::Imm(32)], &[]);
    let code = a.finish();
    let module = JitModule::new(&[JitFunction {
        name: "sum",
        code: &code,
        symbols: &[],
    }])
    .unwrap();
    let t = Trampoline::new(&s, &flags).unwrap();
    let mut v: Vec<u128> = (1..=10).map(|k| k * 100).collect();
    unsafe { t.call(module.address_of("sum").unwrap(), &mut v) }.unwrap();
    assert_eq!(v[0], 100 + 700 + 800 + 900 + 1000);
}

/// `caller` calls `callee` (a module function, by relocation) and C's `labs` (found with dlsym,
/// reached through a stub); `floor` calls the libcall `FloorF64` through its GOT-like slot.
#[test]
fn relocations_between_functions_and_to_host_symbols() {
    // callee(x) = x * 3
    let mut a = Asm::new();
    a.inst(Op::imul_r64_rm64_imm32, &[r(RDI), Arg::Imm(3)], &[RAX]);
    a.inst(Op::ret, &[], &[]);
    let callee = a.finish();
    // caller(x) = labs(callee(x))
    let mut a = Asm::new();
    a.inst(Op::sub_r64_imm32, &[r(RSP), Arg::Imm(8)], &[RSP]);
    a.inst(Op::call_sym, &[Arg::Symbol(SymbolId(0))], &[]);
    a.inst(Op::mov_r64_rm64, &[r(RAX)], &[RDI]);
    a.inst(Op::call_sym, &[Arg::Symbol(SymbolId(1))], &[]);
    a.inst(Op::add_r64_imm32, &[r(RSP), Arg::Imm(8)], &[RSP]);
    a.inst(Op::ret, &[], &[]);
    let caller = a.finish();
    assert!(caller.relocs.iter().all(|r| r.kind == RelocKind::CallPlt4));
    // floor(x) through the GOT-like slot: call *FloorF64@GOTPCREL(%rip).
    let mut a = Asm::new();
    a.inst(
        Op::call_rm64,
        &[Arg::Mem(Amode::RipSymbol {
            symbol: SymbolId(0),
            got: true,
            disp: 0,
        })],
        &[],
    );
    a.inst(Op::ret, &[], &[]);
    let floor = a.finish();

    let callee_syms: Vec<String> = Vec::new();
    let caller_syms = vec!["callee".to_string(), "labs".to_string()];
    let floor_syms = vec!["FloorF64".to_string()];
    let module = JitModule::new(&[
        JitFunction {
            name: "callee",
            code: &callee,
            symbols: &callee_syms,
        },
        JitFunction {
            name: "caller",
            code: &caller,
            symbols: &caller_syms,
        },
        JitFunction {
            name: "floor",
            code: &floor,
            symbols: &floor_syms,
        },
    ])
    .unwrap();
    let flags = Flags::default();
    let t = Trampoline::new(&sig(CallConv::SystemV, &[I64], &[I64]), &flags).unwrap();
    let mut v = vec![(-14i64) as u64 as u128];
    unsafe { t.call(module.address_of("caller").unwrap(), &mut v) }.unwrap();
    assert_eq!(v[0], 42);

    let t = Trampoline::new(&sig(CallConv::SystemV, &[F64], &[F64]), &flags).unwrap();
    let mut v = vec![f64b(-2.5)];
    unsafe { t.call(module.address_of("floor").unwrap(), &mut v) }.unwrap();
    assert_eq!(v[0], f64b(-3.0));

    let too_few = vec!["labs".to_string()];
    let err = JitModule::new(&[JitFunction {
        name: "caller",
        code: &caller,
        symbols: &too_few,
    }])
    .unwrap_err();
    assert_eq!(
        err,
        JitError::UnknownSymbolId {
            function: "caller".into(),
            id: 1
        }
    );
    let missing = vec!["callee".to_string(), "no_such_symbol_anywhere".to_string()];
    let err = JitModule::new(&[
        JitFunction {
            name: "caller",
            code: &caller,
            symbols: &missing,
        },
        JitFunction {
            name: "callee",
            code: &callee,
            symbols: &callee_syms,
        },
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "caller: unresolved symbol `no_such_symbol_anywhere`"
    );
}

#[test]
fn faults_become_trap_codes_and_the_harness_survives() {
    // ud2 (SIGILL), a load through the null pointer passed in (SIGSEGV), and a division by the
    // zero passed in (SIGFPE), each recorded as a trap site.
    let mut a = Asm::new();
    a.trap(Op::ud2, &[], &[], TrapCode::STACK_OVERFLOW);
    let ud2 = a.finish();
    let mut a = Asm::new();
    a.trap(
        Op::mov_r64_rm64,
        &[mem(RDI, 0)],
        &[RAX],
        TrapCode::HEAP_OUT_OF_BOUNDS,
    );
    a.inst(Op::ret, &[], &[]);
    let load = a.finish();
    let mut a = Asm::new();
    a.inst(Op::mov_r64_rm64, &[r(RSI)], &[RAX]);
    a.inst(Op::xor_r32_zero, &[], &[RDX]);
    a.trap(
        Op::div_rm64,
        &[r(RDI), r(RAX), r(RDX)],
        &[RAX, RDX],
        TrapCode::INTEGER_DIVISION_BY_ZERO,
    );
    a.inst(Op::ret, &[], &[]);
    let div = a.finish();
    let none: Vec<String> = Vec::new();
    let functions =
        [("ud2", &ud2), ("load", &load), ("div", &div)].map(|(name, code)| JitFunction {
            name,
            code,
            symbols: &none,
        });
    let module = JitModule::new(&functions).unwrap();
    let t = Trampoline::new(
        &sig(CallConv::SystemV, &[I64, I64], &[I64]),
        &Flags::default(),
    )
    .unwrap();
    for round in 0..3 {
        for (name, signal, code) in [
            ("ud2", libc::SIGILL, TrapCode::STACK_OVERFLOW),
            ("load", libc::SIGSEGV, TrapCode::HEAP_OUT_OF_BOUNDS),
            ("div", libc::SIGFPE, TrapCode::INTEGER_DIVISION_BY_ZERO),
        ] {
            let mut v = vec![0, 10];
            let fault = unsafe { t.call(module.address_of(name).unwrap(), &mut v) }.unwrap_err();
            assert_eq!(fault.signal, signal, "{name} round {round}");
            let at = module.locate(fault.pc).expect("the fault is in the module");
            assert_eq!((at.function, at.trap), (name, Some(code)));
        }
        // A good call still works after the faults.
        let mut v = vec![5, 100];
        unsafe { t.call(module.address_of("div").unwrap(), &mut v) }.unwrap();
        assert_eq!(v[0], 20);
    }
}

#[test]
fn faults_on_other_threads_are_recovered_too() {
    let mut a = Asm::new();
    a.trap(Op::ud2, &[], &[], TrapCode::user(3).unwrap());
    let code = a.finish();
    let none: Vec<String> = Vec::new();
    let module = JitModule::new(&[JitFunction {
        name: "trap",
        code: &code,
        symbols: &none,
    }])
    .unwrap();
    let t = Trampoline::new(&sig(CallConv::SystemV, &[], &[]), &Flags::default()).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    let fault =
                        unsafe { t.call(module.address_of("trap").unwrap(), &mut []) }.unwrap_err();
                    let at = module.locate(fault.pc).unwrap();
                    assert_eq!(at.trap, TrapCode::user(3));
                }
            });
        }
    });
}

#[test]
fn windows_i128_in_halves_with_llvm_abi_extensions() {
    // windows_fastcall (i64, i128, i64) -> i128, as Cranelift lays it out: rcx, then the i128's
    // halves in rdx and r8 (a position each), then r9; the callee returns (lo + rcx + r9, hi) in
    // rax:rdx.
    let flags = Flags {
        enable_llvm_abi_extensions: true,
        ..Flags::default()
    };
    let s = sig(CallConv::WindowsFastcall, &[I64, I128, I64], &[I128]);
    let layout = AbiLayout::compute(&s, &flags).unwrap();
    assert_eq!(
        layout.to_string(),
        "args: rcx, rdx:r8, r9; rets: rax:rdx; stack args 32, rets 0"
    );
    let mut a = Asm::new();
    a.inst(Op::mov_r64_rm64, &[r(RDX)], &[RAX]);
    a.inst(
        Op::add_r64_rm64,
        &[r(RAX), r(rulesel::isa::x64::regs::R9)],
        &[RAX],
    );
    a.inst(Op::add_r64_rm64, &[r(RAX), r(RCX)], &[RAX]);
    a.inst(Op::mov_r64_rm64, &[r(R8)], &[RDX]);
    a.inst(Op::ret, &[], &[]);
    let code = a.finish();
    let module = JitModule::new(&[JitFunction {
        name: "halves",
        code: &code,
        symbols: &[],
    }])
    .unwrap();
    let t = Trampoline::new(&s, &flags).unwrap();
    let mut v = vec![1, 0x7777_0000_0000_0000_0000_0000_0000_0010, 100];
    unsafe { t.call(module.address_of("halves").unwrap(), &mut v) }.unwrap();
    assert_eq!(v[0], 0x7777_0000_0000_0000_0000_0000_0000_0075);
}

#[test]
fn stack_overflow_in_jit_code_is_recovered() {
    // f: call f — unbounded recursion until the guard page; the handler runs on the alternate
    // signal stack and the trampoline returns a SIGSEGV fault.
    let mut buf = X64Buffer::new();
    let start = buf.new_label();
    buf.bind_label(start);
    let call = Inst::new(Op::call_label, &[Arg::Label(start)], &[]).unwrap();
    emit(&call, &mut buf, &NoFrame).unwrap();
    emit(&Inst::new(Op::ret, &[], &[]).unwrap(), &mut buf, &NoFrame).unwrap();
    let code = buf.finish().unwrap();
    let module = JitModule::new(&[JitFunction {
        name: "recurse",
        code: &code,
        symbols: &[],
    }])
    .unwrap();
    let t = Trampoline::new(&sig(CallConv::SystemV, &[], &[]), &Flags::default()).unwrap();
    for _ in 0..2 {
        let fault = unsafe { t.call(module.address_of("recurse").unwrap(), &mut []) }.unwrap_err();
        assert_eq!(fault.signal, libc::SIGSEGV);
        assert_eq!(module.locate(fault.pc).unwrap().function, "recurse");
    }
}

#[test]
fn the_watchdog_ends_an_endless_loop() {
    // f: jmp f
    let mut buf = X64Buffer::new();
    let start = buf.new_label();
    buf.bind_label(start);
    buf.put_branch(None, start);
    let code = buf.finish().unwrap();
    let module = JitModule::new(&[JitFunction {
        name: "spin",
        code: &code,
        symbols: &[],
    }])
    .unwrap();
    let t = Trampoline::new(&sig(CallConv::SystemV, &[], &[]), &Flags::default()).unwrap();
    let watchdog = Watchdog {
        code: module.code_range(),
        timeout: std::time::Duration::from_millis(50),
    };
    let begun = std::time::Instant::now();
    let fault =
        unsafe { t.call_watched(module.address_of("spin").unwrap(), &mut [], Some(&watchdog)) }
            .unwrap_err();
    assert_eq!(fault.signal, timeout_signal());
    assert_eq!(fault.signal_name(), "timeout");
    assert!(begun.elapsed() < std::time::Duration::from_secs(5));
    // A quick call under the same watchdog is not disturbed.
    let mut a = Asm::new();
    a.inst(Op::lea_r64, &[mem(RDI, 1)], &[RAX]);
    a.inst(Op::ret, &[], &[]);
    let inc = a.finish();
    let module = JitModule::new(&[JitFunction {
        name: "inc",
        code: &inc,
        symbols: &[],
    }])
    .unwrap();
    let t = Trampoline::new(&sig(CallConv::SystemV, &[I64], &[I64]), &Flags::default()).unwrap();
    for i in 0..100 {
        let mut v = [i];
        unsafe { t.call_watched(module.address_of("inc").unwrap(), &mut v, Some(&watchdog)) }
            .unwrap();
        assert_eq!(v[0], i + 1);
    }
}

#[test]
fn calls_beyond_rel32_range_go_through_a_stub() {
    // ceil(x) = CeilF64(x) by a direct call. CeilF64 lives in this test binary's text, which is
    // more than 2 GiB away from anonymous mappings in a PIE process, so the call must be routed
    // through the symbol's stub.
    let mut a = Asm::new();
    a.inst(Op::sub_r64_imm32, &[r(RSP), Arg::Imm(8)], &[RSP]);
    a.inst(Op::call_sym, &[Arg::Symbol(SymbolId(0))], &[]);
    a.inst(Op::add_r64_imm32, &[r(RSP), Arg::Imm(8)], &[RSP]);
    a.inst(Op::ret, &[], &[]);
    let code = a.finish();
    let symbols = vec!["CeilF64".to_string()];
    let module = JitModule::new(&[JitFunction {
        name: "ceil",
        code: &code,
        symbols: &symbols,
    }])
    .unwrap();
    let entry = module.address_of("ceil").unwrap() as usize;
    let t = Trampoline::new(&sig(CallConv::SystemV, &[F64], &[F64]), &Flags::default()).unwrap();
    // The address of a far function taken PC-relatively (as `func_addr` is) is its stub, which
    // calls it just the same.
    let mut a = Asm::new();
    a.inst(Op::sub_r64_imm32, &[r(RSP), Arg::Imm(8)], &[RSP]);
    a.inst(
        Op::lea_r64,
        &[Arg::Mem(Amode::RipSymbol {
            symbol: SymbolId(0),
            got: false,
            disp: 0,
        })],
        &[RAX],
    );
    a.inst(Op::call_rm64, &[r(RAX)], &[]);
    a.inst(Op::add_r64_imm32, &[r(RSP), Arg::Imm(8)], &[RSP]);
    a.inst(Op::ret, &[], &[]);
    let by_address = a.finish();
    let indirect = JitModule::new(&[JitFunction {
        name: "ceil_by_address",
        code: &by_address,
        symbols: &symbols,
    }])
    .unwrap();
    let mut v = vec![f64b(-2.5)];
    unsafe { t.call(indirect.address_of("ceil_by_address").unwrap(), &mut v) }.unwrap();
    assert_eq!(v[0], f64b(-2.0));
    let target = rulesel::jit::resolve_host_symbol("CeilF64").unwrap();
    if entry.abs_diff(target) < 1 << 31 {
        println!("CeilF64 is within rel32 range of the module; the stub path is not exercised");
    }
    let mut v = vec![f64b(2.25)];
    unsafe { t.call(module.address_of("ceil").unwrap(), &mut v) }.unwrap();
    assert_eq!(v[0], f64b(3.0));
}
