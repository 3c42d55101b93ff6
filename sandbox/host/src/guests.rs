//! Where guest compute runs. A call starts on the task that made it, so a call that ends within its
//! first epoch slices (nearly every warm call) costs no hand-off. A guest still computing at its
//! [`TICKS_BEFORE_MOVING`]th epoch tick has computed through at least one whole slice; it is moved to
//! the guest threads: a runtime of its own, at a lower scheduling priority, on which running
//! guests take turns one slice each (round robin). The threads that serve requests (the edge's async
//! workers) are then never held by guest compute for more than two slices (10 ms) per call, whatever
//! the guests do, and a loop that runs to its deadline competes only with other guests for the CPU.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// Epoch ticks a call sees on its caller's thread before it moves. The first tick comes at any moment
/// of a slice (a 50 us call meets one about once in a hundred calls, and should not pay a hand-off for
/// it); still computing at the second means at least one whole slice (5 ms) of compute.
pub const TICKS_BEFORE_MOVING: u32 = 2;

/// How long a deployment stays "computing" after one of its calls moved to the guest threads: its new
/// calls start there, so a tenant whose calls keep computing gets no more time on request threads, and
/// one that computed once is back on the fast path a second later.
pub const COMPUTING_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// A deployment's record of calls that moved to the guest threads.
pub(crate) struct Heat {
    born: std::time::Instant,
    moved: AtomicU64,
    /// When a call last moved, in nanoseconds since `born` (0: never).
    last: AtomicU64,
}

impl Heat {
    pub(crate) fn new() -> Self {
        Self {
            born: std::time::Instant::now(),
            moved: AtomicU64::new(0),
            last: AtomicU64::new(0),
        }
    }

    pub(crate) fn moved(&self) -> u64 {
        self.moved.load(Ordering::Relaxed)
    }

    fn record(&self) {
        self.moved.fetch_add(1, Ordering::Relaxed);
        let now = self.born.elapsed().as_nanos().max(1) as u64;
        self.last.store(now, Ordering::Relaxed);
    }

    /// Whether a call moved within [`COMPUTING_FOR`].
    pub(crate) fn computing(&self) -> bool {
        let last = self.last.load(Ordering::Relaxed);
        last != 0 && self.born.elapsed().as_nanos() as u64 - last < COMPUTING_FOR.as_nanos() as u64
    }
}

/// How the guest threads are set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestThreadOptions {
    /// Threads that run guests past their first slice. `None`: one per core.
    pub threads: Option<usize>,
    /// Their nice value (0 to 19; higher yields the CPU more readily).
    pub nice: i32,
}

/// Nice value of the guest threads. Requests (parsing, routing, sessions, quick calls) run at the
/// default priority 0; a guest that computes past its first slices runs at 19, the lowest, so the kernel
/// hands a waking request thread the CPU at once (at 10, four spinning guests still added 2 ms to the
/// p99 of another project's calls on 2 cores; at 19 under 0.4 ms, see the neighbour benchmark), and
/// guests still have every core to themselves when nothing else runs.
pub const DEFAULT_GUEST_NICE: i32 = 19;

impl Default for GuestThreadOptions {
    fn default() -> Self {
        Self {
            threads: None,
            nice: DEFAULT_GUEST_NICE,
        }
    }
}

/// The guest threads: a multi-thread tokio runtime, shut down (without blocking) with its last owner.
pub(crate) struct GuestThreads {
    runtime: Option<tokio::runtime::Runtime>,
    handle: Handle,
}

impl GuestThreads {
    pub(crate) fn start(options: &GuestThreadOptions) -> std::io::Result<Self> {
        if !(0..=19).contains(&options.nice) {
            return Err(std::io::Error::other(format!(
                "the guest threads' nice value must be between 0 and 19, not {}",
                options.nice
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
        let nice = options.nice;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("berth-guest")
            .on_thread_start(move || lower_priority(nice))
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self {
            runtime: Some(runtime),
            handle,
        })
    }
}

impl GuestThreads {
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
fn lower_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    let me = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(me), nice) {
        tracing::warn!(error = %e, nice, "cannot lower the priority of a guest thread; guests that compute compete with requests for the CPU");
    }
}

/// A call's future: first here, then, once the guest has yielded at [`TICKS_BEFORE_MOVING`] epoch
/// ticks (`ticks`, counted by the epoch callback), on the guest threads. Dropping it drops the call wherever
/// it runs (the guest unwinds and its instance goes with it).
pub(crate) struct Drive<T> {
    state: State<T>,
    ticks: Arc<AtomicU32>,
    guests: Arc<GuestThreads>,
    heat: Arc<Heat>,
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
        heat: Arc<Heat>,
    ) -> Self {
        ticks.store(0, Ordering::Relaxed);
        // A deployment that is computing starts its calls on the guest threads.
        let state = if heat.computing() {
            State::There(guests.handle.spawn(job))
        } else {
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
