//! The dependency rules of the architecture (README, "Architecture invariants"), checked against the
//! real dependency graph with `cargo tree`.

use std::process::Command;

/// Every package `package` depends on (normal dependencies, transitively), by name.
fn dependencies(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "-p",
            package,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn assert_free_of(package: &str, forbidden: &[&str]) {
    let deps = dependencies(package);
    assert!(
        deps.iter().any(|d| d == package),
        "cargo tree listed nothing for {package}"
    );
    for f in forbidden {
        assert!(
            !deps.iter().any(|d| d == f),
            "{package} must not depend on {f}, but it does (cargo tree -p {package} -i {f})"
        );
    }
}

#[test]
fn crates_keep_to_their_layer() {
    let workspace = [
        "berth-edge",
        "berth-builder",
        "berth-control",
        "berth-store",
        "berth-sandbox-host",
        "berth-worker",
    ];
    let mut core_forbidden = vec!["sqlx", "wasmtime", "axum", "hyper", "redis", "reqwest"];
    core_forbidden.extend(workspace);
    assert_free_of("berth-core", &core_forbidden);
    assert_free_of(
        "berth-edge",
        &["wasmtime", "sqlx", "berth-sandbox-host", "berth-store"],
    );
    assert_free_of(
        "berth-control",
        &[
            "wasmtime",
            "berth-sandbox-host",
            "berth-builder",
            "berth-worker",
        ],
    );
    // The sandbox host serves guests' outbound HTTP through wasi:http (wasmtime-wasi-http, whose types
    // are hyper's), so hyper is allowed below it; HTTP serving (axum) stays out.
    assert_free_of(
        "berth-sandbox-host",
        &[
            "sqlx",
            "axum",
            "redis",
            "berth-store",
            "berth-edge",
            "berth-control",
        ],
    );
    assert_free_of(
        "berth-worker",
        &["sqlx", "axum", "berth-store", "berth-edge"],
    );
    assert_free_of("berth-store", &["wasmtime", "axum", "redis"]);
    assert_free_of(
        "berth-github",
        &["wasmtime", "sqlx", "berth-store", "berth-control"],
    );
    assert_free_of(
        "berth-dashboard",
        &[
            "wasmtime",
            "berth-sandbox-host",
            "berth-worker",
            "berth-builder",
        ],
    );
}
