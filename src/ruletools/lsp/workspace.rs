//! The files the language server works on: the `.rules` files under the workspace root as
//! they are on disk, with the open buffers in place of their files (unsaved text is checked
//! as it is), and the conversions between byte offsets and LSP positions (UTF-16 columns).

use crate::dsl::{self, FileId, SourceMap, Span};
use lsp_types::{Position, Range, Uri};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The workspace: its root and the open buffers.
#[derive(Default)]
pub struct Workspace {
    pub root: Option<PathBuf>,
    pub open: HashMap<PathBuf, String>,
}

/// The program as the server sees it at one moment: its sources (with the embedded prelude
/// first when the workspace has none) and, per file, its path on disk (`None` for the embedded
/// prelude and the host file).
pub struct Snapshot {
    pub sources: SourceMap,
    pub paths: Vec<Option<PathBuf>>,
    /// Rule files that could not be read as text, with why.
    pub unreadable: Vec<(PathBuf, String)>,
}

impl Snapshot {
    pub fn file_of(&self, path: &Path) -> Option<FileId> {
        self.paths
            .iter()
            .position(|p| p.as_deref() == Some(path))
            .map(|i| FileId(i as u32))
    }

    pub fn path(&self, f: FileId) -> Option<&Path> {
        self.paths.get(f.0 as usize)?.as_deref()
    }

    pub fn range(&self, span: Span) -> Range {
        let text = self.sources.text(span.file);
        Range {
            start: position(text, span.lo as usize),
            end: position(text, span.hi as usize),
        }
    }

    pub fn location(&self, span: Span) -> Option<lsp_types::Location> {
        Some(lsp_types::Location {
            uri: uri_of(self.path(span.file)?),
            range: self.range(span),
        })
    }
}

impl Workspace {
    /// The `.rules` files of the program: under the root (build output and hidden directories
    /// left out), then open buffers outside it, then `extra` if it is none of those.
    fn files(&self, extra: Option<&Path>) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if path.is_dir() {
                    if !name.starts_with('.') && name != "target" {
                        walk(&path, out);
                    }
                } else if path.extension().is_some_and(|e| e == "rules") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        if let Some(root) = &self.root {
            walk(root, &mut files);
        }
        files.sort();
        let mut open: Vec<&PathBuf> = self.open.keys().filter(|p| !files.contains(p)).collect();
        open.sort();
        files.extend(open.into_iter().cloned());
        if let Some(extra) = extra {
            if !files.iter().any(|f| f == extra) && extra.is_file() {
                files.push(extra.to_path_buf());
            }
        }
        files
    }

    /// The program now, including `extra` (a file a request names) if it exists.
    pub fn snapshot(&self, extra: Option<&Path>) -> Snapshot {
        let files = self.files(extra);
        let has_prelude = files
            .iter()
            .any(|p| p.file_name() == Some("prelude.rules".as_ref()));
        let (mut sources, mut paths) = if has_prelude {
            (SourceMap::new(), Vec::new())
        } else {
            let map = dsl::embedded_sources();
            let n = map.file_ids().count();
            (map, vec![None; n])
        };
        let mut unreadable = Vec::new();
        for p in files {
            let text = match self.open.get(&p) {
                Some(t) => t.clone(),
                None => match std::fs::read(&p).map(String::from_utf8) {
                    Ok(Ok(t)) => t,
                    Ok(Err(_)) => {
                        unreadable.push((p, "the file is not UTF-8 text".to_string()));
                        continue;
                    }
                    Err(e) => {
                        unreadable.push((p, e.to_string()));
                        continue;
                    }
                },
            };
            sources.add(p.display().to_string(), text);
            paths.push(Some(p));
        }
        Snapshot {
            sources,
            paths,
            unreadable,
        }
    }
}

/// The LSP position of byte `at` of `text` (line, UTF-16 column).
pub fn position(text: &str, at: usize) -> Position {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..line_start].matches('\n').count();
    let col: usize = text
        .get(line_start..at)
        .unwrap_or("")
        .chars()
        .map(char::len_utf16)
        .sum();
    Position::new(line as u32, col as u32)
}

/// The byte offset of LSP position `pos` in `text` (clamped to its line and the text).
pub fn offset(text: &str, pos: Position) -> usize {
    let mut start = 0;
    for _ in 0..pos.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..line_end].char_indices() {
        if units >= pos.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    line_end
}

/// The `file://` URI of `path`.
pub fn uri_of(path: &Path) -> Uri {
    let mut s = String::from("file://");
    for b in path.display().to_string().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&s).expect("a percent-encoded file URI parses")
}

/// The path of a `file://` URI.
pub fn path_of(uri: &Uri) -> Result<PathBuf, String> {
    let rest = uri
        .as_str()
        .strip_prefix("file://")
        .ok_or_else(|| format!("not a file URI: {}", uri.as_str()))?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&rest[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    let s = String::from_utf8(out).map_err(|_| format!("not a UTF-8 path: {}", uri.as_str()))?;
    Ok(PathBuf::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\n(é𝄞 x)\n";
        let at = text.find('x').unwrap();
        assert_eq!(position(text, at), Position::new(1, 5));
        assert_eq!(offset(text, Position::new(1, 5)), at);
        assert_eq!(offset(text, Position::new(9, 0)), text.len());
    }

    #[test]
    fn uris_round_trip() {
        let p = Path::new("/tmp/a b/ü.rules");
        assert_eq!(path_of(&uri_of(p)).unwrap(), p);
    }
}
