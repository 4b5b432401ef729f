//! Coverage for CI: `rulesel coverage --lcov` over the shared run tests gives a tracefile that
//! `genhtml` (Debian's `lcov`) accepts without warnings; `--deny-unfired` fails naming the
//! rules that never fired; the HTML report, loaded in headless Chromium, shows the summary
//! line and unfired rules in red. The `genhtml` and Chromium parts run when those programs are
//! installed (`.ci/run` installs them where it can).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rulesel(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rulesel"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("rulesel runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const RUN_TESTS: [&str; 3] = [
    "../shared/clif-runtests",
    "tests/runtests",
    "tests/lower_our_ops.clif",
];

#[test]
fn lcov_from_the_shared_run_tests_is_accepted_by_genhtml() {
    let dir = fresh_dir("coverage_lcov");
    let info = dir.join("rules.info");
    let mut args = vec!["coverage", "--lcov", info.to_str().unwrap()];
    args.extend(RUN_TESTS);
    let (ok, report, err) = rulesel(&args);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&info).unwrap();
    // One record per rules file with rules, a DA line per rule line, the counts as reported.
    let records = text.matches("end_of_record\n").count();
    assert_eq!(records, text.matches("SF:").count());
    assert!(text.contains("SF:rules/x64/arith.rules\n"), "{text}");
    let da: Vec<(u32, u64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("DA:"))
        .map(|l| {
            let (line, count) = l.split_once(',').unwrap();
            (line.parse().unwrap(), count.parse().unwrap())
        })
        .collect();
    let rules = report.lines().filter(|l| l.contains("  rules/")).count()
        - report.lines().filter(|l| l.starts_with("  rules/")).count();
    assert_eq!(da.len(), rules, "a DA line per rule");
    let fired = da.iter().filter(|d| d.1 > 0).count();
    let summary = report.lines().last().unwrap();
    assert!(
        summary.starts_with(&format!("{fired} of {} rules fired", da.len())),
        "{summary}"
    );
    if !installed("genhtml") {
        eprintln!("genhtml is not installed: the LCOV file was not given to it");
        return;
    }
    let out = Command::new("genhtml")
        .arg("-o")
        .arg(dir.join("html"))
        .arg(&info)
        .current_dir(repo())
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(!said.to_lowercase().contains("warning"), "{said}");
    assert!(
        said.contains(&format!("({fired} of {} lines)", da.len())),
        "{said}"
    );
    assert!(dir.join("html/index.html").exists());
}

#[test]
fn deny_unfired_fails_naming_the_rules_that_never_fired() {
    let (ok, _, err) = rulesel(&["coverage", "--deny-unfired", "examples/fib.clif"]);
    assert!(!ok, "{err}");
    assert!(err.contains("rules never fired:"), "{err}");
    assert!(err.contains("  rules/prelude.rules:"), "{err}");
    let (ok, _, err) = rulesel(&["coverage", "examples/fib.clif"]);
    assert!(ok, "{err}");
    // stderr is a pipe here: no progress bar, only the verdicts and the summary.
    assert!(
        !err.contains('\r') && !err.contains('\x1b') && !err.contains(" files"),
        "{err:?}"
    );
    assert_eq!(err.lines().count(), 2, "{err}");
}

/// Runs headless Chromium on `page` with `args` (`--dump-dom`, `--screenshot=…`); its stdout.
fn chromium(profile: &Path, args: &[&str], page: &Path) -> String {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_html_report_renders_in_chromium_with_unfired_rules_in_red() {
    let dir = fresh_dir("coverage_html");
    let html = dir.join("html");
    let mut args = vec!["coverage", "--html", html.to_str().unwrap()];
    args.extend(RUN_TESTS);
    let (ok, report, err) = rulesel(&args);
    assert!(ok, "{err}");
    let summary = report.lines().last().unwrap().to_string();
    if !installed("chromium") {
        eprintln!("chromium is not installed: the report was not loaded in a browser");
        return;
    }
    let profile = dir.join("profile");
    let index = chromium(&profile, &["--dump-dom"], &html.join("index.html"));
    assert!(index.contains(&format!("<p>{summary}</p>")), "{index}");
    assert!(index.contains("rules_prelude.rules.html"), "{index}");
    // The prelude's page: its helper rules that no x64 rule calls never fire.
    let page = html.join("rules_prelude.rules.html");
    let dom = chromium(&profile, &["--dump-dom"], &page);
    assert!(dom.contains("<h1>rules/prelude.rules</h1>"), "{dom}");
    let unfired = dom
        .lines()
        .find(|l| l.starts_with("<tr class=\"unfired\">"))
        .unwrap_or_else(|| panic!("no unfired row in:\n{dom}"));
    assert!(unfired.contains("<td class=\"c\">0</td>"), "{unfired}");
    // What the browser draws: rows in the unfired rows' red (#fdd).
    let shot = dir.join("prelude.png");
    chromium(
        &profile,
        &[
            "--window-size=1280,2400",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let red = buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p[0] == 0xff && p[1] == 0xdd && p[2] == 0xdd)
        .count();
    // A row of the table is hundreds of pixels wide and over ten high.
    assert!(
        red > 5_000,
        "only {red} pixels of the unfired rows' red in {}",
        shot.display()
    );
}
