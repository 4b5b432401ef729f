//! The run-test harness on files written here. Their functions are compiled by a test compiler
//! that assembles each one from table instructions by name, so the harness's parsing of
//! configurations, marshalling, comparison, trap reporting and summary are checked on their own,
//! independently of lowering.

use regalloc2::PReg;
use rulesel::ir::Function;
use rulesel::isa::x64::amode::{Amode, FrameArea, FrameResolver};
use rulesel::isa::x64::cpuid::{Feature, TargetFeatures};
use rulesel::isa::x64::encode::{emit, X64Buffer};
use rulesel::isa::x64::inst::{Arg, Inst};
use rulesel::isa::x64::regs::{Reg, RAX, RDI, RDX, RSI, RSP};
use rulesel::isa::x64::rows::Op;
use rulesel::jit::module_name;
use rulesel::machinst::buffer::TrapCode;
use rulesel::runtest::{
    report, run_file, run_paths, CompiledFunction, Compiler, Lowering, Options, Status,
};
use rulesel::settings::Flags;
use std::path::PathBuf;
use std::time::Duration;

struct NoFrame;
impl FrameResolver for NoFrame {
    fn frame_address(&self, _: FrameArea, _: u32, offset: i32) -> (PReg, i32) {
        (RSP, offset)
    }
}

/// An instruction: row, inputs, output registers, trap code.
type Step = (Op, Vec<Arg>, Vec<PReg>, Option<TrapCode>);

/// Assembles the functions these tests define, by name; anything else is "unsupported".
struct Assembled;

impl Compiler for Assembled {
    fn compile(
        &self,
        func: &Function,
        _flags: &Flags,
        _features: TargetFeatures,
    ) -> Result<CompiledFunction, String> {
        let r = |p: PReg| Arg::Reg(p.into());
        let insts: Vec<Step> = match module_name(&func.name).as_str() {
            // rdi + rsi
            "add" => vec![(
                Op::lea_r64,
                vec![Arg::Mem(Amode::base_index(RDI, RSI, 0, 0))],
                vec![RAX],
                None,
            )],
            // rdi + 1, which its run lines wrongly expect to be rdi
            "off_by_one" => vec![(
                Op::lea_r64,
                vec![Arg::Mem(Amode::base_disp(RDI, 1))],
                vec![RAX],
                None,
            )],
            // (x, x + 1)
            "pair" => vec![
                (Op::mov_r64_rm64, vec![r(RDI)], vec![RAX], None),
                (
                    Op::lea_r64,
                    vec![Arg::Mem(Amode::base_disp(RDI, 1))],
                    vec![RDX],
                    None,
                ),
            ],
            // returns its f32 argument untouched in xmm0
            "ident_f32" => vec![],
            // an endless loop, emitted below
            "spin" => vec![],
            "divz" => vec![(
                Op::ud2,
                vec![],
                vec![],
                Some(TrapCode::INTEGER_DIVISION_BY_ZERO),
            )],
            other => return Err(format!("not supported yet: function {other}")),
        };
        let mut buf = X64Buffer::new();
        if module_name(&func.name) == "spin" {
            let start = buf.new_label();
            buf.bind_label(start);
            buf.put_branch(None, start);
        }
        for (op, inputs, outputs, trap) in insts {
            let outputs: Vec<Reg> = outputs.iter().map(|&p| p.into()).collect();
            let mut inst = Inst::new(op, &inputs, &outputs).map_err(|e| e.to_string())?;
            if let Some(code) = trap {
                inst = inst.with_trap(code);
            }
            emit(&inst, &mut buf, &NoFrame).map_err(|e| e.to_string())?;
        }
        let ret = Inst::new(Op::ret, &[], &[]).map_err(|e| e.to_string())?;
        emit(&ret, &mut buf, &NoFrame).map_err(|e| e.to_string())?;
        Ok(CompiledFunction {
            code: buf.finish().map_err(|e| e.to_string())?,
            symbols: Vec::new(),
        })
    }
}

/// A fresh directory for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulesel-runtest-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const PASSING: &str = "test run
target aarch64
target x86_64
target x86_64 sse41

function %add(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = iadd v0, v1
    return v2
}
; run: %add(1, 2) == 3
; run: %add(-1, 1) == 0
; run: %add(0x7fffffffffffffff, 1) == 0x8000000000000000
; run: %add(2, 2) != 5

function %pair(i64) -> i64, i64 {
block0(v0: i64):
    v1 = iadd_imm v0, 1
    return v0, v1
}
; run: %pair(5) == [5, 6]

function %ident_f32(f32) -> f32 {
block0(v0: f32):
    return v0
}
; run: %ident_f32(0x1.5p3) == 0x1.5p3
; run: %ident_f32(-NaN:0x1) == -NaN:0x1
; run: %ident_f32(-0.0) == -0.0
";

const WRONG: &str = "test run
target x86_64

function %add(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = iadd v0, v1
    return v2
}
; run: %add(1, 2) == 3

function %off_by_one(i32) -> i32 {
block0(v0: i32):
    return v0
}
; run: %off_by_one(7) == 7
; run: %off_by_one(-1) == -1

function %ident_f32(f32) -> f32 {
block0(v0: f32):
    return v0
}
; run: %ident_f32(+NaN) == -NaN
";

const TRAPPING: &str = "test run
target x86_64

function %divz(i64) -> i64 {
block0(v0: i64):
    v1 = iconst.i64 0
    v2 = udiv v0, v1
    return v2
}
; run: %divz(1) == 0
";

const UNCOMPILABLE: &str = "test run
target x86_64

function %vectors(i32x4) -> i32x4 {
block0(v0: i32x4):
    return v0
}
; run: %vectors([1 2 3 4]) == [1 2 3 4]
";

const OTHER_TARGET: &str = "test run
target aarch64

function %add(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = iadd v0, v1
    return v2
}
; run: %add(1, 2) == 3
";

#[test]
fn pass_fail_skip_trap_and_summary() {
    let dir = scratch("mixed");
    for (name, text) in [
        ("a_passing.clif", PASSING),
        ("b_wrong.clif", WRONG),
        ("c_trapping.clif", TRAPPING),
        ("d_uncompilable.clif", UNCOMPILABLE),
        ("e_other_target.clif", OTHER_TARGET),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not a clif file").unwrap();
    let options = Options {
        compiler: &Assembled,
        timeout: Some(Duration::from_secs(10)),
        regalloc_checker: true,
        compile_only: None,
    };
    let mut reported = Vec::new();
    let summary = run_paths(std::slice::from_ref(&dir), &options, |o| {
        reported.push(o.to_string())
    })
    .unwrap();
    let statuses: Vec<Status> = summary.outcomes.iter().map(|o| o.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Pass,
            Status::Fail,
            Status::Fail,
            Status::Fail,
            Status::Skip
        ]
    );
    let show = |name: &str| dir.join(name).display().to_string();
    // Two x86_64 configurations (the host has SSE4.1) × 8 run commands.
    assert_eq!(
        reported[0],
        format!("PASS {} (16/16 runs)", show("a_passing.clif"))
    );
    assert_eq!(
        reported[1],
        format!(
            "FAIL {} (1/4 runs)\n    line 15: ; run: %off_by_one(7) == 7\n      actual: 8",
            show("b_wrong.clif")
        )
    );
    assert!(
        reported[2].starts_with(&format!(
            "FAIL {} (0/1 runs)\n    line 10: ; run: %divz(1) == 0\n      trapped: trap int_divz at %divz+0x0 (SIGILL at pc ",
            show("c_trapping.clif")
        )),
        "{}",
        reported[2]
    );
    assert_eq!(
        reported[3],
        format!(
            "FAIL {} (0/1 runs)\n    target x86_64: function %vectors: not supported yet: function vectors",
            show("d_uncompilable.clif")
        )
    );
    assert_eq!(
        reported[4],
        format!("SKIP {} (no x86_64 target)", show("e_other_target.clif"))
    );
    assert_eq!(summary.line(), "1 passed, 3 failed, 1 skipped");
}

#[test]
fn targets_the_host_lacks_are_skipped_and_bad_files_fail() {
    let dir = scratch("host");
    let options = Options {
        compiler: &Assembled,
        timeout: Some(Duration::from_secs(10)),
        regalloc_checker: true,
        compile_only: None,
    };
    // A feature this host lacks, if there is one.
    let all = [
        Feature::Avx512vbmi,
        Feature::Avx512bitalg,
        Feature::AvxVnni,
        Feature::Avx512vnni,
        Feature::Avx2,
        Feature::Bmi2,
        Feature::Sse41,
    ];
    if let Some(missing) = all.iter().find(|f| !f.on_host()) {
        let path = dir.join("lacking.clif");
        let text = WRONG.replace(
            "target x86_64",
            &format!("target x86_64 {}", missing.flag_name()),
        );
        std::fs::write(&path, text).unwrap();
        let outcome = run_file(&path, &options);
        assert_eq!(outcome.status, Status::Skip);
        assert_eq!(
            outcome.message.as_deref(),
            Some(format!("host lacks {}", missing.flag_name()).as_str())
        );
    }
    // With several configurations, a failure names the one it happened in.
    let path = dir.join("two_targets.clif");
    std::fs::write(
        &path,
        WRONG.replace("target x86_64", "target x86_64\ntarget x86_64 has_sse3"),
    )
    .unwrap();
    let outcome = run_file(&path, &options);
    assert_eq!((outcome.runs_passed, outcome.runs_total), (2, 8));
    assert!(
        outcome
            .message
            .as_deref()
            .unwrap()
            .starts_with("target x86_64: line 16: ; run: %off_by_one(7) == 7\n  actual: 8"),
        "{outcome}"
    );

    let path = dir.join("bad_flag.clif");
    std::fs::write(
        &path,
        WRONG.replace("target x86_64", "target x86_64 has_warp_drive"),
    )
    .unwrap();
    let outcome = run_file(&path, &options);
    assert_eq!(outcome.status, Status::Fail);
    assert_eq!(
        outcome.message.as_deref(),
        Some(
            "2:1: error: target x86_64 has_warp_drive: unknown x86_64 target flag `has_warp_drive`"
        )
    );
    let path = dir.join("unparsable.clif");
    std::fs::write(
        &path,
        "test run\ntarget x86_64\nfunction %f() {\nblock0:\n  bogus\n}\n",
    )
    .unwrap();
    let outcome = run_file(&path, &options);
    assert_eq!(outcome.status, Status::Fail);
    assert!(outcome.message.unwrap().starts_with("5:"));
    let outcome = run_file(&dir.join("missing.clif"), &options);
    assert_eq!(outcome.status, Status::Fail);
    assert!(outcome.message.unwrap().starts_with("cannot read file"));
}

#[test]
fn a_run_that_never_returns_times_out() {
    let dir = scratch("spin");
    let path = dir.join("spin.clif");
    let text =
        "test run\ntarget x86_64\nfunction %spin() -> i8 {\nblock0:\n    jump block0\n}\n; run\n";
    std::fs::write(&path, text).unwrap();
    let options = Options {
        compiler: &Assembled,
        timeout: Some(Duration::from_millis(100)),
        regalloc_checker: true,
        compile_only: None,
    };
    let outcome = run_file(&path, &options);
    assert_eq!(outcome.status, Status::Fail);
    let message = outcome.message.unwrap();
    assert!(
        message.starts_with("line 7: ; run: %spin()\n  trapped: timed out at %spin+0x0"),
        "{message}"
    );
}

const COMPILED_PASSING: &str = "test run
target x86_64
target x86_64 sse41

function %add(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = iadd v0, v1
    return v2
}
; run: %add(1, 2) == 3
; run: %add(-1, 1) == 0
; run: %add(2, 2) != 5

function %pair(i64) -> i64, i64 {
block0(v0: i64):
    v1 = iadd_imm v0, 1
    return v0, v1
}
; run: %pair(5) == [5, 6]

function %ident_f32(f32) -> f32 {
block0(v0: f32):
    return v0
}
; run: %ident_f32(0x1.5p3) == 0x1.5p3
; run: %ident_f32(-NaN:0x1) == -NaN:0x1

function %many(i64, i32, i128, i64, i64, i64, i64, i8, i128) -> i128 {
block0(v0: i64, v1: i32, v2: i128, v3: i64, v4: i64, v5: i64, v6: i64, v7: i8, v8: i128):
    return v8
}
; run: %many(0, 0, 1, 0, 0, 0, 0, 0, 0x20000000000000002) == 0x20000000000000002
";

const COMPILED_FAILING: &str = "test run
target x86_64

function %tr(i64) -> i64 {
block0(v0: i64):
    trapz v0, user7
    return v0
}
; run: %tr(3) == 3
; run: %tr(0) == 0

function %sub(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    v2 = isub v0, v1
    return v2
}
; run: %sub(1, 2) == 1
";

/// The same harness with rulesel's lowering as the compiler, and what `rulesel run` prints.
#[test]
fn files_compiled_by_the_lowering_pipeline() {
    let dir = scratch("lowering");
    std::fs::write(dir.join("a.clif"), COMPILED_PASSING).unwrap();
    std::fs::write(dir.join("b.clif"), COMPILED_FAILING).unwrap();
    std::fs::write(dir.join("c.clif"), OTHER_TARGET).unwrap();
    let options = Options {
        compiler: &Lowering,
        timeout: Some(Duration::from_secs(10)),
        regalloc_checker: true,
        compile_only: None,
    };
    let a = run_file(&dir.join("a.clif"), &options);
    assert_eq!(
        (a.status, a.runs_passed, a.runs_total),
        (Status::Pass, 14, 14),
        "{a}"
    );
    let b = run_file(&dir.join("b.clif"), &options);
    assert_eq!(
        (b.status, b.runs_passed, b.runs_total),
        (Status::Fail, 1, 3)
    );
    let message = b.message.unwrap();
    assert!(
        message.starts_with("line 10: ; run: %tr(0) == 0\n  trapped: trap user7 at %tr+0x"),
        "{message}"
    );

    // What `rulesel run` prints (its `main` only adds the exit status).
    let mut out = Vec::new();
    let ok = report(std::slice::from_ref(&dir), &options, &mut out).unwrap();
    assert!(!ok);
    let stdout = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    assert_eq!(
        lines[0],
        format!("PASS {} (14/14 runs)", dir.join("a.clif").display())
    );
    assert_eq!(
        lines[1],
        format!("FAIL {} (1/3 runs)", dir.join("b.clif").display())
    );
    assert_eq!(lines[2], "    line 10: ; run: %tr(0) == 0");
    assert!(lines[3].starts_with("      trapped: trap user7 at %tr+0x"));
    assert_eq!(
        lines[4],
        format!("SKIP {} (no x86_64 target)", dir.join("c.clif").display())
    );
    assert_eq!(lines[5], "1 passed, 1 failed, 1 skipped");
    let mut out = Vec::new();
    assert!(report(&[dir.join("a.clif")], &options, &mut out).unwrap());
    assert!(String::from_utf8(out)
        .unwrap()
        .ends_with("1 passed, 0 failed, 0 skipped\n"));
}

/// Counts the functions it compiles (with [`Assembled`]).
struct Counting(std::cell::Cell<usize>);

impl Compiler for Counting {
    fn compile(
        &self,
        func: &Function,
        flags: &Flags,
        features: TargetFeatures,
    ) -> Result<CompiledFunction, String> {
        self.0.set(self.0.get() + 1);
        Assembled.compile(func, flags, features)
    }
}

#[test]
fn targets_the_host_lacks_are_compiled_when_asked() {
    let Some(missing) = [Feature::Avx512vbmi, Feature::Avx512bitalg, Feature::AvxVnni]
        .into_iter()
        .find(|f| !f.on_host())
    else {
        println!("the host has every feature tried: nothing to check");
        return;
    };
    let dir = scratch("compile_only");
    let compiled = Counting(std::cell::Cell::new(0));
    let options = Options {
        compiler: &Assembled,
        timeout: Some(Duration::from_secs(10)),
        regalloc_checker: true,
        compile_only: Some(&compiled),
    };
    let target = format!("target x86_64 {}", missing.flag_name());
    // Compiled (its three functions), not run: still skipped, with the reason.
    let path = dir.join("lacking.clif");
    std::fs::write(&path, WRONG.replace("target x86_64", &target)).unwrap();
    let outcome = run_file(&path, &options);
    assert_eq!(outcome.status, Status::Skip);
    assert_eq!(compiled.0.get(), 3);
    let why = format!("host lacks {}", missing.flag_name());
    assert_eq!(outcome.message.as_deref(), Some(why.as_str()));
    // A compile error there fails the file, naming the target.
    let path = dir.join("lacking_uncompilable.clif");
    std::fs::write(&path, UNCOMPILABLE.replace("target x86_64", &target)).unwrap();
    let outcome = run_file(&path, &options);
    assert_eq!(outcome.status, Status::Fail);
    assert_eq!(
        outcome.message.as_deref(),
        Some(
            format!(
                "{target} (compiled only: {why}): function %vectors: not supported yet: function vectors"
            )
            .as_str()
        )
    );
}
