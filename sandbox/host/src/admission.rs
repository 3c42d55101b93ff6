//! How many calls of one deployment run at once, and how many may wait for them: each running call may
//! grow an instance to the memory limit and takes its turn on the CPU, so both are bounded. A call over
//! both bounds is refused at once ([`InvokeError::Busy`]); a waiting call gives up at its deadline.

use berth_core::{InvokeError, Limits};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

pub(crate) struct Admission {
    running: Arc<Semaphore>,
    size: usize,
    queue: usize,
    waiting: AtomicUsize,
}

impl Admission {
    pub(crate) fn new(limits: &Limits) -> Self {
        // Zero running calls would refuse everything; the API refuses it, this keeps the pool usable.
        let size = limits.max_concurrent_calls.max(1);
        Self {
            running: Arc::new(Semaphore::new(size)),
            size,
            queue: limits.max_queued_calls,
            waiting: AtomicUsize::new(0),
        }
    }

    /// Calls waiting now.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// A place among the running calls, waiting in the queue for one if it has room, until `limits`'
    /// deadline.
    pub(crate) async fn enter(&self, limits: &Limits) -> Result<OwnedSemaphorePermit, InvokeError> {
        match self.running.clone().try_acquire_owned() {
            Ok(permit) => return Ok(permit),
            Err(TryAcquireError::NoPermits) => {}
            Err(TryAcquireError::Closed) => {
                return Err(InvokeError::Unavailable(
                    "the deployment is shutting down".into(),
                ));
            }
        }
        let ahead = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if ahead >= self.queue {
            return Err(InvokeError::Busy {
                running: self.size,
                queued: ahead,
            });
        }
        match tokio::time::timeout(limits.timeout(), self.running.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(InvokeError::Unavailable(
                "the deployment is shutting down".into(),
            )),
            Err(_) => Err(InvokeError::Timeout(limits.timeout_ms)),
        }
    }
}

/// One waiting call, counted until it runs, gives up or is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
