//! User stack maps in the compiled code (`CompiledCode::user_stack_maps`): for each call with a
//! `stack_map=[…]`, the return address and, per entry, its type and the stack pointer offset
//! where the value sits during the call — checked against the offset the running code itself
//! computes from `stack_addr` and `get_stack_pointer`.

use rulesel::ir::Type;
use rulesel::module::Module;

const CLIF: &str = "
function %callee() {
block0:
    return
}

function %caller() -> i64 {
    ss0 = explicit_slot 16
    ss1 = explicit_slot 8
    fn0 = %callee()

block0:
    v0 = stack_addr.i64 ss1
    v1 = get_stack_pointer.i64
    v2 = isub v0, v1
    v3 = iconst.i64 5
    store v3, v0
    v4 = iconst.i32 6
    v5 = stack_addr.i64 ss0
    store v4, v5+4
    call fn0(), stack_map=[i64 @ ss1+0, i32 @ ss0+4]
    call fn0()
    return v2
}
";

#[test]
fn each_call_with_a_stack_map_lists_its_slots_by_stack_pointer_offset() {
    let module = Module::from_clif(CLIF).unwrap();
    let compiled = module.compile().unwrap();
    let caller = compiled.iter().find(|f| f.name == "caller").unwrap();
    let maps = &caller.code.user_stack_maps;
    assert_eq!(maps.len(), 1, "only the first call has a stack map");
    let map = &maps[0];
    assert!(
        caller
            .code
            .call_sites
            .iter()
            .any(|c| c.ret_offset == map.ret_offset),
        "the map is at a call's return address"
    );
    assert_eq!(map.entries.len(), 2);
    assert_eq!(map.entries[0].0, Type::I64);
    assert_eq!(map.entries[1].0, Type::I32);

    let program = module.jit().unwrap();
    let caller_fn = program.address_of("caller").unwrap();
    // SAFETY: `caller` is `() -> i64` under System V.
    let f: extern "C" fn() -> i64 = unsafe { std::mem::transmute(caller_fn) };
    let ss1_from_sp = f();
    assert_eq!(i64::from(map.entries[0].1), ss1_from_sp);
    // ss0 + 4 is in the other slot, 4 bytes into it.
    assert_ne!(map.entries[1].1, map.entries[0].1);
}
