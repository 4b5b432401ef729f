//! Thread-local variables: a C program with a `_Thread_local` variable that code compiled by
//! rulesel (`tls_value`, ELF general-dynamic through `__tls_get_addr`) reads and writes from
//! two threads and the main one, compiled and linked by `rulesel build`.

use std::path::PathBuf;
use std::process::Command;

const CLIF: &str = "set tls_model=elf_gd
target x86_64

function %bump(i64) -> i64 {
    gv0 = symbol tls %counter

block0(v0: i64):
    v1 = tls_value.i64 gv0
    v2 = load.i64 v1
    v3 = iadd v2, v0
    store v3, v1
    return v3
}

function %read_counter() -> i64 {
    gv0 = symbol tls %counter

block0:
    v0 = tls_value.i64 gv0
    v1 = load.i64 v0
    return v1
}
";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulesel-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn two_threads_each_bump_their_own_copy_through_rulesel_code() {
    let clif = scratch("tls.clif");
    std::fs::write(&clif, CLIF).unwrap();
    let exe = scratch("tls");
    let main_c = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs/tls_main.c");
    let build = Command::new(env!("CARGO_BIN_EXE_rulesel"))
        .arg("build")
        .arg(&clif)
        .arg(main_c)
        .arg("-o")
        .arg(&exe)
        .args(["-l", "pthread"])
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&build.stderr), "", "cc warned");
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success());
    // Each worker adds 1000 times its step to its own 5; main sets its own to 7, then adds 2.
    assert_eq!(String::from_utf8_lossy(&run.stdout), "1005 3005 7 9 9\n");
}

/// `tls_value` without a TLS model, or of a symbol that is not thread-local, is refused.
#[test]
fn tls_value_needs_a_model_and_a_tls_symbol() {
    let compile = |text: &str| {
        let (file, targets) = rulesel::targets::parse_clif(text).unwrap();
        let (flags, isa) = targets.first();
        rulesel::compile::compile_function(&file.functions[0].function, &flags, &isa)
            .map(|_| ())
            .map_err(|e| e.message)
    };
    let no_model = CLIF.replace("set tls_model=elf_gd\n", "");
    let e = compile(&no_model).unwrap_err();
    assert!(e.contains("set tls_model=elf_gd"), "{e}");
    let not_tls = CLIF.replace("symbol tls %counter", "symbol %counter");
    let e = compile(&not_tls).unwrap_err();
    assert!(e.contains("not a `symbol tls` global value"), "{e}");
}
