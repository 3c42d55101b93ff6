//! Confinement of the tools a build runs (pip, componentize-py, the wheel unpacker).
//!
//! Every tool runs with a cleared environment (PATH, a scratch HOME and TMPDIR inside the build's own
//! folder, LANG), in the build's folder, under resource limits (CPU seconds, data segment, file size, open
//! files; set by util-linux `prlimit`), and in its own process group that is killed whole at the step's
//! wall-clock limit. Builds are batch work: each runs in a session of its own at [`BUILD_NICE`] (and
//! with its autogroup at that nice value), so serving requests and running guests come first. With bubblewrap it also runs in fresh user, mount, pid, ipc, uts and cgroup
//! namespaces as an unprivileged user: it sees only the system's read-only `/usr` (and the few `/etc`
//! files name resolution and TLS need), its own tools read-only, the project's source read-only at
//! `/src`, Berth's SDK, guest site (pydantic for WebAssembly) and guest contract read-only under `/berth`,
//! and its build folder at `/build`.
//! Berth's data directory, keys, database and environment are not in its world. Only pip gets the
//! network; componentize-py does not.

use crate::BuildError;
use crate::pids::{self, ProcessCap, StepCgroup};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A confined command, with what bounds it while it runs (see [`crate::process::run`]).
#[derive(Debug)]
pub struct Step {
    pub cmd: Command,
    /// The step's pids cgroup, where the machine has one; removed (and emptied) when the step is dropped.
    pub cgroup: Option<StepCgroup>,
    /// The build's folder, whose size [`BuildLimits::disk_bytes`] bounds.
    pub folder: PathBuf,
    pub limits: BuildLimits,
}

/// The nice value of every build step. A build is a tenant's code and can take minutes of CPU; serving
/// calls cannot wait for it. With the kernel's autogroups on (the default on desktop and many server
/// kernels) each session is scheduled as one unit, so the step's session gets the same nice value: at
/// 10 a busy build gets about a tenth of a core that requests want, and all of an idle machine.
pub const BUILD_NICE: i32 = 10;

/// Limits on one build step's process tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildLimits {
    /// CPU seconds (RLIMIT_CPU).
    pub cpu_seconds: u64,
    /// Writable memory (RLIMIT_DATA). Not RLIMIT_AS: wasmtime inside componentize-py reserves large
    /// address ranges it never touches, and RLIMIT_DATA counts only memory that can be written.
    pub memory_bytes: u64,
    /// Largest file a step may write (RLIMIT_FSIZE).
    pub file_bytes: u64,
    /// Open files (RLIMIT_NOFILE).
    pub open_files: u64,
    /// Tasks at once (a pids cgroup per step, or RLIMIT_NPROC; see [`crate::pids`]).
    pub processes: u64,
    /// Bytes the build's folder may hold, all steps together (each file and folder counted as at least
    /// 4 KiB, so a flood of empty files is counted too). Checked while a step runs.
    pub disk_bytes: u64,
}

/// CPU time of one step: a large componentize-py build takes well under a minute of CPU here; ten
/// minutes bounds a runaway without failing a slow machine.
pub const DEFAULT_BUILD_CPU_SECONDS: u64 = 600;
/// Memory of one step: componentize-py peaks near 1 GiB on a large project (CPython image, snapshot,
/// component encoding); 4 GiB leaves room and still stops a memory bomb at build time.
pub const DEFAULT_BUILD_MEMORY_BYTES: u64 = 4 << 30;
/// Largest file a step may write: a Python component is ~20-40 MB and wheels are smaller; 1 GiB stops a
/// decompression bomb without refusing any real package.
pub const DEFAULT_BUILD_FILE_BYTES: u64 = 1 << 30;
/// Open files: pip and componentize-py need a few hundred at most.
pub const DEFAULT_BUILD_OPEN_FILES: u64 = 4096;
/// The build's folder: vendored pure-Python packages and the component come to a few hundred MB at
/// most; 2 GiB stops a build that fills the disk Berth's data lives on.
pub const DEFAULT_BUILD_DISK_BYTES: u64 = 2 << 30;
/// `/tmp` inside the jail is memory (tmpfs); TMPDIR points into the build's folder, so tools need none.
const JAIL_TMP_BYTES: u64 = 16 << 20;

impl Default for BuildLimits {
    fn default() -> Self {
        Self {
            cpu_seconds: DEFAULT_BUILD_CPU_SECONDS,
            memory_bytes: DEFAULT_BUILD_MEMORY_BYTES,
            file_bytes: DEFAULT_BUILD_FILE_BYTES,
            open_files: DEFAULT_BUILD_OPEN_FILES,
            processes: crate::pids::DEFAULT_BUILD_PROCESSES,
            disk_bytes: DEFAULT_BUILD_DISK_BYTES,
        }
    }
}

/// How build tools are confined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confinement {
    /// bubblewrap namespaces plus resource limits.
    Bubblewrap { bwrap: PathBuf, prlimit: PathBuf },
    /// The operator chose to build without namespaces (no bubblewrap on the machine, or no user
    /// namespaces in its container): cleared environment, scratch HOME, resource limits and the
    /// process-group kill still hold, but the tools can read what Berth's user can read.
    Unconfined { prlimit: PathBuf },
}

/// Where tools are looked for (the library reads no environment; the binary may pass other paths).
const SYSTEM_BIN: &[&str] = &["/usr/bin", "/bin", "/usr/local/bin"];

fn find_tool(name: &str) -> Option<PathBuf> {
    SYSTEM_BIN
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

impl Confinement {
    /// bubblewrap and prlimit from the system's folders, checked by running a confined `true` with
    /// `scratch` (an empty folder it may create) as its build folder.
    pub fn bubblewrap(scratch: &Path) -> Result<Self, String> {
        let bwrap = find_tool("bwrap").ok_or(
            "bubblewrap (`bwrap`) is not installed: install it (Debian/Ubuntu: apt-get install bubblewrap)",
        )?;
        let this = Self::Bubblewrap {
            bwrap,
            prlimit: prlimit()?,
        };
        this.check(scratch)?;
        Ok(this)
    }

    /// No namespaces; still limits, a cleared environment and a scratch home.
    pub fn unconfined() -> Result<Self, String> {
        Ok(Self::Unconfined {
            prlimit: prlimit()?,
        })
    }

    pub fn is_confined(&self) -> bool {
        matches!(self, Self::Bubblewrap { .. })
    }

    /// Runs `true` the way a build step runs; an error says why confinement does not work here.
    pub fn check(&self, scratch: &Path) -> Result<(), String> {
        let dir = scratch.join(format!("confine-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let jail = Jail {
            confinement: self,
            limits: &BuildLimits::default(),
            mounts: vec![Mount::rw(&dir, "/build")],
            tool_roots: Vec::new(),
        };
        let out = jail
            .command(Path::new("/bin/sh"), ["-c", "exit 0"], &[], false)
            .map_err(|e| e.to_string())
            .and_then(|mut step| {
                step.cmd
                    .output()
                    .map_err(|e| format!("cannot run the confinement tools: {e}"))
            });
        let _ = std::fs::remove_dir_all(&dir);
        match out {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(format!(
                "a confined test command failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(e),
        }
    }
}

fn prlimit() -> Result<PathBuf, String> {
    find_tool("prlimit").ok_or_else(|| {
        "util-linux `prlimit` is not installed: install util-linux (it sets the build's resource limits)"
            .to_string()
    })
}

/// A host folder and where a step sees it.
#[derive(Clone, Debug)]
pub struct Mount {
    pub host: PathBuf,
    pub inside: PathBuf,
    pub writable: bool,
}

impl Mount {
    pub fn ro(host: &Path, inside: &str) -> Self {
        Self {
            host: host.to_path_buf(),
            inside: PathBuf::from(inside),
            writable: false,
        }
    }
    pub fn rw(host: &Path, inside: &str) -> Self {
        Self {
            writable: true,
            ..Self::ro(host, inside)
        }
    }
}

/// What one build's steps see. The first mount is the build's own folder: HOME and TMPDIR live there.
pub struct Jail<'a> {
    pub confinement: &'a Confinement,
    pub limits: &'a BuildLimits,
    pub mounts: Vec<Mount>,
    /// Folders of the tools themselves (a venv, the interpreter it was made from), read-only at their
    /// own paths, since scripts name their interpreter by absolute path.
    pub tool_roots: Vec<PathBuf>,
}

/// The folders a tool needs: its venv (or prefix) and, through symlinks, the interpreter's prefix.
/// Refuses a folder that holds `protected` (Berth's data), since the build would then see it.
pub fn tool_roots(tools: &[&Path], protected: &[&Path]) -> Result<Vec<PathBuf>, String> {
    let mut roots: Vec<PathBuf> = Vec::new();
    for tool in tools {
        let real = tool
            .canonicalize()
            .map_err(|e| format!("build tool {}: {e}", tool.display()))?;
        for path in [tool.to_path_buf(), real] {
            let Some(root) = path.parent().and_then(Path::parent) else {
                continue;
            };
            if root.starts_with("/usr") || roots.iter().any(|r| root.starts_with(r)) {
                continue;
            }
            let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
            if root == Path::new("/") {
                return Err(format!(
                    "build tool {} is not in a folder of its own; install it in a venv",
                    tool.display()
                ));
            }
            for p in protected {
                let p = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
                if p.starts_with(&root) {
                    return Err(format!(
                        "build tool {} lives in {}, which also holds {}: builds would see Berth's data. Install the tools in a folder of their own",
                        tool.display(),
                        root.display(),
                        p.display()
                    ));
                }
            }
            roots.push(root);
        }
    }
    Ok(roots)
}

/// `/etc` files that name resolution, TLS and the dynamic linker read. Nothing else of `/etc` is shown.
const ETC: &[&str] = &[
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/mime.types",
];

impl Jail<'_> {
    /// Where a step sees a host path that lies under one of the mounts (unchanged without namespaces).
    pub fn path(&self, host: &Path) -> PathBuf {
        if !self.confinement.is_confined() {
            return host.to_path_buf();
        }
        for m in &self.mounts {
            if let Ok(rest) = host.strip_prefix(&m.host) {
                return m.inside.join(rest);
            }
        }
        host.to_path_buf()
    }

    fn build_dir(&self) -> &Mount {
        &self.mounts[0]
    }

    /// The step that runs `program args` confined, with only `env` added to the cleared environment.
    pub fn command<I, S>(
        &self,
        program: &Path,
        args: I,
        env: &[(&str, &str)],
        network: bool,
    ) -> Result<Step, BuildError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let home = self.path(&self.build_dir().host.join("home"));
        let tmp = self.path(&self.build_dir().host.join("tmp"));
        for dir in ["home", "tmp"] {
            let _ = std::fs::create_dir_all(self.build_dir().host.join(dir));
        }
        let mut path_var = String::new();
        for root in &self.tool_roots {
            path_var.push_str(&format!("{}/bin:", root.display()));
        }
        path_var.push_str("/usr/local/bin:/usr/bin:/bin");
        let mut vars: Vec<(String, String)> = vec![
            ("PATH".into(), path_var),
            ("HOME".into(), home.display().to_string()),
            ("TMPDIR".into(), tmp.display().to_string()),
            ("LANG".into(), "C.UTF-8".into()),
        ];
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let (prlimit, bwrap) = match self.confinement {
            Confinement::Bubblewrap { bwrap, prlimit } => (prlimit, Some(bwrap)),
            Confinement::Unconfined { prlimit } => (prlimit, None),
        };
        let l = self.limits;
        let mut cmd = Command::new(prlimit);
        cmd.arg(format!("--cpu={0}:{0}", l.cpu_seconds))
            .arg(format!("--data={0}:{0}", l.memory_bytes))
            .arg(format!("--fsize={0}:{0}", l.file_bytes))
            .arg(format!("--nofile={0}:{0}", l.open_files))
            .arg("--core=0:0");
        let cgroup = match pids::cap() {
            ProcessCap::Cgroup(parent) => {
                Some(StepCgroup::create(parent, l.processes).map_err(|e| {
                    BuildError::Platform(format!("cannot make the build step's pids cgroup: {e}"))
                })?)
            }
            ProcessCap::Rlimit => {
                // The kernel counts every task of this user, Berth's own threads included.
                let n = l.processes + pids::tasks_of_this_user();
                cmd.arg(format!("--nproc={n}:{n}"));
                None
            }
            ProcessCap::Unavailable(_) => None,
        };
        cmd.arg("--");
        cmd.env_clear();
        match bwrap {
            Some(bwrap) => {
                cmd.arg(bwrap);
                self.bwrap_args(&mut cmd, network);
                cmd.arg("--clearenv");
                for (k, v) in &vars {
                    cmd.args(["--setenv", k, v]);
                }
                cmd.arg("--chdir").arg(&self.build_dir().inside).arg("--");
                // bwrap itself needs nothing from the environment.
                cmd.env("PATH", "/usr/bin:/bin");
            }
            None => {
                cmd.current_dir(&self.build_dir().host);
                cmd.envs(vars);
            }
        }
        cmd.arg(program).args(args);
        let procs = cgroup.as_ref().map(StepCgroup::procs_path);
        // SAFETY: the closure runs between fork and exec and makes only async-signal-safe system calls
        // (no allocation, no locks).
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(move || {
                if let Some(procs) = &procs {
                    pids::join_in_child(procs)?;
                }
                lower_priority()
            })
        };
        Ok(Step {
            cmd,
            cgroup,
            folder: self.build_dir().host.clone(),
            limits: self.limits.clone(),
        })
    }

    fn bwrap_args(&self, cmd: &mut Command, network: bool) {
        cmd.args([
            "--unshare-all",
            "--unshare-user",
            "--uid",
            "65534",
            "--gid",
            "65534",
            "--hostname",
            "berth-build",
            "--die-with-parent",
        ]);
        if network {
            cmd.arg("--share-net");
        }
        cmd.args(["--ro-bind", "/usr", "/usr"]);
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            let path = Path::new(top);
            match std::fs::read_link(path) {
                Ok(target) => {
                    cmd.arg("--symlink").arg(target).arg(top);
                }
                Err(_) if path.is_dir() => {
                    cmd.args(["--ro-bind", top, top]);
                }
                Err(_) => {}
            }
        }
        for etc in ETC {
            if Path::new(etc).exists() {
                cmd.args(["--ro-bind", etc, etc]);
            }
        }
        cmd.args(["--proc", "/proc", "--dev", "/dev", "--size"])
            .arg(JAIL_TMP_BYTES.to_string())
            .args(["--tmpfs", "/tmp"]);
        for root in &self.tool_roots {
            cmd.arg("--ro-bind").arg(root).arg(root);
        }
        for m in &self.mounts {
            cmd.arg(if m.writable { "--bind" } else { "--ro-bind" })
                .arg(&m.host)
                .arg(&m.inside);
        }
    }
}

/// In a build step's child, before exec: a session of its own (no controlling terminal, so nothing in
/// it can push input to the terminal Berth was started from, which is what bubblewrap's
/// `--new-session` is for; and its own process group, which is killed whole at the step's limit), then
/// [`BUILD_NICE`] for it and for its autogroup. A kernel without autogroups has no file to write: the
/// process's own nice value still holds.
fn lower_priority() -> std::io::Result<()> {
    rustix::process::setsid()?;
    if let Ok(fd) = rustix::fs::open(
        c"/proc/self/autogroup",
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) {
        // "10" for BUILD_NICE, without formatting (which could allocate).
        const _: () = assert!(BUILD_NICE == 10);
        let _ = rustix::io::write(&fd, b"10");
    }
    rustix::process::setpriority_process(None, BUILD_NICE)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a step sees of its own scheduling: (pid, session, nice), from `/proc/self/stat`, and its
    /// autogroup line when the kernel has autogroups.
    fn scheduling(confinement: &Confinement) -> ((i64, i64, i64), Option<String>) {
        let dir = std::env::temp_dir().join(format!("berth-confine-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let jail = Jail {
            confinement,
            limits: &BuildLimits::default(),
            mounts: vec![Mount::rw(&dir, "/build")],
            tool_roots: Vec::new(),
        };
        let out = jail
            .command(
                Path::new("/bin/sh"),
                [
                    "-c",
                    "cat /proc/self/autogroup 2>/dev/null; exec cat /proc/self/stat",
                ],
                &[],
                false,
            )
            .unwrap()
            .cmd
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let (autogroup, stat) = match text.trim_end().rsplit_once('\n') {
            Some((a, s)) => (Some(a.to_string()), s.to_string()),
            None => (None, text.trim_end().to_string()),
        };
        // Fields after the command name (in parentheses): state is field 3, session 6, nice 19.
        let rest: Vec<i64> = stat[stat.rfind(')').unwrap() + 2..]
            .split_whitespace()
            .skip(1)
            .map(|f| f.parse().unwrap_or(-1))
            .collect();
        let pid: i64 = stat.split_whitespace().next().unwrap().parse().unwrap();
        ((pid, rest[2], rest[15]), autogroup)
    }

    #[test]
    fn a_step_runs_in_a_session_of_its_own_below_serving_priority() {
        let ((pid, session, nice), autogroup) = scheduling(&Confinement::unconfined().unwrap());
        assert_eq!(session, pid, "the step leads a session of its own");
        assert_eq!(nice, BUILD_NICE as i64);
        let host_has_autogroups = Path::new("/proc/self/autogroup").exists();
        if host_has_autogroups {
            let line = autogroup.expect("the step's autogroup is readable");
            assert!(line.ends_with(&format!("nice {BUILD_NICE}")), "{line}");
        }
    }

    #[test]
    fn a_confined_step_is_below_serving_priority_too() {
        let scratch = std::env::temp_dir();
        let confinement = Confinement::bubblewrap(&scratch)
            .expect("bubblewrap must work here (tests/tools/setup.sh installs it)");
        let ((_, _, nice), _) = scheduling(&confinement);
        assert_eq!(nice, BUILD_NICE as i64);
    }
}
