//! Bad CLIF input gets a located error message, never a panic. Each test asserts the message and
//! its `line:col`.

use rulesel::ir::verify_function;
use rulesel::targets::parse_clif;

/// The first error of `text`, parse (with the `set` and `target` lines checked) or verify:
/// `line:col: error: message`.
fn first_error(text: &str) -> String {
    match parse_clif(text) {
        Err(e) => e.to_string(),
        Ok((file, _)) => file
            .functions
            .iter()
            .find_map(|f| verify_function(&f.function).err())
            .map_or_else(|| "no error".into(), |errors| errors[0].to_string()),
    }
}

macro_rules! bad_input {
    ($($name:ident: $text:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(first_error($text), $expected);
        }
    )*};
}

bad_input! {
    truncated_before_closing_brace:
        "function %f() {\nblock0:\n    return\n"
        => "4:1: error: expected '}', found end of file";
    truncated_in_signature:
        "function %f(i32"
        => "1:16: error: expected ',' or ')' in parameter list, found end of file";
    truncated_in_instruction:
        "function %f(i32) {\nblock0(v0: i32):\n    v1 = iadd v0,"
        => "3:18: error: expected a value, found end of file";
    unknown_opcode:
        "function %f() {\nblock0:\n    v0 = frobnicate.i32 1\n    return\n}"
        => "3:10: error: unknown opcode 'frobnicate'";
    unknown_parameter_type:
        "function %f(i7) {\nblock0(v0: i7):\n    return\n}"
        => "1:13: error: unknown type 'i7'";
    unknown_suffix_type:
        "function %f() {\nblock0:\n    v0 = iconst.i33 1\n    return\n}"
        => "3:17: error: unknown type 'i33'";
    wrong_operand_type:
        "function %f(i32, i64) {\nblock0(v0: i32, v1: i64):\n    v2 = iadd v0, v1\n    return\n}"
        => "3:5: error: function %f, inst0 (v2 = iadd): operand 1 (v1) has type i64, expected i32 [types]";
    wrong_store_address_type:
        "function %f(i32, i8) {\nblock0(v0: i32, v1: i8):\n    store v0, v1\n    return\n}"
        => "3:5: error: function %f, inst0 (store): operand 1 (v1) has type i8, expected i32 or i64 [types]";
    float_opcode_on_integers:
        "function %f(i32) {\nblock0(v0: i32):\n    v1 = fadd v0, v0\n    return\n}"
        => "3:10: error: fadd does not accept type i32 of v0 (expected a float type)";
    undefined_value:
        "function %f(i32) {\nblock0(v0: i32):\n    v1 = iadd v0, v9\n    return\n}"
        => "3:5: error: function %f, inst0 (v1 = iadd): use of undefined value v9 [ssa]";
    undefined_controlling_value:
        "function %f(i32) {\nblock0(v0: i32):\n    v1 = iadd v9, v0\n    return\n}"
        => "3:10: error: cannot infer the type of iadd: v9 is not defined before this point; write iadd.TYPE";
    integer_literal_too_large:
        "function %f() {\nblock0:\n    v0 = iconst.i8 300\n    return\n}"
        => "3:20: error: integer literal '300' does not fit in 8 bits";
    float_literal_too_large:
        "function %f() {\nblock0:\n    v0 = f32const 0x1.0p200\n    return\n}"
        => "3:19: error: invalid float literal '0x1.0p200': float literal is too large for its type";
    float_literal_too_precise:
        "function %f() {\nblock0:\n    v0 = f32const 0x1.0000001p0\n    return\n}"
        => "3:19: error: invalid float literal '0x1.0000001p0': float literal has too many significant bits for its type";
    bad_nan_payload:
        "function %f() {\nblock0:\n    v0 = f32const NaN:0x400000\n    return\n}"
        => "3:19: error: invalid float literal 'NaN:0x400000': NaN payload out of range";
    value_defined_twice:
        "function %f(i32) {\nblock0(v0: i32):\n    v1 = iadd v0, v0\n    v1 = iadd v0, v0\n    return\n}"
        => "4:5: error: v1 is defined twice";
    block_defined_twice:
        "function %f() {\nblock0:\n    jump block1\nblock1:\n    return\nblock1:\n    return\n}"
        => "6:1: error: block1 is defined twice";
    stack_slot_declared_twice:
        "function %f() {\n    ss0 = explicit_slot 8\n    ss0 = explicit_slot 4\nblock0:\n    return\n}"
        => "3:5: error: stack slot ss0 is declared twice";
    use_not_dominated_by_definition:
        "function %f(i32) {\nblock0(v0: i32):\n    brif v0, block1, block2\nblock1:\n    v1 = iconst.i32 1\n    jump block2\nblock2:\n    v2 = iadd v1, v1\n    return\n}"
        => "8:5: error: function %f, inst3 (v2 = iadd): v1 is used where its definition (in block1) does not dominate the use [ssa]";
    use_before_definition_in_block:
        "function %f() {\nblock0:\n    v1 = iadd.i32 v2, v2\n    v2 = iconst.i32 1\n    return\n}"
        => "3:5: error: function %f, inst0 (v1 = iadd): v2 is used where its definition (in block0) does not dominate the use [ssa]";
    too_many_block_arguments:
        "function %f(i32) {\nblock0(v0: i32):\n    jump block1(v0, v0)\nblock1(v1: i32):\n    return\n}"
        => "3:5: error: function %f, inst0 (jump): block1 takes 1 argument(s), but 2 are passed [block-args]";
    too_few_block_arguments:
        "function %f(i32) {\nblock0(v0: i32):\n    brif v0, block1, block1(v0)\nblock1(v1: i32):\n    return\n}"
        => "3:5: error: function %f, inst0 (brif): block1 takes 1 argument(s), but 0 are passed [block-args]";
    wrong_block_argument_type:
        "function %f(i32) {\nblock0(v0: i32):\n    jump block1(v0)\nblock1(v1: i64):\n    return\n}"
        => "3:5: error: function %f, inst0 (jump): argument 0 to block1 has type i32, but the parameter v1 has type i64 [block-args]";
    branch_to_undefined_block:
        "function %f() {\nblock0:\n    jump block7\n}"
        => "3:10: error: block7 is not defined";
    missing_terminator:
        "function %f() {\nblock0:\n    v0 = iconst.i32 1\n}"
        => "3:5: error: function %f, inst0 (v0 = iconst): block0 does not end with a terminator [terminator]";
    terminator_in_the_middle:
        "function %f() {\nblock0:\n    return\n    v0 = iconst.i32 1\n    return\n}"
        => "3:5: error: function %f, inst0 (return): terminator return is not at the end of block0 [terminator]";
    undeclared_function:
        "function %f() {\nblock0:\n    call fn3()\n    return\n}"
        => "3:10: error: undeclared function fn3";
    undeclared_stack_slot:
        "function %f() {\nblock0:\n    v0 = stack_addr.i64 ss1\n    return\n}"
        => "3:25: error: undeclared stack slot ss1";
    unknown_condition_code:
        "function %f(i32) {\nblock0(v0: i32):\n    v1 = icmp foo v0, v0\n    return\n}"
        => "3:15: error: unknown integer condition code 'foo'";
    unknown_trap_code:
        "function %f() {\nblock0:\n    trap user0\n}"
        => "3:10: error: unknown trap code 'user0'";
    missing_type_suffix:
        "function %f() {\nblock0:\n    v0 = iconst 1\n    return\n}"
        => "3:10: error: iconst needs a type suffix, such as iconst.i64";
    suffix_on_fixed_type_opcode:
        "function %f() {\nblock0:\n    v0 = f32const.f32 0x1.0p0\n    return\n}"
        => "3:19: error: f32const does not take a type suffix";
    wrong_result_count:
        "function %f(i32) {\nblock0(v0: i32):\n    v1, v2 = iadd v0, v0\n    return\n}"
        => "3:5: error: iadd has 1 result(s) but 2 value(s) are defined";
    wrong_return_count:
        "function %f() -> i32 {\nblock0:\n    return\n}"
        => "3:5: error: function %f, inst0 (return): return has 0 return value(s), expected 1 [types]";
    entry_block_does_not_match_signature:
        "function %f(i32) {\nblock0:\n    return\n}"
        => "2:1: error: function %f: entry block block0 has 0 parameter(s) but the signature has 1 [layout]";
    call_argument_count:
        "function %f(i32) {\n    fn0 = %g()\nblock0(v0: i32):\n    call fn0(v0)\n    return\n}"
        => "4:5: error: function %f, inst0 (call): call has 1 argument(s), expected 0 [types]";
    unexpected_character:
        "function %f() {\nblock0:\n    return $\n}"
        => "3:12: error: unexpected character '$'";
    run_command_literal_out_of_range:
        "function %f(i8) -> i8 {\nblock0(v0: i8):\n    return v0\n}\n; run: %f(300) == 1"
        => "5:11: error: integer literal '300' does not fit in 8 bits";
    run_command_wrong_argument_count:
        "function %f(i8) -> i8 {\nblock0(v0: i8):\n    return v0\n}\n; run: %f(1, 2) == 1"
        => "5:12: error: expected ')' after 1 argument(s), found ','";
    run_command_before_any_function:
        "; run: %f() == 1\nfunction %f() {\nblock0:\n    return\n}"
        => "1:1: error: run command before any function";
    lane_index_out_of_range:
        "function %f(i32x4) {\nblock0(v0: i32x4):\n    v1 = extractlane v0, 4\n    return\n}"
        => "3:5: error: function %f, inst0 (v1 = extractlane): lane index 4 is out of range for i32x4 (4 lanes) [immediate]";
    vector_constant_missing_lane:
        "function %f() {\nblock0:\n    v0 = vconst.i32x4 [1 2 3]\n    return\n}"
        => "3:29: error: expected a lane value, found ']'";
    junk_at_top_level:
        "blah\nfunction %f() {\nblock0:\n    return\n}"
        => "1:1: error: expected 'function', 'test', 'target', 'set' or 'feature', found 'blah'";
    alias_cycle:
        "function %f() {\nblock0:\n    v1 -> v2\n    v2 -> v1\n    return\n}"
        => "3:5: error: alias v1 is part of a cycle";
    extension_to_a_wider_operand:
        "function %f(i64) {\nblock0(v0: i64):\n    v1 = load.i64 v0\n    v2 = uextend.i8 v1\n    return\n}"
        => "4:5: error: function %f, inst1 (v2 = uextend): operand 0 (v1) has type i64, expected a type narrower than i8 [types]";
}

#[test]
fn command_line_reports_path_line_column_and_caret() {
    let dir = std::env::temp_dir().join(format!("rulesel-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.clif");
    std::fs::write(
        &path,
        "function %f() {\nblock0:\n    v0 = nosuch.i32 1\n}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rulesel"))
        .arg("parse")
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let expected = format!(
        "{}:3:10: error: unknown opcode 'nosuch'\n    v0 = nosuch.i32 1\n         ^\n",
        path.display()
    );
    assert_eq!(stderr, expected);
}

/// Cutting every shared file short at many points, or damaging a byte, gives errors, not panics.
#[test]
fn truncated_and_damaged_files_never_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/clif-runtests");
    let mut checked = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "clif") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let step = (text.len() / 40).max(1);
        for cut in (0..text.len()).step_by(step) {
            if !text.is_char_boundary(cut) {
                continue;
            }
            let _ = first_error(&text[..cut]);
            let mut damaged = text.clone();
            let replacement = ["}", "v99", "(", "0x", ",", "block9"][cut % 6];
            let end = (cut + 1..=text.len())
                .find(|&e| damaged.is_char_boundary(e))
                .unwrap_or(text.len());
            damaged.replace_range(cut..end, replacement);
            let _ = first_error(&damaged);
            checked += 2;
        }
    }
    assert!(checked > 10_000, "{checked}");
}

bad_input! {
    value_number_too_high:
        "function %f() {\nblock0:\n    v4000000000 = iconst.i32 1\n    return\n}"
        => "3:5: error: v4000000000 is numbered too high (the limit is 16777216)";
    wide_vector_constant:
        "function %f() {\nblock0:\n    v0 = vconst.i8x32 0x1\n    return\n}"
        => "3:23: error: constants of type i8x32 are not supported";
    // The constructs of Cranelift's text beyond the run tests, each malformed.
    source_location_not_hex:
        "function %f() {\nblock0:\n@4fg2    return\n}"
        => "3:1: error: source location '@4fg2' is not a hexadecimal number";
    source_location_too_wide:
        "function %f() {\nblock0:\n@123456789    return\n}"
        => "3:1: error: source location '@123456789' does not fit in 32 bits";
    unknown_test_option:
        "test compile precisely\nfunction %f() {\nblock0:\n    return\n}"
        => "1:14: error: unknown option 'precisely' of test compile (it takes precise-output, expect-fail)";
    unknown_test_command:
        "test compiel\nfunction %f() {\nblock0:\n    return\n}"
        => "1:6: error: unknown test command 'compiel'";
    test_line_after_target:
        "target x86_64\ntest run\n"
        => "2:1: error: a 'test' line cannot follow 'target' and 'set' lines";
    stack_map_missing_slot:
        "function %f() {\n    ss0 = explicit_slot 8\n    fn0 = %g()\nblock0:\n    call fn0(), stack_map=[i32 @ ss1+0]\n    return\n}"
        => "5:34: error: undeclared stack slot ss1";
    stack_map_on_a_return:
        "function %f() {\n    ss0 = explicit_slot 8\n    fn0 = %g()\nblock0:\n    return_call fn0(), stack_map=[i32 @ ss0+0]\n}"
        => "5:5: error: a stack map can only be attached to a call that returns, not return_call";
    stack_map_without_offset:
        "function %f() {\n    ss0 = explicit_slot 8\n    fn0 = %g()\nblock0:\n    call fn0(), stack_map=[i32 @ ss0]\n    return\n}"
        => "5:37: error: expected '+', found ']'";
    exception_tag_out_of_range:
        "function %f() tail {\n    sig0 = () tail\n    fn0 = %g sig0\nblock0:\n    try_call fn0(), sig0, block1, [ tag4294967296: block1 ]\nblock1:\n    return\n}"
        => "5:37: error: exception tag 'tag4294967296' is out of range (tags are 32-bit: tag0 to tag4294967295)";
    exception_table_bad_entry:
        "function %f() tail {\n    sig0 = () tail\n    fn0 = %g sig0\nblock0:\n    try_call fn0(), sig0, block1, [ catch: block1 ]\nblock1:\n    return\n}"
        => "5:37: error: expected an exception tag, 'default' or 'context', found 'catch'";
    undeclared_alias_region:
        "function %f(i64) {\n    region0 = 1 \"heap\"\nblock0(v0: i64):\n    v1 = load.i32 region1 v0\n    return\n}"
        => "4:19: error: undeclared alias region region1";
    alias_regions_out_of_order:
        "function %f() {\n    region1 = 1 \"heap\"\nblock0:\n    return\n}"
        => "2:5: error: alias regions are declared in order: expected region0, found region1";
    alias_region_without_description:
        "function %f() {\n    region0 = 1\nblock0:\n    return\n}"
        => "3:1: error: expected a quoted description of the alias region, found 'block0'";
    two_alias_regions:
        "function %f(i64) {\n    region0 = 1 \"a\"\n    region1 = 2 \"b\"\nblock0(v0: i64):\n    v1 = load.i32 region0 region1 v0\n    return\n}"
        => "5:27: error: a memory access has at most one alias region";
    little_and_big:
        "function %f(i64) {\nblock0(v0: i64):\n    v1 = load.i32 little big v0\n    return\n}"
        => "3:26: error: cannot set both big and little endian bits";
    debug_tag_missing_slot:
        "function %f() {\nblock0:\n    <ss3, 1> return\n}"
        => "3:6: error: undeclared stack slot ss3";
    unknown_calling_convention:
        "function %f() cold {\nblock0:\n    return\n}"
        => "1:15: error: unknown calling convention 'cold'";
    unknown_setting:
        "set enable_safepoints\nfunction %f() {\nblock0:\n    return\n}"
        => "1:5: error: unknown setting `enable_safepoints`";
    global_value_load_may_trap:
        "function %f() {\n    gv0 = vmctx\n    gv1 = load.i64 aligned gv0\nblock0:\n    return\n}"
        => "3:20: error: global-value load must be notrap and aligned";
}

bad_input! {
    iconst_is_at_most_64_bits:
        "function %f() {\nblock0:\n    v0 = iconst.i128 1\n    return\n}"
        => "3:17: error: iconst does not accept type i128 (expected an integer type of at most 64 bits)";
    call_of_undeclared_signature_in_try_call:
        "function %f() {\n    fn0 = %g()\nblock0:\n    try_call fn0(), sig4, block1, []\nblock1:\n    return\n}"
        => "4:21: error: undeclared signature sig4";
    try_call_payload_out_of_range:
        "function %f() {\n    sig0 = ()\n    fn0 = %g sig0\nblock0:\n    try_call fn0(), sig0, block1, [ default: block2(exn2) ]\nblock1:\n    return\nblock2(v0: i64):\n    return\n}"
        => "5:5: error: function %f, inst0 (try_call): exn2 is not an exception payload of this edge [block-args]";
    handler_address_of_a_block_without_try_call:
        "function %f() -> i64 {\nblock0:\n    v0 = get_exception_handler_address.i64 block0, 0\n    return v0\n}"
        => "3:5: error: function %f, inst0 (v0 = get_exception_handler_address): block0 does not end in a try_call [immediate]";
    handler_address_out_of_range:
        "function %f() -> i64 {\n    sig0 = ()\n    fn0 = %g sig0\nblock0:\n    v0 = get_exception_handler_address.i64 block1, 1\n    jump block1\nblock1:\n    try_call fn0(), sig0, block2, [ default: block2 ]\nblock2:\n    return v0\n}"
        => "5:5: error: function %f, inst0 (v0 = get_exception_handler_address): the try_call ending block1 has no handler 1 (1 handlers) [immediate]";
    try_call_return_value_out_of_range:
        "function %f() {\n    sig0 = () -> i64\n    fn0 = %g sig0\nblock0:\n    try_call fn0(), sig0, block1(ret1), []\nblock1(v0: i64):\n    return\n}"
        => "5:5: error: function %f, inst0 (try_call): ret1 is not a return value of this call's normal edge [block-args]";
}

bad_input! {
    function_not_closed_before_the_next:
        "function %f() {\nblock0:\n    return\n\nfunction %g() {\nblock0:\n    return\n}"
        => "5:1: error: expected '}' to close function %f, found 'function'";
    block_parameter_without_colon:
        "function %f(i32) {\nblock0(v0 i32):\n    return\n}"
        => "2:11: error: expected ':', found 'i32'";
    block_header_without_colon:
        "function %f() {\nblock0\n    return\n}"
        => "3:5: error: expected ':', found 'return'";
}

/// Swapping words between places in the shared files (a cheap grammar-aware fuzzer, with a fixed
/// seed so failures reproduce) gives errors, not panics.
#[test]
fn shuffled_words_never_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/clif-runtests");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut tried = 0;
    let mut paths: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "clif"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let words: Vec<&str> = text.split_inclusive([' ', '\n', ',']).collect();
        if words.len() < 2 {
            continue;
        }
        for _ in 0..60 {
            let mut mutated: Vec<&str> = words.clone();
            for _ in 0..3 {
                let a = (next() % words.len() as u64) as usize;
                let b = (next() % words.len() as u64) as usize;
                mutated[a] = words[b];
            }
            let _ = first_error(&mutated.concat());
            tried += 1;
        }
    }
    assert!(tried > 10_000, "{tried}");
}

bad_input! {
    bitcast_changing_lane_count_needs_byte_order:
        "function %f(i32x4) -> i8x16 {\nblock0(v0: i32x4):\n    v1 = bitcast.i8x16 v0\n    return v1\n}"
        => "3:5: error: function %f, inst0 (v1 = bitcast): bitcast from i32x4 to i8x16 changes the lane count, so it needs a byte order (little or big) [bitcast]";
    bitcast_between_sizes:
        "function %f(i32) -> i64 {\nblock0(v0: i32):\n    v1 = bitcast.i64 v0\n    return v1\n}"
        => "3:5: error: function %f, inst0 (v1 = bitcast): operand 0 (v0) has type i32, expected a 64-bit type [types]";
}
