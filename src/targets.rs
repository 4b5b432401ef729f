//! The targets of a CLIF file: what its `set` and `target` lines ask for, checked as Cranelift
//! 0.135.8 checks them and reported at the line that is wrong.
//!
//! `set` lines accumulate; each `target x86_64 …` line takes the settings of the `set` lines
//! before it and its own CPU features. Other ISAs (`aarch64`, `riscv64`, `s390x`, `pulley64`)
//! are recorded as skipped, their flags unread. A `set` line after the last target line has no
//! effect, which Cranelift (built for all its targets, as its test runner is) reports as an
//! error.

use crate::ir::{Header, HeaderKind, ParseError, TestFile};
use crate::isa::x64::cpuid::TargetFeatures;
use crate::isa::x64::IsaFlags;
use crate::settings::Flags;

/// One `target x86_64 …` line with the settings in force there.
#[derive(Clone, Debug)]
pub struct X64Target {
    pub flags: Flags,
    pub features: TargetFeatures,
    /// The line as written after `target`, for messages: `x86_64 has_avx`.
    pub line: String,
    pub header: Header,
}

impl X64Target {
    /// The lowering's view of the features.
    pub fn isa(&self) -> IsaFlags {
        IsaFlags::from_features(self.features)
    }
}

/// The targets of a file.
#[derive(Clone, Debug, Default)]
pub struct FileTargets {
    /// The x86-64 targets, in file order.
    pub x86_64: Vec<X64Target>,
    /// The other targets named, as written after `target` (`aarch64 has_lse`).
    pub skipped: Vec<String>,
    /// The settings after every `set` line: what a file without targets compiles with.
    pub flags: Flags,
}

impl FileTargets {
    /// The settings and features to compile with when one configuration is wanted: the first
    /// x86-64 target's, or the file's settings with the SSE2 baseline.
    pub fn first(&self) -> (Flags, IsaFlags) {
        match self.x86_64.first() {
            Some(t) => (t.flags.clone(), t.isa()),
            None => (self.flags.clone(), IsaFlags::default()),
        }
    }
}

/// The ISAs Cranelift 0.135.8 knows besides x86-64: named in files, skipped here.
const OTHER_ISAS: [&str; 8] = [
    "aarch64",
    "riscv64",
    "riscv64gc",
    "s390x",
    "pulley32",
    "pulley64",
    "pulley32be",
    "pulley64be",
];

/// The architecture of a target triple (`x86_64-unknown-linux-gnu` → `x86_64`).
fn architecture(triple: &str) -> &str {
    triple.split('-').next().unwrap_or(triple)
}

/// Reads and checks the `set` and `target` lines of `file`.
pub fn file_targets(file: &TestFile) -> Result<FileTargets, ParseError> {
    let mut targets = FileTargets::default();
    let mut last_set: Option<&Header> = None;
    let error = |h: &Header, message: String| ParseError {
        pos: h.pos,
        offset: h.offset,
        message,
    };
    for header in &file.headers {
        match &header.kind {
            HeaderKind::Set { name, value } => {
                targets
                    .flags
                    .set(name, value.as_deref())
                    .map_err(|e| error(header, e.to_string()))?;
                last_set = Some(header);
            }
            HeaderKind::Target { isa, flags } => {
                let line = std::iter::once(isa.as_str())
                    .chain(flags.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ");
                match architecture(isa) {
                    "x86_64" => {
                        let features = TargetFeatures::from_target_flags(flags)
                            .map_err(|e| error(header, format!("target {line}: {e}")))?;
                        targets.x86_64.push(X64Target {
                            flags: targets.flags.clone(),
                            features,
                            line,
                            header: header.clone(),
                        });
                        last_set = None;
                    }
                    arch if OTHER_ISAS.contains(&arch) => {
                        targets.skipped.push(line);
                        last_set = None;
                    }
                    _ => return Err(error(header, format!("unknown target '{isa}'"))),
                }
            }
            HeaderKind::Test { .. } | HeaderKind::Feature { .. } => {}
        }
    }
    let any_target = !(targets.x86_64.is_empty() && targets.skipped.is_empty());
    if let (Some(set), true) = (last_set, any_target) {
        return Err(error(
            set,
            "a 'set' line after the last target line has no effect".into(),
        ));
    }
    Ok(targets)
}

/// Parses a CLIF file and checks its targets: [`crate::ir::parse_test_file`] followed by
/// [`file_targets`].
pub fn parse_clif(text: &str) -> Result<(TestFile, FileTargets), ParseError> {
    let file = crate::ir::parse_test_file(text)?;
    let targets = file_targets(&file)?;
    Ok((file, targets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(text: &str) -> Result<FileTargets, String> {
        parse_clif(text).map(|(_, t)| t).map_err(|e| e.to_string())
    }

    #[test]
    fn settings_accumulate_per_target() {
        let t = targets(
            "test compile precise-output\nset opt_level=speed\ntarget x86_64 has_avx=false sse42\ntarget aarch64 has_lse\nset is_pic\ntarget x86_64-unknown-linux skylake\n",
        )
        .unwrap();
        assert_eq!(t.x86_64.len(), 2);
        assert!(!t.x86_64[0].flags.is_pic && t.x86_64[1].flags.is_pic);
        assert!(t.x86_64[0].isa().sse42 && !t.x86_64[0].isa().avx);
        assert!(t.x86_64[1].isa().avx2);
        assert_eq!(t.skipped, ["aarch64 has_lse"]);
    }

    #[test]
    fn errors_are_located() {
        assert_eq!(
            targets("set opt_level=fast\n").unwrap_err(),
            "1:5: error: bad value for opt_level: `fast` (expected none, speed or speed_and_size)"
        );
        assert_eq!(
            targets("set enable_safepoints\n").unwrap_err(),
            "1:5: error: unknown setting `enable_safepoints`"
        );
        assert_eq!(
            targets("target x86_64 has_warp\n").unwrap_err(),
            "1:1: error: target x86_64 has_warp: unknown x86_64 target flag `has_warp`"
        );
        assert_eq!(
            targets("target x86_64\nset opt_level=speed\n").unwrap_err(),
            "2:5: error: a 'set' line after the last target line has no effect"
        );
        assert_eq!(
            targets("target mips\n").unwrap_err(),
            "1:1: error: unknown target 'mips'"
        );
        assert_eq!(
            targets("test run foo\n").unwrap_err(),
            "1:10: error: unknown option 'foo' of test run (it takes none)"
        );
        assert_eq!(
            targets("test frobnicate\n").unwrap_err(),
            "1:6: error: unknown test command 'frobnicate'"
        );
    }
}
