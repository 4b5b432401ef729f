//! Linking objects into executables with the system C compiler driver (`cc`), which knows
//! where the C runtime's start files and libraries are.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why `cc` did not produce an executable.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum LinkError {
    /// `cc` could not be started (not installed, not on `PATH`).
    NoLinker(String),
    /// `cc` ran and failed; `stderr` is what it said.
    Failed { status: String, stderr: String },
    /// Writing the temporary object failed.
    Io(String),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::NoLinker(e) => write!(f, "cannot run the linker `cc`: {e}"),
            LinkError::Failed { status, stderr } => {
                write!(
                    f,
                    "linking with `cc` failed ({status}):\n{}",
                    stderr.trim_end()
                )
            }
            LinkError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LinkError {}

/// Links `objects` (or C sources) into the position-independent executable `output` with `cc`, against libc,
/// libm and `-l` libraries `libs`. Returns what `cc` printed on stderr (warnings), which is
/// empty for a clean link.
pub fn link_executable(
    objects: &[&Path],
    output: &Path,
    libs: &[String],
) -> Result<String, LinkError> {
    let mut cmd = Command::new("cc");
    cmd.arg("-pie").arg("-o").arg(output).args(objects);
    for l in libs {
        cmd.arg(format!("-l{l}"));
    }
    cmd.arg("-lm");
    let out = cmd
        .output()
        .map_err(|e| LinkError::NoLinker(e.to_string()))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(LinkError::Failed {
            status: out.status.to_string(),
            stderr,
        });
    }
    Ok(stderr)
}

/// Writes the object bytes `object` to a temporary file, links it and the files `others` (C
/// sources, objects, archives: whatever `cc` takes) into `output` as [`link_executable`] does,
/// and removes the temporary file.
pub fn link_object_bytes(
    object: &[u8],
    others: &[&Path],
    output: &Path,
    libs: &[String],
) -> Result<String, LinkError> {
    let tmp = temporary_object_path(output);
    std::fs::write(&tmp, object)
        .map_err(|e| LinkError::Io(format!("cannot write {}: {e}", tmp.display())))?;
    let inputs: Vec<&Path> = std::iter::once(tmp.as_path())
        .chain(others.iter().copied())
        .collect();
    let result = link_executable(&inputs, output, libs);
    let _ = std::fs::remove_file(&tmp);
    result
}

/// A file name for the object of `output` that no other link of this process uses.
fn temporary_object_path(output: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let stem = output
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "a.out".into());
    std::env::temp_dir().join(format!("rulesel-{}-{n}-{stem}.o", std::process::id()))
}
