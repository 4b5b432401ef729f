//! Shared by the `program_*` tests: a CLIF module compiled to an object, checked with binutils,
//! linked with `cc` and run.

use rulesel::module::link::link_object_bytes;
use rulesel::module::Module;
use std::path::PathBuf;
use std::process::Command;

/// What a program did.
#[allow(dead_code)] // not every program test looks at output
pub struct Outcome {
    pub stdout: String,
    pub code: i32,
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulesel-programs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap();
    assert!(out.status.success(), "{name} {args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// Compiles `clif` into `name.o`, checks that `objdump -d` decodes all of it and that
/// `.eh_frame` has one FDE per function, and links it into the executable `name` (returned)
/// without warnings.
#[allow(dead_code)] // not every program test uses every helper
pub fn build_program(name: &str, clif: &str) -> PathBuf {
    build_program_with(name, clif, &[])
}

/// [`build_program`], linking the C sources or objects `others` too.
#[allow(dead_code)]
pub fn build_program_with(name: &str, clif: &str, others: &[&std::path::Path]) -> PathBuf {
    let module = Module::from_clif(clif).unwrap_or_else(|e| panic!("{name}: {e}"));
    let object = module
        .finish_object()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let obj_path = scratch(&format!("{name}.o"));
    std::fs::write(&obj_path, &object).unwrap();
    let obj = obj_path.to_str().unwrap();
    let listing = tool("objdump", &["-d", obj]);
    assert!(
        !listing.contains("(bad)"),
        "{name}: objdump found bad code:\n{listing}"
    );
    let defined = clif.matches("\nfunction ").count() + usize::from(clif.starts_with("function "));
    let symbols = tool("readelf", &["-sW", obj]);
    let functions = symbols.lines().filter(|l| l.contains(" FUNC ")).count();
    assert!(functions >= defined, "{name}: function symbols\n{symbols}");
    let frames = tool("readelf", &["--debug-dump=frames", obj]);
    assert_eq!(
        frames.matches(" FDE ").count(),
        functions,
        "{name}: FDEs\n{frames}"
    );
    let exe = scratch(name);
    let warnings =
        link_object_bytes(&object, others, &exe, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(warnings, "", "{name}: cc warned");
    exe
}

/// [`build_program`], then runs the executable with `args`.
#[allow(dead_code)]
pub fn run_program(name: &str, clif: &str, args: &[&str]) -> Outcome {
    let exe = build_program(name, clif);
    let out = Command::new(&exe).args(args).output().unwrap();
    Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}
