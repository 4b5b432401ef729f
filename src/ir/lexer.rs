//! The CLIF lexer: turns text into tokens with byte spans, and keeps comments aside (the parser
//! reads `; run:` commands from them).

use super::function::SourcePos;
use logos::Logos;

/// A CLIF token. Literals keep their text; the parser interprets them once it knows the type.
#[derive(Logos, Clone, Copy, PartialEq, Eq, Debug)]
#[logos(skip r"[ \t\r\n\f]+")]
pub enum Token<'a> {
    #[regex(r";[^\n]*", allow_greedy = true)]
    Comment(&'a str),
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token("=")]
    Equal,
    #[token("==")]
    EqualEqual,
    #[token("!=")]
    NotEqual,
    #[token("->")]
    Arrow,
    #[token(".")]
    Dot,
    #[token("<")]
    LAngle,
    #[token(">")]
    RAngle,
    /// A `+` not starting a number (`ss0 + 8` in a stack map).
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("!")]
    Bang,
    /// A lone `@` (`i32 @ ss0+0` in a stack map).
    #[token("@")]
    At,
    /// `@` and the word after it: a source location (`@00c7`) when that word is hexadecimal,
    /// which the parser checks so that a bad one is reported as such.
    #[regex(r"@[0-9A-Za-z_]+", |lex| &lex.slice()[1..])]
    SourceLoc(&'a str),
    /// A quoted string without escapes, possibly spanning lines (`"VMContext+0x8"`).
    #[regex(r#""[^"]*""#, |lex| { let s = lex.slice(); &s[1..s.len() - 1] })]
    String(&'a str),
    /// A name such as `%add_i64`.
    #[regex(r"%[A-Za-z0-9_]+", |lex| &lex.slice()[1..])]
    Name(&'a str),
    /// A word: keyword, entity (`v3`, `block1`), type, opcode, flag.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident(&'a str),
    /// An integer literal, possibly signed: `-1`, `+8`, `0xff_ff`.
    #[regex(r"[+-]?0x[0-9a-fA-F_]+")]
    #[regex(r"[+-]?[0-9][0-9_]*")]
    Integer(&'a str),
    /// A float literal: `0x1.8p3`, `-0.0`, `+Inf`, `NaN:0x1`, `-sNaN:0x1`.
    #[regex(r"[+-]?0x[0-9a-fA-F_]*\.[0-9a-fA-F_]*(p[+-]?[0-9]+)?")]
    #[regex(r"[+-]?0x[0-9a-fA-F_]+p[+-]?[0-9]+")]
    #[regex(r"[+-]?[0-9]+\.[0-9]*([eE][+-]?[0-9]+)?")]
    #[regex(r"[+-]?(Inf|s?NaN(:0x[0-9a-fA-F]+)?)", priority = 10)]
    Float(&'a str),
}

impl Token<'_> {
    /// How the token is described in "expected …, found …" messages.
    pub fn describe(&self) -> String {
        match self {
            Token::Comment(_) => "a comment".into(),
            Token::Name(n) => format!("'%{n}'"),
            Token::Ident(s) | Token::Integer(s) | Token::Float(s) => format!("'{s}'"),
            Token::LParen => "'('".into(),
            Token::RParen => "')'".into(),
            Token::LBracket => "'['".into(),
            Token::RBracket => "']'".into(),
            Token::LBrace => "'{'".into(),
            Token::RBrace => "'}'".into(),
            Token::Comma => "','".into(),
            Token::Colon => "':'".into(),
            Token::Equal => "'='".into(),
            Token::EqualEqual => "'=='".into(),
            Token::NotEqual => "'!='".into(),
            Token::Arrow => "'->'".into(),
            Token::Dot => "'.'".into(),
            Token::LAngle => "'<'".into(),
            Token::RAngle => "'>'".into(),
            Token::Plus => "'+'".into(),
            Token::Minus => "'-'".into(),
            Token::Star => "'*'".into(),
            Token::Bang => "'!'".into(),
            Token::At => "'@'".into(),
            Token::SourceLoc(s) => format!("'@{s}'"),
            Token::String(s) => format!("\"{s}\""),
        }
    }
}

/// A token and where it starts and ends (byte offsets).
#[derive(Clone, Copy, Debug)]
pub struct Spanned<'a> {
    pub token: Token<'a>,
    pub start: usize,
    pub end: usize,
}

/// A lexing failure: an offset and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub offset: usize,
    pub message: String,
}

/// The tokens of a text read one at a time, with the comments a filter keeps. A parser holds
/// only the current token: a whole file's tokens at once would take 40 bytes each (about
/// 200 MB for the 25 MB of a large program's CLIF, eight times its parsed IR).
pub struct TokenStream<'a> {
    lexer: logos::Lexer<'a, Token<'a>>,
    base: usize,
    current: Option<Spanned<'a>>,
    /// The first character the lexer could not read, once the stream reached it (the stream
    /// ends there).
    error: Option<LexError>,
    comments: Vec<Spanned<'a>>,
    keep_comment: fn(&str) -> bool,
}

impl<'a> TokenStream<'a> {
    /// The tokens of `text`, each offset plus `base` (for lexing a piece of a larger text); the
    /// comments for which `keep_comment` holds are kept in order.
    pub fn new(text: &'a str, base: usize, keep_comment: fn(&str) -> bool) -> TokenStream<'a> {
        let mut stream = TokenStream {
            lexer: Token::lexer(text),
            base,
            current: None,
            error: None,
            comments: Vec::new(),
            keep_comment,
        };
        stream.advance();
        stream
    }

    /// The current token; `None` at the end of the text or at a character the lexer cannot
    /// read (then [`TokenStream::error`] says which).
    pub fn current(&self) -> Option<&Spanned<'a>> {
        self.current.as_ref()
    }

    /// Moves to the next token.
    pub fn advance(&mut self) {
        self.current = None;
        if self.error.is_some() {
            return;
        }
        while let Some(result) = self.lexer.next() {
            let span = self.lexer.span();
            let (start, end) = (span.start + self.base, span.end + self.base);
            match result {
                Ok(token @ Token::Comment(text)) => {
                    if (self.keep_comment)(text) {
                        self.comments.push(Spanned { token, start, end });
                    }
                }
                Ok(token) => {
                    self.current = Some(Spanned { token, start, end });
                    return;
                }
                Err(()) => {
                    let c = self.lexer.source()[span.start..]
                        .chars()
                        .next()
                        .unwrap_or('?');
                    self.error = Some(LexError {
                        offset: start,
                        message: format!("unexpected character '{c}'"),
                    });
                    return;
                }
            }
        }
    }

    /// The character the lexer could not read, once the stream has reached it.
    pub fn error(&self) -> Option<&LexError> {
        self.error.as_ref()
    }

    /// The comments kept so far, in order.
    pub fn take_comments(&mut self) -> Vec<Spanned<'a>> {
        std::mem::take(&mut self.comments)
    }
}

/// Splits `text` into tokens and comments, both in order. `base` is added to every offset (for
/// lexing a piece of a larger text).
pub fn tokenize(text: &str, base: usize) -> Result<(Vec<Spanned<'_>>, Vec<Spanned<'_>>), LexError> {
    let mut stream = TokenStream::new(text, base, |_| true);
    let mut tokens = Vec::new();
    while let Some(&token) = stream.current() {
        tokens.push(token);
        stream.advance();
    }
    match stream.error {
        Some(e) => Err(e),
        None => Ok((tokens, stream.comments)),
    }
}

/// Maps byte offsets to 1-based line and column (columns count characters).
#[derive(Clone, Debug)]
pub struct LineMap<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineMap<'a> {
    pub fn new(text: &'a str) -> LineMap<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineMap { text, line_starts }
    }

    pub fn pos(&self, offset: usize) -> SourcePos {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let end = offset.min(self.text.len());
        let col = self
            .text
            .get(start..end)
            .map_or(end.saturating_sub(start), |s| s.chars().count());
        SourcePos {
            line: line as u32,
            col: col as u32 + 1,
        }
    }

    /// The 1-based line number of `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Token<'_>> {
        tokenize(text, 0)
            .unwrap()
            .0
            .into_iter()
            .map(|s| s.token)
            .collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("v2 = iadd.i64 v0, v1"),
            vec![
                Token::Ident("v2"),
                Token::Equal,
                Token::Ident("iadd"),
                Token::Dot,
                Token::Ident("i64"),
                Token::Ident("v0"),
                Token::Comma,
                Token::Ident("v1")
            ]
        );
        assert_eq!(
            kinds("load.i64 v0+8 ss0-4"),
            vec![
                Token::Ident("load"),
                Token::Dot,
                Token::Ident("i64"),
                Token::Ident("v0"),
                Token::Integer("+8"),
                Token::Ident("ss0"),
                Token::Integer("-4")
            ]
        );
        assert_eq!(
            kinds("0x1.8p3 -0.0 +Inf NaN -sNaN:0x1 0xff_ff -> %f"),
            vec![
                Token::Float("0x1.8p3"),
                Token::Float("-0.0"),
                Token::Float("+Inf"),
                Token::Float("NaN"),
                Token::Float("-sNaN:0x1"),
                Token::Integer("0xff_ff"),
                Token::Arrow,
                Token::Name("f")
            ]
        );
        let (tokens, comments) = tokenize("a ; run: %f() == 1\nb", 0).unwrap();
        assert_eq!((tokens.len(), comments.len()), (2, 1));
        assert_eq!(tokenize("a $ b", 0).unwrap_err().offset, 2);
        assert_eq!(
            kinds("@4fa34 region0 = 8 \"VMContext+0x8\" <ss0, 1> i32 @ ss0 + 4 - *!"),
            vec![
                Token::SourceLoc("4fa34"),
                Token::Ident("region0"),
                Token::Equal,
                Token::Integer("8"),
                Token::String("VMContext+0x8"),
                Token::LAngle,
                Token::Ident("ss0"),
                Token::Comma,
                Token::Integer("1"),
                Token::RAngle,
                Token::Ident("i32"),
                Token::At,
                Token::Ident("ss0"),
                Token::Plus,
                Token::Integer("4"),
                Token::Minus,
                Token::Star,
                Token::Bang,
            ]
        );
    }

    #[test]
    fn positions() {
        let map = LineMap::new("ab\ncd\n");
        assert_eq!(map.pos(0), SourcePos { line: 1, col: 1 });
        assert_eq!(map.pos(4), SourcePos { line: 2, col: 2 });
        assert_eq!(map.pos(6), SourcePos { line: 3, col: 1 });
    }
}
