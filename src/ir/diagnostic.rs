//! Error messages for people: `path:line:col: error: message`, the source line, and a caret
//! under the column.

use super::function::SourcePos;

/// Renders an error at `pos` of `text` (read from `path`) as three lines.
pub fn render(path: &str, text: &str, pos: SourcePos, message: &str) -> String {
    let line = text
        .lines()
        .nth((pos.line as usize).saturating_sub(1))
        .unwrap_or("");
    let indent: String = line
        .chars()
        .take((pos.col as usize).saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("{path}:{pos}: error: {message}\n{line}\n{indent}^\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_column() {
        let text = "function %f() {\n\tv1 = bad\n}";
        let shown = render(
            "a.clif",
            text,
            SourcePos { line: 2, col: 7 },
            "unknown opcode 'bad'",
        );
        assert_eq!(
            shown,
            "a.clif:2:7: error: unknown opcode 'bad'\n\tv1 = bad\n\t     ^\n"
        );
    }
}
