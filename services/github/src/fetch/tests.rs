use super::*;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Test Author",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository with two commits; returns (dir, first, second).
fn repo() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q"]);
    std::fs::write(p.join("server.py"), "v = 1\n").unwrap();
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "first"]);
    let first = git(p, &["rev-parse", "HEAD"]);
    std::fs::write(p.join("server.py"), "v = 2\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", p.join("leak")).unwrap();
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "second\n\nbody"]);
    let second = git(p, &["rev-parse", "HEAD"]);
    (dir, first, second)
}

fn request(dir: &Path, commit: Option<&str>) -> FetchRequest {
    FetchRequest {
        source: GitSource::Local(dir.to_path_buf()),
        commit: commit.map(str::to_string),
        git_ref: "refs/heads/main".into(),
        token: None,
        limits: FetchLimits::default(),
    }
}

#[test]
fn fetches_the_named_commit_and_the_branch_tip() {
    let (repo, first, second) = repo();
    let work = tempfile::tempdir().unwrap();
    let lines = std::sync::Mutex::new(Vec::new());
    let log = |l: &str| lines.lock().unwrap().push(l.to_string());
    let got = fetch_commit(
        &request(repo.path(), Some(&first)),
        &work.path().join("a.git"),
        &work.path().join("a"),
        &log,
    )
    .unwrap();
    assert_eq!(got.commit, first);
    assert_eq!(got.message, "first");
    assert_eq!(got.author, "Test Author");
    assert_eq!(
        std::fs::read_to_string(work.path().join("a/server.py")).unwrap(),
        "v = 1\n"
    );
    assert!(
        !work.path().join("a/.git").exists(),
        "the checkout holds only the commit's files"
    );

    let tip = fetch_commit(
        &request(repo.path(), None),
        &work.path().join("b.git"),
        &work.path().join("b"),
        &log,
    )
    .unwrap();
    assert_eq!(tip.commit, second);
    assert_eq!(
        std::fs::read_to_string(work.path().join("b/server.py")).unwrap(),
        "v = 2\n"
    );
    assert!(lines.lock().unwrap().iter().any(|l| l.contains("second")));
}

#[test]
fn symlinks_are_checked_out_as_plain_files() {
    let (repo, _, second) = repo();
    let work = tempfile::tempdir().unwrap();
    let dest = work.path().join("src");
    fetch_commit(
        &request(repo.path(), Some(&second)),
        &work.path().join("s.git"),
        &dest,
        &|_| {},
    )
    .unwrap();
    let meta = std::fs::symlink_metadata(dest.join("leak")).unwrap();
    assert!(
        meta.is_file(),
        "a symlink in the repository must not become a symlink on the host"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("leak")).unwrap(),
        "/etc/passwd"
    );
}

#[test]
fn limits_and_bad_requests_are_refused_with_reasons() {
    let (repo, _, second) = repo();
    let work = tempfile::tempdir().unwrap();
    let mut req = request(repo.path(), Some(&second));
    req.limits.max_files = 1;
    let err = fetch_commit(
        &req,
        &work.path().join("l.git"),
        &work.path().join("l"),
        &|_| {},
    )
    .unwrap_err();
    assert!(err.contains("more than 1 files"), "{err}");

    let err = fetch_commit(
        &request(repo.path(), Some("abc")),
        &work.path().join("x.git"),
        &work.path().join("x"),
        &|_| {},
    )
    .unwrap_err();
    assert!(err.contains("not a full commit id"), "{err}");
    let missing = "0123456789012345678901234567890123456789";
    let err = fetch_commit(
        &request(repo.path(), Some(missing)),
        &work.path().join("m.git"),
        &work.path().join("m"),
        &|_| {},
    )
    .unwrap_err();
    assert!(err.contains("cannot fetch"), "{err}");
}

#[test]
fn sources_come_only_from_the_git_host_or_allowed_paths() {
    let host = "https://github.com";
    assert_eq!(
        GitSource::check("https://github.com/o/r.git", host, false),
        Ok(GitSource::Url("https://github.com/o/r.git".into()))
    );
    for bad in [
        "https://evil.example/o/r.git",
        "https://github.com.evil.example/o/r.git",
        "file:///etc",
        "o/r",
    ] {
        assert!(
            GitSource::check(bad, host, true).is_err(),
            "{bad} must be refused"
        );
    }
    assert!(GitSource::check("https://github.com/../x", host, false).is_err());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    assert!(
        GitSource::check(path, host, false)
            .unwrap_err()
            .contains("turned off")
    );
    assert_eq!(
        GitSource::check(path, host, true),
        Ok(GitSource::Local(dir.path().to_path_buf()))
    );
}

/// A git host that accepts connections and never says a word; every connection is held open.
fn silent_host() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    port
}

#[test]
fn a_remote_that_never_answers_is_cut_off_at_the_time_limit() {
    let port = silent_host();
    for scheme in ["http", "https"] {
        let req = FetchRequest {
            source: GitSource::Url(format!("{scheme}://127.0.0.1:{port}/o/r.git")),
            commit: None,
            git_ref: "refs/heads/main".into(),
            token: None,
            limits: FetchLimits {
                timeout: Duration::from_secs(2),
                ..FetchLimits::default()
            },
        };
        let work = tempfile::tempdir().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let result = fetch_commit(
                &req,
                &work.path().join("scratch"),
                &work.path().join("dest"),
                &|_| {},
            );
            let _ = tx.send(result);
        });
        // Not a speed check: without the watchdog the fetch never returns at all.
        let result = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("the {scheme} fetch from a silent host never ended"));
        let err = result.unwrap_err();
        assert!(
            err.contains("fetching took longer than 2 s"),
            "{scheme}: {err}"
        );
    }
}

#[test]
fn the_watchdog_relays_to_the_git_host_only() {
    use std::io::{Read, Write};
    let dog = watchdog::Watchdog::start(
        "https://git.example:443/o/r.git",
        std::time::Instant::now() + Duration::from_secs(60),
    )
    .unwrap();
    let proxy = dog.proxy_url().unwrap();
    let address = proxy.trim_start_matches("http://");
    for head in [
        "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
        "CONNECT git.example:22 HTTP/1.1\r\n\r\n",
        "GET http://evil.example/o/r.git/info/refs HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    ] {
        let mut conn = std::net::TcpStream::connect(address).unwrap();
        conn.write_all(head.as_bytes()).unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 403"), "{head:?}: {answer:?}");
    }
    assert!(!dog.fired());
}
