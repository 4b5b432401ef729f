//! Module directives: data objects and linkage written inside CLIF comments, so every file
//! stays valid for Cranelift's parser (which skips comments) while a module gets what CLIF has
//! no syntax for. A directive is a line whose first non-blank characters are `;!`:
//!
//! ```text
//! ;! local %helper                          %helper is STB_LOCAL (default: global)
//! ;! data %msg = "hello\n\0"               read-only bytes
//! ;! data mut %counter align 8 = [i64 0]   writable
//! ;! data mut %buf zeros 4096 align 16     zero-initialised (.bss)
//! ;! data local %table align 8 = [ptr %a, ptr %msg + 2, i32 -1, f64 0.5, "ab", zeros 3]
//! ```
//!
//! Names are written as in CLIF (`%name`, the same name a `symbol %name` global value or a
//! `fn0 = %name(...)` declaration uses). Items are stored little-endian, back to back without
//! padding; `ptr` is an 8-byte absolute address (`R_X86_64_64`) of a function or data object,
//! plus an optional offset. Strings take the escapes `\n \t \r \0 \\ \" \xHH`.

use crate::ir::function::SourcePos;
use crate::obj::{DataInit, DataReloc, Linkage, ObjData};

/// A directive found in the text.
#[derive(Clone, PartialEq, Debug)]
pub enum Directive {
    /// `;! local %name`
    Local(String),
    /// `;! data …`
    Data(ObjData),
}

/// A malformed directive: where and why.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DirectiveError {
    pub pos: SourcePos,
    /// Byte offset in the text, for showing the source line.
    pub offset: usize,
    pub message: String,
}

/// Every directive of `text`, in order.
pub fn parse_directives(text: &str) -> Result<Vec<(SourcePos, Directive)>, DirectiveError> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for (n, line) in text.split('\n').enumerate() {
        let trimmed = line.trim_start();
        if let Some(body) = trimmed.strip_prefix(";!") {
            let body_offset = line_start + (line.len() - trimmed.len()) + 2;
            let mut p = DirectiveParser {
                s: body,
                at: 0,
                line: n as u32 + 1,
                base: body_offset,
                col_base: (line.len() - trimmed.len()) as u32 + 3,
            };
            let pos = SourcePos {
                line: n as u32 + 1,
                col: (line.len() - trimmed.len()) as u32 + 1,
            };
            out.push((pos, p.directive()?));
        }
        line_start += line.len() + 1;
    }
    Ok(out)
}

struct DirectiveParser<'a> {
    s: &'a str,
    at: usize,
    line: u32,
    /// Byte offset of `s` in the whole text, and the column of its first character.
    base: usize,
    col_base: u32,
}

impl<'a> DirectiveParser<'a> {
    fn error<T>(&self, message: impl Into<String>) -> Result<T, DirectiveError> {
        Err(DirectiveError {
            pos: SourcePos {
                line: self.line,
                col: self.col_base + self.at as u32,
            },
            offset: self.base + self.at,
            message: message.into(),
        })
    }

    fn skip_blank(&mut self) {
        let rest = &self.s[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    /// Consumes `c` (after blanks) if it is next.
    fn eat(&mut self, c: char) -> bool {
        self.skip_blank();
        if self.rest().starts_with(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// The next word: letters, digits, `_`, `.`, and signs inside numbers.
    fn word(&mut self) -> &'a str {
        self.skip_blank();
        let start = self.at;
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || (i == 0 && c == '-'))
            })
            .map_or(rest.len(), |(i, _)| i);
        self.at += len;
        let s: &'a str = self.s;
        &s[start..self.at]
    }

    fn peek_word(&mut self) -> String {
        let save = self.at;
        let w = self.word().to_string();
        self.at = save;
        w
    }

    fn name(&mut self) -> Result<String, DirectiveError> {
        if !self.eat('%') {
            return self.error("expected a name written `%name`");
        }
        let w = self.word().to_string();
        if w.is_empty() || w.starts_with('-') {
            return self.error("expected a name after `%`");
        }
        Ok(w)
    }

    fn integer(&mut self) -> Result<i128, DirectiveError> {
        self.skip_blank();
        let save = self.at;
        let w = self.word().to_string();
        let (neg, digits) = match w.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, w.as_str()),
        };
        let v = match digits.strip_prefix("0x") {
            Some(hex) => i128::from_str_radix(&hex.replace('_', ""), 16),
            None => digits.replace('_', "").parse::<i128>(),
        };
        match v {
            Ok(v) => Ok(if neg { -v } else { v }),
            Err(_) => {
                self.at = save;
                self.error(format!("expected an integer, found `{w}`"))
            }
        }
    }

    fn end(&mut self) -> Result<(), DirectiveError> {
        self.skip_blank();
        if self.rest().is_empty() || self.rest().starts_with(';') {
            Ok(())
        } else {
            self.error("unexpected text after the directive")
        }
    }

    fn directive(&mut self) -> Result<Directive, DirectiveError> {
        let save = self.at;
        match self.word() {
            "local" => {
                let name = self.name()?;
                self.end()?;
                Ok(Directive::Local(name))
            }
            "data" => self.data(),
            w => {
                let w = w.to_string();
                self.at = save;
                self.error(format!(
                    "unknown directive `{w}` (expected `data` or `local`)"
                ))
            }
        }
    }

    fn data(&mut self) -> Result<Directive, DirectiveError> {
        let mut writable = false;
        let mut linkage = Linkage::Global;
        loop {
            match self.peek_word().as_str() {
                "mut" => writable = true,
                "local" => linkage = Linkage::Local,
                _ => break,
            }
            self.word();
        }
        let name = self.name()?;
        let mut align = 1u64;
        let mut init = None;
        let mut relocs = Vec::new();
        loop {
            if self.eat('=') {
                if init.is_some() {
                    return self.error("the data object already has contents");
                }
                init = Some(DataInit::Bytes(self.contents(&mut relocs)?));
                continue;
            }
            let save = self.at;
            match self.word() {
                "align" => {
                    let a = self.integer()?;
                    if a <= 0 || !(a as u64).is_power_of_two() || a > 1 << 16 {
                        return self.error("alignment must be a power of two up to 65536");
                    }
                    align = a as u64;
                }
                "zeros" if init.is_none() => {
                    let n = self.integer()?;
                    if !(0..=1 << 40).contains(&n) {
                        return self.error("size out of range");
                    }
                    init = Some(DataInit::Zeros(n as u64));
                }
                "" => break,
                w => {
                    let w = w.to_string();
                    self.at = save;
                    return self.error(format!(
                        "unexpected `{w}` (expected `align N`, `zeros N` or `= contents`)"
                    ));
                }
            }
        }
        self.end()?;
        let Some(init) = init else {
            return self.error("a data object needs contents: `= …` or `zeros N`");
        };
        Ok(Directive::Data(ObjData {
            name,
            linkage,
            writable,
            align,
            init,
            relocs,
        }))
    }

    /// `STRING` or `[item, …]`.
    fn contents(&mut self, relocs: &mut Vec<DataReloc>) -> Result<Vec<u8>, DirectiveError> {
        let mut bytes = Vec::new();
        self.skip_blank();
        if self.rest().starts_with('"') {
            self.string(&mut bytes)?;
            return Ok(bytes);
        }
        if !self.eat('[') {
            return self.error("expected a string or `[items]`");
        }
        if self.eat(']') {
            return Ok(bytes);
        }
        loop {
            self.item(&mut bytes, relocs)?;
            if self.eat(']') {
                return Ok(bytes);
            }
            if !self.eat(',') {
                return self.error("expected `,` or `]`");
            }
        }
    }

    fn item(
        &mut self,
        bytes: &mut Vec<u8>,
        relocs: &mut Vec<DataReloc>,
    ) -> Result<(), DirectiveError> {
        self.skip_blank();
        if self.rest().starts_with('"') {
            return self.string(bytes);
        }
        let save = self.at;
        let kind = self.word().to_string();
        let int = |p: &mut Self, bits: u32| -> Result<u64, DirectiveError> {
            p.skip_blank();
            let at = p.at;
            let v = p.integer()?;
            let (lo, hi) = (-(1i128 << (bits - 1)), (1i128 << bits) - 1);
            if v < lo || v > hi {
                p.at = at;
                return p.error(format!("{v} does not fit in {bits} bits"));
            }
            Ok(v as u64)
        };
        match kind.as_str() {
            "i8" => bytes.push(int(self, 8)? as u8),
            "i16" => bytes.extend_from_slice(&(int(self, 16)? as u16).to_le_bytes()),
            "i32" => bytes.extend_from_slice(&(int(self, 32)? as u32).to_le_bytes()),
            "i64" => bytes.extend_from_slice(&int(self, 64)?.to_le_bytes()),
            "f32" | "f64" => {
                self.skip_blank();
                let at = self.at;
                let w = self.word().to_string();
                let Ok(v) = w.parse::<f64>() else {
                    self.at = at;
                    return self.error(format!("expected a floating-point number, found `{w}`"));
                };
                if kind == "f32" {
                    bytes.extend_from_slice(&(v as f32).to_le_bytes());
                } else {
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
            }
            "ptr" => {
                let symbol = self.name()?;
                let addend = if self.eat('+') {
                    self.integer()?
                } else if self.eat('-') {
                    -self.integer()?
                } else {
                    0
                };
                let Ok(addend) = i64::try_from(addend) else {
                    return self.error("offset out of range");
                };
                relocs.push(DataReloc {
                    offset: bytes.len() as u64,
                    symbol,
                    addend,
                });
                bytes.extend_from_slice(&[0; 8]);
            }
            "zeros" => {
                let n = self.integer()?;
                if !(0..=1 << 24).contains(&n) {
                    return self.error("size out of range");
                }
                bytes.resize(bytes.len() + n as usize, 0);
            }
            _ => {
                self.at = save;
                return self.error(format!(
                    "unknown item `{kind}` (expected i8, i16, i32, i64, f32, f64, ptr, zeros or a string)"
                ));
            }
        }
        Ok(())
    }

    fn string(&mut self, bytes: &mut Vec<u8>) -> Result<(), DirectiveError> {
        self.at += 1;
        let mut chars = self.s[self.at..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok(());
                }
                '\\' => {
                    let esc = chars.next().map(|(_, e)| e);
                    match esc {
                        Some('n') => bytes.push(b'\n'),
                        Some('t') => bytes.push(b'\t'),
                        Some('r') => bytes.push(b'\r'),
                        Some('0') => bytes.push(0),
                        Some('\\') => bytes.push(b'\\'),
                        Some('"') => bytes.push(b'"'),
                        Some('x') => {
                            let hex: String = chars.by_ref().take(2).map(|(_, h)| h).collect();
                            match u8::from_str_radix(&hex, 16) {
                                Ok(b) if hex.len() == 2 => bytes.push(b),
                                _ => {
                                    self.at += i;
                                    return self.error("`\\x` takes two hex digits");
                                }
                            }
                        }
                        _ => {
                            self.at += i;
                            return self.error("unknown escape in string");
                        }
                    }
                }
                c => {
                    let mut buf = [0; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        self.error("unterminated string")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(text: &str) -> ObjData {
        match parse_directives(text).unwrap().remove(0).1 {
            Directive::Data(d) => d,
            d => panic!("not data: {d:?}"),
        }
    }

    #[test]
    fn strings_and_items() {
        let d = data(";! data %msg = \"hi\\n\\0\"");
        assert_eq!(d.init, DataInit::Bytes(b"hi\n\0".to_vec()));
        assert!(!d.writable);
        assert_eq!(d.linkage, Linkage::Global);
        let d = data("  ;! data mut local %t align 8 = [i8 -1, i16 0x1234, ptr %msg + 2, f32 1.5, \"a\", zeros 2]");
        let mut want = vec![0xff, 0x34, 0x12];
        want.extend([0; 8]);
        want.extend(1.5f32.to_le_bytes());
        want.extend([b'a', 0, 0]);
        assert_eq!(d.init, DataInit::Bytes(want));
        assert_eq!((d.writable, d.linkage, d.align), (true, Linkage::Local, 8));
        assert_eq!(
            d.relocs,
            vec![DataReloc {
                offset: 3,
                symbol: "msg".into(),
                addend: 2
            }]
        );
        let d = data(";! data mut %buf zeros 4096 align 16 ; trailing comment");
        assert_eq!((d.init, d.align), (DataInit::Zeros(4096), 16));
    }

    #[test]
    fn local_and_plain_comments() {
        let ds = parse_directives("; a comment\nfunction %f() {\n;! local %f\n}").unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].0, SourcePos { line: 3, col: 1 });
        assert_eq!(ds[0].1, Directive::Local("f".into()));
    }

    #[test]
    fn errors_are_located() {
        let e = parse_directives("\n;! data %x = [i8 300]").unwrap_err();
        assert_eq!(e.pos.line, 2);
        assert!(e.message.contains("does not fit"), "{}", e.message);
        assert_eq!(&"\n;! data %x = [i8 300]"[e.offset..], "300]");
        let e = parse_directives(";! data %x align 3 = \"\"").unwrap_err();
        assert!(e.message.contains("power of two"));
        let e = parse_directives(";! frob %x").unwrap_err();
        assert!(e.message.contains("unknown directive"));
        let e = parse_directives(";! data %x").unwrap_err();
        assert!(e.message.contains("needs contents"));
        let e = parse_directives(";! data %x = \"abc").unwrap_err();
        assert!(e.message.contains("unterminated"));
    }
}
