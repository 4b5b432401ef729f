//! Progress bars for long runs (`run` and `coverage` over many files, `fuzz`): counts and
//! elapsed time on stderr when it is a terminal (`indicatif`), nothing at all otherwise, so
//! scripts and CI logs see only the commands' own output.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar that exists only when stderr is a terminal.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar counting up to `total` items, labelled `what` (`files`, `functions`).
    pub fn new(total: u64, what: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let template =
            format!("[{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} {what} {{wide_msg}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }

    /// Counts one more item done; `message` names it.
    pub fn step(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_string());
            bar.inc(1);
        }
    }

    /// Runs `print` (which writes lines of the command's output) with the bar out of the way.
    pub fn print(&self, print: impl FnOnce()) {
        match &self.0 {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `rulesel run`: each file's outcome on stdout as it finishes, then the summary line, with a
/// bar counting files on a terminal's stderr. `Ok(true)` when no file failed.
pub fn run_files(
    paths: &[std::path::PathBuf],
    options: &crate::runtest::Options<'_>,
) -> std::io::Result<bool> {
    use crate::runtest::{self, Status};
    let total = runtest::collect_files(paths)?.len();
    let bar = Progress::new(total as u64, "files");
    let summary = runtest::run_paths(paths, options, |outcome| {
        bar.print(|| println!("{outcome}"));
        bar.step("");
    })?;
    bar.finish();
    println!("{}", summary.line());
    Ok(summary.count(Status::Fail) == 0)
}
