//! Vector input rulesel refuses: a located parse or verifier error, or "not supported yet"
//! from the compiler, never a panic or code.

use rulesel::compile::compile_function;
use rulesel::ir::{parse_test_file, verify_function};
use rulesel::isa::x64::IsaFlags;
use rulesel::settings::Flags;

/// The first error of `text`: parse, verify, then compile with every feature of this host.
fn first_error(text: &str) -> String {
    let file = match parse_test_file(text) {
        Err(e) => return e.to_string(),
        Ok(file) => file,
    };
    for f in &file.functions {
        if let Err(errors) = verify_function(&f.function) {
            return errors[0].to_string();
        }
        if let Err(e) = compile_function(&f.function, &Flags::default(), &IsaFlags::host()) {
            return e.message;
        }
    }
    "no error".to_string()
}

#[test]
fn a_256_bit_vector_is_not_supported_yet() {
    let param = "function %f(i32x8) -> i32x8 {\nblock0(v0: i32x8):\n    return v0\n}\n";
    assert_eq!(
        first_error(param),
        "not supported yet: i32x8 (vectors wider than 128 bits)"
    );
    let inside = "function %f(i64) {\nblock0(v0: i64):\n    v1 = load.i64x4 v0\n    \
                  v2 = iadd v1, v1\n    store v2, v0\n    return\n}\n";
    assert_eq!(
        first_error(inside),
        "not supported yet: i64x4 (vectors wider than 128 bits)"
    );
    let wide = "function %f(i64) {\nblock0(v0: i64):\n    v1 = load.f32x16 v0\n    \
                store v1, v0\n    return\n}\n";
    assert_eq!(
        first_error(wide),
        "not supported yet: f32x16 (vectors wider than 128 bits)"
    );
}

#[test]
fn a_dynamic_vector_type_is_a_located_error() {
    let text = "function %f(i64) {\n    gv0 = dyn_scale_target_const.i32x4\n    \
                dt0 = i32x4*gv0\nblock0(v0: i64):\n    v1 = load.dt0 v0\n    return\n}\n";
    let e = first_error(text);
    assert!(
        e.starts_with("3:") || e.contains("not supported yet"),
        "{e}"
    );
}

#[test]
fn lane_indexes_out_of_range_are_verifier_errors() {
    let extract = "function %f(i8x16) -> i8 {\nblock0(v0: i8x16):\n    \
                   v1 = extractlane v0, 16\n    return v1\n}\n";
    assert_eq!(
        first_error(extract),
        "3:5: error: function %f, inst0 (v1 = extractlane): lane index 16 is out of range for \
         i8x16 (16 lanes) [immediate]"
    );
    let insert = "function %f(i32x4, i32) -> i32x4 {\nblock0(v0: i32x4, v1: i32):\n    \
                  v2 = insertlane v0, v1, 4\n    return v2\n}\n";
    assert_eq!(
        first_error(insert),
        "3:5: error: function %f, inst0 (v2 = insertlane): lane index 4 is out of range for \
         i32x4 (4 lanes) [immediate]"
    );
}

#[test]
fn shuffle_masks_of_the_wrong_length_or_range_are_located_errors() {
    let short = "function %f(i8x16) -> i8x16 {\nblock0(v0: i8x16):\n    \
                 v1 = shuffle v0, v0, [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14]\n    return v1\n}\n";
    assert_eq!(
        first_error(short),
        "3:61: error: expected a lane index, found ']'"
    );
    let far = "function %f(i8x16) -> i8x16 {\nblock0(v0: i8x16):\n    \
               v1 = shuffle v0, v0, [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 32]\n    return v1\n}\n";
    let e = first_error(far);
    assert!(e.starts_with("3:") && e.contains("32"), "{e}");
}
