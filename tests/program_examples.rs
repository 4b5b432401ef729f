//! The example programs and the `compile` / `build` subcommands: each example is built by the
//! `rulesel` binary, run, and its output compared; bad input gives located errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rulesel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulesel"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulesel-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.clif"))
        .to_string_lossy()
        .into_owned()
}

/// Builds `examples/NAME.clif` with `rulesel build` and runs it.
fn build_and_run(name: &str) -> Output {
    let exe = scratch(name);
    let out = rulesel(&["build", &example(name), "-o", exe.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "rulesel build {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "warnings");
    Command::new(&exe).output().unwrap()
}

#[test]
fn fib_example() {
    let out = build_and_run("fib");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "0 1 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987 1597 2584 4181 6765\n"
    );
    assert!(out.status.success());
}

#[test]
fn sieve_example() {
    let out = build_and_run("sieve");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53 59 61 67 71 73 79 83 89 97 \n"
    );
    assert!(out.status.success());
}

#[test]
fn sort_example() {
    let out = build_and_run("sort");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "before:\n 31 4 15 9 26 5 35 8 97 1\nafter:\n 1 4 5 8 9 15 26 31 35 97\n"
    );
    assert!(out.status.success());
}

#[test]
fn interp_example() {
    let out = build_and_run("interp");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "10\n90\n720\n5040\n30240\n151200\n604800\n1814400\n3628800\n3628800\n"
    );
    assert!(out.status.success());
}

#[test]
fn compile_writes_an_object() {
    let obj = scratch("fib.o");
    let out = rulesel(&["compile", &example("fib"), "-o", obj.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&obj).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(bytes[16], 1, "ET_REL");
}

#[test]
fn bad_directive_is_located() {
    let src = scratch("bad.clif");
    std::fs::write(
        &src,
        "function %main() -> i32 {\nblock0:\n    v0 = iconst.i32 0\n    return v0\n}\n;! data %x = [i8 1, i9 2]\n",
    )
    .unwrap();
    let out = rulesel(&[
        "compile",
        src.to_str().unwrap(),
        "-o",
        scratch("bad.o").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.clif:6:21"), "{err}");
    assert!(err.contains("unknown item `i9`"), "{err}");
}

#[test]
fn link_failure_is_reported() {
    let src = scratch("undefined.clif");
    std::fs::write(
        &src,
        "function %main() -> i32 {\n    fn0 = %no_such_function_anywhere() -> i32\nblock0:\n    v0 = call fn0()\n    return v0\n}\n",
    )
    .unwrap();
    let out = rulesel(&[
        "build",
        src.to_str().unwrap(),
        "-o",
        scratch("undefined").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("linking with `cc` failed"), "{err}");
    assert!(err.contains("no_such_function_anywhere"), "{err}");
}

#[test]
fn duplicate_definition_is_an_error() {
    let src = scratch("dup.clif");
    std::fs::write(
        &src,
        "function %main() -> i32 {\nblock0:\n    v0 = iconst.i32 0\n    return v0\n}\n;! data %main = \"x\"\n",
    )
    .unwrap();
    let out = rulesel(&[
        "compile",
        src.to_str().unwrap(),
        "-o",
        scratch("dup.o").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dup.clif:6:1") && err.contains("defined twice"),
        "{err}"
    );
}

#[test]
fn libraries_are_passed_to_cc() {
    let exe = scratch("fib-with-lib");
    let ok = rulesel(&[
        "build",
        &example("fib"),
        "-o",
        exe.to_str().unwrap(),
        "-l",
        "m",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let missing = rulesel(&[
        "build",
        &example("fib"),
        "-o",
        exe.to_str().unwrap(),
        "-l",
        "rulesel_no_such_library",
    ]);
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("rulesel_no_such_library"), "{err}");
}
