//! A hand-written recursive-descent parser for the grammar of `grammar/rules.lalrpop`, used for
//! speed: it builds the same syntax tree without the LR machinery (whose stack moves large
//! symbols around and whose actions build intermediate vectors), about three times faster.
//!
//! It only handles valid input. On anything it does not accept — a syntax error, a bad
//! character, an integer wider than 128 bits, nesting deeper than [`MAX_NESTING`] — it gives
//! up and [`parse_file`](super::parse::parse_file) runs the LALRPOP parser, which stays the
//! specification of the language and the source of every syntax diagnostic. The two must
//! accept exactly the same files and build equal trees; `tests/dsl_fuzz.rs` and the unit tests
//! of [`parse`](super::parse) check that on valid and mutated files.

use super::ast::*;
use super::diag::{FileId, Span};
use super::lexer::{int_value, Tok};
use super::parse::MAX_NESTING;

/// Parses a whole file, or returns `None` where the LALRPOP parser would report an error.
pub fn parse<'s>(file: FileId, text: &'s str, arena: &AstArena<'s>) -> Option<Vec<Def<'s>>> {
    parse_piece(file, text, 0, text.len(), arena)
}

/// Parses the top-level forms of `text[lo..hi]`, where `lo` is the start of a form (or of
/// the file) and `hi` the start of another (or the end of the file). Returns `None` where the
/// LALRPOP parser would report an error, and also when `hi` is not where a form starts (a
/// form that begins before `hi` ends after it): the caller then parses the whole file.
///
/// Spans are offsets into the whole of `text`, so the forms of consecutive pieces, joined,
/// are the forms of the file.
pub fn parse_piece<'s>(
    file: FileId,
    text: &'s str,
    lo: usize,
    hi: usize,
    arena: &AstArena<'s>,
) -> Option<Vec<Def<'s>>> {
    let mut p = Parser {
        arena,
        text,
        pos: lo,
        file,
        depth: 0,
        buf: [None; 2],
        pats: Vec::new(),
        exprs: Vec::new(),
    };
    p.fill()?;
    let mut defs = Vec::new();
    while let Some((_, start, _)) = p.buf[0] {
        if start as usize >= hi {
            // Look-ahead may lex past `hi`; the piece is good if a form starts exactly there.
            return (start as usize == hi).then_some(defs);
        }
        defs.push(p.def()?);
    }
    Some(defs)
}

/// Where to cut a file into pieces for [`parse_piece`]: the first `(` at the start of a line
/// at or after `from` (the end of the text if there is none). A guess: such a parenthesis
/// almost always opens a top-level form, and [`parse_piece`] notices when it does not.
pub fn next_cut(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    if from == 0 || from >= bytes.len() {
        return from.min(bytes.len());
    }
    bytes[from - 1..]
        .windows(2)
        .position(|w| w == b"\n(")
        .map_or(bytes.len(), |i| from + i)
}

/// Byte classes of [`CLASS`]: continues a name; ends a word (white space, `;`, `(`, `)`, `@`).
const NAME: u8 = 1;
const END: u8 = 2;

/// The class bits of every byte.
const CLASS: [u8; 256] = {
    let mut c = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let x = b as u8;
        if x.is_ascii_alphanumeric()
            || matches!(
                x,
                b'_' | b'.' | b'-' | b'<' | b'>' | b'=' | b'!' | b'?' | b'+' | b'*' | b'/'
            )
        {
            c[b] |= NAME;
        }
        if matches!(
            x,
            b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b';' | b'(' | b')' | b'@'
        ) {
            c[b] |= END;
        }
        b += 1;
    }
    c
};

/// A token and its byte range.
type Spanned<'s> = (Tok<'s>, u32, u32);

struct Parser<'s, 'a> {
    arena: &'a AstArena<'s>,
    text: &'s str,
    /// Where the lexer is in `text`.
    pos: usize,
    file: FileId,
    /// Parentheses open so far, counted as `parse::parse_file` counts them.
    depth: u32,
    /// The next two tokens (`None` at the end of the file).
    buf: [Option<Spanned<'s>>; 2],
    /// Scratch stacks: the elements of lists being parsed (nested lists push above their
    /// parent's elements and take them off before the parent goes on), so every list is
    /// allocated once at its final size.
    pats: Vec<Pattern<'s>>,
    exprs: Vec<Expr<'s>>,
}

impl<'s> Parser<'s, '_> {
    /// Lexes one token into the look-ahead; `None` on a lexical error or too deep nesting.
    ///
    /// A byte-level lexer for the tokens of [`Tok`]: it must find the tokens the `logos` lexer
    /// finds, so it gives up (and the LALRPOP parser, fed by `logos`, takes over) on anything
    /// but plain tokens separated by white space, comments, parentheses or `@`.
    fn lex_one(&mut self) -> Option<Option<Spanned<'s>>> {
        let bytes = self.text.as_bytes();
        let mut i = self.pos;
        loop {
            match bytes.get(i) {
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'\x0c') => i += 1,
                Some(b';') => {
                    i += bytes[i..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .unwrap_or(bytes.len() - i);
                }
                _ => break,
            }
        }
        let Some(&c) = bytes.get(i) else {
            self.pos = i;
            return Some(None);
        };
        let start = i;
        let tok = match c {
            b'(' => {
                if self.depth == MAX_NESTING {
                    return None;
                }
                self.depth += 1;
                i += 1;
                Tok::LParen
            }
            b')' => {
                self.depth = self.depth.saturating_sub(1);
                i += 1;
                Tok::RParen
            }
            b'@' => {
                i += 1;
                Tok::At
            }
            b'$' => {
                i += 1;
                if !bytes
                    .get(i)
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                {
                    return None;
                }
                while bytes
                    .get(i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
                {
                    i += 1;
                }
                Tok::ConstName(&self.text[start + 1..i])
            }
            b'-' | b'0'..=b'9' => {
                if c == b'-' {
                    i += 1;
                }
                #[inline(always)]
                fn digits(bytes: &[u8], i: &mut usize, ok: impl Fn(u8) -> bool) -> bool {
                    let from = *i;
                    while bytes.get(*i).is_some_and(|&b| ok(b) || b == b'_') {
                        *i += 1;
                    }
                    *i > from
                }
                let ok = match (bytes.get(i), bytes.get(i + 1)) {
                    (Some(b'0'), Some(b'x')) => {
                        i += 2;
                        digits(bytes, &mut i, |b| b.is_ascii_hexdigit())
                    }
                    (Some(b'0'), Some(b'b')) => {
                        i += 2;
                        digits(bytes, &mut i, |b| b == b'0' || b == b'1')
                    }
                    (Some(b'0'..=b'9'), _) => digits(bytes, &mut i, |b| b.is_ascii_digit()),
                    _ => false,
                };
                if !ok {
                    return None;
                }
                Tok::Int(&self.text[start..i])
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                i += 1;
                while i < bytes.len() && CLASS[bytes[i] as usize] & NAME != 0 {
                    i += 1;
                }
                // Slice patterns compile to byte comparisons (no string comparison calls).
                match &bytes[start..i] {
                    [b'_'] => Tok::Underscore,
                    [b't', b'y', b'p', b'e'] => Tok::Type,
                    [b'p', b'r', b'i', b'm', b'i', b't', b'i', b'v', b'e'] => Tok::Primitive,
                    [b'e', b'n', b'u', b'm'] => Tok::Enum,
                    [b'd', b'e', b'c', b'l'] => Tok::Decl,
                    [b'p', b'a', b'r', b't', b'i', b'a', b'l'] => Tok::Partial,
                    [b'm', b'u', b'l', b't', b'i'] => Tok::Multi,
                    [b'e', b'x', b't', b'e', b'r', b'n'] => Tok::Extern,
                    [b'c', b'o', b'n', b's', b't', b'r', b'u', b'c', b't', b'o', b'r'] => {
                        Tok::Constructor
                    }
                    [b'e', b'x', b't', b'r', b'a', b'c', b't', b'o', b'r'] => Tok::Extractor,
                    [b'c', b'o', b'n', b's', b't'] => Tok::Const,
                    [b'r', b'u', b'l', b'e'] => Tok::Rule,
                    [b'i', b'f', b'-', b'l', b'e', b't'] => Tok::IfLet,
                    [b'i', b'f'] => Tok::If,
                    [b'l', b'e', b't'] => Tok::Let,
                    [b'a', b'n', b'd'] => Tok::And,
                    _ => Tok::Name(&self.text[start..i]),
                }
            }
            _ => return None,
        };
        // A word must end where `logos` would end it: at white space, a comment, a
        // parenthesis, `@` or the end of the file.
        let word = !matches!(tok, Tok::LParen | Tok::RParen | Tok::At);
        if word && i < bytes.len() && CLASS[bytes[i] as usize] & END == 0 {
            return None;
        }
        self.pos = i;
        Some(Some((tok, start as u32, i as u32)))
    }

    fn fill(&mut self) -> Option<()> {
        self.buf[0] = self.lex_one()?;
        if self.buf[0].is_some() {
            self.buf[1] = self.lex_one()?;
        }
        Some(())
    }

    /// Consumes the next token.
    fn bump(&mut self) -> Option<Spanned<'s>> {
        let t = self.buf[0].take()?;
        self.buf[0] = self.buf[1].take();
        if self.buf[0].is_some() {
            self.buf[1] = self.lex_one()?;
        }
        Some(t)
    }

    fn peek(&self) -> Option<Tok<'s>> {
        self.buf[0].map(|t| t.0)
    }

    fn peek2(&self) -> Option<Tok<'s>> {
        self.buf[1].map(|t| t.0)
    }

    fn span(&self, lo: u32, hi: u32) -> Span {
        Span {
            file: self.file,
            lo,
            hi,
        }
    }

    /// Consumes `tok`; returns its start.
    fn expect(&mut self, tok: Tok<'s>) -> Option<u32> {
        let (t, lo, _) = self.bump()?;
        (t == tok).then_some(lo)
    }

    /// Consumes `)`; returns its end.
    fn close(&mut self) -> Option<u32> {
        match self.bump()? {
            (Tok::RParen, _, hi) => Some(hi),
            _ => None,
        }
    }

    fn id(&mut self) -> Option<Ident<'s>> {
        match self.bump()? {
            (Tok::Name(name), lo, hi) => Some(Ident {
                name,
                span: self.span(lo, hi),
            }),
            _ => None,
        }
    }

    fn const_id(&mut self) -> Option<Ident<'s>> {
        match self.bump()? {
            (Tok::ConstName(name), lo, hi) => Some(Ident {
                name,
                span: self.span(lo, hi),
            }),
            _ => None,
        }
    }

    fn int_lit(&mut self) -> Option<(i128, Span)> {
        match self.bump()? {
            (Tok::Int(text), lo, hi) => Some((int_value(text)?, self.span(lo, hi))),
            _ => None,
        }
    }

    fn def(&mut self) -> Option<Def<'s>> {
        let lo = self.expect(Tok::LParen)?;
        match self.bump()?.0 {
            Tok::Type => {
                let name = self.id()?;
                self.expect(Tok::LParen)?;
                let body = match self.bump()?.0 {
                    Tok::Primitive => {
                        let rust = self.id()?;
                        self.close()?;
                        TypeBody::Primitive(rust)
                    }
                    Tok::Enum => {
                        let mut variants = Vec::new();
                        while self.peek()? != Tok::RParen {
                            variants.push(self.variant()?);
                        }
                        self.close()?;
                        TypeBody::Enum(variants)
                    }
                    _ => return None,
                };
                let hi = self.close()?;
                Some(Def::Type(Box::new(TypeDef {
                    name,
                    body,
                    span: self.span(lo, hi),
                })))
            }
            Tok::Decl => {
                let partial = self.peek()? == Tok::Partial;
                if partial {
                    self.bump()?;
                }
                let multi = match self.peek()? {
                    Tok::Multi => {
                        let (_, l, h) = self.bump()?;
                        Some(self.span(l, h))
                    }
                    _ => None,
                };
                let name = self.id()?;
                self.expect(Tok::LParen)?;
                let mut args = Vec::new();
                while self.peek()? != Tok::RParen {
                    args.push(self.id()?);
                }
                self.close()?;
                let ret = self.id()?;
                let hi = self.close()?;
                Some(Def::Decl(Box::new(Decl {
                    name,
                    partial,
                    multi,
                    args,
                    ret,
                    span: self.span(lo, hi),
                })))
            }
            Tok::Extern => {
                let kind = match self.bump()?.0 {
                    Tok::Constructor => ExternKind::Constructor,
                    Tok::Extractor => ExternKind::Extractor,
                    _ => return None,
                };
                let term = self.id()?;
                let rust = self.id()?;
                let hi = self.close()?;
                Some(Def::Extern(Box::new(ExternDef {
                    kind,
                    term,
                    rust,
                    span: self.span(lo, hi),
                })))
            }
            Tok::Const => {
                let name = self.const_id()?;
                let ty = self.id()?;
                let (value, value_span) = self.int_lit()?;
                let hi = self.close()?;
                Some(Def::Const(Box::new(ConstDef {
                    name,
                    ty,
                    value,
                    value_span,
                    span: self.span(lo, hi),
                })))
            }
            Tok::Rule => self.rule(lo).map(Def::Rule),
            _ => None,
        }
    }

    fn variant(&mut self) -> Option<Variant<'s>> {
        if self.peek()? != Tok::LParen {
            let name = self.id()?;
            return Some(Variant {
                name,
                fields: Vec::new(),
            });
        }
        self.bump()?;
        let name = self.id()?;
        let mut fields = Vec::new();
        while self.peek()? != Tok::RParen {
            self.expect(Tok::LParen)?;
            let name = self.id()?;
            let ty = self.id()?;
            self.close()?;
            fields.push(Field { name, ty });
        }
        self.close()?;
        Some(Variant { name, fields })
    }

    /// The rest of a rule, after `(rule` (which started at `lo`).
    fn rule(&mut self, lo: u32) -> Option<&'s Rule<'s>> {
        let name = match self.peek()? {
            Tok::Name(_) => Some(self.id()?),
            _ => None,
        };
        let prio = match self.peek()? {
            Tok::Int(_) => Some(self.int_lit()?),
            _ => None,
        };
        let pattern = self.term_pat()?;
        let mut guards = Vec::new();
        // (A rule without guards allocates nothing here.)
        loop {
            if self.peek()? != Tok::LParen {
                break;
            }
            match self.peek2()? {
                Tok::IfLet => {
                    let (_, l, _) = self.bump()?;
                    self.bump()?;
                    let p = self.pat()?;
                    let e = self.expr()?;
                    let h = self.close()?;
                    guards.push(Guard::IfLet(p, e, self.span(l, h)));
                }
                Tok::If => {
                    let (_, l, _) = self.bump()?;
                    self.bump()?;
                    let e = self.expr()?;
                    let h = self.close()?;
                    guards.push(Guard::If(e, self.span(l, h)));
                }
                _ => break,
            }
        }
        let body = self.expr()?;
        let hi = self.close()?;
        Some(self.arena.alloc(Rule {
            name,
            prio,
            pattern,
            guards: self.arena.slice(guards),
            body,
            span: self.span(lo, hi),
        }))
    }

    /// `(head pat…)`.
    fn term_pat(&mut self) -> Option<Pattern<'s>> {
        let lo = self.expect(Tok::LParen)?;
        let head = self.id()?;
        self.term_pat_rest(lo, head)
    }

    fn term_pat_rest(&mut self, lo: u32, head: Ident<'s>) -> Option<Pattern<'s>> {
        let args = self.pat_list()?;
        let hi = self.close()?;
        Some(Pattern::Term(head, args, self.span(lo, hi)))
    }

    /// Patterns up to (not including) the next `)`.
    fn pat_list(&mut self) -> Option<&'s [Pattern<'s>]> {
        let start = self.pats.len();
        while self.peek()? != Tok::RParen {
            let p = self.pat()?;
            self.pats.push(p);
        }
        Some(self.arena.slice(self.pats.drain(start..)))
    }

    fn pat(&mut self) -> Option<Pattern<'s>> {
        match self.bump()? {
            (Tok::Underscore, lo, hi) => Some(Pattern::Wildcard(self.span(lo, hi))),
            (Tok::Name(name), lo, hi) => {
                let id = Ident {
                    name,
                    span: self.span(lo, hi),
                };
                if self.peek() == Some(Tok::At) {
                    self.bump()?;
                    let p = self.pat()?;
                    return Some(Pattern::Bind(id, self.arena.alloc(p)));
                }
                Some(Pattern::Var(id))
            }
            (Tok::Int(text), lo, hi) => Some(Pattern::Int(int_value(text)?, self.span(lo, hi))),
            (Tok::ConstName(name), lo, hi) => Some(Pattern::Const(Ident {
                name,
                span: self.span(lo, hi),
            })),
            (Tok::LParen, lo, _) => match self.peek()? {
                Tok::And => {
                    self.bump()?;
                    let ps = self.pat_list()?;
                    let hi = self.close()?;
                    Some(Pattern::And(ps, self.span(lo, hi)))
                }
                _ => {
                    let head = self.id()?;
                    self.term_pat_rest(lo, head)
                }
            },
            _ => None,
        }
    }

    fn expr(&mut self) -> Option<Expr<'s>> {
        match self.bump()? {
            (Tok::Name(name), lo, hi) => Some(Expr::Var(Ident {
                name,
                span: self.span(lo, hi),
            })),
            (Tok::Int(text), lo, hi) => Some(Expr::Int(int_value(text)?, self.span(lo, hi))),
            (Tok::ConstName(name), lo, hi) => Some(Expr::Const(Ident {
                name,
                span: self.span(lo, hi),
            })),
            (Tok::LParen, lo, _) => match self.peek()? {
                Tok::Let => {
                    self.bump()?;
                    self.expect(Tok::LParen)?;
                    let mut binds = Vec::new();
                    while self.peek()? != Tok::RParen {
                        self.expect(Tok::LParen)?;
                        let var = self.id()?;
                        let ty = self.id()?;
                        let value = self.expr()?;
                        self.close()?;
                        binds.push(LetBinding { var, ty, value });
                    }
                    self.close()?;
                    let body = self.expr()?;
                    let hi = self.close()?;
                    let binds = self.arena.slice(binds);
                    Some(Expr::Let(binds, self.arena.alloc(body), self.span(lo, hi)))
                }
                _ => {
                    let head = self.id()?;
                    let start = self.exprs.len();
                    while self.peek()? != Tok::RParen {
                        let e = self.expr()?;
                        self.exprs.push(e);
                    }
                    let args = self.arena.slice(self.exprs.drain(start..));
                    let hi = self.close()?;
                    Some(Expr::Call(head, args, self.span(lo, hi)))
                }
            },
            _ => None,
        }
    }
}
