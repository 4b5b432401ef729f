//! Source files, spans and located diagnostics.
//!
//! Every finding of the rule toolchain is a [`Diagnostic`]: a severity, a message, a primary
//! [`Span`] and optional notes with spans of their own. A [`SourceMap`] owns the text of every
//! file of a program and renders a diagnostic the way compilers do:
//!
//! ```text
//! rules/x64/alu.rules:12:7: error: unknown term `iaddd`
//!    12 | (rule (iaddd x y) (add x y))
//!       |       ^^^^^
//! ```

use std::fmt::Write as _;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range `lo..hi` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub lo: u32,
    pub hi: u32,
}

impl Span {
    pub fn new(file: FileId, lo: usize, hi: usize) -> Span {
        Span {
            file,
            lo: lo as u32,
            hi: hi as u32,
        }
    }
}

/// How bad a finding is. Errors stop compilation; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One located finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// Secondary locations (e.g. the other rule of an overlap), each with its own message.
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            notes: Vec::new(),
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            span,
            notes: Vec::new(),
        }
    }

    pub fn with_note(mut self, span: Span, note: impl Into<String>) -> Diagnostic {
        self.notes.push((span, note.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A 1-based line and column (column counted in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

struct SourceFile {
    path: String,
    text: String,
    /// Byte offset of the start of every line.
    line_starts: Vec<u32>,
}

/// The text of every file of a program, by [`FileId`].
#[derive(Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file; `path` is only used in messages.
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        self.files.push(SourceFile {
            path: path.into(),
            text,
            line_starts,
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn file_ids(&self) -> impl Iterator<Item = FileId> {
        (0..self.files.len() as u32).map(FileId)
    }

    pub fn path(&self, file: FileId) -> &str {
        &self.files[file.0 as usize].path
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.files[file.0 as usize].text
    }

    /// Line and column of the start of `span`.
    pub fn line_col(&self, span: Span) -> LineCol {
        let f = &self.files[span.file.0 as usize];
        let line = f.line_starts.partition_point(|&s| s <= span.lo) - 1;
        let start = f.line_starts[line] as usize;
        let lo = (span.lo as usize).min(f.text.len());
        let col = f
            .text
            .get(start..lo)
            .map_or(lo - start, |s| s.chars().count());
        LineCol {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }

    /// `path:line:col` of the start of `span`.
    pub fn location(&self, span: Span) -> String {
        let lc = self.line_col(span);
        format!("{}:{}:{}", self.path(span.file), lc.line, lc.col)
    }

    /// The full text of the line containing the start of `span`, without its newline.
    pub fn line_text(&self, span: Span) -> &str {
        let f = &self.files[span.file.0 as usize];
        let line = self.line_col(span).line as usize - 1;
        let start = f.line_starts[line] as usize;
        let end = f
            .line_starts
            .get(line + 1)
            .map_or(f.text.len(), |&e| e as usize);
        f.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Renders a diagnostic: location, message, source line and caret, then each note alike.
    pub fn render(&self, d: &Diagnostic) -> String {
        let mut out = String::new();
        let what = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        self.render_one(&mut out, d.span, what, &d.message);
        for (span, note) in &d.notes {
            self.render_one(&mut out, *span, "note", note);
        }
        out
    }

    fn render_one(&self, out: &mut String, span: Span, what: &str, message: &str) {
        let lc = self.line_col(span);
        let line = self.line_text(span);
        let _ = writeln!(out, "{}: {what}: {message}", self.location(span));
        let gutter = lc.line.to_string();
        let _ = writeln!(out, " {gutter} | {line}");
        let width = {
            let rest = line.chars().count().saturating_sub(lc.col as usize - 1);
            let len = self
                .text(span.file)
                .get(span.lo as usize..span.hi as usize)
                .map_or(1, |s| s.lines().next().unwrap_or("").chars().count());
            len.clamp(1, rest.max(1))
        };
        let _ = writeln!(
            out,
            " {} | {}{}",
            " ".repeat(gutter.len()),
            " ".repeat(lc.col as usize - 1),
            "^".repeat(width)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_line_and_caret() {
        let mut map = SourceMap::new();
        let f = map.add("a.rules", "; c\n(rule (f x) y)\n");
        let d = Diagnostic::error(Span::new(f, 10, 11), "unbound variable `x`");
        assert_eq!(map.location(d.span), "a.rules:2:7");
        assert_eq!(
            map.render(&d),
            "a.rules:2:7: error: unbound variable `x`\n 2 | (rule (f x) y)\n   |       ^\n"
        );
    }
}
