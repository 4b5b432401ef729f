//! Data objects in a JIT module: read-only and writable objects next to the code, reached by
//! PC-relative and GOT references, holding pointers to functions and other objects.

use regalloc2::PReg;
use rulesel::ir::{AbiParam, CallConv, Signature, Type};
use rulesel::isa::x64::amode::{Amode, FrameArea, FrameResolver};
use rulesel::isa::x64::encode::{emit, X64Buffer};
use rulesel::isa::x64::inst::{Arg, Inst};
use rulesel::isa::x64::regs::{Reg, RAX, RCX, RDI, RSP};
use rulesel::isa::x64::rows::Op;
use rulesel::jit::trampoline::Trampoline;
use rulesel::jit::{DataReloc, JitData, JitError, JitFunction, JitModule};
use rulesel::machinst::buffer::{CompiledCode, SymbolId};
use rulesel::settings::Flags;

struct NoFrame;
impl FrameResolver for NoFrame {
    fn frame_address(&self, _: FrameArea, _: u32, offset: i32) -> (PReg, i32) {
        (RSP, offset)
    }
}

fn assemble(insts: &[(Op, Vec<Arg>, Vec<PReg>)]) -> CompiledCode {
    let mut buf = X64Buffer::new();
    for (op, inputs, outputs) in insts {
        let outputs: Vec<Reg> = outputs.iter().map(|&p| p.into()).collect();
        emit(
            &Inst::new(*op, inputs, &outputs).unwrap(),
            &mut buf,
            &NoFrame,
        )
        .unwrap();
    }
    buf.finish().unwrap()
}

fn r(p: PReg) -> Arg {
    Arg::Reg(p.into())
}

fn symbol(id: u32, got: bool) -> Arg {
    Arg::Mem(Amode::RipSymbol {
        symbol: SymbolId(id),
        got,
        disp: 0,
    })
}

fn sig(params: &[Type], returns: &[Type]) -> Signature {
    let mut s = Signature::new(CallConv::SystemV);
    s.params = params.iter().map(|&t| AbiParam::new(t)).collect();
    s.returns = returns.iter().map(|&t| AbiParam::new(t)).collect();
    s
}

#[test]
fn code_reads_and_writes_data_objects() {
    // get(i) = table[i]: lea rax, table(%rip); mov rax, [rax + rdi*8]
    let get = assemble(&[
        (Op::lea_r64, vec![symbol(0, false)], vec![RAX]),
        (
            Op::mov_r64_rm64,
            vec![Arg::Mem(Amode::base_index(RAX, RDI, 3, 0))],
            vec![RAX],
        ),
        (Op::ret, vec![], vec![]),
    ]);
    // bump() = ++counter, through counter's GOT entry
    let bump = assemble(&[
        (Op::mov_r64_rm64, vec![symbol(0, true)], vec![RAX]),
        (
            Op::mov_r64_rm64,
            vec![Arg::Mem(Amode::base_disp(RAX, 0))],
            vec![RCX],
        ),
        (
            Op::lea_r64,
            vec![Arg::Mem(Amode::base_disp(RCX, 1))],
            vec![RCX],
        ),
        (
            Op::mov_m64_r64,
            vec![Arg::Mem(Amode::base_disp(RAX, 0)), r(RCX)],
            vec![],
        ),
        (Op::mov_r64_rm64, vec![r(RCX)], vec![RAX]),
        (Op::ret, vec![], vec![]),
    ]);
    // smash() stores into the read-only table
    let smash = assemble(&[
        (Op::lea_r64, vec![symbol(0, false)], vec![RAX]),
        (
            Op::mov_m64_r64,
            vec![Arg::Mem(Amode::base_disp(RAX, 0)), r(RAX)],
            vec![],
        ),
        (Op::ret, vec![], vec![]),
    ]);
    let table: Vec<u8> = [10u64, 20, 30, 40]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let counter = 100u64.to_le_bytes();
    let pointers = [0u8; 16];
    let pointer_relocs = [
        DataReloc {
            offset: 0,
            symbol: "get".into(),
            addend: 0,
        },
        DataReloc {
            offset: 8,
            symbol: "table".into(),
            addend: 16,
        },
    ];
    let table_sym = vec!["table".to_string()];
    let counter_sym = vec!["counter".to_string()];
    let module = JitModule::with_data(
        &[
            JitFunction {
                name: "get",
                code: &get,
                symbols: &table_sym,
            },
            JitFunction {
                name: "bump",
                code: &bump,
                symbols: &counter_sym,
            },
            JitFunction {
                name: "smash",
                code: &smash,
                symbols: &table_sym,
            },
        ],
        &[
            JitData {
                name: "table",
                bytes: &table,
                align: 8,
                writable: false,
                relocs: &[],
            },
            JitData {
                name: "counter",
                bytes: &counter,
                align: 8,
                writable: true,
                relocs: &[],
            },
            JitData {
                name: "pointers",
                bytes: &pointers,
                align: 16,
                writable: false,
                relocs: &pointer_relocs,
            },
        ],
    )
    .unwrap();
    let flags = Flags::default();
    let one = Trampoline::new(&sig(&[Type::I64], &[Type::I64]), &flags).unwrap();
    for (i, expected) in [10u128, 20, 30, 40].into_iter().enumerate() {
        let mut v = [i as u128];
        unsafe { one.call(module.address_of("get").unwrap(), &mut v) }.unwrap();
        assert_eq!(v[0], expected);
    }
    let none = Trampoline::new(&sig(&[], &[Type::I64]), &flags).unwrap();
    for expected in 101..104u128 {
        let mut v = [0];
        unsafe { none.call(module.address_of("bump").unwrap(), &mut v) }.unwrap();
        assert_eq!(v[0], expected);
    }
    let counter_at = module.address_of("counter").unwrap().cast::<u64>();
    assert_eq!(unsafe { counter_at.read() }, 103);

    let pointers_at = module.address_of("pointers").unwrap().cast::<usize>();
    assert_eq!(pointers_at as usize % 16, 0);
    let stored = unsafe { [pointers_at.read(), pointers_at.add(1).read()] };
    assert_eq!(stored[0], module.address_of("get").unwrap() as usize);
    assert_eq!(stored[1], module.address_of("table").unwrap() as usize + 16);

    let fault = unsafe { none.call(module.address_of("smash").unwrap(), &mut [0]) }.unwrap_err();
    assert_eq!(fault.signal, libc::SIGSEGV);
    assert_eq!(fault.address, module.address_of("table").unwrap() as usize);
}

#[test]
fn bad_modules_are_refused_with_a_reason() {
    let ret = assemble(&[(Op::ret, vec![], vec![])]);
    let f = JitFunction {
        name: "f",
        code: &ret,
        symbols: &[],
    };
    let data = |name, align, relocs| JitData {
        name,
        bytes: &[0; 8],
        align,
        writable: true,
        relocs,
    };
    assert_eq!(
        JitModule::with_data(&[f], &[data("f", 8, &[])]).unwrap_err(),
        JitError::DuplicateFunction("f".into())
    );
    assert_eq!(
        JitModule::with_data(&[f], &[data("d", 12, &[])])
            .unwrap_err()
            .to_string(),
        "d: alignment 12 is not a power of two"
    );
    let dangling = [DataReloc {
        offset: 0,
        symbol: "nowhere_to_be_found".into(),
        addend: 0,
    }];
    assert_eq!(
        JitModule::with_data(&[f], &[data("d", 8, &dangling)])
            .unwrap_err()
            .to_string(),
        "d: unresolved symbol `nowhere_to_be_found`"
    );
    let outside = [DataReloc {
        offset: 4,
        symbol: "f".into(),
        addend: 0,
    }];
    assert_eq!(
        JitModule::with_data(&[f], &[data("d", 8, &outside)]).unwrap_err(),
        JitError::BadRelocation {
            from: "d".into(),
            offset: 4
        }
    );
}
