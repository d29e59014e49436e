//! Opening a report in a real headless browser (Debian's chromium through Playwright):
//! `scripts/check_report.py` fails on console errors, page errors or network requests.
//! Required when CONVOLENS_REQUIRE_BROWSER=1 (CI); skipped with a note otherwise when the
//! browser or Playwright is missing.

use std::path::Path;
use std::process::Command;

use crate::support::{path_str, repo_path};

pub fn check_page(html: &Path, screenshot: &Path) {
    let required = std::env::var("CONVOLENS_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let output = Command::new("python3")
        .arg(repo_path("scripts/check_report.py"))
        .args([path_str(html), path_str(screenshot)])
        .output()
        .expect("python3 runs");
    match output.status.code() {
        Some(0) => assert!(screenshot.is_file(), "no screenshot written"),
        // 2: the browser (or Playwright) is not available here.
        Some(2) if !required => eprintln!(
            "skipping the browser check (set CONVOLENS_REQUIRE_BROWSER=1 to require it): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        _ => panic!(
            "the report fails in the browser:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
