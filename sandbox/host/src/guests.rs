//! Where guest compute runs. A call starts on the task that made it, so a call that ends within its
//! first epoch slices (nearly every warm call) costs no hand-off. A guest still computing at its
//! [`TICKS_BEFORE_MOVING`]th epoch tick has computed through at least one whole slice; it is moved to
//! the guest threads: a runtime of its own, under the lowest scheduling priority (`SCHED_IDLE`), on
//! which running guests take turns one slice each (round robin). The threads that serve requests (the
//! edge's async workers) are then never held by guest compute for more than two slices (4 ms) per
//! call, whatever the guests do, and a loop that runs to its deadline competes only with other guests
//! for the CPU.
//!
//! A call target (a tool, a prompt, ...) one of whose calls moved is "computing" for [`COMPUTING_FOR`]:
//! its new calls start on the guest threads, and so do the instances made for them (a tool whose calls
//! keep throwing instances away must not take the CPU from other tenants' requests by making new ones).

use berth_core::GuestCall;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// Epoch ticks a call sees on its caller's thread before it moves. The first tick comes at any moment
/// of a slice (a 50 us call meets one about once in forty calls, and should not pay a hand-off for
/// it); still computing at the second means at least one whole slice (2 ms) of compute.
pub const TICKS_BEFORE_MOVING: u32 = 2;

/// How long a call target stays "computing" after one of its calls moved to the guest threads: its new
/// calls start there, so a tenant whose calls keep computing gets no more time on request threads. The
/// first of those calls that ends within its first slice brings the target back to the fast path.
pub const COMPUTING_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// Slots a deployment's heat is kept in, one per call target (a tool by name, a prompt by name, resource
/// reads, completions) by hash. Targets that share a slot share its record: bounded memory, whatever
/// the number of tools, at worst a quick tool that starts on the guest threads now and then.
const TARGET_SLOTS: usize = 64;

/// A deployment's record of calls that moved to the guest threads, per call target. Per target, not per
/// deployment: a tenant's quick tool must not bring its spinning one back onto request threads (each
/// time, for two slices), nor the spinning one send the quick one behind computing guests.
pub(crate) struct Heat {
    born: std::time::Instant,
    moved: AtomicU64,
    /// Per slot: when a call of its targets last moved, in nanoseconds since `born` (0: never).
    last: [AtomicU64; TARGET_SLOTS],
}

impl Heat {
    pub(crate) fn new() -> Self {
        Self {
            born: std::time::Instant::now(),
            moved: AtomicU64::new(0),
            last: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    pub(crate) fn moved(&self) -> u64 {
        self.moved.load(Ordering::Relaxed)
    }

    /// The record of `call`'s target.
    pub(crate) fn of(self: &Arc<Self>, call: &GuestCall) -> TargetHeat {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::mem::discriminant(call).hash(&mut h);
        match call {
            GuestCall::Tool { name, .. } | GuestCall::GetPrompt { name, .. } => name.hash(&mut h),
            GuestCall::ReadResource { .. } | GuestCall::Complete { .. } => {}
        }
        TargetHeat {
            heat: self.clone(),
            slot: (h.finish() % TARGET_SLOTS as u64) as usize,
        }
    }
}

/// One call target's record in its deployment's [`Heat`].
#[derive(Clone)]
pub(crate) struct TargetHeat {
    heat: Arc<Heat>,
    slot: usize,
}

impl TargetHeat {
    fn record(&self) {
        self.heat.moved.fetch_add(1, Ordering::Relaxed);
        let now = self.heat.born.elapsed().as_nanos().max(1) as u64;
        self.heat.last[self.slot].store(now, Ordering::Relaxed);
    }

    /// A call that started on the guest threads ended without computing through a slice: the target is
    /// not computing (one slow call must not send a quick tool's calls behind others' computing guests
    /// for a whole [`COMPUTING_FOR`]).
    fn cool(&self) {
        self.heat.last[self.slot].store(0, Ordering::Relaxed);
    }

    /// Whether a call of this target moved within [`COMPUTING_FOR`]: its calls, and the instances made
    /// for them, start on the guest threads.
    pub(crate) fn computing(&self) -> bool {
        let last = self.heat.last[self.slot].load(Ordering::Relaxed);
        last != 0
            && (self.heat.born.elapsed().as_nanos() as u64).saturating_sub(last)
                < COMPUTING_FOR.as_nanos() as u64
    }
}

/// How the guest threads are set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestThreadOptions {
    /// Threads that run guests past their first millisecond. `None`: one per core.
    pub threads: Option<usize>,
    /// How they are scheduled against the threads that serve requests.
    pub priority: GuestPriority,
}

/// How the kernel schedules the guest threads. Requests (parsing, routing, sessions, quick calls) run at
/// the default priority; a guest that computes past its first slices runs on the guest threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestPriority {
    /// Linux's `SCHED_IDLE`: a request thread that wakes takes the CPU from a computing guest at once,
    /// and guests still have every core to themselves when nothing else runs. At nice 19 (the lowest
    /// ordinary priority) the kernel may let a running guest finish its time slice first (with EEVDF, up
    /// to a few ms): in the neighbour benchmark on 2 cores, four spinning guests put another project's
    /// p99 at 10x its p99 alone at nice 19, and at 7x under `SCHED_IDLE`.
    Idle,
    /// An ordinary nice value, 0 to 19 (0: guests compete with requests as equals).
    Nice(i32),
}

/// The default: guests compute only on CPU that requests leave idle.
pub const DEFAULT_GUEST_PRIORITY: GuestPriority = GuestPriority::Idle;

impl std::str::FromStr for GuestPriority {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "idle" {
            return Ok(Self::Idle);
        }
        match s.parse::<i32>() {
            Ok(n) if (0..=19).contains(&n) => Ok(Self::Nice(n)),
            _ => Err(format!(
                "`{s}` is not a guest priority: give `idle` or a nice value from 0 to 19"
            )),
        }
    }
}

impl std::fmt::Display for GuestPriority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Idle => f.write_str("idle"),
            Self::Nice(n) => write!(f, "{n}"),
        }
    }
}

impl Default for GuestThreadOptions {
    fn default() -> Self {
        Self {
            threads: None,
            priority: DEFAULT_GUEST_PRIORITY,
        }
    }
}

/// The guest threads: a multi-thread tokio runtime, shut down (without blocking) with its last owner.
pub(crate) struct GuestThreads {
    runtime: Option<tokio::runtime::Runtime>,
    handle: Handle,
    /// When a call last started on the fast path (on a request thread), in microseconds since `born`.
    last_fast: AtomicU64,
    born: std::time::Instant,
}

/// A guest computing on the guest threads while requests are being served (a call started on the fast
/// path within this long) sits out [`SLICES_SAT_OUT`] slices after each slice it computes.
/// `SCHED_IDLE` gives requests the CPU at once, but not the caches and memory bandwidth a computing
/// guest shares with them: a guest that allocates without end slows every other thread's memory
/// accesses. In the hostile-neighbour benchmark a memory bomb put another project's p99 at 1.8-2.5x
/// its p99 alone at full duty, 1.8-1.9x at half duty, 1.5x at a quarter. A guest alone on the machine
/// (no request served) still computes at full speed.
pub const SERVING_RECENTLY: std::time::Duration = std::time::Duration::from_millis(4);

/// Slices a computing guest sits out after each slice it computes while requests are served.
pub const SLICES_SAT_OUT: u32 = 3;

impl GuestThreads {
    /// Notes that a call starts on the fast path now.
    pub(crate) fn fast_call_started(&self) {
        let now = self.born.elapsed().as_micros() as u64 + 1; // 0 is "never"
        let last = self.last_fast.load(Ordering::Relaxed);
        // Most calls find it current to half a millisecond: skip the write (a shared cache line).
        if last == 0 || now.saturating_sub(last) > 500 {
            self.last_fast.store(now, Ordering::Relaxed);
        }
    }

    /// Whether requests are being served: a call started on the fast path within [`SERVING_RECENTLY`].
    pub(crate) fn serving(&self) -> bool {
        let last = self.last_fast.load(Ordering::Relaxed);
        last != 0
            && (self.born.elapsed().as_micros() as u64).saturating_sub(last)
                < SERVING_RECENTLY.as_micros() as u64
    }
}

impl GuestThreads {
    pub(crate) fn start(options: &GuestThreadOptions) -> std::io::Result<Self> {
        if let GuestPriority::Nice(n) = options.priority
            && !(0..=19).contains(&n)
        {
            return Err(std::io::Error::other(format!(
                "the guest threads' nice value must be between 0 and 19, not {n}"
            )));
        }
        let threads = match options.threads {
            Some(0) => {
                return Err(std::io::Error::other(
                    "the guest threads must be at least 1",
                ));
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let priority = options.priority;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("berth-guest")
            .on_thread_start(move || lower_priority(priority))
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self {
            runtime: Some(runtime),
            handle,
            last_fast: AtomicU64::new(0),
            born: std::time::Instant::now(),
        })
    }
}

impl GuestThreads {
    /// Runs `f` on a blocking thread of the guest threads' runtime: at their lower priority.
    pub(crate) async fn offload<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> wasmtime::Result<T> {
        crate::blocking::offload_to(&self.handle, f).await
    }

    /// Drops `value` on a guest thread (dropped right here if they are shutting down).
    pub(crate) fn release<T: Send + 'static>(&self, value: T) {
        self.handle.spawn(async move { drop(value) });
    }
}

impl Drop for GuestThreads {
    fn drop(&mut self) {
        // Dropping a runtime blocks until its threads end, which panics on an async worker.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Lowers the calling thread's priority; a failure (a sandbox that forbids it) only costs fairness.
fn lower_priority(priority: GuestPriority) {
    let result = match priority {
        GuestPriority::Nice(0) => return,
        GuestPriority::Nice(nice) => {
            let me = rustix::thread::gettid();
            rustix::process::setpriority_process(Some(me), nice).map_err(std::io::Error::from)
        }
        GuestPriority::Idle => idle_policy(),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, %priority, "cannot lower the priority of a guest thread; guests that compute compete with requests for the CPU");
    }
}

/// Puts the calling thread under `SCHED_IDLE` (allowed to any thread: it only lowers its priority).
fn idle_policy() -> std::io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `sched_setscheduler` reads `param` (a valid, initialised struct) and changes only the
    // scheduling of the calling thread (pid 0); it touches no memory of ours.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// A call's future: first here, then, once the guest has yielded at [`TICKS_BEFORE_MOVING`] epoch
/// ticks (`ticks`, counted by the epoch callback), on the guest threads. Dropping it drops the call wherever
/// it runs (the guest unwinds and its instance goes with it).
pub(crate) struct Drive<T> {
    state: State<T>,
    ticks: Arc<AtomicU32>,
    guests: Arc<GuestThreads>,
    heat: TargetHeat,
}

enum State<T> {
    Here(Pin<Box<dyn Future<Output = T> + Send>>),
    There(JoinHandle<T>),
    Gone,
}

impl<T: Send + 'static> Drive<T> {
    pub(crate) fn new(
        job: Pin<Box<dyn Future<Output = T> + Send>>,
        ticks: Arc<AtomicU32>,
        guests: Arc<GuestThreads>,
        heat: TargetHeat,
    ) -> Self {
        ticks.store(0, Ordering::Relaxed);
        // A target that is computing starts its calls on the guest threads.
        let state = if heat.computing() {
            State::There(guests.handle.spawn(job))
        } else {
            guests.fast_call_started();
            State::Here(job)
        };
        Self {
            state,
            ticks,
            guests,
            heat,
        }
    }
}

impl<T: Send + 'static> Future for Drive<T> {
    /// `None` when the guest threads shut down under the call.
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Here(job) => {
                    if let Poll::Ready(out) = job.as_mut().poll(cx) {
                        this.state = State::Gone;
                        return Poll::Ready(Some(out));
                    }
                    // Waiting on the host (a store, the client) costs no CPU: it stays here.
                    if this.ticks.load(Ordering::Relaxed) < TICKS_BEFORE_MOVING {
                        return Poll::Pending;
                    }
                    let State::Here(job) = std::mem::replace(&mut this.state, State::Gone) else {
                        unreachable!("matched above")
                    };
                    this.heat.record();
                    this.state = State::There(this.guests.handle.spawn(job));
                }
                State::There(task) => {
                    return match Pin::new(task).poll(cx) {
                        Poll::Pending => Poll::Pending,
                        Poll::Ready(Ok(out)) => {
                            this.state = State::Gone;
                            if this.ticks.load(Ordering::Relaxed) == 0 {
                                this.heat.cool();
                            }
                            Poll::Ready(Some(out))
                        }
                        Poll::Ready(Err(e)) => {
                            this.state = State::Gone;
                            if e.is_panic() {
                                std::panic::resume_unwind(e.into_panic());
                            }
                            Poll::Ready(None)
                        }
                    };
                }
                State::Gone => return Poll::Pending,
            }
        }
    }
}

impl<T> Drop for Drive<T> {
    fn drop(&mut self) {
        if let State::There(task) = &self.state {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calling thread's scheduling policy (field 41 of `/proc/thread-self/stat`; 5 is SCHED_IDLE).
    fn policy() -> u32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        rest.split_whitespace().nth(38).unwrap().parse().unwrap()
    }

    #[test]
    fn computing_guests_run_under_sched_idle_by_default() {
        let guests = GuestThreads::start(&GuestThreadOptions::default()).unwrap();
        let here = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let on_guest = here.block_on(guests.handle.spawn(async { policy() }));
        assert_eq!(on_guest.unwrap(), libc::SCHED_IDLE as u32);
        let blocking = here.block_on(guests.offload(policy));
        assert_eq!(
            blocking.unwrap(),
            libc::SCHED_IDLE as u32,
            "instances made for a computing deployment too"
        );
        assert_eq!(
            policy(),
            libc::SCHED_OTHER as u32,
            "the caller's thread keeps its policy"
        );
    }

    #[test]
    fn fast_path_calls_mark_the_machine_as_serving() {
        let guests = GuestThreads::start(&GuestThreadOptions::default()).unwrap();
        assert!(!guests.serving(), "nothing served yet");
        guests.fast_call_started();
        assert!(guests.serving(), "a call just started on the fast path");
    }

    #[test]
    fn guest_priority_is_idle_or_a_nice_value() {
        assert_eq!("idle".parse(), Ok(GuestPriority::Idle));
        assert_eq!("19".parse(), Ok(GuestPriority::Nice(19)));
        for bad in ["20", "-1", "low", ""] {
            let err = bad.parse::<GuestPriority>().unwrap_err();
            assert!(err.contains("idle") && err.contains("0 to 19"), "{err}");
        }
        assert_eq!(GuestPriority::Idle.to_string(), "idle");
    }

    #[test]
    fn a_quick_call_on_the_guest_threads_brings_its_target_back() {
        let guests = Arc::new(
            GuestThreads::start(&GuestThreadOptions {
                threads: Some(1),
                priority: GuestPriority::Nice(0),
            })
            .unwrap(),
        );
        let tool = |name: &str| GuestCall::Tool {
            name: name.into(),
            arguments: Default::default(),
        };
        let heat = Arc::new(Heat::new());
        let (spin, quick) = (heat.of(&tool("spin")), heat.of(&tool("quick")));
        assert_ne!(
            spin.slot, quick.slot,
            "the two tools of this test share no slot"
        );
        assert_eq!(heat.of(&tool("spin")).slot, spin.slot);
        spin.record();
        assert!(spin.computing());
        assert!(
            !quick.computing(),
            "another tool of the deployment keeps the fast path"
        );
        let here = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let me = std::thread::current().id();
        let ticks = Arc::new(AtomicU32::new(0));
        let job = || -> Pin<Box<dyn Future<Output = std::thread::ThreadId> + Send>> {
            Box::pin(async { std::thread::current().id() })
        };
        let elsewhere = here.block_on(Drive::new(
            job(),
            ticks.clone(),
            guests.clone(),
            quick.clone(),
        ));
        assert_eq!(elsewhere, Some(me));
        // Computing: the call starts on the guest threads; it ends without a tick, so the next one
        // starts on the caller's thread again.
        let first = here.block_on(Drive::new(
            job(),
            ticks.clone(),
            guests.clone(),
            spin.clone(),
        ));
        assert_ne!(first, Some(me));
        assert!(!spin.computing());
        let second = here.block_on(Drive::new(job(), ticks, guests, spin));
        assert_eq!(second, Some(me));
        assert_eq!(heat.moved(), 1, "the one record made by hand");
    }
}
