//! Parser glue: runs the logos lexer, feeds the LALRPOP parser and turns its errors into
//! located [`Diagnostic`]s.

use super::ast::{AstArena, Def, Herd};
use super::diag::{Diagnostic, FileId, Span};
use super::lexer::Tok;
use lalrpop_util::ParseError;
use logos::Logos;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused)]
    grammar,
    "/rules.rs"
);

/// An error found by the lexer (or by a grammar action on a token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexError {
    /// A character that starts no token.
    BadChar(Span),
    /// An integer literal wider than 128 bits.
    IntTooLarge(Span),
    /// A `(` nested deeper than [`MAX_NESTING`].
    TooDeep(Span),
}

/// Deepest nesting of parentheses accepted. Parsing, checking and dropping the syntax tree
/// recurse on nesting, so a bound here keeps absurd input from overflowing the stack; real
/// rules nest a dozen levels at most.
pub const MAX_NESTING: u32 = 64;

/// Parses one file. The first syntax error ends parsing (the grammar has no error recovery).
///
/// Valid files are parsed by the hand-written [`fastparse`](super::fastparse) parser; where it
/// gives up, the LALRPOP parser ([`parse_file_lalrpop`]) parses the file again and reports the
/// error, so every syntax diagnostic comes from the grammar.
pub fn parse_file<'s>(
    file: FileId,
    text: &'s str,
    arena: &AstArena<'s>,
) -> Result<Vec<Def<'s>>, Diagnostic> {
    match super::fastparse::parse(file, text, arena) {
        Some(defs) => Ok(defs),
        None => parse_file_lalrpop(file, text, arena),
    }
}

/// Files are cut into pieces of about this many bytes, which [`parse_files`] parses side by
/// side. (The 2,000 rules of the benchmark take 180 KB in one file; the x64 rules and the
/// prelude, 13 files, 90 KB.)
const PIECE_BYTES: usize = 24 * 1024;

/// Parses several files, each as [`parse_file`] would, with the pieces of large files (cut
/// between top-level forms) parsed side by side: this thread and helper threads take pieces
/// from a common list until none is left. Each thread allocates the nodes it builds from its
/// own arena of `herd`.
pub fn parse_files<'s>(
    files: &[(FileId, &'s str)],
    herd: &'s Herd,
) -> Vec<Result<Vec<Def<'s>>, Diagnostic>> {
    parse_files_in_pieces(files, PIECE_BYTES, herd)
}

/// [`parse_files`] with the piece size as a parameter (tests cut files into tiny pieces).
pub fn parse_files_in_pieces<'s>(
    files: &[(FileId, &'s str)],
    piece_bytes: usize,
    herd: &'s Herd,
) -> Vec<Result<Vec<Def<'s>>, Diagnostic>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::OnceLock;
    let piece_bytes = piece_bytes.max(1);
    // (file index, start, end) of every piece; a file has at least one.
    let mut pieces = Vec::new();
    for (i, &(_, text)) in files.iter().enumerate() {
        let mut lo = 0;
        loop {
            let hi = super::fastparse::next_cut(text, lo + piece_bytes);
            pieces.push((i, lo, hi));
            if hi == text.len() {
                break;
            }
            lo = hi;
        }
    }
    let parsed: Vec<OnceLock<Option<Vec<Def>>>> = pieces.iter().map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    let take_pieces = || {
        let arena = AstArena::new(herd);
        loop {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let Some(&(i, lo, hi)) = pieces.get(n) else {
                break;
            };
            let (file, text) = files[i];
            let _ = parsed[n].set(super::fastparse::parse_piece(file, text, lo, hi, &arena));
        }
    };
    // Helpers start only when there is more than one piece; this thread works too.
    super::threads::share(pieces.len().saturating_sub(1), &take_pieces);
    let parsed = parsed.into_iter().map(|p| p.into_inner().flatten());
    // Join the pieces of each file; a file any of whose pieces failed (a syntax error, or a
    // cut that was not between forms) is parsed again whole.
    let mut joined: Vec<Option<Vec<Def>>> = files.iter().map(|_| Some(Vec::new())).collect();
    for (&(i, _, _), defs) in pieces.iter().zip(parsed) {
        match (&mut joined[i], defs) {
            (Some(all), Some(mut defs)) => all.append(&mut defs),
            (slot, _) => *slot = None,
        }
    }
    let arena = AstArena::new(herd);
    joined
        .into_iter()
        .zip(files)
        .map(|(defs, &(file, text))| match defs {
            Some(defs) => Ok(defs),
            None => parse_file(file, text, &arena),
        })
        .collect()
}

/// Parses one file with the parser LALRPOP generates from `grammar/rules.lalrpop` alone: the
/// specification [`parse_file`] must agree with (tests compare the two).
pub fn parse_file_lalrpop<'s>(
    file: FileId,
    text: &'s str,
    arena: &AstArena<'s>,
) -> Result<Vec<Def<'s>>, Diagnostic> {
    let mut depth = 0u32;
    let tokens = Tok::lexer(text).spanned().map(move |(tok, range)| {
        let span = Span::new(file, range.start, range.end);
        match tok {
            Ok(Tok::LParen) if depth == MAX_NESTING => Err(LexError::TooDeep(span)),
            Ok(t) => {
                match t {
                    Tok::LParen => depth += 1,
                    Tok::RParen => depth = depth.saturating_sub(1),
                    _ => {}
                }
                Ok((range.start, t, range.end))
            }
            Err(()) => Err(LexError::BadChar(span)),
        }
    });
    grammar::FileParser::new()
        .parse(file, arena, tokens)
        .map_err(|e| to_diagnostic(file, text, e))
}

fn to_diagnostic(file: FileId, text: &str, e: ParseError<usize, Tok<'_>, LexError>) -> Diagnostic {
    match e {
        ParseError::User {
            error: LexError::BadChar(span),
        } => {
            let c = text[span.lo as usize..].chars().next().unwrap_or('?');
            Diagnostic::error(span, format!("unexpected character `{c}`"))
        }
        ParseError::User {
            error: LexError::IntTooLarge(span),
        } => Diagnostic::error(span, "integer literal does not fit in 128 bits"),
        ParseError::User {
            error: LexError::TooDeep(span),
        } => Diagnostic::error(
            span,
            format!("parentheses nested deeper than {MAX_NESTING} levels"),
        ),
        ParseError::InvalidToken { location } => {
            Diagnostic::error(Span::new(file, location, location + 1), "invalid token")
        }
        ParseError::UnrecognizedEof { location, expected } => Diagnostic::error(
            Span::new(file, location, location),
            format!("unexpected end of file{}", expected_list(&expected)),
        ),
        ParseError::UnrecognizedToken {
            token: (lo, tok, hi),
            expected,
        } => Diagnostic::error(
            Span::new(file, lo, hi),
            format!("unexpected `{tok}`{}", expected_list(&expected)),
        ),
        ParseError::ExtraToken {
            token: (lo, tok, hi),
        } => Diagnostic::error(Span::new(file, lo, hi), format!("unexpected `{tok}`")),
    }
}

/// `; expected one of `(`, `)`` from LALRPOP's quoted terminal names.
fn expected_list(expected: &[String]) -> String {
    if expected.is_empty() {
        return String::new();
    }
    let names: Vec<String> = expected
        .iter()
        .map(|e| match e.as_str() {
            "Name" => "a name".to_string(),
            "Int" => "an integer".to_string(),
            "ConstName" => "a `$constant`".to_string(),
            quoted => format!("`{}`", quoted.trim_matches('"')),
        })
        .collect();
    if names.len() == 1 {
        format!("; expected {}", names[0])
    } else {
        format!("; expected one of {}", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsl::ast::{Expr, Pattern};

    #[test]
    fn parses_every_form() {
        let src = "(type u64 (primitive u64))
            (type Cc (enum Eq (Lt (signed bool))))
            (decl partial f (u64 u64) u64)
            (extern constructor g rust_g)
            (extern extractor h rust_h)
            (const $Ten u64 10)
            (rule named 3 (f x @ (h _ 1) (and y $Ten)) (if-let z (g x)) (if (g y)) (let ((w u64 (g z))) w))";
        let herd = Herd::new();
        let defs = parse_file(FileId(0), src, &AstArena::new(&herd)).expect("valid file");
        assert_eq!(defs.len(), 7);
        let Def::Rule(r) = &defs[6] else {
            panic!("last form is a rule")
        };
        assert_eq!(r.name.map(|n| n.name), Some("named"));
        assert_eq!(r.prio.map(|p| p.0), Some(3));
        assert_eq!(r.guards.len(), 2);
        let Pattern::Term(head, args, _) = &r.pattern else {
            panic!("rule pattern is a term")
        };
        assert_eq!(head.name, "f");
        assert!(matches!(args[0], Pattern::Bind(..)));
        assert!(matches!(r.body, Expr::Let(..)));
    }

    /// Files cut into pieces anywhere (most cuts fall inside a form, where the piece
    /// parser must notice and the file be parsed whole) parse as they do whole.
    #[test]
    fn pieces_join_into_the_whole_file() {
        let good = "(type u64 (primitive u64))\n(decl f (u64) u64)\n(rule (f x)\n(f\n x))\n; c\n(rule 1 (f 0) 0)\n";
        let bad = "(decl f (u64) u64)\n(rule (f x)\n x)\n(rule (f\n(x)";
        let files = [(FileId(0), good), (FileId(1), bad), (FileId(2), "")];
        let herd = Herd::new();
        let arena = AstArena::new(&herd);
        let whole: Vec<_> = files
            .iter()
            .map(|&(f, t)| parse_file(f, t, &arena))
            .collect();
        for piece in 1..good.len() + 2 {
            let pieces = parse_files_in_pieces(&files, piece, &herd);
            assert_eq!(pieces, whole, "pieces of {piece} bytes");
        }
    }

    #[test]
    fn syntax_error_is_located() {
        let herd = Herd::new();
        let e = parse_file(FileId(0), "(rule (f x)\n  ))", &AstArena::new(&herd)).unwrap_err();
        assert_eq!((e.span.lo, e.span.hi), (14, 15));
        assert!(e.message.starts_with("unexpected `)`"), "{}", e.message);
    }
}
