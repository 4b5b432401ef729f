//! Shared by the executable ABI tests: assembling generated functions from frame sequences and
//! table instructions, and linking them with a C driver.

#![allow(dead_code)] // each test file uses a different part

use std::path::PathBuf;
use std::process::Command;

use regalloc2::PReg;
use rulesel::isa::x64::abi::emit::emit_frame_insts;
use rulesel::isa::x64::abi::frame::FrameLayout;
use rulesel::isa::x64::abi::prologue::FrameInst;
use rulesel::isa::x64::encode::{emit, X64Buffer};
use rulesel::isa::x64::inst::{Arg, Inst};
use rulesel::isa::x64::regs::Reg;
use rulesel::isa::x64::rows::Op;
use rulesel::machinst::buffer::SymbolId;

/// One piece of a generated function.
pub enum Step {
    Frame(Vec<FrameInst>),
    Inst(Inst),
}

pub fn assemble(steps: &[Step], frame: &FrameLayout) -> Vec<u8> {
    let mut buf = X64Buffer::new();
    for step in steps {
        match step {
            Step::Frame(seq) => {
                emit_frame_insts(seq, &mut buf, SymbolId(0), frame).unwrap();
            }
            Step::Inst(inst) => emit(inst, &mut buf, frame).unwrap(),
        }
    }
    let code = buf.finish().unwrap();
    assert!(code.relocs.is_empty());
    code.bytes
}

pub fn inst(op: Op, inputs: &[Arg], outputs: &[PReg]) -> Step {
    let outputs: Vec<Reg> = outputs.iter().map(|&p| p.into()).collect();
    Step::Inst(Inst::new(op, inputs, &outputs).unwrap())
}

pub fn r(p: PReg) -> Arg {
    Arg::Reg(p.into())
}

pub struct Program {
    dir: PathBuf,
}

impl Program {
    /// Links `main_c` with the named generated functions and extra assembly.
    pub fn build(
        name: &str,
        main_c: &str,
        functions: &[(&str, Vec<u8>)],
        extra_asm: &str,
    ) -> Program {
        Program::build_linked(name, main_c, functions, &[], extra_asm)
    }

    /// Links `main_c` with object files `objects` (file name and contents) and extra assembly.
    pub fn build_with_objects(
        name: &str,
        main_c: &str,
        objects: &[(&str, Vec<u8>)],
        extra_asm: &str,
    ) -> Program {
        Program::build_linked(name, main_c, &[], objects, extra_asm)
    }

    fn build_linked(
        name: &str,
        main_c: &str,
        functions: &[(&str, Vec<u8>)],
        objects: &[(&str, Vec<u8>)],
        extra_asm: &str,
    ) -> Program {
        let dir =
            std::env::temp_dir().join(format!("rulesel-abi-calls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut asm = String::from(".text\n");
        for (fname, bytes) in functions {
            let bytes: Vec<String> = bytes.iter().map(|b| format!("{b:#04x}")).collect();
            asm += &format!(".globl {fname}\n{fname}:\n.byte {}\n", bytes.join(","));
        }
        asm += extra_asm;
        asm += "\n.section .note.GNU-stack,\"\",@progbits\n";
        std::fs::write(dir.join("gen.s"), asm).unwrap();
        std::fs::write(dir.join("main.c"), main_c).unwrap();
        for (file, contents) in objects {
            std::fs::write(dir.join(file), contents).unwrap();
        }
        let out = Command::new("cc")
            .args(["-O1", "-o"])
            .arg(dir.join("prog"))
            .arg(dir.join("main.c"))
            .arg(dir.join("gen.s"))
            .args(objects.iter().map(|(file, _)| dir.join(file)))
            .output()
            .expect("a C compiler is installed");
        assert!(
            out.status.success(),
            "cc failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Program { dir }
    }

    pub fn run(&self) -> String {
        let out = Command::new(self.dir.join("prog")).output().unwrap();
        assert!(out.status.success(), "crashed: {:?}", out.status);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
