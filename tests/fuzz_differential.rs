//! A short differential campaign against Cranelift's interpreter. Needs the `oracle` feature
//! (`cargo test --features oracle --test fuzz_differential`); without it the file is empty, so
//! the default `cargo test` never compiles Cranelift.
#![cfg(feature = "oracle")]

use rulesel::compile::RuleChoice;
use rulesel::fuzzgen::campaign::{run_campaign, Campaign};
use rulesel::fuzzgen::Limits;

#[test]
fn short_campaign_has_no_mismatches() {
    let out = std::env::temp_dir().join(format!("rulesel-fuzz-test-{}", std::process::id()));
    let campaign = Campaign {
        seed: 9,
        count: 300,
        calls_per_function: 4,
        limits: Limits::default(),
        out_dir: Some(out.clone()),
        minimise: true,
        rules: RuleChoice::Embedded,
        stop_at_first: false,
        start: 0,
    };
    let mut lines = Vec::new();
    let report = run_campaign(&campaign, |l| lines.push(l.to_string()));
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(report.mismatches, 0, "{}", lines.join("\n"));
    assert!(
        report.oracle_problems.is_empty(),
        "{:?}",
        report.oracle_problems
    );
    assert!(report.functions >= 300 && report.runs >= 1000, "{report:?}");
    // The short campaign reaches every calling convention, the exception-table calls and
    // the load folds.
    for conv in rulesel::fuzzgen::program::Conv::ALL {
        assert!(
            report.stats.conventions.contains_key(conv.name()),
            "no {} function in the short campaign",
            conv.name()
        );
    }
    for op in ["try_call", "try_call_indirect", "return_call"] {
        assert!(
            report.stats.pairs.keys().any(|(o, _)| o == op),
            "no {op} in the short campaign"
        );
    }
    assert!(
        report.stats.folds.values().filter(|&&n| n > 0).count() >= 3,
        "{:?}",
        report.stats.folds
    );
}

use rulesel::fuzzgen::differential::{build_oracle, build_rulesel, Runner};
use rulesel::fuzzgen::program::{Config, Ty};

/// The generator type of an IR type.
fn ty(t: rulesel::ir::Type) -> Ty {
    *Ty::ALL
        .iter()
        .find(|&&g| rulesel::fuzzgen::lowered::ir_type(g) == t)
        .unwrap_or_else(|| panic!("no generator type for {t}"))
}

/// Runs `%main` of `text` with every subset of the other functions compiled by Cranelift
/// (and the rest by rulesel) and compares its results with the interpreter's.
fn check_across_compilers(name: &str, settings: &[(&str, &str)], text: &str, args: &[u128]) {
    let config = Config {
        settings: settings
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        features: Default::default(),
    };
    let file = rulesel::ir::parse_test_file(text).expect("the case parses");
    let names: Vec<String> = file
        .functions
        .iter()
        .map(|f| {
            f.function
                .name
                .to_string()
                .trim_start_matches('%')
                .to_string()
        })
        .collect();
    let main = names.iter().position(|n| n == "main").expect("a %main");
    let sig = &file.functions[main].function.signature;
    let params: Vec<Ty> = sig.params.iter().map(|p| ty(p.value_type)).collect();
    let returns: Vec<Ty> = sig.returns.iter().map(|p| ty(p.value_type)).collect();
    for mask in 0..1u32 << names.len() {
        let native: Vec<&str> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, n)| n.as_str())
            .collect();
        let oracle = build_oracle(text, &config, &native).unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = oracle
            .call(main, args, &params)
            .expect("the interpreter runs it");
        let ours = build_rulesel(text, &config, &oracle, &mut Runner::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .call(main, args, &returns);
        assert!(
            ours.agrees(&theirs, &returns),
            "{name}, compiled by Cranelift: {native:?}: rulesel {} interpreter {}",
            ours.describe(&returns),
            theirs.describe(&returns)
        );
    }
}

/// Calls between rulesel's code and Cranelift's, in both directions, on the signatures where
/// rulesel's layout once differed from Cranelift's: an i128 under Windows x64 (the issue's
/// `(i128, i64, i128, i128) -> i128`), i128 halves split between a register and the stack,
/// the hidden return-area pointer, and tail-convention results beyond the registers.
#[test]
fn rulesel_and_cranelift_code_call_each_other() {
    let llvm = [("enable_llvm_abi_extensions", "true")];
    check_across_compilers(
        "windows i128",
        &llvm,
        "function %f(i128, i64, i128, i128) -> i128 windows_fastcall {
block0(v0: i128, v1: i64, v2: i128, v3: i128):
    v4 = uextend.i128 v1
    v5 = iadd v3, v4
    v6 = bxor v5, v2
    return v6
}
function %main(i128, i64, i128, i128) -> i128 {
    fn0 = %f(i128, i64, i128, i128) -> i128 windows_fastcall
block0(v0: i128, v1: i64, v2: i128, v3: i128):
    v4 = call fn0(v0, v1, v2, v3)
    return v4
}
",
        &[
            1,
            2,
            0x1234_5678_9abc_def0_1111_2222_3333_4444,
            u128::MAX - 5,
        ],
    );
    for conv in ["fast", "tail"] {
        check_across_compilers(
            &format!("i128 split under {conv}"),
            &llvm,
            &format!(
                "function %f(i64, i64, i64, i64, i64, i128, i64) -> i64, i128 {conv} {{
block0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64, v5: i128, v6: i64):
    v7 = iadd v0, v6
    v8 = uextend.i128 v4
    v9 = iadd v5, v8
    return v7, v9
}}
function %main(i64, i128) -> i64, i128 {{
    fn0 = %f(i64, i64, i64, i64, i64, i128, i64) -> i64, i128 {conv}
block0(v0: i64, v1: i128):
    v2, v3 = call fn0(v0, v0, v0, v0, v0, v1, v0)
    return v2, v3
}}
"
            ),
            &[7, 0xffff_ffff_ffff_fffe_0000_0000_0000_0001],
        );
    }
    for conv in ["system_v", "fast", "tail", "windows_fastcall"] {
        let rets = ["i64"; 11].join(", ");
        let vals: Vec<String> = (0..11).map(|i| format!("v{}", 10 + i)).collect();
        let consts: String = (0..11)
            .map(|i| {
                format!(
                    "    v{} = iconst.i64 {}\n    v{} = iadd v0, v{}\n",
                    40 + i,
                    i * 3,
                    10 + i,
                    40 + i
                )
            })
            .collect();
        check_across_compilers(
            &format!("return area under {conv}"),
            &[
                ("enable_multi_ret_implicit_sret", "true"),
                ("preserve_frame_pointers", "true"),
            ],
            &format!(
                "function %f(i64, f64) -> {rets}, f64 {conv} {{
block0(v0: i64, v1: f64):
{consts}    return {}, v1
}}
function %main(i64, f64) -> i64, i64, f64 {{
    fn0 = %f(i64, f64) -> {rets}, f64 {conv}
block0(v0: i64, v1: f64):
    {}, v31 = call fn0(v0, v1)
    return v20, v29, v31
}}
",
                vals.join(", "),
                (20..31)
                    .map(|i| format!("v{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &[100, 2.5f64.to_bits() as u128],
        );
    }
    // Winch packs the results other than the last at their own sizes, the first at the
    // highest offset (8-byte slots when one of them is extended).
    for (name, rets, ext) in [
        ("winch results packed", "i8, i64, f32, i16, i32, f64", ""),
        (
            "winch results in 8-byte slots",
            "i8 uext, i64, f32, i16, i32, f64",
            " uext",
        ),
    ] {
        check_across_compilers(
            name,
            &[("enable_multi_ret_implicit_sret", "true")],
            &format!(
                "function %f(i64) -> {rets} winch {{
block0(v0: i64):
    v1 = ireduce.i8 v0
    v2 = iconst.i64 -3
    v3 = f32const 0x1.5
    v4 = ireduce.i16 v0
    v5 = iconst.i32 0x7654_3210
    v6 = f64const -0x7.25
    v7 = iadd v2, v0
    return v1, v7, v3, v4, v5, v6
}}
function %main(i64) -> i8{ext}, i64, f32, i16, i32, f64 system_v {{
    fn0 = %f(i64) -> {rets} winch
block0(v0: i64):
    v1, v2, v3, v4, v5, v6 = call fn0(v0)
    return v1, v2, v3, v4, v5, v6
}}
"
            ),
            &[0x1_2345_6789_abcd_ef01],
        );
    }
}
