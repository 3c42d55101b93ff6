//! A wall-clock limit on a fetch over HTTP(S) that holds when the remote stalls. libgit2 calls Berth
//! back only while data arrives: a server that accepts the connection and then says nothing leaves it
//! blocked in a read for good. So a fetch goes through a [`Watchdog`] on 127.0.0.1 that relays
//! libgit2's connections to the git host only and, at the deadline, shuts every connection it relays
//! down, which ends libgit2's read with an error at once. Stopping the watchdog (dropping it) does the
//! same. For https it is libgit2's proxy (`CONNECT host:port`; TLS stays end to end). For plain http,
//! which libgit2 (1.9) sends straight to the server even with a proxy set, libgit2 fetches from the
//! watchdog's own address and the watchdog forwards each request with the git host's `Host` header.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

/// Longest request head accepted from libgit2 (its heads are a few hundred bytes).
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Bytes copied per read while relaying.
const RELAY_CHUNK: usize = 64 * 1024;

#[derive(Default)]
struct State {
    /// The watchdog was stopped or its deadline passed: no new connection is relayed.
    done: bool,
    /// The deadline passed before the watchdog was stopped.
    fired: bool,
    /// Every socket of every relayed connection, to shut down when done.
    sockets: Vec<TcpStream>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// `host:port` of the git host, the only place connections are relayed to.
    authority: String,
    /// The `Host` header of the git host (http only: requests are forwarded, not tunnelled).
    host_header: Option<String>,
    deadline: Instant,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps a socket to shut down when done; `false` (and shut down) if that time has come.
    fn track(&self, socket: &TcpStream) -> bool {
        let mut state = self.lock();
        match socket.try_clone() {
            Ok(clone) if !state.done => {
                state.sockets.push(clone);
                true
            }
            _ => {
                let _ = socket.shutdown(Shutdown::Both);
                false
            }
        }
    }

    fn finish(&self, fired: bool) {
        let mut state = self.lock();
        if state.done {
            return;
        }
        state.done = true;
        state.fired = fired;
        for socket in state.sockets.drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
        self.wake.notify_all();
    }
}

/// The proxy a fetch goes through; see the module's documentation.
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    address: SocketAddr,
    /// What libgit2 fetches: the remote for https, the remote's path on the watchdog for http.
    location: String,
    timer: Option<JoinHandle<()>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts relaying to the host of `remote` (an `http(s)://` URL) until `deadline`.
    pub(crate) fn start(remote: &str, deadline: Instant) -> Result<Watchdog, String> {
        let url = url::Url::parse(remote).map_err(|e| format!("`{remote}` is not a URL: {e}"))?;
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Err(format!("`{remote}` names no host"));
        };
        let forwarded = match url.scheme() {
            "https" => false,
            "http" => true,
            other => return Err(format!("cannot fetch over `{other}`; use https")),
        };
        let host_header = forwarded.then(|| match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        });
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| format!("cannot start the fetch's watchdog: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("cannot start the fetch's watchdog: {e}"))?;
        let shared = Arc::new(Shared {
            state: Mutex::default(),
            wake: Condvar::new(),
            authority: format!("{host}:{port}"),
            host_header,
            deadline,
        });
        let timer = std::thread::Builder::new()
            .name("fetch-watchdog".into())
            .spawn({
                let shared = shared.clone();
                move || {
                    let mut state = shared.lock();
                    while !state.done {
                        let left = shared.deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            drop(state);
                            shared.finish(true);
                            // Wake the acceptor, blocked in `accept`, so that it sees it is done.
                            let _ = TcpStream::connect(address);
                            return;
                        }
                        state = shared
                            .wake
                            .wait_timeout(state, left)
                            .unwrap_or_else(|p| p.into_inner())
                            .0;
                    }
                }
            })
            .map_err(|e| format!("cannot start the fetch's watchdog: {e}"))?;
        let acceptor = std::thread::Builder::new()
            .name("fetch-proxy".into())
            .spawn({
                let shared = shared.clone();
                move || accept(listener, shared)
            })
            .map_err(|e| format!("cannot start the fetch's watchdog: {e}"))?;
        let location = if forwarded {
            let mut local = url.clone();
            local
                .set_host(Some("127.0.0.1"))
                .and_then(|()| {
                    local
                        .set_port(Some(address.port()))
                        .map_err(|()| url::ParseError::InvalidPort)
                })
                .map_err(|e| format!("cannot start the fetch's watchdog: {e}"))?;
            local.to_string()
        } else {
            remote.to_string()
        };
        Ok(Watchdog {
            shared,
            address,
            location,
            timer: Some(timer),
            acceptor: Some(acceptor),
        })
    }

    /// The URL libgit2 fetches.
    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    /// The proxy libgit2 goes through (https), if any.
    pub(crate) fn proxy_url(&self) -> Option<String> {
        match self.shared.host_header {
            None => Some(format!("http://{}", self.address)),
            Some(_) => None,
        }
    }

    /// Whether the deadline passed and the fetch's connections were cut.
    pub(crate) fn fired(&self) -> bool {
        self.shared.lock().fired
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.finish(false);
        let _ = TcpStream::connect(self.address);
        for thread in [self.timer.take(), self.acceptor.take()]
            .into_iter()
            .flatten()
        {
            let _ = thread.join();
        }
    }
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.lock().done {
            return;
        }
        let Ok(conn) = conn else { continue };
        if !shared.track(&conn) {
            return;
        }
        let shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("fetch-relay".into())
            .spawn(move || relay(conn, &shared));
        if spawned.is_err() {
            tracing::warn!("cannot start a thread to relay a fetch");
        }
    }
}

/// Relays one of libgit2's connections to the git host until either side closes or the watchdog shuts
/// the sockets down.
fn relay(client: TcpStream, shared: &Shared) {
    let mut incoming = Incoming {
        stream: client,
        buf: Vec::new(),
    };
    let Some(head) = incoming.head() else {
        return;
    };
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let wanted = match &shared.host_header {
        // https: libgit2 asks for a tunnel to the git host.
        None => (method == "CONNECT").then(|| target.to_string()),
        // http: libgit2 talks to the watchdog as if it were the git host.
        Some(_) => Some(shared.authority.clone()),
    };
    if !wanted.is_some_and(|a| a.eq_ignore_ascii_case(&shared.authority)) {
        refuse(&mut incoming.stream, "403 Forbidden");
        return;
    }
    let Some(mut upstream) = connect_upstream(&shared.authority, shared.deadline) else {
        refuse(&mut incoming.stream, "502 Bad Gateway");
        return;
    };
    if !shared.track(&upstream) {
        return;
    }
    let (Ok(mut up_read), Ok(mut client_write)) =
        (upstream.try_clone(), incoming.stream.try_clone())
    else {
        return;
    };
    let started = match &shared.host_header {
        None => client_write.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n"),
        Some(_) => Ok(()),
    };
    if started.is_err() {
        return;
    }
    let back = std::thread::Builder::new()
        .name("fetch-relay".into())
        .spawn(move || copy(&mut up_read, &mut client_write));
    match &shared.host_header {
        None => {
            let _ = upstream.write_all(&incoming.buf);
            copy(&mut incoming.stream, &mut upstream);
        }
        Some(host) => {
            let mut head = Some(head);
            while let Some(h) = head.take().or_else(|| incoming.head()) {
                if forward_request(&mut incoming, &h, host, &mut upstream).is_err() {
                    break;
                }
            }
            let _ = incoming.stream.shutdown(Shutdown::Both);
            let _ = upstream.shutdown(Shutdown::Both);
        }
    }
    if let Ok(back) = back {
        let _ = back.join();
    }
}

/// Sends one request on to the git host with its `Host` header, then its body (by `Content-Length` or
/// chunked, as libgit2 sends them).
fn forward_request(
    incoming: &mut Incoming,
    head: &[u8],
    host: &str,
    upstream: &mut TcpStream,
) -> std::io::Result<()> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(text.len());
    let (mut length, mut chunked) = (0usize, false);
    for line in text.split_inclusive("\r\n") {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "host" => {
                out.push_str(&format!("Host: {host}\r\n"));
                continue;
            }
            "content-length" => length = value.parse().map_err(|_| bad_request())?,
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            _ => {}
        }
        out.push_str(line);
    }
    upstream.write_all(out.as_bytes())?;
    if !chunked {
        return incoming.pass(length, upstream);
    }
    loop {
        let size_line = incoming.line().ok_or_else(bad_request)?;
        upstream.write_all(&size_line)?;
        let size = String::from_utf8_lossy(&size_line);
        let size = size.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size, 16).map_err(|_| bad_request())?;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let trailer = incoming.line().ok_or_else(bad_request)?;
                upstream.write_all(&trailer)?;
                if trailer == b"\r\n" {
                    return Ok(());
                }
            }
        }
        incoming.pass(size + 2, upstream)?;
    }
}

fn bad_request() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "a request the watchdog cannot forward",
    )
}

/// libgit2's side of a connection, with what was read ahead of the current request.
struct Incoming {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Incoming {
    /// Reads more into the buffer; `false` at the end.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk) {
            Ok(n) if n > 0 => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            _ => false,
        }
    }

    /// The next request head, through its blank line.
    fn head(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let rest = self.buf.split_off(end + 4);
                return Some(std::mem::replace(&mut self.buf, rest));
            }
            if self.buf.len() > MAX_HEAD_BYTES || !self.fill() {
                return None;
            }
        }
    }

    /// The next line, with its CRLF.
    fn line(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let rest = self.buf.split_off(end + 2);
                return Some(std::mem::replace(&mut self.buf, rest));
            }
            if self.buf.len() > MAX_HEAD_BYTES || !self.fill() {
                return None;
            }
        }
    }

    /// Sends the next `n` bytes on to `to`.
    fn pass(&mut self, mut n: usize, to: &mut TcpStream) -> std::io::Result<()> {
        while n > 0 {
            if self.buf.is_empty() && !self.fill() {
                return Err(bad_request());
            }
            let take = n.min(self.buf.len());
            to.write_all(&self.buf[..take])?;
            self.buf.drain(..take);
            n -= take;
        }
        Ok(())
    }
}

/// Answers libgit2 with an error status and closes the connection.
fn refuse(client: &mut TcpStream, status: &str) {
    let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = client.write_all(answer.as_bytes());
    let _ = client.shutdown(Shutdown::Write);
}

fn connect_upstream(authority: &str, deadline: Instant) -> Option<TcpStream> {
    for address in authority.to_socket_addrs().ok()? {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        if let Ok(stream) = TcpStream::connect_timeout(&address, left) {
            return Some(stream);
        }
    }
    None
}

/// Copies `from` to `to` until either ends, then shuts both down so that the other direction ends too.
fn copy(from: &mut TcpStream, to: &mut TcpStream) {
    let mut chunk = vec![0u8; RELAY_CHUNK];
    while let Ok(n) = from.read(&mut chunk) {
        if n == 0 || to.write_all(&chunk[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
