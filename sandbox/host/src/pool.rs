//! A deployment's pool of warm instances: each serves one call at a time and is reused, as a FastMCP
//! process is, and is thrown away after a trap, a timeout, an out-of-memory or a request count.
//!
//! A call on a warm instance starts on the caller's task as a fiber (no hand-off to another thread): the
//! guest yields to the executor at every epoch tick and traps once its deadline has passed. A guest that
//! computes through a whole tick moves to the guest threads (see [`crate::guests`]). Making an instance
//! (a millisecond or two of CPython start-up) runs on a blocking thread. Calls running at once, and
//! waiting for those, are bounded per deployment (see [`crate::admission`]).

use berth_core::{
    AllowList, CallContext, CallHooks, GuestCall, GuestOutput, InvokeError, Limits, NoHooks,
    ResourceContents,
};
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};
use wasmtime::component::Component;
use wasmtime::{Store, UpdateDeadline};

use berth_core::util::poll_once;

use crate::admission::Admission;
use crate::bindings::{self, Server, ServerPre};
use crate::blocking::{block_on, offload};
use crate::egress::CallEgress;
use crate::engine::{EPOCH_TICK, Runtime, RuntimeError};
use crate::guests::{Drive, Heat, SLICES_SAT_OUT, TICKS_BEFORE_MOVING, TargetHeat};
use crate::state::{GuestState, Stop};

struct Warm {
    store: Store<GuestState>,
    server: Server,
    calls: u64,
    generation: u64,
    /// The thread that last ran it: its memory is warm in that core's caches.
    home: Option<ThreadId>,
    /// Epoch ticks at which the current call yielded: how long it has computed, in slices.
    ticks: Arc<AtomicU32>,
}

/// Counters a worker reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub instances_created: u64,
    pub instances_discarded: u64,
    pub calls: u64,
    pub idle: usize,
    /// Time spent inside the guest (from entering its export to its return), over all calls.
    pub guest_time: Duration,
    /// Calls that computed through a whole slice and went on on the guest threads.
    pub moved_to_guest_threads: u64,
    /// Calls refused because as many were running and waiting as the limits allow.
    pub refused_busy: u64,
    /// Calls waiting now for a running one to end.
    pub queued: usize,
}

/// Limits and environment that new instances are made with, and the bound on calls at once.
struct PoolConfig {
    limits: Limits,
    env: Arc<Vec<(String, String)>>,
    admission: Arc<Admission>,
}

impl PoolConfig {
    fn new(limits: Limits, env: Arc<Vec<(String, String)>>) -> Self {
        Self {
            admission: Arc::new(Admission::new(&limits)),
            limits,
            env,
        }
    }
}

pub struct DeploymentPool {
    runtime: Runtime,
    pre: ServerPre<GuestState>,
    config: RwLock<PoolConfig>,
    idle: Mutex<Vec<Warm>>,
    generation: AtomicU64,
    created: AtomicU64,
    discarded: AtomicU64,
    calls: AtomicU64,
    guest_nanos: AtomicU64,
    heat: Arc<Heat>,
    refused: AtomicU64,
    /// The hosts calls may reach over HTTP; read at the start of each call.
    allow: RwLock<Arc<AllowList>>,
    me: Weak<DeploymentPool>,
}

impl DeploymentPool {
    pub fn new(
        runtime: &Runtime,
        component: &Component,
        limits: Limits,
        env: Arc<Vec<(String, String)>>,
    ) -> Result<Arc<Self>, RuntimeError> {
        let pre = runtime
            .linker
            .instantiate_pre(component)
            .map_err(|e| RuntimeError::WrongWorld(format!("{e:#}")))?;
        let pre = ServerPre::new(pre).map_err(|e| RuntimeError::WrongWorld(format!("{e:#}")))?;
        Ok(Arc::new_cyclic(|me| Self {
            runtime: runtime.clone(),
            pre,
            config: RwLock::new(PoolConfig::new(limits, env)),
            idle: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
            created: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            guest_nanos: AtomicU64::new(0),
            heat: Arc::new(Heat::new()),
            refused: AtomicU64::new(0),
            allow: RwLock::new(Arc::new(AllowList::default())),
            me: me.clone(),
        }))
    }

    /// Maps an ahead-of-time compiled artifact and makes a pool for it.
    pub fn from_artifact(
        runtime: &Runtime,
        cwasm: &Path,
        limits: Limits,
        env: Arc<Vec<(String, String)>>,
    ) -> Result<Arc<Self>, RuntimeError> {
        let component = runtime.load(cwasm)?;
        Self::new(runtime, &component, limits, env)
    }

    /// Changes limits and environment. Warm instances made before are dropped as they come back, so new
    /// calls see the change without a rebuild. Calls already running or waiting keep their place.
    pub fn reconfigure(&self, limits: Limits, env: Arc<Vec<(String, String)>>) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = PoolConfig::new(limits, env);
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.lock_idle().clear();
    }

    /// Sets the hosts calls may reach (the project's allowlist); calls that start from now on see it.
    /// Warm instances stay: the list is not part of an instance.
    pub fn set_allow(&self, allow: Arc<AllowList>) {
        *self.allow.write().unwrap_or_else(|p| p.into_inner()) = allow;
    }

    pub fn limits(&self) -> Limits {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .limits
            .clone()
    }

    fn limits_and_admission(&self) -> (Limits, Arc<Admission>) {
        let config = self.config.read().unwrap_or_else(|p| p.into_inner());
        (config.limits.clone(), config.admission.clone())
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            instances_created: self.created.load(Ordering::Relaxed),
            instances_discarded: self.discarded.load(Ordering::Relaxed),
            calls: self.calls.load(Ordering::Relaxed),
            idle: self.lock_idle().len(),
            guest_time: Duration::from_nanos(self.guest_nanos.load(Ordering::Relaxed)),
            moved_to_guest_threads: self.heat.moved(),
            refused_busy: self.refused.load(Ordering::Relaxed),
            queued: self.limits_and_admission().1.waiting(),
        }
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Warm>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes an instance, on the calling thread (which may block).
    fn instantiate(&self) -> Result<Warm, InvokeError> {
        block_on(self.instantiate_here())
    }

    async fn instantiate_here(&self) -> Result<Warm, InvokeError> {
        let (limits, env) = {
            let config = self.config.read().unwrap_or_else(|p| p.into_inner());
            (config.limits.clone(), config.env.clone())
        };
        let generation = self.generation.load(Ordering::SeqCst);
        let mut store = Store::new(
            &self.runtime.engine,
            GuestState::new(&env, limits.memory_bytes(), self.runtime.egress.clone()),
        );
        store.limiter(|s| &mut s.limiter);
        let ticks = Arc::new(AtomicU32::new(0));
        let counter = ticks.clone();
        let guests = self.runtime.guests.clone();
        store.epoch_deadline_callback(move |ctx| {
            Ok(if Instant::now() >= ctx.data().deadline {
                UpdateDeadline::Interrupt
            } else if counter.fetch_add(1, Ordering::Relaxed) >= TICKS_BEFORE_MOVING
                && guests.serving()
            {
                // Computing on the guest threads while requests are served: sit out some slices
                // (see `guests::SLICES_SAT_OUT`).
                UpdateDeadline::YieldCustom(
                    1,
                    Box::pin(tokio::time::sleep(EPOCH_TICK * SLICES_SAT_OUT)),
                )
            } else {
                // To the back of the run queue: tokio runs a task that wakes itself again first, which
                // would let one guest keep its thread from the others.
                UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
            })
        });
        arm(&mut store, &limits);
        let server = self.pre.instantiate_async(&mut store).await.map_err(|e| {
            let out = store.data().output.drain();
            InvokeError::Trap(format!("the server failed to start: {e:#}{}", suffix(&out)))
        })?;
        self.created.fetch_add(1, Ordering::Relaxed);
        Ok(Warm {
            store,
            server,
            calls: 0,
            generation,
            home: None,
            ticks,
        })
    }

    /// A new instance made on a blocking thread, so the caller's async worker keeps serving. An instance
    /// for a computing call target is made at the guest threads' lower priority: a tool whose calls keep
    /// throwing instances away (each grown to the memory limit) must not take the CPU from other
    /// tenants' requests by starting new ones.
    async fn instantiate_off_thread(&self, target: &TargetHeat) -> Result<Warm, InvokeError> {
        let pool = self
            .me
            .upgrade()
            .ok_or_else(|| InvokeError::Unavailable("the deployment is shutting down".into()))?;
        let made = if target.computing() {
            self.runtime
                .guests
                .offload(move || pool.instantiate())
                .await
        } else {
            offload(move || pool.instantiate()).await
        };
        made.map_err(|e| InvokeError::Unavailable(e.to_string()))?
    }

    /// Creates instances until `n` are warm, so the first calls do not pay for instantiation.
    /// Blocks the calling thread.
    pub fn prewarm(&self, n: usize) -> Result<(), InvokeError> {
        while self.lock_idle().len() < n {
            let w = self.instantiate()?;
            self.lock_idle().push(w);
        }
        Ok(())
    }

    /// Asks the guest to describe itself; on failure, the error with everything the guest printed
    /// (a Python traceback, typically). Blocks the calling thread.
    pub fn describe(&self) -> Result<String, String> {
        block_on(async {
            let mut w = self.instantiate_here().await.map_err(|e| e.to_string())?;
            w.store.data_mut().hooks = Arc::new(NoHooks::default());
            let limits = self.limits();
            arm(&mut w.store, &limits);
            let r = w.server.berth_mcp_guest().call_describe(&mut w.store).await;
            let out = w.store.data().output.drain();
            match r {
                Ok(Ok(json)) => {
                    self.lock_idle().push(w);
                    Ok(json)
                }
                Ok(Err(msg)) => Err(format!("{msg}{}", suffix(&out))),
                Err(e) => Err(format!(
                    "the server crashed while describing itself: {e:#}{}",
                    suffix(&out)
                )),
            }
        })
    }

    /// Runs one call on a warm instance (or a new one), blocking the calling thread until it ends.
    /// Call from a thread that may block (not an async runtime's worker); async code awaits
    /// [`DeploymentPool::call_async`].
    pub fn call(
        &self,
        call: &GuestCall,
        ctx: &CallContext,
        hooks: Arc<dyn CallHooks>,
    ) -> Result<GuestOutput, InvokeError> {
        block_on(self.call_async(call, ctx, hooks))
    }

    /// Runs one call. On a warm instance the guest runs right here, on the awaiting task; it yields at
    /// every epoch tick, and it is stopped (its instance thrown away) when its deadline passes, also
    /// while it waits on the host.
    pub async fn call_async(
        &self,
        call: &GuestCall,
        ctx: &CallContext,
        hooks: Arc<dyn CallHooks>,
    ) -> Result<GuestOutput, InvokeError> {
        self.call_at_depth(call, ctx, hooks, 0).await
    }

    async fn call_at_depth(
        &self,
        call: &GuestCall,
        ctx: &CallContext,
        hooks: Arc<dyn CallHooks>,
        depth: u8,
    ) -> Result<GuestOutput, InvokeError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let (limits, admission) = self.limits_and_admission();
        // A resource read from inside a call runs on its caller's place: waiting for another could wait
        // for itself.
        let _running = if depth == 0 {
            match admission.enter(&limits).await {
                Ok(permit) => Some(permit),
                Err(e) => {
                    if matches!(e, InvokeError::Busy { .. }) {
                        self.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    return Err(e);
                }
            }
        } else {
            None
        };
        let target = self.heat.of(call);
        let pooled = if limits.fresh_instance_per_call {
            None
        } else {
            self.take_idle()
        };
        let mut w = match pooled {
            Some(w) => w,
            None => self.instantiate_off_thread(&target).await?,
        };
        let hooks_for_call: Arc<dyn CallHooks> = Arc::new(PoolHooks {
            inner: hooks.clone(),
            pool: self.me.clone(),
            ctx: ctx.clone(),
            depth,
        });
        {
            let data = w.store.data_mut();
            data.hooks = hooks_for_call;
            data.stop = Stop::None;
            data.limiter.refused = false;
            data.result_meta = None;
            data.session.clone_from(&ctx.session_id); // reuses the buffer: no allocation per call
        }
        arm(&mut w.store, &limits);
        let allow = self.allow.read().unwrap_or_else(|p| p.into_inner()).clone();
        let egress = CallEgress::new(allow, &limits, w.store.data().deadline, hooks.clone());
        w.store.data_mut().egress.call = Some(egress);
        // The deadline also bounds time spent waiting on the host (a sleep, a slow client): past it,
        // the call is dropped mid-flight, which unwinds the guest; its instance goes with it.
        let overall = limits.timeout() + EPOCH_TICK * 2;
        let mut holding = Holding {
            pool: self,
            done: false,
        };
        let started = Instant::now();
        let (ticks, job) = (w.ticks.clone(), Job::new(call, ctx));
        let drive = Drive::new(
            Box::pin(run(w, job)),
            ticks,
            self.runtime.guests.clone(),
            target,
        );
        let ran = with_deadline(overall, drive).await;
        self.guest_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        // Past its deadline the instance went with the dropped call, and `holding` counts it.
        let (mut w, result) = match ran {
            Some(Some(done)) => done,
            Some(None) => {
                return Err(InvokeError::Unavailable(
                    "the worker is shutting down".into(),
                ));
            }
            None => return Err(InvokeError::Timeout(limits.timeout_ms)),
        };
        holding.done = true;
        w.calls += 1;
        let out = w.store.data().output.drain();
        if !out.is_empty() {
            hooks.output(&out);
        }
        let (stop, refused) = {
            let data = w.store.data_mut();
            data.hooks = Arc::new(NoHooks::default());
            data.egress.call = None;
            (data.stop, data.limiter.refused)
        };
        let outcome = match result {
            Ok(Ok(output)) => {
                let size = bindings::output_size(&output);
                if size as u64 > limits.max_response_bytes {
                    Err(InvokeError::ResponseTooLarge(
                        size,
                        limits.max_response_bytes,
                    ))
                } else {
                    Ok(output)
                }
            }
            Ok(Err(e)) => Err(e),
            Err(trap) => {
                self.discard(w);
                return Err(match (stop, trap.downcast_ref::<wasmtime::Trap>()) {
                    (Stop::Suspended, _) => InvokeError::InputRequired,
                    (_, Some(wasmtime::Trap::Interrupt)) => InvokeError::Timeout(limits.timeout_ms),
                    _ if refused => InvokeError::OutOfMemory(limits.memory_mib),
                    (_, Some(wasmtime::Trap::StackOverflow)) => {
                        InvokeError::Trap("stack overflow (the call recursed too deeply)".into())
                    }
                    _ => InvokeError::Trap(format!("{}{}", trap.root_cause(), suffix(&out))),
                });
            }
        };
        let keep = !limits.fresh_instance_per_call
            && !refused
            && w.calls < limits.max_requests_per_instance
            && w.generation == self.generation.load(Ordering::SeqCst);
        if keep {
            let mut idle = self.lock_idle();
            if idle.len() < limits.max_warm_instances {
                w.home = Some(thread::current().id());
                idle.push(w);
                return outcome;
            }
        }
        self.discard(w);
        outcome
    }

    /// An idle instance, preferring the one this thread ran last: a Python instance's working set
    /// is still in this core's caches then, and its call runs about twice as fast as on a cold one.
    fn take_idle(&self) -> Option<Warm> {
        let me = thread::current().id();
        let mut idle = self.lock_idle();
        let at = match idle.iter().rposition(|w| w.home == Some(me)) {
            Some(at) => at,
            None => idle.len().checked_sub(1)?,
        };
        Some(idle.remove(at))
    }

    /// Throws an instance away. Freeing it (unmapping up to the memory limit of touched pages) takes
    /// the kernel milliseconds for a large one: that happens on the guest threads, not on the caller's.
    fn discard(&self, w: Warm) {
        self.discarded.fetch_add(1, Ordering::Relaxed);
        self.runtime.guests.release(w);
    }
}

type CallResult = wasmtime::Result<Result<GuestOutput, InvokeError>>;

/// A call in flight. When its future is dropped before the guest returns (the client cancelled or
/// went away, or the deadline passed), the guest unwinds where it stands and its instance goes with
/// the future: counted here.
struct Holding<'a> {
    pool: &'a DeploymentPool,
    done: bool,
}

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.pool.discarded.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Awaits `f` for at most `limit` when a runtime's clock is at hand (always, in a server). A warm
/// call usually ends within its first poll (the guest runs right there), and then needs no timer.
async fn with_deadline<T>(limit: Duration, f: impl Future<Output = T>) -> Option<T> {
    let started = tokio::time::Instant::now();
    let mut f = std::pin::pin!(f);
    if let Some(done) = poll_once(f.as_mut()).await {
        return Some(done);
    }
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::timeout_at(started + limit, f).await.ok()
    } else {
        Some(f.await)
    }
}

/// Starts the call's clock: the guest is interrupted at the first epoch tick past its deadline.
fn arm(store: &mut Store<GuestState>, limits: &Limits) {
    store.data_mut().deadline = Instant::now() + limits.timeout();
    store.set_epoch_deadline(1);
}

/// A call's arguments, owned, so that the call can move to the guest threads.
struct Job {
    ctx: bindings::wit::CallContext,
    call: OwnedCall,
}

enum OwnedCall {
    /// A tool call with its arguments already encoded (they are, for the guest, anyway).
    Tool { name: String, arguments: String },
    /// Any other call, as it came.
    Other(GuestCall),
}

impl Job {
    fn new(call: &GuestCall, ctx: &CallContext) -> Self {
        let call = match call {
            GuestCall::Tool { name, arguments } => OwnedCall::Tool {
                name: name.clone(),
                arguments: serde_json::to_string(arguments).unwrap_or_else(|_| "{}".into()),
            },
            other => OwnedCall::Other(other.clone()),
        };
        Self {
            ctx: bindings::call_context(ctx),
            call,
        }
    }
}

async fn run(mut w: Warm, job: Job) -> (Warm, CallResult) {
    let result = run_on(&mut w, &job).await;
    (w, result)
}

async fn run_on(w: &mut Warm, job: &Job) -> CallResult {
    let guest = w.server.berth_mcp_guest();
    let c = &job.ctx;
    let store = &mut w.store;
    let (name, arguments) = match &job.call {
        OwnedCall::Tool { name, arguments } => (name, std::borrow::Cow::Borrowed(arguments)),
        OwnedCall::Other(GuestCall::Tool { name, arguments }) => (
            name,
            std::borrow::Cow::Owned(
                serde_json::to_string(arguments).unwrap_or_else(|_| "{}".into()),
            ),
        ),
        OwnedCall::Other(GuestCall::ReadResource { uri }) => {
            return Ok(guest
                .call_read_resource(&mut *store, c, uri)
                .await?
                .map(|rs| GuestOutput::Resource(rs.into_iter().map(bindings::resource).collect()))
                .map_err(bindings::guest_error));
        }
        OwnedCall::Other(GuestCall::GetPrompt { name, arguments }) => {
            return Ok(guest
                .call_get_prompt(&mut *store, c, name, arguments)
                .await?
                .map(|p| {
                    let mut p = bindings::prompt_result(p);
                    p.meta = store.data_mut().result_meta.take();
                    GuestOutput::Prompt(p)
                })
                .map_err(bindings::guest_error));
        }
        OwnedCall::Other(GuestCall::Complete {
            target,
            argument,
            value,
            context,
        }) => {
            return Ok(guest
                .call_complete(
                    &mut *store,
                    c,
                    &bindings::completion_ref(target),
                    argument,
                    value,
                    context,
                )
                .await?
                .map(|c| GuestOutput::Completion(bindings::completion(c)))
                .map_err(bindings::guest_error));
        }
    };
    Ok(
        match guest
            .call_call_tool(&mut *store, c, name, &arguments)
            .await?
        {
            Ok(r) => bindings::tool_result(r).map(|mut r| {
                r.meta = store.data_mut().result_meta.take();
                GuestOutput::Tool(r)
            }),
            Err(e) => Err(bindings::guest_error(e)),
        },
    )
}

fn suffix(output: &str) -> String {
    if output.trim().is_empty() {
        String::new()
    } else {
        format!("\n{}", output.trim_end())
    }
}

/// The caller's hooks, plus `read_resource` answered by another instance of the same deployment (the
/// calling instance is busy). One level deep: a resource read may not read resources in turn. Called on
/// a blocking thread (the import is offloaded), so it may wait for the other instance's call.
struct PoolHooks {
    inner: Arc<dyn CallHooks>,
    pool: Weak<DeploymentPool>,
    ctx: CallContext,
    depth: u8,
}

impl CallHooks for PoolHooks {
    fn log(&self, level: berth_core::LogLevel, logger: Option<&str>, data: serde_json::Value) {
        self.inner.log(level, logger, data)
    }
    fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        self.inner.progress(progress, total, message)
    }
    fn kv_get(&self, key: &str) -> Option<String> {
        self.inner.kv_get(key)
    }
    fn kv_set(&self, key: &str, value: &str) -> Result<(), String> {
        self.inner.kv_set(key, value)
    }
    fn kv_delete(&self, key: &str) {
        self.inner.kv_delete(key)
    }
    fn session_get(&self, session: &str, key: &str) -> Option<String> {
        self.inner.session_get(session, key)
    }
    fn session_set(&self, session: &str, key: &str, value: &str) -> Result<(), String> {
        self.inner.session_set(session, key, value)
    }
    fn session_delete(&self, session: &str, key: &str) {
        self.inner.session_delete(session, key)
    }
    fn elicit(
        &self,
        message: &str,
        schema: serde_json::Value,
    ) -> Result<berth_core::ElicitResponse, berth_core::HookError> {
        self.inner.elicit(message, schema)
    }
    fn sample(
        &self,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, berth_core::HookError> {
        self.inner.sample(params)
    }
    fn environment(&self) -> Vec<(String, String)> {
        self.inner.environment()
    }
    fn list_roots(&self) -> Result<serde_json::Value, berth_core::HookError> {
        self.inner.list_roots()
    }
    fn output(&self, text: &str) {
        self.inner.output(text)
    }
    fn read_resource(&self, uri: &str) -> Result<Vec<ResourceContents>, String> {
        if self.depth > 0 {
            return Err("a resource read cannot read further resources".into());
        }
        let pool = self
            .pool
            .upgrade()
            .ok_or("the deployment is shutting down")?;
        let call = GuestCall::ReadResource {
            uri: uri.to_string(),
        };
        match block_on(pool.call_at_depth(&call, &self.ctx, self.inner.clone(), 1)) {
            Ok(GuestOutput::Resource(contents)) => Ok(contents),
            Ok(_) => Err("unexpected output for a resource read".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}
