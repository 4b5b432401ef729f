//! Source files, spans and located diagnostics.
//!
//! Every finding of the rule toolchain is a [`Diagnostic`]: a severity, a message, a primary
//! [`Span`] and optional notes with spans of their own. A [`SourceMap`] owns the text of every
//! file of a program and renders a diagnostic with `codespan-reporting`, every span of it in
//! one picture:
//!
//! ```text
//! error: rules overlap: this rule and the rule at t.rules:2 have the same priority (0) and …
//!   ┌─ t.rules:3:7
//!   │
//! 2 │ (rule (lower (iadd x y)) 1)
//!   │       ------------------ the other rule
//! 3 │ (rule (lower (iadd _ (iconst 3))) 2)
//!   │       ^^^^^^^^^^^^^^^^^^^^^^^^^^^ this rule
//! ```

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
    /// What the primary span is, shown under it (e.g. "this rule" beside "the other rule").
    pub label: Option<String>,
    /// Secondary locations (e.g. the other rule of an overlap), each with its own message.
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            label: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            span,
            label: None,
            notes: Vec::new(),
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
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

#[derive(Clone)]
struct SourceFile {
    path: String,
    text: String,
    /// Byte offset of the start of every line.
    line_starts: Vec<u32>,
}

/// The text of every file of a program, by [`FileId`].
#[derive(Clone, Default)]
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

    /// Renders a diagnostic as plain text (see [`Style`]).
    pub fn render(&self, d: &Diagnostic) -> String {
        self.render_styled(d, Style::Plain)
    }

    /// Renders a diagnostic with `codespan-reporting`: the message, the `path:line:col` of its
    /// span, then the source lines of the span and of every note in one picture, each span
    /// underlined with its label (notes in other files get a section of their own).
    pub fn render_styled(&self, d: &Diagnostic, style: Style) -> String {
        use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
        use codespan_reporting::term::{self, termcolor::Ansi};
        let report = match d.severity {
            Severity::Error => Report::error(),
            Severity::Warning => Report::warning(),
        };
        let mut primary = Label::primary(d.span.file, self.byte_range(d.span));
        if let Some(label) = &d.label {
            primary = primary.with_message(label);
        }
        let mut labels = vec![primary];
        labels.extend(d.notes.iter().map(|(span, note)| {
            Label::secondary(span.file, self.byte_range(*span)).with_message(note)
        }));
        let report = report.with_message(&d.message).with_labels(labels);
        let config = term::Config::default();
        // Spans come from this map, so rendering cannot miss a file or a line; should it
        // fail all the same, the one-line form still says what and where.
        let fallback = || {
            let what = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            format!("{}: {what}: {}\n", self.location(d.span), d.message)
        };
        match style {
            Style::Plain => {
                term::emit_into_string(&config, self, &report).unwrap_or_else(|_| fallback())
            }
            Style::Colour => {
                let mut out = Ansi::new(Vec::new());
                match term::emit_to_write_style(&mut out, &config, self, &report) {
                    Ok(()) => String::from_utf8_lossy(&out.into_inner()).into_owned(),
                    Err(_) => fallback(),
                }
            }
        }
    }

    /// The byte range of `span`, clamped to its file's text (spans made for the end of a file
    /// may point one past it).
    fn byte_range(&self, span: Span) -> std::ops::Range<usize> {
        let len = self.text(span.file).len();
        let lo = (span.lo as usize).min(len);
        lo..(span.hi as usize).clamp(lo, len)
    }
}

/// How diagnostics are rendered: with terminal colours, or as plain text for files, pipes,
/// logs and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Colour,
}

impl Style {
    /// Colour when `stream` is a terminal and `NO_COLOR` is not set.
    pub fn for_stream(stream: &impl std::io::IsTerminal) -> Style {
        if stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) {
            Style::Colour
        } else {
            Style::Plain
        }
    }
}

impl<'a> codespan_reporting::files::Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(&self.file(id)?.path)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(&self.file(id)?.text)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let f = self.file(id)?;
        Ok(f.line_starts.partition_point(|&s| s as usize <= byte) - 1)
    }

    fn line_range(
        &'a self,
        id: FileId,
        line: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        let f = self.file(id)?;
        let start =
            *f.line_starts
                .get(line)
                .ok_or(codespan_reporting::files::Error::LineTooLarge {
                    given: line,
                    max: f.line_starts.len() - 1,
                })? as usize;
        let end = f
            .line_starts
            .get(line + 1)
            .map_or(f.text.len(), |&e| e as usize);
        Ok(start..end)
    }
}

impl SourceMap {
    fn file(&self, id: FileId) -> Result<&SourceFile, codespan_reporting::files::Error> {
        self.files
            .get(id.0 as usize)
            .ok_or(codespan_reporting::files::Error::FileMissing)
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
            "error: unbound variable `x`\n  ┌─ a.rules:2:7\n  │\n2 │ (rule (f x) y)\n  │       ^\n\n"
        );
    }

    #[test]
    fn notes_share_the_picture_and_colour_is_asked_for() {
        let mut map = SourceMap::new();
        let f = map.add("t.rules", "(rule (f 1) 1)\n(rule (f _) 2)\n");
        let d = Diagnostic::error(Span::new(f, 21, 26), "rules overlap")
            .with_label("this rule")
            .with_note(Span::new(f, 6, 11), "the other rule");
        assert_eq!(
            map.render(&d),
            "error: rules overlap\n  ┌─ t.rules:2:7\n  │\n1 │ (rule (f 1) 1)\n  │       ----- the other rule\n2 │ (rule (f _) 2)\n  │       ^^^^^ this rule\n\n"
        );
        let coloured = map.render_styled(&d, Style::Colour);
        assert!(coloured.contains("\x1b["), "{coloured:?}");
        assert!(!map.render(&d).contains('\x1b'));
    }
}
