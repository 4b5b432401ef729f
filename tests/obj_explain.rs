//! Objects agree with `rulesel explain`: every machine instruction that lowering reports for a
//! function (before register allocation) is in `objdump -d`'s listing of that function in the
//! object, by mnemonic and count. Branches are left out: block layout may drop or invert them.

use rulesel::compile::explain_function;
use rulesel::ir::parse_test_file;
use rulesel::module::Module;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Mnemonic counts per function symbol in `objdump -d` (AT&T syntax, like `explain`).
fn objdump_mnemonics(object: &Path) -> BTreeMap<String, BTreeMap<String, usize>> {
    let out = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn"])
        .arg(object)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut functions: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(name) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")) {
            current = Some(name.1.to_string());
            continue;
        }
        let (Some(f), Some((_, inst))) = (&current, line.split_once(":\t")) else {
            continue;
        };
        if let Some(m) = inst.split_whitespace().next() {
            *functions
                .entry(f.clone())
                .or_default()
                .entry(m.to_string())
                .or_default() += 1;
        }
    }
    functions
}

fn check_agreement(name: &str, clif: &str) {
    let object = Module::from_clif(clif).unwrap().finish_object().unwrap();
    let dir = std::env::temp_dir().join(format!("rulesel-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.o"));
    std::fs::write(&path, object).unwrap();
    let listing = objdump_mnemonics(&path);
    let file = parse_test_file(clif).unwrap();
    for tf in &file.functions {
        let func = &tf.function;
        let symbol = func.name.to_string().trim_start_matches('%').to_string();
        // Objects are compiled position-independent; explain with the same flags.
        let flags = rulesel::settings::Flags {
            is_pic: true,
            ..Default::default()
        };
        let (steps, _) = explain_function(func, &flags, &Default::default()).unwrap();
        let mut wanted: BTreeMap<String, usize> = BTreeMap::new();
        for code in steps.iter().flat_map(|s| &s.code) {
            let m = code.split_whitespace().next().unwrap_or_default();
            // Branches and the pseudo-instructions for returns and jump tables.
            if m.starts_with('j') || m == "ret" {
                continue;
            }
            // A conditional trap is a branch over `ud2`.
            let m = if m == "trap" { "ud2" } else { m };
            *wanted.entry(m.to_string()).or_default() += 1;
        }
        assert!(
            !wanted.is_empty(),
            "{name} {symbol}: explain reported no code"
        );
        let have = listing
            .get(&symbol)
            .unwrap_or_else(|| panic!("no {symbol} in {name}.o"));
        // A lea whose destination the allocator made its base is written as the add it is.
        let count = |map: &BTreeMap<String, usize>, m: &str| map.get(m).copied().unwrap_or(0);
        let adds_from_leas = count(have, "add").saturating_sub(count(&wanted, "add"));
        for (m, &n) in &wanted {
            let found = match m.as_str() {
                "lea" => count(have, "lea") + adds_from_leas,
                _ => count(have, m),
            };
            assert!(
                found >= n,
                "{name} {symbol}: explain has {n} × {m}, objdump {found}\nexplain: {wanted:?}\nobjdump: {have:?}"
            );
        }
    }
}

#[test]
fn example_objects_agree_with_explain() {
    for name in ["fib", "sieve", "sort", "interp"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/{name}.clif"));
        check_agreement(name, &std::fs::read_to_string(path).unwrap());
    }
}
