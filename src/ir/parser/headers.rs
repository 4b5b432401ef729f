//! The header lines of a test file, before its functions, in Cranelift's order: `test` lines,
//! then `target` and `set` lines mixed, then `feature` lines.
//!
//! A header line is read as words up to the end of the line (a `;` starts a comment). Test
//! commands and their options are checked against the ones Cranelift's test runner knows;
//! `target` and `set` words are kept as written and checked by the code that applies them
//! ([`crate::ir`] knows no settings), which reports errors at the header's position.

use super::{PResult, Parser};
use crate::ir::function::SourcePos;
use crate::ir::lexer::Token;

/// A header line of a test file, where it was written.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Header {
    pub kind: HeaderKind,
    pub pos: SourcePos,
    /// Byte offset of the line's first word, for showing the source line.
    pub offset: usize,
}

/// What a header line says.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum HeaderKind {
    /// `test compile precise-output`: the command and its options as written.
    Test {
        command: String,
        options: Vec<String>,
    },
    /// `target x86_64 sse41 has_avx=false`: the ISA and its flags as written.
    Target { isa: String, flags: Vec<String> },
    /// `set opt_level=speed`: one setting (a line with several gives several headers).
    Set { name: String, value: Option<String> },
    /// `feature "x"` (`enabled`) or `feature !"x"`: a Cranelift build feature the file needs.
    Feature { name: String, enabled: bool },
}

/// The test commands of Cranelift's test runner, with the options each takes.
const TEST_COMMANDS: [(&str, &[&str]); 13] = [
    ("alias-analysis", &[]),
    ("cat", &[]),
    ("compile", &["precise-output", "expect-fail"]),
    ("domtree", &[]),
    ("inline", &["precise-output"]),
    ("interpret", &[]),
    ("legalizer", &[]),
    ("optimize", &["precise-output"]),
    ("print-cfg", &[]),
    ("run", &[]),
    ("safepoint", &[]),
    ("unwind", &[]),
    ("verifier", &[]),
];

/// Where a header line may stand: each kind only after the kinds before it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Test,
    Target,
    Feature,
}

impl<'a> Parser<'a> {
    /// Reads the header lines at the start of the file.
    pub(super) fn headers(&mut self) -> PResult<Vec<Header>> {
        let mut headers = Vec::new();
        let mut section = Section::Test;
        while let Some(Token::Ident(word @ ("test" | "target" | "set" | "feature"))) = self.peek() {
            let wanted = match word {
                "test" => Section::Test,
                "feature" => Section::Feature,
                _ => Section::Target,
            };
            if wanted < section {
                let after = match section {
                    Section::Feature => "'feature' lines",
                    _ => "'target' and 'set' lines",
                };
                return Err(self.error_at(
                    self.offset(),
                    format!("a '{word}' line cannot follow {after}"),
                ));
            }
            section = wanted;
            headers.extend(self.header_line()?);
        }
        Ok(headers)
    }

    /// One header line: its words up to the end of the line or a `;` comment.
    fn header_line(&mut self) -> PResult<Vec<Header>> {
        let start = self.offset();
        let pos = self.lines.pos(start);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line = &self.text[start..line_end];
        let line = line.split(';').next().unwrap_or(line);
        while self.tokens.current().is_some_and(|s| s.start < line_end) {
            self.bump();
        }
        // Each word with its offset, for errors that point at it.
        let mut words = line
            .split_whitespace()
            .map(|w| (w, start + (w.as_ptr() as usize - line.as_ptr() as usize)));
        let (keyword, _) = words.next().unwrap_or_default();
        let header = |kind| Header {
            kind,
            pos,
            offset: start,
        };
        // A `set` word is located at itself, so an error names the setting's column.
        let located = |kind, at: usize| Header {
            kind,
            pos: self.lines.pos(at),
            offset: at,
        };
        Ok(match keyword {
            "test" => {
                let (command, at) = words
                    .next()
                    .ok_or_else(|| self.error_at(start, "expected a test command after 'test'"))?;
                let options = TEST_COMMANDS
                    .iter()
                    .find(|(c, _)| *c == command)
                    .map(|(_, o)| *o)
                    .ok_or_else(|| {
                        self.error_at(at, format!("unknown test command '{command}'"))
                    })?;
                let mut written = Vec::new();
                for (option, at) in words {
                    if !options.contains(&option) {
                        let known = if options.is_empty() {
                            "it takes none".to_string()
                        } else {
                            format!("it takes {}", options.join(", "))
                        };
                        return Err(self.error_at(
                            at,
                            format!("unknown option '{option}' of test {command} ({known})"),
                        ));
                    }
                    written.push(option.to_string());
                }
                vec![header(HeaderKind::Test {
                    command: command.to_string(),
                    options: written,
                })]
            }
            "target" => {
                let (isa, _) = words.next().ok_or_else(|| {
                    self.error_at(start, "expected a target triple after 'target'")
                })?;
                vec![header(HeaderKind::Target {
                    isa: isa.to_string(),
                    flags: words.map(|(w, _)| w.to_string()).collect(),
                })]
            }
            "feature" => {
                let rest = line["feature".len()..].trim();
                let (enabled, quoted) = match rest.strip_prefix('!') {
                    Some(r) => (false, r.trim_start()),
                    None => (true, rest),
                };
                let name = quoted
                    .strip_prefix('"')
                    .and_then(|q| q.strip_suffix('"'))
                    .filter(|n| !n.contains('"'))
                    .ok_or_else(|| {
                        self.error_at(start, "expected a quoted feature name: feature \"name\"")
                    })?;
                vec![header(HeaderKind::Feature {
                    name: name.to_string(),
                    enabled,
                })]
            }
            _ => {
                let settings: Vec<Header> = words
                    .map(|(w, at)| {
                        located(
                            match w.split_once('=') {
                                Some((n, v)) => HeaderKind::Set {
                                    name: n.into(),
                                    value: Some(v.into()),
                                },
                                None => HeaderKind::Set {
                                    name: w.into(),
                                    value: None,
                                },
                            },
                            at,
                        )
                    })
                    .collect();
                if settings.is_empty() {
                    return Err(self.error_at(start, "expected a setting after 'set'"));
                }
                settings
            }
        })
    }
}
