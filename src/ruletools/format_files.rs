//! `rulesel fmt [--check] [FILE|DIR]...`: formats `.rules` files in place with
//! [`crate::dsl::format`], or with `--check` only names the files that would change.

use crate::dsl::{format::format_rules, FileId, SourceMap, Style};
use std::path::{Path, PathBuf};

/// What formatting a set of files found.
#[derive(Debug, Default)]
pub struct FmtOutcome {
    /// Files whose text is not formatted (rewritten, unless checking).
    pub changed: Vec<PathBuf>,
    /// Files that could not be read or parsed, each with its rendered error.
    pub errors: Vec<String>,
    /// Files looked at.
    pub files: usize,
}

/// The `.rules` files named by `paths`: files as given, directories searched recursively, in
/// path order.
pub fn rules_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "rules") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| format!("{}: {e}", p.display()))?;
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// Formats every file of `paths` (see [`rules_files`]); with `check`, writes nothing. Errors
/// are rendered in `style`.
pub fn format_paths(paths: &[PathBuf], check: bool, style: Style) -> Result<FmtOutcome, String> {
    let mut outcome = FmtOutcome::default();
    for path in rules_files(paths)? {
        outcome.files += 1;
        let shown = path.display().to_string();
        let text = match std::fs::read(&path).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                outcome
                    .errors
                    .push(format!("error: {shown}: the file is not UTF-8 text\n"));
                continue;
            }
            Err(e) => {
                outcome.errors.push(format!("error: {shown}: {e}\n"));
                continue;
            }
        };
        let formatted = match format_rules(FileId(0), &text) {
            Ok(f) => f,
            Err(d) => {
                let mut map = SourceMap::new();
                map.add(shown, text);
                outcome.errors.push(map.render_styled(&d, style));
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if !check {
            std::fs::write(&path, &formatted).map_err(|e| format!("{shown}: {e}"))?;
        }
        outcome.changed.push(path);
    }
    Ok(outcome)
}

/// The `rulesel fmt` command: formats (or with `check` checks) `paths` (default `rules`),
/// names each file that changed or would change, and fails when checking found one, or on
/// any error.
pub fn command(paths: &[PathBuf], check: bool) -> std::process::ExitCode {
    let default = [PathBuf::from("rules")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let outcome = match format_paths(paths, check, Style::for_stream(&std::io::stderr())) {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for e in &outcome.errors {
        eprint!("{e}");
    }
    let verb = if check {
        "would reformat"
    } else {
        "reformatted"
    };
    for p in &outcome.changed {
        println!("{verb} {}", p.display());
    }
    let failed = !outcome.errors.is_empty() || (check && !outcome.changed.is_empty());
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
