//! Real Python builds through componentize-py, and the built component in the sandbox: what a user's
//! mistakes look like in the build log, and abuse that must cost only its own call.
//!
//! Needs the build toolchain (`tests/tools/setup.sh`, or `BERTH_TOOLS`); fails, not skips, without it.

use berth_builder::{BuildError, Builder, BuilderConfig};
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
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let config = BuilderConfig {
        componentize_py: venv.join("componentize-py"),
        python: venv.join("python"),
        sdk_dir: repo().join("sandbox/sdk/python"),
        wit_dir: repo().join("sandbox/wit"),
        work_dir: root.join("work"),
        step_timeout: berth_builder::DEFAULT_STEP_TIMEOUT,
    };
    let runtime = Runtime::new().unwrap();
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
    let limits = Limits {
        timeout_ms: 1000,
        memory_mib: 96,
        ..Limits::default()
    };
    let vars = Arc::new(vec![("GREETING".to_string(), "hi".to_string())]);
    let pool = DeploymentPool::from_artifact(&env.runtime, &cwasm, limits, vars.clone()).unwrap();
    let hooks = Arc::new(NoHooks {
        env: vars.as_ref().clone(),
    });
    let call = |name: &str, args: serde_json::Value| {
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
    let ok = |expect: &str| {
        assert_eq!(
            text(call("echo", serde_json::json!({"text": expect})).unwrap()),
            (expect.to_string(), false)
        )
    };

    ok("first");
    assert_eq!(
        call("spin", serde_json::json!({})),
        Err(InvokeError::Timeout(1000))
    );
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
    assert!(
        matches!(call("echo", serde_json::json!({})), Err(InvokeError::InvalidParams(m)) if m.contains("text"))
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
                "from fastmcp import FastMCP\napp = FastMCP('x')\n",
            )],
            None,
            &["mcp"],
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
