//! Real Python builds through componentize-py, and the built component in the sandbox: what a user's
//! mistakes look like in the build log, and abuse that must cost only its own call.
//!
//! Needs the build toolchain (`tests/tools/setup.sh`, or `BERTH_TOOLS`); fails, not skips, without it.

use berth_builder::{BuildError, BuildLimits, Builder, BuilderConfig, Confinement};
use berth_core::{CallContext, ContentBlock, GuestCall, GuestOutput, InvokeError, Limits, NoHooks};
use berth_sandbox_host::{ArtifactDir, DeploymentPool, Runtime};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    builder: Builder,
    runtime: Runtime,
    artifacts: ArtifactDir,
}

fn env() -> Env {
    env_with(berth_builder::DEFAULT_STEP_TIMEOUT)
}

fn env_with(step_timeout: std::time::Duration) -> Env {
    let tools = std::env::var_os("BERTH_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/berth-tools")
        });
    let venv = tools.join("venv/bin");
    assert!(
        venv.join("componentize-py").is_file(),
        "componentize-py is missing from {}: run tests/tools/setup.sh",
        venv.display()
    );
    assert!(
        tools.join("guest-site/pydantic_core").is_dir(),
        "the guest site (pydantic for WebAssembly) is missing from {}: run tests/tools/setup.sh",
        tools.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let config = BuilderConfig {
        componentize_py: venv.join("componentize-py"),
        python: venv.join("python"),
        package_index: None,
        confinement: Confinement::bubblewrap(&root).expect(
            "bubblewrap must work here (tests/tools/setup.sh installs it): builds are confined",
        ),
        limits: BuildLimits::default(),
        sdk_dir: repo().join("sandbox/sdk/python"),
        guest_site: tools.join("guest-site"),
        wit_dir: repo().join("sandbox/wit"),
        work_dir: root.join("work"),
        step_timeout,
    };
    // One compilation cache for the whole build folder, as `berth up` keeps one per data directory:
    // each test's Python build then compiles only what no earlier build compiled.
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("berth-compile-cache");
    let runtime = Runtime::with_compile_cache(
        &Default::default(),
        Some((&cache, berth_sandbox_host::DEFAULT_COMPILE_CACHE_BYTES)),
    )
    .unwrap();
    let artifacts = ArtifactDir::new(root.join("artifacts")).unwrap();
    let builder = Builder::new(config, runtime.clone(), artifacts.clone());
    Env {
        _dir: dir,
        root,
        builder,
        runtime,
        artifacts,
    }
}

impl Env {
    fn project(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.root.join(name);
        for (file, text) in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    /// Calls a tool without arguments on a fresh pool of the artifact, with default limits.
    fn call_once(&self, artifact: &str, tool: &str) -> (String, bool) {
        self.call_with(artifact, tool, serde_json::json!({}))
    }

    /// Calls a tool with `args` on a fresh pool of the artifact, with default limits.
    fn call_with(&self, artifact: &str, tool: &str, args: serde_json::Value) -> (String, bool) {
        let cwasm = self.artifacts.compiled(&self.runtime, artifact).unwrap();
        let pool = DeploymentPool::from_artifact(
            &self.runtime,
            &cwasm,
            Limits::default(),
            Arc::new(Vec::new()),
        )
        .unwrap();
        let call = GuestCall::Tool {
            name: tool.into(),
            arguments: args.as_object().cloned().unwrap(),
        };
        let ctx = CallContext {
            request_id: "t".into(),
            session_id: None,
        };
        text(
            pool.call(&call, &ctx, Arc::new(NoHooks { env: Vec::new() }))
                .unwrap(),
        )
    }

    /// Builds; returns the result and the build log.
    fn build(
        &self,
        dir: &Path,
        entry: Option<&str>,
    ) -> (Result<berth_builder::BuildOutput, BuildError>, String) {
        let log = Mutex::new(String::new());
        let sink = |line: &str| {
            let mut l = log.lock().unwrap();
            l.push_str(line);
            l.push('\n');
        };
        let r = self.builder.build(dir, entry, &sink);
        (r, log.into_inner().unwrap())
    }
}

const ABUSE: &str = r#"
from fastmcp import FastMCP

mcp = FastMCP("abuse")

@mcp.tool()
def echo(text: str) -> str:
    """Echoes."""
    return text

@mcp.tool()
def spin() -> str:
    """Loops forever."""
    while True:
        pass

@mcp.tool()
def hoard() -> str:
    """Allocates without end."""
    keep = []
    while True:
        keep.append(bytearray(8 * 1024 * 1024))

@mcp.tool()
def recurse(n: int = 0) -> int:
    """Recurses without end."""
    return recurse(n + 1) + 1

@mcp.tool()
def fail() -> str:
    """Raises."""
    raise ValueError("the answer is not 42")

@mcp.tool()
def secret() -> str:
    """Reads the environment and the file system."""
    import os
    try:
        listing = os.listdir("/")
    except OSError as e:
        listing = f"denied: {type(e).__name__}"
    return f"{os.environ.get('GREETING', '<unset>')} | {listing}"
"#;

fn text(out: GuestOutput) -> (String, bool) {
    match out {
        GuestOutput::Tool(r) => match r.content.first() {
            Some(ContentBlock::Text(t)) => (t.clone(), r.is_error),
            other => panic!("unexpected content {other:?}"),
        },
        other => panic!("unexpected output {other:?}"),
    }
}

#[test]
fn python_server_builds_and_abuse_stays_in_its_call() {
    let env = env();
    let dir = env.project(
        "abuse",
        &[("server.py", ABUSE), ("requirements.txt", "fastmcp>=2\n")],
    );
    let (result, log) = env.build(&dir, None);
    let out = result.unwrap_or_else(|e| panic!("build failed: {e}\n{log}"));
    assert!(
        log.contains("provided by Berth's SDK, not installed: fastmcp"),
        "{log}"
    );
    assert_eq!(
        out.description.tools.len(),
        6,
        "{:?}",
        out.description.tools
    );

    let cwasm = env.artifacts.compiled(&env.runtime, &out.artifact).unwrap();
    let vars = Arc::new(vec![("GREETING".to_string(), "hi".to_string())]);
    // The deadline only `spin` is meant to reach; the other calls get one they never come near, however
    // busy the machine (a computing guest runs at the lowest priority, behind other tests' work).
    let limits_with = |timeout_ms| Limits {
        timeout_ms,
        memory_mib: 96,
        ..Limits::default()
    };
    let pool =
        DeploymentPool::from_artifact(&env.runtime, &cwasm, limits_with(120_000), vars.clone())
            .unwrap();
    let hooks = Arc::new(NoHooks {
        env: vars.as_ref().clone(),
    });
    let call_in = |pool: &DeploymentPool, name: &str, args: serde_json::Value| {
        let call = GuestCall::Tool {
            name: name.into(),
            arguments: args.as_object().cloned().unwrap(),
        };
        pool.call(
            &call,
            &CallContext {
                request_id: "t".into(),
                session_id: None,
            },
            hooks.clone(),
        )
    };
    let call = |name: &str, args: serde_json::Value| call_in(&pool, name, args);
    let ok = |expect: &str| {
        assert_eq!(
            text(call("echo", serde_json::json!({"text": expect})).unwrap()),
            (expect.to_string(), false)
        )
    };

    ok("first");
    pool.reconfigure(limits_with(1_000), vars.clone());
    assert_eq!(
        call("spin", serde_json::json!({})),
        Err(InvokeError::Timeout(1000))
    );
    pool.reconfigure(limits_with(120_000), vars.clone());
    ok("after spin");
    match call("hoard", serde_json::json!({})) {
        Ok(out) => {
            let (msg, is_error) = text(out);
            assert!(is_error && msg.contains("MemoryError"), "{msg}");
        }
        Err(e) => assert!(matches!(e, InvokeError::OutOfMemory(96)), "{e:?}"),
    }
    ok("after hoard");
    let (msg, is_error) = text(call("recurse", serde_json::json!({})).unwrap());
    assert!(is_error && msg.contains("recursion"), "{msg}");
    ok("after recurse");
    let (msg, is_error) = text(call("fail", serde_json::json!({})).unwrap());
    assert!(is_error && msg.contains("the answer is not 42"), "{msg}");
    let (msg, _) = text(call("secret", serde_json::json!({})).unwrap());
    assert!(
        msg.starts_with("hi | "),
        "the project's environment is the guest's: {msg}"
    );
    assert!(
        msg.contains("denied") || msg.ends_with("[]"),
        "no file system is visible: {msg}"
    );
    // A missing argument is the tool's error result (pydantic's message), as the 2025-11-25 spec asks.
    let (msg, is_error) = text(call("echo", serde_json::json!({})).unwrap());
    assert!(
        is_error && msg.contains("text\n  Missing required argument"),
        "{msg}"
    );
}

type BadProject<'a> = (
    &'a str,
    &'a [(&'a str, &'a str)],
    Option<&'a str>,
    &'a [&'a str],
);

#[test]
fn build_failures_name_the_file_and_line() {
    let env = env();
    // (project, files, entry point, what the error must mention)
    let cases: [BadProject; 5] = [
        (
            "syntax",
            &[(
                "server.py",
                "from fastmcp import FastMCP\nmcp = FastMCP('x')\n\n@mcp.tool()\ndef f(a: int) -> int\n    return a\n",
            )],
            None,
            &["server.py line 5", "SyntaxError"],
        ),
        (
            "import",
            &[("server.py", "import no_such_module\n")],
            None,
            &["server.py line 1", "no_such_module"],
        ),
        (
            "missing-object",
            &[(
                "server.py",
                "from fastmcp import FastMCP\ndef make():\n    return FastMCP('x')\n",
            )],
            None,
            &["looked for mcp, server, app"],
        ),
        (
            "template",
            &[(
                "app/main.py",
                "from fastmcp import FastMCP\nmcp = FastMCP('x')\n\n@mcp.resource('data://{city}/weather')\ndef weather(town: str) -> str:\n    return town\n",
            )],
            Some("app/main.py:mcp"),
            &["main.py", "city"],
        ),
        (
            "no-entry",
            &[("README.md", "nothing here")],
            None,
            &["no `server.py`"],
        ),
    ];
    for (name, files, entry, expected) in cases {
        let dir = env.project(name, files);
        let (result, log) = env.build(&dir, entry);
        let err = match result {
            Err(BuildError::Project(m)) => m,
            other => panic!("{name}: expected a project error, got {other:?}\n{log}"),
        };
        for e in expected {
            assert!(
                err.contains(e),
                "{name}: `{err}` should mention `{e}`\n{log}"
            );
        }
    }
}

#[test]
fn sdk_notices_reach_the_build_log() {
    let env = env();
    let dir = env.project(
        "notices",
        &[(
            "server.py",
            "from fastmcp import FastMCP\nmcp = FastMCP('x', host='0.0.0.0', port=9000)\n",
        )],
    );
    let (result, log) = env.build(&dir, None);
    let out = result.unwrap_or_else(|e| panic!("build failed: {e}\n{log}"));
    assert!(
        log.contains(
            "notice: server.py:2: FastMCP()'s host='0.0.0.0' is ignored: Berth serves the project"
        ),
        "{log}"
    );
    assert!(
        log.contains("notice: server.py:2: FastMCP()'s port=9000 is ignored"),
        "{log}"
    );
    assert_eq!(out.description.notices.len(), 2, "{:?}", out.description);
}

/// A key file outside the project, standing in for Berth's secret key: random bytes nobody may print.
fn key_file(env: &Env) -> (PathBuf, String) {
    let key: String = (0..4)
        .map(|i| {
            format!(
                "{:016x}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos()
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15 + i)
            )
        })
        .collect();
    let path = env.root.join("secret.key");
    std::fs::write(&path, &key).unwrap();
    (path, key)
}

/// Security regression: a requirement line that is a pip option (`-r <key file>`), a URL or a path is
/// refused before pip runs, naming the file and entry; the key's bytes appear nowhere. This printed the
/// key in the build log when the line went to pip as written.
#[test]
fn requirements_cannot_make_pip_read_host_files() {
    let env = env();
    let (key_path, key) = key_file(&env);
    let key_path = key_path.display().to_string();
    let server = "from fastmcp import FastMCP\nmcp = FastMCP('x')\n";
    let cases: [(&str, String, &str, &str); 4] = [
        (
            "pyproject.toml",
            format!("[project]\nname='x'\ndependencies=['-r {key_path}']\n"),
            "pyproject.toml: [project] dependencies entry 1",
            "pip option",
        ),
        (
            "requirements.txt",
            format!("httpx\n-r {key_path}\n"),
            "requirements.txt line 2",
            "pip option",
        ),
        (
            "requirements.txt",
            format!("leak @ file://{key_path}\n"),
            "requirements.txt line 1",
            "URL, path or VCS",
        ),
        (
            "requirements.txt",
            format!("httpx --requirement={key_path}\n"),
            "requirements.txt line 1",
            "only option allowed",
        ),
    ];
    for (i, (file, text, place, why)) in cases.into_iter().enumerate() {
        let dir = env.project(
            &format!("inject-{i}"),
            &[("server.py", server), (file, &text)],
        );
        let (result, log) = env.build(&dir, None);
        let err = match result {
            Err(BuildError::Project(m)) => m,
            other => panic!("{file}: expected a project error, got {other:?}\n{log}"),
        };
        assert!(err.contains(place) && err.contains(why), "{err}");
        assert!(!err.contains(&key) && !log.contains(&key), "{err}\n{log}");
        assert!(!log.contains("Collecting"), "pip must not run: {log}");
    }
    // A requirements file that is a link to the key is not followed either.
    let dir = env.project("inject-link", &[("server.py", server)]);
    std::os::unix::fs::symlink(&key_path, dir.join("requirements.txt")).unwrap();
    let (result, log) = env.build(&dir, None);
    let err = result.unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!err.contains(&key) && !log.contains(&key), "{err}\n{log}");
}

/// Security regression: code that runs at build time (componentize-py's pre-initialization) sees no
/// environment of Berth's and cannot write into Berth's SDK (it could, and the next tenant's build
/// bundled what it wrote). A prebuilt component that is a link to a host file is refused.
#[test]
fn build_time_code_cannot_touch_the_sdk_or_see_the_host() {
    let env = env();
    let server = r#"
import os
from fastmcp import FastMCP

mcp = FastMCP("probe")
SEEN = sorted(os.environ)
WRITES = []
for root in ["0", "1", "2", "3", "4", "5"]:
    try:
        with open(f"/{root}/berth_sdk/planted.py", "w") as f:
            f.write("PLANTED = True\n")
        WRITES.append(root)
    except OSError:
        pass

@mcp.tool()
def probe() -> str:
    """What build time saw."""
    return f"{SEEN} {WRITES}"
"#;
    let sdk = repo().join("sandbox/sdk/python/berth_sdk");
    let before: Vec<_> = std::fs::read_dir(&sdk)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let dir = env.project("probe", &[("server.py", server)]);
    let (result, log) = env.build(&dir, None);
    let out = result.unwrap_or_else(|e| panic!("build failed: {e}\n{log}"));
    let after: Vec<_> = std::fs::read_dir(&sdk)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "the build wrote into Berth's SDK");
    let (seen, _) = env.call_once(&out.artifact, "probe");
    assert!(
        seen.ends_with("[]"),
        "build-time code wrote somewhere: {seen}"
    );
    for name in [
        "CARGO",
        "CARGO_PKG_NAME",
        "RUST_BACKTRACE=1",
        "DATABASE_URL",
        "REDIS_URL",
        "USER",
    ] {
        assert!(
            !seen.contains(&format!("'{name}'")),
            "{name} leaked into the build: {seen}"
        );
    }

    let (key_path, key) = key_file(&env);
    let dir = env.project("prebuilt-link", &[("README.md", "x")]);
    std::os::unix::fs::symlink(&key_path, dir.join("berth.wasm")).unwrap();
    let (result, log) = env.build(&dir, None);
    let err = result.unwrap_err().to_string();
    assert!(err.contains("regular file"), "{err}");
    assert!(
        !err.contains(&key[..8]) && !log.contains(&key[..8]),
        "{err}\n{log}"
    );
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            e.file_name().to_str()?.parse::<u32>().ok()?;
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            cmd.contains(needle).then_some(cmd)
        })
        .collect()
}

/// A module whose top level never returns stops the build at the step's wall-clock limit, and the
/// whole confined process tree goes with it.
#[test]
fn a_build_step_past_its_time_limit_is_killed_whole() {
    let env = env_with(std::time::Duration::from_secs(4));
    let dir = env.project(
        "forever",
        &[(
            "server.py",
            "from fastmcp import FastMCP\nmcp = FastMCP('x')\nwhile True:\n    pass\n",
        )],
    );
    let (result, log) = env.build(&dir, None);
    match result {
        Err(BuildError::Project(m)) => assert!(m.contains("longer than 4 s"), "{m}\n{log}"),
        other => panic!("expected the step to be stopped, got {other:?}\n{log}"),
    }
    // The kill is SIGKILL to the group and, through bubblewrap, the pid namespace: wait for the kernel
    // to reap it (bounded), then nothing of the build may be left.
    let needle = env.root.join("work").display().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !processes_mentioning(&needle).is_empty() && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert_eq!(processes_mentioning(&needle), Vec::<String>::new());
}

/// pip runs confined with the network (and only pip does): a pure-Python package from the index is
/// vendored and imports in the guest; a package with only compiled wheels fails the build by name.
#[test]
fn confined_pip_vendors_pure_python_wheels_only() {
    let env = env();
    let server = "import six\nfrom fastmcp import FastMCP\nmcp = FastMCP('x')\n\n@mcp.tool()\ndef version() -> str:\n    \"\"\"six's version.\"\"\"\n    return six.__version__\n";
    // Pinned with its hash, as pip-compile writes it: pip then checks every package's hash.
    let pinned = "six==1.16.0 \\\n    --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\n";
    let dir = env.project(
        "six",
        &[("server.py", server), ("requirements.txt", pinned)],
    );
    let (result, log) = env.build(&dir, None);
    let out = result.unwrap_or_else(|e| panic!("build failed: {e}\n{log}"));
    assert!(log.contains("vendored 1 packages"), "{log}");
    let got = env.call_once(&out.artifact, "version");
    assert_eq!(got, ("1.16.0".to_string(), false));

    let dir = env.project(
        "native",
        &[("server.py", server), ("requirements.txt", "numpy\n")],
    );
    let (result, log) = env.build(&dir, None);
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("`numpy` has no pure-Python wheel"),
        "{err}\n{log}"
    );
}

/// Packages that depend on what the platform provides (pydantic-settings on pydantic, starlette on
/// anyio) install; the provided packages themselves are resolved at the versions the server runs with
/// and are not installed again.
#[test]
fn packages_built_on_the_provided_ones_install_and_run() {
    let env = env();
    let server = r#"
import anyio
from pydantic_settings import BaseSettings
from starlette.responses import JSONResponse
from fastmcp import FastMCP

class Settings(BaseSettings):
    greeting: str = "hello"

mcp = FastMCP("deps")

@mcp.tool
async def greet(name: str) -> str:
    """Greets, after yielding to the event loop once."""
    await anyio.sleep(0)
    return f"{Settings().greeting}, {name} ({JSONResponse.media_type})"
"#;
    let dir = env.project(
        "deps",
        &[
            ("server.py", server),
            (
                "requirements.txt",
                "pydantic-settings>=2\nstarlette\nanyio\n",
            ),
        ],
    );
    let (result, log) = env.build(&dir, None);
    let out = result.unwrap_or_else(|e| panic!("build failed: {e}\n{log}"));
    assert!(log.contains("Collecting pydantic-settings"), "{log}");
    let got = env.call_with(&out.artifact, "greet", serde_json::json!({"name": "Ada"}));
    assert_eq!(got, ("hello, Ada (application/json)".to_string(), false));
}

const MODELS: &str = r#"
from datetime import date
from typing import Optional
from pydantic import BaseModel, ConfigDict, Field, field_validator
from fastmcp import FastMCP

mcp = FastMCP("models")

class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    qty: int = Field(default=1, ge=0)

    @field_validator("name")
    @classmethod
    def strip(cls, v):
        return v.strip()

class Order(BaseModel):
    items: list[Item]
    due: Optional[date] = None

@mcp.tool
def order(order: Order) -> Order:
    """Echoes a validated order."""
    return order
"#;

#[test]
fn pydantic_models_validate_in_the_sandbox() {
    let env = env();
    let dir = env.project(
        "models",
        &[
            ("server.py", MODELS),
            ("requirements.txt", "pydantic>=2\ntyping-extensions\n"),
        ],
    );
    let (result, log) = env.build(&dir, None);
    let out = result.unwrap_or_else(|e| panic!("build failed: {e}\n{log}"));
    assert!(
        log.contains(
            "provided by the platform, not installed: pydantic 2.14.4, typing-extensions 4.16.0"
        ),
        "{log}"
    );
    let schema = &out.description.tools[0]["inputSchema"]["properties"]["order"];
    assert_eq!(
        schema["properties"]["items"]["items"]["properties"]["qty"],
        serde_json::json!({"default": 1, "minimum": 0, "type": "integer"}),
        "{schema}"
    );
    let (text, is_error) = env.call_with(
        &out.artifact,
        "order",
        serde_json::json!({"order": {"items": [{"name": " a ", "qty": "2"}], "due": "2026-12-01"}}),
    );
    assert!(!is_error, "{text}");
    assert_eq!(
        text,
        r#"{"items":[{"name":"a","qty":2}],"due":"2026-12-01"}"#
    );
    let (text, is_error) = env.call_with(
        &out.artifact,
        "order",
        serde_json::json!({"order": {"items": [{"name": "", "qty": -1, "x": 1}]}}),
    );
    assert!(is_error, "{text}");
    assert!(
        text.starts_with("3 validation errors for call[order]"),
        "{text}"
    );
    for kind in ["string_too_short", "greater_than_equal", "extra_forbidden"] {
        assert!(text.contains(kind), "{text}");
    }

    let dir = env.project(
        "old-pydantic",
        &[("server.py", MODELS), ("requirements.txt", "pydantic<2\n")],
    );
    let (result, log) = env.build(&dir, None);
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("asks for `pydantic<2`") && err.contains("bundles pydantic 2.14.4"),
        "{err}\n{log}"
    );
}
