//! A real `berth up` child process on a free loopback port, and the `berth deploy` CLI against it.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::tools::Tools;

/// How long `berth up` may take to answer `/healthz`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The data dir's name inside the temporary folder (which also holds the log).
const DATA: &str = "data";

/// Wraps `berth up` so that it also dies when the test process dies without running `Drop`
/// (the shared server in a static, a killed test runner): the wrapper holds the read end of a
/// pipe whose write end only this process has, and when it reads end-of-file it stops Berth and
/// removes `$BERTH_E2E_DATA_DIR`.
const WATCHDOG: &str = r#"exec 3<&0
"$0" "$@" </dev/null &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
{
  cat <&3 >/dev/null
  kill -TERM "$child" 2>/dev/null
  while kill -0 "$child" 2>/dev/null; do sleep 0.1; done
  rm -rf "$BERTH_E2E_DATA_DIR"
} &
wait "$child"
status=$?
wait "$child" 2>/dev/null && status=0
exit "$status""#;

/// Which build of the `berth` binary to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `target/debug/berth`, for tests.
    Debug,
    /// `target/release/berth`, for the benchmark.
    Release,
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// The `berth` binary: `$BERTH_BIN`, else `$CARGO_TARGET_DIR/<profile>/berth` (default target
/// dir `<repo>/target`). The debug build is built with `cargo build -p berth` when it is missing
/// (`tests/run` builds it first); the release build, for the benchmark, is always brought up to
/// date, so figures never come from a stale binary.
pub fn berth_bin(profile: Profile) -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("BERTH_BIN").filter(|b| !b.is_empty()) {
        let bin = PathBuf::from(bin);
        if !bin.is_file() {
            bail!("BERTH_BIN={} is not a file", bin.display());
        }
        return Ok(bin);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let (dir, flag) = match profile {
        Profile::Debug => ("debug", None),
        Profile::Release => ("release", Some("--release")),
    };
    let bin = target.join(dir).join("berth");
    if profile == Profile::Release || !bin.is_file() {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(["build", "-p", "berth"])
            .args(flag)
            .current_dir(repo_root());
        let status = cmd.status().context("running cargo build -p berth")?;
        if !status.success() || !bin.is_file() {
            bail!("`cargo build -p berth` did not produce {}", bin.display());
        }
    }
    Ok(bin)
}

/// What `berth deploy` printed, and whether it succeeded.
#[derive(Debug)]
pub struct Deploy {
    /// Exit status was zero.
    pub success: bool,
    /// Standard output and standard error, in that order.
    pub log: String,
    /// The MCP URL printed at the end, when there is one.
    pub url: Option<String>,
}

/// A running `berth up --no-example` with its own data dir; stopped (by pid) on drop.
pub struct Berth {
    child: Child,
    watchdog: Option<ChildStdin>,
    /// The watchdog pipes of processes [`Berth::crash_and_restart`] killed: kept open until the end,
    /// since closing one removes the data dir the next process goes on with.
    crashed: Vec<ChildStdin>,
    /// The extra `berth up` arguments, for a restart.
    extra: Vec<String>,
    bin: PathBuf,
    port: u16,
    /// The admin listener's port (`/metrics`).
    admin_port: u16,
    data_dir: tempfile::TempDir,
    deployed: Mutex<HashSet<String>>,
}

impl Berth {
    /// Starts the debug binary.
    pub fn start() -> Result<Berth> {
        Berth::start_with(Profile::Debug)
    }

    /// Starts the given build of the binary and waits until `/healthz` answers 200.
    pub fn start_with(profile: Profile) -> Result<Berth> {
        Berth::start_with_args(profile, &[])
    }

    /// Starts the given build with extra `berth up` arguments (GitHub settings, say).
    pub fn start_with_args(profile: Profile, extra: &[String]) -> Result<Berth> {
        let bin = berth_bin(profile)?;
        let data_dir = tempfile::Builder::new().prefix("berth-e2e-").tempdir()?;
        let port = free_port()?;
        let admin_port = free_port()?;
        let mut child = spawn_up(&bin, data_dir.path(), port, admin_port, extra)?;
        let watchdog = child.stdin.take();
        let mut berth = Berth {
            child,
            watchdog,
            crashed: Vec::new(),
            extra: extra.to_vec(),
            bin,
            port,
            admin_port,
            data_dir,
            deployed: Mutex::new(HashSet::new()),
        };
        berth.wait_healthy()?;
        Ok(berth)
    }

    /// Kills `berth up` at once (SIGKILL: no shutdown, as in a crash or a power cut), then starts it
    /// again on the same data dir and ports and waits until it answers.
    pub fn crash_and_restart(&mut self) -> Result<()> {
        let wrapper = self.child.id();
        let children = std::fs::read_to_string(format!("/proc/{wrapper}/task/{wrapper}/children"))
            .context("listing the wrapper's processes")?;
        let bin = std::fs::canonicalize(&self.bin)?;
        let berth = children
            .split_whitespace()
            .find(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe"))
                    .ok()
                    .as_deref()
                    == Some(bin.as_path())
            })
            .context("berth up is not running")?
            .to_string();
        let killed = Command::new("kill").args(["-KILL", &berth]).status()?;
        if !killed.success() {
            bail!("cannot kill berth up (pid {berth})");
        }
        self.child.wait()?;
        self.crashed.extend(self.watchdog.take());
        let mut child = spawn_up(
            &self.bin,
            self.data_dir.path(),
            self.port,
            self.admin_port,
            &self.extra,
        )?;
        self.watchdog = child.stdin.take();
        self.child = child;
        self.wait_healthy()
    }

    /// `berth deploy <dir> --project <name>` against this Berth, with the operator's token from its data dir.
    fn deploy_command(&self, dir: &Path, project: &str) -> Result<Command> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("deploy")
            .arg(dir)
            .args([
                "--project",
                project,
                "--server",
                &self.base_url(),
                "--data-dir",
            ])
            .arg(self.data_path())
            .env("BERTH_TOOLS", Tools::from_env()?.root())
            .env("BERTH_HOME", repo_root())
            .env_remove("BERTH_TOKEN")
            .stdin(Stdio::null());
        Ok(cmd)
    }

    /// Starts `berth deploy <dir> --project <name>` and returns at once (the caller waits for or kills it).
    pub fn deploy_in_background(&self, dir: &Path, project: &str) -> Result<Child> {
        self.deploy_command(dir, project)?
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("running {} deploy", self.bin.display()))
    }

    /// `GET path` of the REST API with the local operator's token; the JSON of a 200 answer.
    pub fn api_get(&self, path: &str) -> Result<serde_json::Value> {
        self.api("GET", path, None)
    }

    /// `method path` of the REST API with the local operator's token and an optional JSON body; the
    /// JSON of a 200 answer.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let token = std::fs::read_to_string(self.data_path().join("operator-token"))?;
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            token.trim(),
            body.len()
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (head, body) = response
            .split_once("\r\n\r\n")
            .with_context(|| format!("{method} {path}: not an HTTP response"))?;
        if !head.starts_with("HTTP/1.1 200") {
            bail!(
                "{method} {path}: {}\n{body}",
                head.lines().next().unwrap_or("")
            );
        }
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_string()
        };
        serde_json::from_str(&body).with_context(|| format!("GET {path}: not JSON: {body}"))
    }
}

/// The body of a chunked HTTP response.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// One compilation cache for every Berth the tests start (beside the binary, in the build folder): a
/// Python deploy compiles CPython's functions once per build folder, not once per test.
fn compile_cache(bin: &Path) -> PathBuf {
    bin.parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| Path::new("."))
        .join("berth-compile-cache")
}

/// Starts `berth up --no-example` under the watchdog wrapper, on `port` (and `admin_port`), with its
/// data in `data_dir`.
fn spawn_up(
    bin: &Path,
    data_dir: &Path,
    port: u16,
    admin_port: u16,
    extra: &[String],
) -> Result<Child> {
    let tools = Tools::from_env()?;
    let listen = format!("127.0.0.1:{port}");
    let admin_listen = format!("127.0.0.1:{admin_port}");
    let log = File::options()
        .create(true)
        .append(true)
        .open(data_dir.join("berth-up.log"))?;
    Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg(bin)
        .args(["up", "--no-example", "--listen", &listen])
        .args(["--admin-listen", &admin_listen, "--data-dir"])
        .arg(data_dir.join(DATA))
        .args(extra)
        .env("BERTH_TOOLS", tools.root())
        .env("BERTH_COMPILE_CACHE", compile_cache(bin))
        .env("BERTH_HOME", repo_root())
        .env("BERTH_E2E_DATA_DIR", data_dir)
        .env("PATH", tools.path_with_node()?)
        .stdin(Stdio::piped())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {} up", bin.display()))
}

impl Berth {
    /// One Berth for the whole test binary (it stops when the test process exits).
    pub fn shared() -> &'static Berth {
        static SHARED: OnceLock<Berth> = OnceLock::new();
        SHARED.get_or_init(|| match Berth::start() {
            Ok(berth) => berth,
            Err(err) => panic!("cannot start berth: {err:#}"),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of its admin listener, where `/metrics` is served.
    pub fn admin_port(&self) -> u16 {
        self.admin_port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT/<project>/mcp`.
    pub fn mcp_url(&self, project: &str) -> String {
        format!("{}/{project}/mcp", self.base_url())
    }

    /// The `--data-dir` of `berth up` (`berth deploy` reads the operator token from it).
    pub fn data_path(&self) -> PathBuf {
        self.data_dir.path().join(DATA)
    }

    /// What `berth up` printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("berth-up.log")).unwrap_or_default()
    }

    /// The CLI (`berth <args>`), pointed at this server with its operator's data directory and a
    /// config file of its own (not the user's).
    pub fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .args(["--server", &self.base_url(), "--data-dir"])
            .arg(self.data_path())
            .env("BERTH_CONFIG", self.data_path().join("cli-config.toml"))
            .env_remove("BERTH_TOKEN")
            .env_remove("BERTH_SERVER");
        cmd
    }

    /// Runs the CLI and returns what it printed (stdout, then stderr); fails unless it exits 0.
    pub fn cli_ok(&self, args: &[&str]) -> Result<String> {
        let out = self.cli(args).output().context("running the CLI")?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            bail!("berth {args:?} failed:\n{text}");
        }
        Ok(text)
    }

    /// Runs `berth deploy <dir> --project <name>` against this server, whatever the outcome.
    pub fn deploy(&self, dir: &Path, project: &str) -> Result<Deploy> {
        let Output {
            status,
            stdout,
            stderr,
        } = self
            .deploy_command(dir, project)?
            .output()
            .with_context(|| format!("running {} deploy", self.bin.display()))?;
        let stdout = String::from_utf8_lossy(&stdout).into_owned();
        let url = stdout
            .lines()
            .rev()
            .flat_map(str::split_whitespace)
            .find(|word| word.starts_with("http://") && word.ends_with("/mcp"))
            .map(str::to_owned);
        let log = format!("{stdout}{}", String::from_utf8_lossy(&stderr));
        Ok(Deploy {
            success: status.success(),
            log,
            url,
        })
    }

    /// Deploys `dir` as `project` and fails with the build log unless it worked.
    /// Returns the project's MCP URL.
    pub fn deploy_ok(&self, dir: &Path, project: &str) -> Result<String> {
        let deploy = self.deploy(dir, project)?;
        if !deploy.success {
            bail!(
                "deploying {} as {project} failed:\n{}\n--- berth up log ---\n{}",
                dir.display(),
                deploy.log,
                tail(&self.log(), 60)
            );
        }
        let expected = self.mcp_url(project);
        if deploy.url.as_deref() != Some(expected.as_str()) {
            bail!(
                "berth deploy should end by printing {expected}, it printed:\n{}",
                deploy.log
            );
        }
        Ok(expected)
    }

    /// Deploys `dir` as `project` once per server (later calls reuse it); returns the MCP URL.
    pub fn ensure_deployed(&self, dir: &Path, project: &str) -> Result<String> {
        let mut deployed = self.deployed.lock().unwrap_or_else(|e| e.into_inner());
        if !deployed.contains(project) {
            self.deploy_ok(dir, project)?;
            deployed.insert(project.to_owned());
        }
        Ok(self.mcp_url(project))
    }

    fn wait_healthy(&mut self) -> Result<()> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "berth up exited ({status}) before it was ready:\n{}",
                    tail(&self.log(), 60)
                );
            }
            if http_status(self.port, "/healthz").ok() == Some(200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "berth up did not answer GET /healthz with 200 within {STARTUP_TIMEOUT:?}:\n{}",
                    tail(&self.log(), 60)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Berth {
    fn drop(&mut self) {
        // Closing the pipe makes the watchdog send SIGTERM; SIGTERM to the wrapper does too.
        self.watchdog.take();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// Sends `GET path` to 127.0.0.1:port (the connection closes after the response).
fn send_get(port: u16, path: &str, read_timeout: Duration) -> Result<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(read_timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    Ok(stream)
}

/// `GET path` on 127.0.0.1:port; returns the status code.
pub fn http_status(port: u16, path: &str) -> Result<u16> {
    let mut stream = send_get(port, path, Duration::from_secs(2))?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    let line = String::from_utf8_lossy(&head);
    line.get(9..12)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP status line: {line:?}"))
}

/// `GET path` on 127.0.0.1:port; returns the body of a 200 response.
pub fn http_get_text(port: u16, path: &str) -> Result<String> {
    let mut stream = send_get(port, path, Duration::from_secs(5))?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .with_context(|| format!("GET {path}: not an HTTP response"))?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {}", head.lines().next().unwrap_or(""));
    }
    Ok(body.to_string())
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
