//! The module API's JIT path: functions and data objects of one CLIF module, with pointers
//! between them, compiled into this process and called.

use rulesel::module::{Module, ModuleError};

const CLIF: &str = r#"
;! data local %values align 4 = [i32 3, i32 5, i32 7]
;! data mut %total align 8 = [i64 100]
;! data %table align 8 = [ptr %values, ptr %values + 8, ptr %total]

; total += values[0] + values[2] (through the table); returns the new total.
function %accumulate() -> i64 {
    gv0 = symbol colocated %table
block0:
    v0 = symbol_value.i64 gv0
    v1 = load.i64 v0
    v2 = load.i64 v0+8
    v3 = load.i64 v0+16
    v4 = sload32.i64 v1
    v5 = sload32.i64 v2
    v6 = load.i64 v3
    v7 = iadd v4, v5
    v8 = iadd v6, v7
    store v8, v3
    return v8
}
"#;

#[test]
fn jit_module_with_data() {
    let program = Module::from_clif(CLIF).unwrap().jit().unwrap();
    let addr = program.address_of("accumulate").unwrap();
    // SAFETY: %accumulate is `() -> i64` under System V; `program` outlives the calls.
    let accumulate: extern "C" fn() -> i64 = unsafe { std::mem::transmute(addr) };
    assert_eq!(accumulate(), 110);
    assert_eq!(
        accumulate(),
        120,
        "the writable object keeps its value between calls"
    );
}

#[test]
fn jit_reports_unresolved_symbols() {
    let clif = "
function %f() -> i32 {
    fn0 = %no_such_symbol_in_this_process() -> i32
block0:
    v0 = call fn0()
    return v0
}";
    let err = Module::from_clif(clif).unwrap().jit().unwrap_err();
    assert!(matches!(err, ModuleError::Jit(_)), "{err:?}");
    assert!(
        err.to_string().contains("no_such_symbol_in_this_process"),
        "{err}"
    );
}
