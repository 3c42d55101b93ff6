//! `notifications/cancelled` (2025 era): a client cancels a request of its own session that is still
//! running. The call's future is dropped, which stops the guest where it stands (its instance is
//! thrown away) and sends no response, as the protocol asks; a call stream ends without one.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Which project, session and request id a running call answers.
type Key = (String, String, String);

/// The calls of 2025 sessions that are still running and can be cancelled.
#[derive(Default)]
pub struct Running {
    calls: Mutex<HashMap<Key, oneshot::Sender<()>>>,
}

/// A running call's entry; dropping it (the call ended or was dropped) forgets the call.
pub struct Registration {
    running: Arc<Running>,
    key: Key,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.running.lock().remove(&self.key);
    }
}

fn key(project: &str, session: &str, id: &Value) -> Key {
    // The id's JSON text, so the string "1" and the number 1 stay apart.
    (project.into(), session.into(), id.to_string())
}

impl Running {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, oneshot::Sender<()>>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `call` until it ends, or until the client cancels request `id` of `session`.
    pub async fn run<F: Future<Output = ()>>(
        self: &Arc<Self>,
        project: &str,
        session: &str,
        id: &Value,
        call: F,
    ) {
        let (cancel, cancelled) = oneshot::channel();
        let key = key(project, session, id);
        self.lock().insert(key.clone(), cancel);
        let _registration = Registration {
            running: self.clone(),
            key,
        };
        tokio::select! {
            biased;
            Ok(()) = cancelled => tracing::debug!(session, %id, "call cancelled by the client"),
            () = call => {}
        }
    }

    /// Cancels request `id` of `session` in `project`; whether such a call was running.
    pub fn cancel(&self, project: &str, session: &str, id: &Value) -> bool {
        match self.lock().remove(&key(project, session, id)) {
            Some(cancel) => cancel.send(()).is_ok(),
            None => false,
        }
    }
}
