//! Tokens of the rule language (a `logos` lexer). Keywords are tokens of their own, so they
//! cannot be used as names; `;` starts a comment that runs to the end of the line.

use logos::Logos;
use std::fmt;

#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r";[^\n]*", allow_greedy = true))]
pub enum Tok<'s> {
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("@")]
    At,
    #[token("_", priority = 5)]
    Underscore,
    #[token("type")]
    Type,
    #[token("primitive")]
    Primitive,
    #[token("enum")]
    Enum,
    #[token("decl")]
    Decl,
    #[token("partial")]
    Partial,
    #[token("multi")]
    Multi,
    #[token("extern")]
    Extern,
    #[token("constructor")]
    Constructor,
    #[token("extractor")]
    Extractor,
    #[token("const")]
    Const,
    #[token("rule")]
    Rule,
    #[token("if-let")]
    IfLet,
    #[token("if")]
    If,
    #[token("let")]
    Let,
    #[token("and")]
    And,
    /// Decimal, `0x` hex or `0b` binary, optionally negative, `_` separators allowed. Carried as
    /// written: the parser converts it with [`int_value`] (and reports, with its location, a
    /// value that does not fit in 128 bits). Keeping the text makes the token small (no `i128`),
    /// and the parser moves tokens around a lot.
    #[regex(r"-?(0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9_]*)")]
    Int(&'s str),
    /// `$Name`, carried without the `$`.
    #[regex(r"\$[A-Za-z_][A-Za-z0-9_.]*", |lex| &lex.slice()[1..])]
    ConstName(&'s str),
    #[regex(r"[A-Za-z_][A-Za-z0-9_.\-<>=!?+*/]*")]
    Name(&'s str),
}

/// The value of an integer literal's text (as the `Int` token carries it); `None` when it does not
/// fit in 128 bits.
pub fn int_value(s: &str) -> Option<i128> {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    // Only literals with `_` separators need a copy.
    let digits: std::borrow::Cow<'_, str> = if s.contains('_') {
        s.replace('_', "").into()
    } else {
        s.into()
    };
    let v = if let Some(h) = digits.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()
    } else if let Some(b) = digits.strip_prefix("0b") {
        i128::from_str_radix(b, 2).ok()
    } else {
        digits.parse::<i128>().ok()
    };
    v.map(|v| if neg { -v } else { v })
}

impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::At => "@",
            Tok::Underscore => "_",
            Tok::Type => "type",
            Tok::Primitive => "primitive",
            Tok::Enum => "enum",
            Tok::Decl => "decl",
            Tok::Partial => "partial",
            Tok::Multi => "multi",
            Tok::Extern => "extern",
            Tok::Constructor => "constructor",
            Tok::Extractor => "extractor",
            Tok::Const => "const",
            Tok::Rule => "rule",
            Tok::IfLet => "if-let",
            Tok::If => "if",
            Tok::Let => "let",
            Tok::And => "and",
            Tok::Int(s) => match int_value(s) {
                Some(v) => return write!(f, "{v}"),
                None => "integer",
            },
            Tok::ConstName(n) => return write!(f, "${n}"),
            Tok::Name(n) => n,
        };
        f.write_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Result<Tok<'_>, ()>> {
        Tok::lexer(s).collect()
    }

    #[test]
    fn keywords_names_numbers_and_comments() {
        assert_eq!(
            toks("(rule r-1 -0x1_0 $I64 if-let _x _ ; done\n)"),
            vec![
                Ok(Tok::LParen),
                Ok(Tok::Rule),
                Ok(Tok::Name("r-1")),
                Ok(Tok::Int("-0x1_0")),
                Ok(Tok::ConstName("I64")),
                Ok(Tok::IfLet),
                Ok(Tok::Name("_x")),
                Ok(Tok::Underscore),
                Ok(Tok::RParen),
            ]
        );
    }

    #[test]
    fn oversized_integer_and_bad_character() {
        assert_eq!(
            toks("0x1ffffffffffffffffffffffffffffffff"),
            vec![Ok(Tok::Int("0x1ffffffffffffffffffffffffffffffff"))]
        );
        assert_eq!(int_value("-0x1_0"), Some(-16));
        assert_eq!(int_value("0x1ffffffffffffffffffffffffffffffff"), None);
        assert_eq!(toks("#"), vec![Err(())]);
    }
}
