//! The official MCP conformance suite, run against the conformance fixture project
//! (`tests/fixtures/conformance`) deployed through Berth like any user's project: 0.1.16 covers
//! the 2025 era (protocol 2025-11-25), 0.2.0-alpha.12 with `--requirements 2026-07-28` the
//! stateless era. Expected failures, if ever needed, live in `tests/e2e/conformance/`.

use std::io::Write as _;

use anyhow::Result;
use berth_e2e::conformance::{self, Report};
use berth_e2e::{Berth, Conformance, Tools, repo_root};

const PROJECT: &str = "conformance";

fn run_suite(version: Conformance, args: &[&str]) -> Result<Report> {
    let berth = Berth::shared();
    let url = berth.ensure_deployed(&repo_root().join("tests/fixtures/conformance"), PROJECT)?;
    let report = conformance::run(&Tools::from_env()?, version, &url, args)?;
    // Straight to stderr, past the test harness's capture: the counts belong in every log.
    let _ = writeln!(
        std::io::stderr(),
        "conformance {version:?} {}: {}",
        args.join(" "),
        report.summary()
    );
    assert!(
        !report.scenarios.is_empty(),
        "the suite wrote no checks.json:\n{}",
        report.output
    );
    assert!(
        report.success,
        "conformance {version:?} failed.\n{}\n--- suite output ---\n{}",
        report.summary(),
        report.output
    );
    Ok(report)
}

#[test]
fn conformance_0_1_all_scenarios_pass() -> Result<()> {
    run_suite(Conformance::V0_1, &["--suite", "all"])?;
    Ok(())
}

#[test]
fn conformance_0_2_requirements_2026_07_28_pass() -> Result<()> {
    run_suite(Conformance::V0_2, &["--requirements", "2026-07-28"])?;
    Ok(())
}
