//! `stack_limit = gvN` compiled from CLIF: the prologue loads the bound through the function's
//! global-value chain (vmctx → load → iadd_imm) and traps with `stack_overflow` when the new
//! stack pointer would fall below it. Calls go through the JIT's trampoline, which catches the
//! trap and reports where it happened.

use rulesel::ir::parse_functions;
use rulesel::jit::trampoline::Trampoline;
use rulesel::machinst::buffer::TrapCode;
use rulesel::module::{JitProgram, Module};
use rulesel::settings::Flags;

/// `%probe(vmctx)` returns the address of its stack slot. The limit is at `*(vmctx + 8) + 16`.
fn clif(slot_size: u32) -> String {
    format!(
        "function %probe(i64 vmctx) -> i64 {{
    ss0 = explicit_slot {slot_size}, align = 16
    gv0 = vmctx
    gv1 = load.i64 notrap aligned gv0+8
    gv2 = iadd_imm.i64 gv1, 16
    stack_limit = gv2
block0(v0: i64):
    v1 = stack_addr.i64 ss0
    v2 = iconst.i64 7
    store v2, v1
    return v1
}}"
    )
}

struct Probe {
    program: JitProgram,
    trampoline: Trampoline,
}

impl Probe {
    fn new(slot_size: u32) -> Probe {
        let text = clif(slot_size);
        let sig = parse_functions(&text).unwrap()[0].signature.clone();
        Probe {
            program: Module::from_clif(&text).unwrap().jit().unwrap(),
            trampoline: Trampoline::new(&sig, &Flags::default()).unwrap(),
        }
    }

    /// Calls `%probe` with stack limit `limit`: the slot address, or the trap code it raised.
    fn call(&self, limit: u64) -> Result<u64, Option<TrapCode>> {
        // The vmctx: word 1 holds the limit minus 16, which the iadd_imm adds back.
        let vmctx = [0, limit.wrapping_sub(16)];
        let mut values = vec![0u128; self.trampoline.slots()];
        values[0] = vmctx.as_ptr() as u128;
        let entry = self.program.address_of("probe").unwrap();
        // SAFETY: `%probe` has the signature the trampoline was made for; the context lives
        // across the call and the function only reads its word 1.
        let outcome = unsafe { self.trampoline.call(entry, &mut values) };
        match outcome {
            Ok(()) => Ok(values[0] as u64),
            Err(fault) => Err(self.program.code().locate(fault.pc).and_then(|at| at.trap)),
        }
    }
}

/// Finds the lowest limit that traps, knowing `runs` runs and `traps` traps.
fn boundary(probe: &Probe, mut runs: u64, mut traps: u64) -> u64 {
    while traps - runs > 1 {
        let mid = runs + (traps - runs) / 2;
        match probe.call(mid) {
            Ok(_) => runs = mid,
            Err(code) => {
                assert_eq!(code, Some(TrapCode::STACK_OVERFLOW), "limit {mid:#x}");
                traps = mid;
            }
        }
    }
    traps
}

fn check_frame(slot_size: u32) {
    let probe = Probe::new(slot_size);
    let slot = probe.call(0).expect("a zero limit never traps");
    // (Not u64::MAX: for small frames the bound plus the frame size may wrap around, as in
    // Cranelift; only frames of at least EARLY_STACK_CHECK_SIZE compare the bound itself first.)
    assert_eq!(
        probe.call(slot + (1 << 20)),
        Err(Some(TrapCode::STACK_OVERFLOW)),
        "a limit a megabyte above the stack traps"
    );
    // The limit right at the slot is above the new stack pointer: the frame would cross it.
    assert_eq!(probe.call(slot + 1), Err(Some(TrapCode::STACK_OVERFLOW)));
    let lowest_trapping = boundary(&probe, slot - 4096, slot + 1);
    let new_sp = lowest_trapping - 1;
    assert_eq!(
        new_sp % 16,
        0,
        "the checked stack pointer is 16-byte aligned"
    );
    assert!(
        slot - new_sp < 256,
        "the boundary is the bottom of the frame: slot {slot:#x}, sp {new_sp:#x}"
    );
    // The limit exactly at the new stack pointer still fits, and the slot is where it was.
    assert_eq!(probe.call(new_sp), Ok(slot));
}

#[test]
fn small_frame_traps_exactly_when_its_stack_pointer_crosses_the_limit() {
    check_frame(64);
}

#[test]
fn large_frame_traps_exactly_when_its_stack_pointer_crosses_the_limit() {
    // 64 pages: large enough for the prologue's early check before the frame-size add.
    check_frame(64 * 4096);
}

#[test]
fn stack_limits_the_prologue_cannot_reach_are_errors() {
    let symbol = "function %f(i64 vmctx) {
    gv0 = symbol %limit
    stack_limit = gv0
block0(v0: i64):
    return
}";
    let err = Module::from_clif(symbol).unwrap().jit().unwrap_err();
    assert!(
        err.to_string().contains("stack_limit from a symbol"),
        "{err}"
    );
    let no_vmctx = "function %f(i64) {
    gv0 = vmctx
    stack_limit = gv0
block0(v0: i64):
    return
}";
    let err = match Module::from_clif(no_vmctx) {
        Ok(module) => module.jit().unwrap_err().to_string(),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("vmctx"), "{err}");
}
