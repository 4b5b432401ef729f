//! The formatter of `.rules` files (`rulesel fmt`): one layout for every file, comments kept.
//!
//! The text is first parsed by the real parser (a file with a syntax error is not formatted),
//! then read again as plain S-expressions with its comments, and printed:
//!
//! * A form that fits in [`WIDTH`] columns is printed on one line, its atoms separated by
//!   single spaces. Top-level forms keep their order; runs of blank lines between them become
//!   one blank line; comments keep their text, on their own line or after a form's last token.
//! * A `rule` that does not fit keeps `(rule`, its name, priority and pattern on the first line,
//!   followed by each guard that still fits there; the other guards and the right-hand side
//!   each start a line of their own, indented by two:
//!
//!   ```text
//!   (rule 6 (lower (icmp x y cc)) (if-let $I128 (value_type x))
//!     (let ((z Gpr (xor_r32_zero)) (c Cc (icmp128 cc x y))) (output_gpr (setcc_r8 c z))))
//!   ```
//!
//! * A `let` that does not fit puts its bindings on its first line if they fit there, else one
//!   binding per line aligned under the first; its body starts a line indented by two:
//!
//!   ```text
//!   (let ((p ValueRegs (mul_rm64 (gpr_mem (lo y)) (lo x)))
//!         (c1 Gpr (imul_r64_rm64 (lo x) (gpr_mem (hi y)))))
//!     (pair (regs_lo p) c1))
//!   ```
//!
//! * Any other list that does not fit (a call, a pattern, a `decl`) is filled: elements follow
//!   each other while they fit, the next line aligned under the first argument. The variants
//!   of an `enum` are filled with lines indented by two under `(type`.
//! * A list holding a comment cannot be flat: the comment ends its line.
//!
//! Only whitespace and line breaks change, so the formatted file has the same tokens and so
//! compiles to the same program (tests compare the compiled match trees over every rule file);
//! the layout depends only on the tokens and comments, so formatting is idempotent.

use super::ast::{AstArena, Herd};
use super::diag::{Diagnostic, FileId};

/// The widest line the formatter makes (a longer atom or comment still overflows).
pub const WIDTH: usize = 100;

/// Formats the text of one rules file; a syntax error comes back located in `file`.
pub fn format_rules(file: FileId, text: &str) -> Result<String, Diagnostic> {
    let herd = Herd::new();
    super::parse::parse_file(file, text, &AstArena::new(&herd))?;
    let items = Reader { text, pos: 0 }.items(true);
    let mut out = Printer {
        buf: String::with_capacity(text.len() + text.len() / 8),
        col: 0,
        after_comment: false,
    };
    out.top_level(&items);
    Ok(out.buf)
}

/// An S-expression as the formatter sees it: atoms are kept as written.
#[derive(Debug)]
enum Sexp<'s> {
    Atom(&'s str),
    List(Vec<Item<'s>>),
}

#[derive(Debug)]
enum Item<'s> {
    /// A form, and the comment that follows its last token on the same line.
    Sexp(Sexp<'s>, Option<&'s str>),
    /// A comment on a line of its own.
    Comment(&'s str),
    /// One or more blank lines between top-level forms.
    Blank,
}

/// Reads S-expressions and comments from text the parser accepted (so parentheses balance).
struct Reader<'s> {
    text: &'s str,
    pos: usize,
}

impl<'s> Reader<'s> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips whitespace; returns the number of line breaks skipped.
    fn skip_space(&mut self) -> usize {
        let mut lines = 0;
        while let Some(b) = self.peek() {
            match b {
                b'\n' => lines += 1,
                b' ' | b'\t' | b'\r' | b'\x0c' => {}
                _ => break,
            }
            self.pos += 1;
        }
        lines
    }

    /// The items up to the `)` closing the current list (not consumed) or the end of the text.
    fn items(&mut self, top: bool) -> Vec<Item<'s>> {
        let mut items = Vec::new();
        loop {
            let lines = self.skip_space();
            let Some(b) = self.peek() else { break };
            if b == b')' {
                break;
            }
            if b == b';' {
                let start = self.pos;
                let end = self.text[start..]
                    .find('\n')
                    .map_or(self.text.len(), |i| start + i);
                self.pos = end;
                let comment = self.text[start..end].trim_end();
                if let (0, Some(Item::Sexp(_, trailing @ None))) = (lines, items.last_mut()) {
                    *trailing = Some(comment);
                    continue;
                }
                if top && lines >= 2 && !items.is_empty() {
                    items.push(Item::Blank);
                }
                items.push(Item::Comment(comment));
                continue;
            }
            if top && lines >= 2 && !items.is_empty() {
                items.push(Item::Blank);
            }
            let sexp = if b == b'(' {
                self.pos += 1;
                let inner = self.items(false);
                self.pos += 1; // the `)`
                Sexp::List(inner)
            } else {
                let start = self.pos;
                while let Some(b) = self.peek() {
                    if b.is_ascii_whitespace() || matches!(b, b'(' | b')' | b';') {
                        break;
                    }
                    self.pos += 1;
                }
                Sexp::Atom(&self.text[start..self.pos])
            };
            items.push(Item::Sexp(sexp, None));
        }
        items
    }
}

/// The one-line form of `s`, if it holds no comment.
fn flat(s: &Sexp) -> Option<String> {
    match s {
        Sexp::Atom(a) => Some(a.to_string()),
        Sexp::List(items) => {
            let mut out = String::from("(");
            for (i, item) in items.iter().enumerate() {
                let Item::Sexp(s, None) = item else {
                    return None;
                };
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&flat(s)?);
            }
            out.push(')');
            Some(out)
        }
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// The head atom of a list's items, if it starts with one.
fn head<'s>(items: &[Item<'s>]) -> Option<&'s str> {
    match items.first() {
        Some(Item::Sexp(Sexp::Atom(a), _)) => Some(a),
        _ => None,
    }
}

struct Printer {
    buf: String,
    /// Column of the end of `buf` (characters since the last line break).
    col: usize,
    /// The current line ends in a comment: whatever comes next starts a new line.
    after_comment: bool,
}

impl Printer {
    fn put(&mut self, s: &str) {
        self.buf.push_str(s);
        self.col += width(s);
    }

    fn newline(&mut self, indent: usize) {
        while self.buf.ends_with(' ') {
            self.buf.pop();
        }
        self.buf.push('\n');
        self.buf.extend(std::iter::repeat_n(' ', indent));
        self.col = indent;
        self.after_comment = false;
    }

    fn at_line_start(&self) -> bool {
        self.buf.is_empty() || self.buf.trim_end_matches(' ').ends_with('\n')
    }

    fn comment(&mut self, c: &str) {
        self.put(c);
        self.after_comment = true;
    }

    fn top_level(&mut self, items: &[Item]) {
        for item in items {
            match item {
                Item::Blank => self.buf.push('\n'),
                Item::Comment(c) => {
                    self.comment(c);
                    self.newline(0);
                }
                Item::Sexp(s, trailing) => {
                    self.sexp(s, 0);
                    if let Some(c) = trailing {
                        self.put(" ");
                        self.comment(c);
                    }
                    self.newline(0);
                }
            }
        }
    }

    /// Prints `s` from the current column; `reserve` columns (closing parentheses) follow it
    /// on its last line.
    fn sexp(&mut self, s: &Sexp, reserve: usize) {
        if let Some(f) = flat(s) {
            if self.col + width(&f) + reserve <= WIDTH {
                self.put(&f);
                return;
            }
        }
        let Sexp::List(items) = s else {
            if let Sexp::Atom(a) = s {
                self.put(a);
            }
            return;
        };
        let start = self.col;
        self.put("(");
        match head(items) {
            Some("rule") => self.rule(items, start, reserve),
            Some("let") => self.let_form(items, start, reserve),
            Some("type") => self.fill(items, start + 2, reserve, Some(start + 2)),
            Some(h) if width(h) <= 24 => {
                let cont = start + 1 + width(h) + 1;
                self.fill(items, cont, reserve, None)
            }
            _ => self.fill(items, start + 1, reserve, None),
        }
        self.close(start);
    }

    /// The `)` of a list that started at column `start`.
    fn close(&mut self, start: usize) {
        if self.after_comment {
            self.newline(start);
        }
        self.put(")");
    }

    /// One item of a list; `last` when the list's `)` follows it.
    fn item(&mut self, item: &Item, reserve: usize, last: bool, indent: usize) {
        match item {
            Item::Comment(c) => {
                if !self.at_line_start() {
                    self.newline(indent);
                }
                self.comment(c);
            }
            Item::Sexp(s, trailing) => {
                let reserve = if last && trailing.is_none() {
                    reserve + 1
                } else {
                    0
                };
                self.sexp(s, reserve);
                if let Some(c) = trailing {
                    self.put(" ");
                    self.comment(c);
                }
            }
            Item::Blank => {}
        }
    }

    /// Elements follow each other while they fit; a new line starts at column `cont`. With
    /// `inner_cont`, lists among the elements fill their own lines from that column (the
    /// variants of an enum under `(type`).
    fn fill(&mut self, items: &[Item], cont: usize, reserve: usize, inner_cont: Option<usize>) {
        for (i, item) in items.iter().enumerate() {
            let last = i + 1 == items.len();
            if i > 0 {
                if self.after_comment || matches!(item, Item::Comment(_)) {
                    self.newline(cont);
                } else if let Item::Sexp(s, _) = item {
                    let need = flat(s).map_or(usize::MAX / 2, |f| width(&f));
                    let closers = if last { reserve + 1 } else { 0 };
                    // The first argument stays beside an atom head even when it must break:
                    // the lines below align under it.
                    let first_arg = i == 1 && head(items).is_some() && inner_cont.is_none();
                    if first_arg || self.col + 1 + need + closers <= WIDTH {
                        self.put(" ");
                    } else if let (Some(c), Sexp::List(inner)) = (inner_cont, s) {
                        // `(enum V…)` continues on this line, its variants filled from `c`.
                        self.put(" ");
                        let start = self.col;
                        self.put("(");
                        self.fill(inner, c, if last { reserve + 1 } else { 0 }, None);
                        self.close(start);
                        continue;
                    } else {
                        self.newline(cont);
                    }
                }
            }
            self.item(item, reserve, last, cont);
        }
    }

    /// `(rule name prio PATTERN` on one line, then guards while they fit, the rest on lines of
    /// their own indented by two.
    fn rule(&mut self, items: &[Item], start: usize, reserve: usize) {
        let indent = start + 2;
        // `rule`, the name and the priority (atoms), then the pattern.
        let pattern = items
            .iter()
            .position(|i| matches!(i, Item::Sexp(Sexp::List(_), _)))
            .unwrap_or(items.len());
        let head_end = (pattern + 1).min(items.len());
        let rest = &items[head_end..];
        for (i, item) in items[..head_end].iter().enumerate() {
            if i > 0 {
                if self.after_comment || matches!(item, Item::Comment(_)) {
                    self.newline(indent);
                } else {
                    self.put(" ");
                }
            }
            self.item(item, reserve, rest.is_empty() && i + 1 == head_end, indent);
        }
        // Guards join the first line while they fit; the right-hand side never does (the
        // whole rule did not fit on one line).
        let mut joining = true;
        for (i, item) in rest.iter().enumerate() {
            let last = i + 1 == rest.len();
            let fits = match item {
                Item::Sexp(s, _) if joining && !last && !self.after_comment => {
                    flat(s).is_some_and(|f| self.col + 1 + width(&f) <= WIDTH)
                }
                _ => false,
            };
            if fits {
                self.put(" ");
            } else {
                joining = false;
                self.newline(indent);
            }
            self.item(item, reserve, last, indent);
        }
    }

    /// `(let (BINDINGS)` then the body on its own line, indented by two.
    fn let_form(&mut self, items: &[Item], start: usize, reserve: usize) {
        let indent = start + 2;
        for (i, item) in items.iter().enumerate() {
            let last = i + 1 == items.len();
            match (i, item) {
                (0, _) => self.item(item, reserve, last, indent),
                (1, Item::Sexp(bindings @ Sexp::List(binds), trailing)) if !self.after_comment => {
                    self.put(" ");
                    match flat(bindings) {
                        Some(f) if self.col + width(&f) <= WIDTH => self.put(&f),
                        _ => {
                            // One binding per line, aligned under the first.
                            let open = self.col;
                            self.put("(");
                            for (k, b) in binds.iter().enumerate() {
                                if k > 0 {
                                    self.newline(open + 1);
                                }
                                self.item(b, 0, k + 1 == binds.len(), open + 1);
                            }
                            self.close(open);
                        }
                    }
                    if let Some(c) = trailing {
                        self.put(" ");
                        self.comment(c);
                    }
                }
                _ => {
                    self.newline(indent);
                    self.item(item, reserve, last, indent);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        format_rules(FileId(0), text).unwrap_or_else(|d| panic!("{}", d.message))
    }

    #[test]
    fn short_forms_stay_on_one_line_and_spacing_is_normalised() {
        assert_eq!(
            fmt("(rule   1 (f  x)\n   (g x))\n\n\n\n(decl f (u64) u64)"),
            "(rule 1 (f x) (g x))\n\n(decl f (u64) u64)\n"
        );
    }

    #[test]
    fn long_rules_break_after_the_pattern_and_guards_that_fit() {
        let long_body = format!(
            "(output_gpr (alu_imm (AluOp.Add) ty (put_in_gpr y) {}))",
            "k".repeat(40)
        );
        let src = format!("(rule 2 (lower (has_type (gpr_ty ty) (iadd (iconst k) y))) (if-let k32 (imm32 ty k)) {long_body})");
        assert_eq!(
            fmt(&src),
            format!("(rule 2 (lower (has_type (gpr_ty ty) (iadd (iconst k) y))) (if-let k32 (imm32 ty k))\n  {long_body})\n")
        );
    }

    #[test]
    fn long_lets_put_one_binding_per_line() {
        let b = |n: &str| format!("({n} Gpr (imul_r64_rm64 (lo x) (gpr_mem (hi y))))");
        let src = format!(
            "(rule (f x y) (let ({} {} {}) (pair a b)))",
            b("a"),
            b("b"),
            b("c")
        );
        assert_eq!(
            fmt(&src),
            format!(
                "(rule (f x y)\n  (let ({}\n        {}\n        {})\n    (pair a b)))\n",
                b("a"),
                b("b"),
                b("c")
            )
        );
    }

    #[test]
    fn comments_are_kept_and_end_their_line() {
        let src = ";; head\n\n(decl f (u64) u64) ; why\n(rule (f x) ; inner\n  x)\n;; tail\n";
        let out = fmt(src);
        assert_eq!(
            out,
            ";; head\n\n(decl f (u64) u64) ; why\n(rule (f x) ; inner\n  x)\n;; tail\n"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn a_comment_before_a_closing_parenthesis_keeps_it_on_the_next_line() {
        let out = fmt("(decl f (u64) ; the argument\n u64 ; the result\n)");
        assert_eq!(
            out,
            "(decl f (u64) ; the argument\n      u64 ; the result\n)\n"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn enums_fill_lines_under_the_type() {
        let variants: Vec<String> = (0..30).map(|i| format!("Variant{i}")).collect();
        let out = fmt(&format!("(type Big (enum {}))", variants.join(" ")));
        assert!(
            out.starts_with("(type Big (enum Variant0 Variant1"),
            "{out}"
        );
        assert!(
            out.lines().skip(1).all(|l| l.starts_with("  Variant")),
            "{out}"
        );
        assert!(out.lines().all(|l| l.len() <= WIDTH), "{out}");
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn syntax_errors_are_not_formatted() {
        let e = format_rules(FileId(0), "(rule (f x)").unwrap_err();
        assert!(
            e.message.contains("unexpected end of file"),
            "{}",
            e.message
        );
    }
}
