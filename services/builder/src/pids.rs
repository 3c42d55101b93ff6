//! The process cap of a build step. A build runs a tenant's code; a fork bomb at build time must not
//! fill the machine's process table (with the kernel's default `pid_max` of 32768 that takes a second,
//! and then Berth itself cannot start a thread).
//!
//! Where Berth runs as root (a container, a VM of its own) the kernel does not apply `RLIMIT_NPROC` to
//! it, so each step gets a pids cgroup of its own with `pids.max` set: the cgroup v1 `pids` hierarchy,
//! or cgroup v2 where Berth may enable the pids controller below the root. As an ordinary user,
//! `RLIMIT_NPROC` holds (set by `prlimit`, next to the other limits), counting that user's tasks. If
//! neither works, [`cap`] says why and Berth warns at start.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tasks (processes and threads) one build step may have at once. pip runs a handful; componentize-py
/// runs one thread per core for compilation. 512 leaves room on a large machine and stops a fork bomb
/// long before the process table fills.
pub const DEFAULT_BUILD_PROCESSES: u64 = 512;

/// How this machine caps a step's processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessCap {
    /// A pids cgroup per step, made under this folder.
    Cgroup(PathBuf),
    /// `RLIMIT_NPROC`: Berth is not root, so the kernel counts its user's tasks against the limit.
    Rlimit,
    /// No cap can be set here; the reason, for the operator.
    Unavailable(String),
}

/// The process cap of this machine, found once.
pub fn cap() -> &'static ProcessCap {
    static CAP: OnceLock<ProcessCap> = OnceLock::new();
    CAP.get_or_init(detect)
}

fn detect() -> ProcessCap {
    if !rustix::process::geteuid().is_root() {
        return ProcessCap::Rlimit;
    }
    let mut why = Vec::new();
    for (hierarchy, v2) in [("/sys/fs/cgroup/pids", false), ("/sys/fs/cgroup", true)] {
        let hierarchy = Path::new(hierarchy);
        let marker = if v2 {
            "cgroup.controllers"
        } else {
            "cgroup.procs"
        };
        if !hierarchy.join(marker).is_file() {
            continue;
        }
        match prepare(hierarchy, v2) {
            Ok(dir) => return ProcessCap::Cgroup(dir),
            Err(e) => why.push(format!("{}: {e}", hierarchy.display())),
        }
    }
    ProcessCap::Unavailable(if why.is_empty() {
        "Berth runs as root (which RLIMIT_NPROC does not bind) and this machine has no pids cgroup"
            .into()
    } else {
        format!(
            "Berth runs as root (which RLIMIT_NPROC does not bind) and cannot make pids cgroups ({})",
            why.join("; ")
        )
    })
}

/// Makes `berth-builds` under `hierarchy` and checks that a step's cgroup can be made in it.
fn prepare(hierarchy: &Path, v2: bool) -> std::io::Result<PathBuf> {
    let dir = hierarchy.join("berth-builds");
    // In v2 a controller reaches a child only when its parent enables it for its subtree.
    if v2 {
        enable_pids(hierarchy)?;
    }
    std::fs::create_dir_all(&dir)?;
    if v2 {
        enable_pids(&dir)?;
    }
    drop(StepCgroup::create(&dir, 1)?);
    Ok(dir)
}

fn enable_pids(dir: &Path) -> std::io::Result<()> {
    let file = dir.join("cgroup.subtree_control");
    let enabled = std::fs::read_to_string(&file)?;
    if enabled.split_whitespace().any(|c| c == "pids") {
        return Ok(());
    }
    std::fs::write(&file, "+pids")
}

/// One step's pids cgroup. The step's first process joins it before it runs anything (see
/// [`join_in_child`]); everything it starts stays inside. Dropping it kills what is left and removes
/// the cgroup.
#[derive(Debug)]
pub struct StepCgroup {
    dir: PathBuf,
    procs: CString,
}

impl StepCgroup {
    /// A new cgroup under `parent` allowing `max` tasks.
    pub fn create(parent: &Path, max: u64) -> std::io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = parent.join(format!(
            "step-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir)?;
        let procs = CString::new(dir.join("cgroup.procs").as_os_str().as_bytes())
            .map_err(std::io::Error::other)?;
        let this = Self { dir, procs };
        std::fs::write(this.dir.join("pids.max"), max.to_string())?;
        Ok(this)
    }

    /// The path a child opens in [`join_in_child`].
    pub fn procs_path(&self) -> CString {
        self.procs.clone()
    }

    /// How many times a fork in the step was refused at the cap (`pids.events`).
    pub fn refused_forks(&self) -> u64 {
        std::fs::read_to_string(self.dir.join("pids.events"))
            .ok()
            .and_then(|events| {
                events.lines().find_map(|l| {
                    l.strip_prefix("max ")
                        .and_then(|n| n.trim().parse::<u64>().ok())
                })
            })
            .unwrap_or(0)
    }

    fn kill_all(&self) {
        let Ok(list) = std::fs::read_to_string(self.dir.join("cgroup.procs")) else {
            return;
        };
        for pid in list.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
    }
}

/// Moves the calling process into the cgroup whose `cgroup.procs` is `procs` (a
/// [`StepCgroup::procs_path`]). Made to run in a child between fork and exec: it only opens and writes
/// a file (writing `0` to `cgroup.procs` moves the writer), with nothing allocated.
pub fn join_in_child(procs: &CString) -> std::io::Result<()> {
    let fd = rustix::fs::open(
        procs.as_c_str(),
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    rustix::io::write(&fd, b"0")?;
    Ok(())
}

impl Drop for StepCgroup {
    fn drop(&mut self) {
        // Killed tasks leave the cgroup as the kernel reaps them; a cgroup with tasks cannot be removed.
        // Each round kills what is there and tries again, for up to two seconds.
        for _ in 0..100 {
            self.kill_all();
            match std::fs::remove_dir(&self.dir) {
                Ok(()) => return,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
        tracing::warn!(cgroup = %self.dir.display(), "a build step's cgroup still has tasks; left in place");
    }
}

/// Tasks (threads included) of Berth's user now: `RLIMIT_NPROC` counts them all, so a step's limit is
/// set this far above its own allowance.
pub fn tasks_of_this_user() -> u64 {
    use std::os::unix::fs::MetadataExt;
    let uid = rustix::process::getuid().as_raw();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().as_bytes().iter().all(u8::is_ascii_digit))
        .filter(|e| e.metadata().is_ok_and(|m| m.uid() == uid))
        .map(|e| {
            std::fs::read_dir(e.path().join("task"))
                .map(|t| t.count() as u64)
                .unwrap_or(1)
        })
        .sum()
}
