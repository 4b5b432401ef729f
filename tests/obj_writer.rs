//! The object writer on hand-assembled code (no lowering involved): data objects of every kind
//! with relocations between them, local and global symbols, every code relocation type, and
//! `.eh_frame` — linked with `cc` into a PIE that runs.

use gimli::write::CallFrameInstruction;
use gimli::X86_64;
use regalloc2::PReg;
use rulesel::isa::x64::abi::emit::emit_frame_insts;
use rulesel::isa::x64::abi::prologue::FrameInst;
use rulesel::isa::x64::amode::{Amode, FrameArea, FrameResolver};
use rulesel::isa::x64::encode::{emit, X64Buffer};
use rulesel::isa::x64::inst::{Arg, Inst};
use rulesel::isa::x64::regs::{Reg, RAX, RBP, RCX, RDI, RSP};
use rulesel::isa::x64::rows::Op;
use rulesel::machinst::buffer::{CompiledCode, SymbolId};
use rulesel::module::link::link_object_bytes;
use rulesel::obj::{write_object, DataInit, DataReloc, Linkage, ObjData, ObjError, ObjFunction};
use rulesel::unwind::{UnwindInfo, UnwindStep};
use std::path::PathBuf;
use std::process::Command;

struct NoFrame;
impl FrameResolver for NoFrame {
    fn frame_address(&self, _: FrameArea, _: u32, offset: i32) -> (PReg, i32) {
        (RSP, offset)
    }
}

struct Asm(X64Buffer);

impl Asm {
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
}

fn r(p: PReg) -> Arg {
    Arg::Reg(p.into())
}
fn mem(base: PReg, disp: i32) -> Arg {
    Arg::Mem(Amode::base_disp(base, disp))
}
fn rip(symbol: u32, got: bool) -> Arg {
    Arg::Mem(Amode::RipSymbol {
        symbol: SymbolId(symbol),
        got,
        disp: 0,
    })
}

/// A function with a frame: the real prologue sequence, `body`, then `pop rbp; ret`. Its
/// unwind information says what the two prologue instructions did.
fn framed(body: impl FnOnce(&mut Asm)) -> CompiledCode {
    let mut asm = Asm(X64Buffer::new());
    let pro = [FrameInst::Push(RBP), FrameInst::Mov { dst: RBP, src: RSP }];
    let marks = emit_frame_insts(&pro, &mut asm.0, SymbolId(u32::MAX), &NoFrame).unwrap();
    body(&mut asm);
    asm.inst(Op::pop_r64, &[], &[RBP]).inst(Op::ret, &[], &[]);
    let mut code = asm.0.finish().unwrap();
    let at = |i: usize| code.mark_offsets[marks[i].0 as usize];
    let steps = vec![
        UnwindStep {
            offset: at(0),
            inst: CallFrameInstruction::CfaOffset(16),
        },
        UnwindStep {
            offset: at(0),
            inst: CallFrameInstruction::Offset(X86_64::RBP, -16),
        },
        UnwindStep {
            offset: at(1),
            inst: CallFrameInstruction::CfaRegister(X86_64::RBP),
        },
    ];
    code.unwind = UnwindInfo { steps };
    code
}

fn data(name: &str, linkage: Linkage, writable: bool, align: u64, init: DataInit) -> ObjData {
    ObjData {
        name: name.into(),
        linkage,
        writable,
        align,
        init,
        relocs: Vec::new(),
    }
}

fn ptr(offset: u64, symbol: &str, addend: i64) -> DataReloc {
    DataReloc {
        offset,
        symbol: symbol.into(),
        addend,
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulesel-obj-writer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap();
    assert!(out.status.success(), "{name} {args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The module: `main` prints `*(ptrs[1])` with puts (msg + 6: "from data") and returns
/// `helper()`; `helper` (local) follows table → ptrs → msg and adds the first character ('h',
/// 104), `seven` and a byte of the zero-initialised `zero`: 111.
fn module_object() -> Vec<u8> {
    let main = framed(|a| {
        a.inst(Op::lea_r64, &[rip(0, false)], &[RDI])
            .inst(Op::mov_r64_rm64, &[mem(RDI, 8)], &[RDI])
            .inst(Op::call_sym, &[Arg::Symbol(SymbolId(1))], &[])
            .inst(Op::call_sym, &[Arg::Symbol(SymbolId(2))], &[]);
    });
    let helper = framed(|a| {
        a.inst(Op::mov_r64_rm64, &[rip(0, true)], &[RAX])
            .inst(Op::mov_r64_rm64, &[mem(RAX, 0)], &[RAX])
            .inst(Op::mov_r64_rm64, &[mem(RAX, 0)], &[RAX])
            .inst(Op::movzx_r32_rm8, &[mem(RAX, 0)], &[RAX])
            .inst(Op::lea_r64, &[rip(1, false)], &[RCX])
            .inst(Op::add_r32_rm32, &[r(RAX), mem(RCX, 0)], &[RAX])
            .inst(Op::lea_r64, &[rip(2, false)], &[RCX])
            .inst(Op::add_r32_rm32, &[r(RAX), mem(RCX, 32)], &[RAX]);
    });
    let main_syms = ["ptrs".to_string(), "puts".into(), "helper".into()];
    let helper_syms = ["table".to_string(), "seven".into(), "zero".into()];
    let functions = [
        ObjFunction {
            name: "main",
            linkage: Linkage::Global,
            code: &main,
            symbols: &main_syms,
        },
        ObjFunction {
            name: "helper",
            linkage: Linkage::Local,
            code: &helper,
            symbols: &helper_syms,
        },
    ];
    let mut ptrs = data(
        "ptrs",
        Linkage::Global,
        true,
        8,
        DataInit::Bytes(vec![0; 16]),
    );
    ptrs.relocs = vec![ptr(0, "msg", 0), ptr(8, "msg", 6)];
    let mut table = data(
        "table",
        Linkage::Local,
        false,
        8,
        DataInit::Bytes(vec![0; 8]),
    );
    table.relocs = vec![ptr(0, "ptrs", 0)];
    let objects = [
        data(
            "msg",
            Linkage::Local,
            false,
            1,
            DataInit::Bytes(b"hello from data\0".to_vec()),
        ),
        ptrs,
        table,
        data(
            "seven",
            Linkage::Local,
            false,
            4,
            DataInit::Bytes(7u32.to_le_bytes().to_vec()),
        ),
        data("zero", Linkage::Global, true, 32, DataInit::Zeros(64)),
    ];
    write_object(&functions, &objects).unwrap()
}

#[test]
fn hand_assembled_module_links_and_runs() {
    let exe = scratch("module");
    let warnings = link_object_bytes(&module_object(), &[], &exe, &[]).unwrap();
    assert_eq!(warnings, "", "cc warned");
    let out = Command::new(&exe).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from data\n");
    assert_eq!(out.status.code(), Some(111));
}

#[test]
fn sections_symbols_and_relocations() {
    let obj = scratch("module.o");
    std::fs::write(&obj, module_object()).unwrap();
    let path = obj.to_str().unwrap();
    let sections = tool("readelf", &["-SW", path]);
    for s in [
        ".text",
        ".rodata",
        ".data.rel.ro",
        ".data",
        ".bss",
        ".eh_frame",
        ".note.GNU-stack",
    ] {
        assert!(
            sections.contains(&format!(" {s} ")),
            "no {s} in\n{sections}"
        );
    }
    let symbols = tool("readelf", &["-sW", path]);
    let bind = |name: &str| -> String {
        let line = (symbols.lines())
            .find(|l| l.split_whitespace().last() == Some(name))
            .unwrap_or_else(|| panic!("no symbol {name}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        format!("{} {} {}", cols[3], cols[4], cols[6])
    };
    assert_eq!(bind("main"), "FUNC GLOBAL 1");
    assert!(bind("helper").starts_with("FUNC LOCAL"));
    assert!(bind("msg").starts_with("OBJECT LOCAL"));
    assert!(bind("ptrs").starts_with("OBJECT GLOBAL"));
    assert!(bind("zero").starts_with("OBJECT GLOBAL"));
    assert_eq!(bind("puts"), "NOTYPE GLOBAL UND");
    let relocs = tool("readelf", &["-rW", path]);
    for (kind, sym) in [
        ("R_X86_64_PC32", "ptrs"),
        ("R_X86_64_PLT32", "puts"),
        ("R_X86_64_PLT32", "helper"),
        ("R_X86_64_GOTPCREL", "table"),
        ("R_X86_64_64", "msg"),
        ("R_X86_64_64", "ptrs"),
    ] {
        assert!(
            relocs
                .lines()
                .any(|l| l.contains(kind) && l.contains(&format!(" {sym} "))),
            "no {kind} against {sym} in\n{relocs}"
        );
    }
    let listing = tool("objdump", &["-d", path]);
    assert!(!listing.contains("(bad)"), "{listing}");
    let frames = tool("readelf", &["--debug-dump=frames", path]);
    assert_eq!(frames.matches(" FDE ").count(), 2, "{frames}");
    assert_eq!(
        frames.matches("DW_CFA_def_cfa_register: r6 (rbp)").count(),
        2
    );
}

#[test]
fn bad_modules_are_errors() {
    let code = framed(|_| {});
    let f = |name| ObjFunction {
        name,
        linkage: Linkage::Global,
        code: &code,
        symbols: &[],
    };
    assert_eq!(
        write_object(&[f("a"), f("a")], &[]),
        Err(ObjError::DuplicateSymbol("a".into()))
    );
    let mut short = data("d", Linkage::Local, true, 8, DataInit::Bytes(vec![0; 12]));
    short.relocs = vec![ptr(8, "a", 0)];
    assert!(matches!(
        write_object(&[f("a")], &[short]),
        Err(ObjError::BadDataReloc { offset: 8, .. })
    ));
    let odd = data("d", Linkage::Local, true, 3, DataInit::Zeros(4));
    assert!(matches!(
        write_object(&[], &[odd]),
        Err(ObjError::BadAlignment { align: 3, .. })
    ));
    let calls = framed(|a| {
        a.inst(Op::call_sym, &[Arg::Symbol(SymbolId(5))], &[]);
    });
    let g = ObjFunction {
        name: "g",
        linkage: Linkage::Global,
        code: &calls,
        symbols: &[],
    };
    assert!(matches!(
        write_object(&[g], &[]),
        Err(ObjError::UnknownSymbolId { id: 5, .. })
    ));
}
