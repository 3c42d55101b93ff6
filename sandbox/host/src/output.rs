//! The guest's stdout and stderr: kept in a bounded buffer that the pool drains after each call, so a
//! chatty guest can neither fill memory nor fail its own `print()`.

use bytes::Bytes;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Output kept per instance between drains; anything beyond is dropped (and counted).
pub const OUTPUT_CAPACITY: usize = 64 * 1024;

#[derive(Clone, Default)]
pub struct CapturedOutput {
    inner: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    buf: Vec<u8>,
    dropped: usize,
}

impl CapturedOutput {
    fn push(&self, bytes: &[u8]) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let room = OUTPUT_CAPACITY.saturating_sub(c.buf.len());
        let take = room.min(bytes.len());
        c.buf.extend_from_slice(&bytes[..take]);
        c.dropped += bytes.len() - take;
    }

    /// Takes what was written so far, as text, noting how much was dropped.
    pub fn drain(&self) -> String {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut s = String::from_utf8_lossy(&c.buf).into_owned();
        if c.dropped > 0 {
            s.push_str(&format!("\n[{} bytes of output dropped]\n", c.dropped));
        }
        c.buf.clear();
        c.dropped = 0;
        s
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(OUTPUT_CAPACITY)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
