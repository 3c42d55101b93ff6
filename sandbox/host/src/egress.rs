//! Outbound HTTP for guests: `wasi:http/outgoing-handler`, served by `wasmtime-wasi-http` with Berth's
//! own sender. Before any connection, a request must pass the call's policy:
//!
//! 1. a call is running (nothing goes out at import time or between calls);
//! 2. the call has requests left (`egressRequestsPerCall`);
//! 3. its host and port are on the project's allowlist ([`AllowList`]);
//! 4. the name resolves, and no address it resolves to is one the operator's policy refuses
//!    ([`berth_core::egress::refused_address`]: loopback, private, link-local, metadata, ...) unless the
//!    operator allowed private egress; the connection then goes to an address that was checked (no
//!    second lookup, so a name cannot change its answer in between).
//!
//! Request and response bodies count against the call's byte caps as they stream; a request ends at
//! its own time limit or the call's deadline, whichever comes first. TLS is the host's (rustls with the
//! system's roots). A refusal is a `wasi:http` error whose message starts with [`REFUSED`], names the
//! host and says how to allow it. Every request is reported once, when it is over, to
//! [`CallHooks::egress`] (metrics, the runtime log).

use berth_core::{AllowList, CallHooks, EgressEvent, EgressOutcome, Limits};
use bytes::Bytes;
use http_body::{Body, Frame};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// How every refusal's message starts, so the guest SDK can tell a refusal from a failure.
pub const REFUSED: &str = "egress refused: ";

/// The operator's egress settings, the same for every project on this worker.
#[derive(Clone, Debug, Default)]
pub struct EgressOptions {
    /// Connect to loopback, private, link-local and metadata addresses when a project allows a name
    /// that resolves to one (`--allow-private-egress`): for development and tests on one machine.
    pub allow_private: bool,
}

/// Resolves a host name to the addresses a connection may go to.
pub trait Resolve: Send + Sync {
    fn lookup(
        &self,
        host: &str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static>>;
}

/// The system's resolver (`getaddrinfo`, on a blocking thread).
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn lookup(
        &self,
        host: &str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static>> {
        let host = host.to_string();
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// A worker's egress machinery: the operator's options, the resolver, and the TLS client settings
/// (the system's roots, read once on first use).
pub struct Egress {
    options: EgressOptions,
    resolver: Arc<dyn Resolve>,
    tls: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
}

impl Egress {
    pub fn new(options: EgressOptions) -> Self {
        Self::with_resolver(options, Arc::new(SystemResolver))
    }

    pub fn with_resolver(options: EgressOptions, resolver: Arc<dyn Resolve>) -> Self {
        Self {
            options,
            resolver,
            tls: OnceLock::new(),
        }
    }

    fn tls(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        self.tls
            .get_or_init(|| {
                let found = rustls_native_certs::load_native_certs();
                let mut roots = rustls::RootCertStore::empty();
                let (added, _) = roots.add_parsable_certificates(found.certs);
                if added == 0 {
                    return Err(format!(
                        "this Berth found no TLS root certificates on its machine ({} errors); its operator must install them (ca-certificates)",
                        found.errors.len()
                    ));
                }
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let mut config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| format!("TLS settings: {e}"))?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
                Ok(Arc::new(config))
            })
            .clone()
    }

    /// The addresses a request to `host:port` may connect to, or why it may not go at all.
    pub async fn admit(
        &self,
        allow: &AllowList,
        host: &str,
        port: u16,
    ) -> Result<Vec<SocketAddr>, String> {
        if !allow.allows(host, port) {
            return Err(not_allowed(host, port));
        }
        let addrs = match bare(host).parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => self
                .resolver
                .lookup(host, port)
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?,
        };
        if addrs.is_empty() {
            return Err(format!("cannot resolve {host}: no addresses"));
        }
        if !self.options.allow_private {
            for a in &addrs {
                if let Some(class) = berth_core::egress::refused_address(a.ip()) {
                    return Err(format!(
                        "{REFUSED}{host} resolves to {}, a {class} address, which this Berth does not connect to (its operator can allow private addresses with --allow-private-egress)",
                        a.ip()
                    ));
                }
            }
        }
        Ok(addrs)
    }
}

fn bare(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

fn not_allowed(host: &str, port: u16) -> String {
    let entry = match port {
        80 | 443 => host.to_string(),
        _ => format!("{host}:{port}"),
    };
    format!(
        "{REFUSED}{host}:{port} is not on this project's network allowlist; to allow it, add \"{entry}\" to `[network] allow` in berth.toml (or to the project's network settings)"
    )
}

/// What one call may do, and what it has done so far.
pub(crate) struct CallEgress {
    allow: Arc<AllowList>,
    max_requests: u64,
    max_in: u64,
    max_out: u64,
    timeout: Duration,
    deadline: Instant,
    hooks: Arc<dyn CallHooks>,
    requests: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

impl CallEgress {
    pub(crate) fn new(
        allow: Arc<AllowList>,
        limits: &Limits,
        deadline: std::time::Instant,
        hooks: Arc<dyn CallHooks>,
    ) -> Arc<Self> {
        Arc::new(Self {
            allow,
            max_requests: limits.egress_requests_per_call,
            max_in: limits.egress_bytes_in_per_call,
            max_out: limits.egress_bytes_out_per_call,
            timeout: Duration::from_millis(limits.egress_timeout_ms),
            deadline: Instant::from_std(deadline),
            hooks,
            requests: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
        })
    }
}

/// The `wasi:http` hooks of one instance: the worker's egress machinery and the call in progress.
pub(crate) struct EgressHooks {
    pub(crate) egress: Arc<Egress>,
    pub(crate) call: Option<Arc<CallEgress>>,
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> SendFuture {
        let (egress, call) = (self.egress.clone(), self.call.clone());
        Box::new(async move {
            let Some(call) = call else {
                return Err(Error::InternalError(Some(format!(
                    "{REFUSED}outbound HTTP is available only while a tool, resource or prompt runs (not at import time)"
                ))));
            };
            send(&egress, call, request, options).await
        })
    }
}

/// What a request reports when it is over: on drop, once.
struct Report {
    hooks: Arc<dyn CallHooks>,
    event: EgressEvent,
    started: Instant,
    bytes_out: Arc<AtomicU64>,
    bytes_in: u64,
}

impl Report {
    fn fail(&mut self, outcome: EgressOutcome) {
        self.event.outcome = outcome;
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        self.event.duration = self.started.elapsed();
        self.event.bytes_out = self.bytes_out.load(Ordering::Relaxed);
        self.event.bytes_in = self.bytes_in;
        self.hooks.egress(&self.event);
    }
}

fn refused(report: &mut Report, message: String) -> Error {
    report.fail(EgressOutcome::Refused(message.clone()));
    Error::InternalError(Some(message))
}

async fn send(
    egress: &Egress,
    call: Arc<CallEgress>,
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), Error>> + Send>,
    ),
    Error,
> {
    let uri = request.uri().clone();
    let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let mut report = Report {
        hooks: call.hooks.clone(),
        event: EgressEvent {
            method: request.method().to_string(),
            host: host.clone(),
            port,
            outcome: EgressOutcome::Failed("not sent".into()),
            bytes_out: 0,
            bytes_in: 0,
            duration: Duration::ZERO,
        },
        started: Instant::now(),
        bytes_out: Arc::new(AtomicU64::new(0)),
        bytes_in: 0,
    };
    if host.is_empty() {
        return Err(refused(
            &mut report,
            format!("{REFUSED}the request names no host"),
        ));
    }
    let made = call.requests.fetch_add(1, Ordering::Relaxed);
    if made >= call.max_requests {
        return Err(refused(
            &mut report,
            format!(
                "{REFUSED}this call already made {made} outbound requests, its limit (the project's `egressRequestsPerCall`); {host} was not asked"
            ),
        ));
    }
    let deadline = (Instant::now() + call.timeout).min(call.deadline);
    let admitted = tokio::time::timeout_at(deadline, egress.admit(&call.allow, &host, port)).await;
    let addrs = match admitted {
        Ok(Ok(addrs)) => addrs,
        Ok(Err(message)) if message.starts_with(REFUSED) => {
            return Err(refused(&mut report, message));
        }
        Ok(Err(message)) => {
            report.fail(EgressOutcome::Failed(message.clone()));
            return Err(Error::DnsError {
                rcode: Some(message),
                info_code: None,
            });
        }
        Err(_) => {
            report.fail(EgressOutcome::Failed(format!("resolving {host} timed out")));
            return Err(Error::DnsTimeout);
        }
    };
    let step = |limit: Option<Duration>| match limit {
        Some(d) => (Instant::now() + d).min(deadline),
        None => deadline,
    };
    let connect_by = step(options.and_then(|o| o.connect_timeout));
    let stream = match tokio::time::timeout_at(connect_by, connect(&addrs)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            report.fail(EgressOutcome::Failed(format!("connecting to {host}: {e}")));
            return Err(Error::Connect(e));
        }
        Err(_) => {
            report.fail(EgressOutcome::Failed(format!(
                "connecting to {host} timed out"
            )));
            return Err(Error::ConnectionTimeout);
        }
    };
    let io: Box<dyn IoStream> = if https {
        let tls = match egress.tls() {
            Ok(tls) => tls,
            Err(m) => {
                report.fail(EgressOutcome::Failed(m.clone()));
                return Err(Error::InternalError(Some(m)));
            }
        };
        let name = match rustls::pki_types::ServerName::try_from(bare(&host).to_string()) {
            Ok(n) => n,
            Err(e) => {
                report.fail(EgressOutcome::Failed(format!("{host}: {e}")));
                return Err(Error::TlsProtocolError);
            }
        };
        let connector = tokio_rustls::TlsConnector::from(tls);
        match tokio::time::timeout_at(connect_by, connector.connect(name, stream)).await {
            Ok(Ok(s)) => Box::new(s),
            Ok(Err(e)) => {
                report.fail(EgressOutcome::Failed(format!("TLS with {host}: {e}")));
                return Err(Error::Tls(e));
            }
            Err(_) => {
                report.fail(EgressOutcome::Failed(format!("TLS with {host} timed out")));
                return Err(Error::ConnectionTimeout);
            }
        }
    } else {
        Box::new(stream)
    };
    let (mut sender, conn) = match tokio::time::timeout_at(
        connect_by,
        hyper::client::conn::http1::handshake(TokioIo::new(io)),
    )
    .await
    {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => {
            report.fail(EgressOutcome::Failed(format!("HTTP with {host}: {e}")));
            return Err(Error::Hyper(e));
        }
        Err(_) => return Err(Error::ConnectionTimeout),
    };
    // The request line carries the path only; the Host header names the host.
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    *request.uri_mut() = match http::Uri::builder().path_and_query(path).build() {
        Ok(u) => u,
        Err(_) => return Err(Error::HttpRequestUriInvalid),
    };
    let request = request.map(|body| Metered {
        inner: body,
        counted: report.bytes_out.clone(),
        call: call.clone(),
        direction: Direction::Out,
        deadline: Box::pin(tokio::time::sleep_until(deadline)),
        idle: None,
        report: None,
    });
    let first_byte_by = step(options.and_then(|o| o.first_byte_timeout));
    let io_driver = async move {
        match tokio::time::timeout_at(deadline, conn).await {
            Ok(r) => r.map_err(Error::Hyper),
            Err(_) => Err(Error::ConnectionReadTimeout),
        }
    };
    let mut io_driver = Box::pin(io_driver);
    // The connection's result, when it ended before the response head was taken (a server that
    // answers and closes at once): it must not be polled again.
    let mut ended: Option<Result<(), Error>> = None;
    let exchange = async {
        let sending = sender.send_request(request);
        tokio::pin!(sending);
        // Drive the connection while waiting for the response head; after it, the connection goes
        // with the response.
        tokio::select! {
            biased;
            r = &mut sending => r,
            r = &mut io_driver => {
                ended = Some(r);
                sending.await
            }
        }
    };
    let response = match tokio::time::timeout_at(first_byte_by, exchange).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => {
            let m = cause(&e);
            report.fail(EgressOutcome::Failed(format!("{host}: {m}")));
            return Err(body_error(&e).unwrap_or(Error::Hyper(e)));
        }
        Err(_) => {
            report.fail(EgressOutcome::Failed(format!(
                "{host} sent no response in time"
            )));
            return Err(Error::HttpResponseTimeout);
        }
    };
    report.event.outcome = EgressOutcome::Answered(response.status().as_u16());
    let between = options.and_then(|o| o.between_bytes_timeout);
    let response = response.map(|incoming| {
        use http_body_util::BodyExt;
        Metered {
            inner: incoming.map_err(Error::Hyper),
            counted: Arc::new(AtomicU64::new(0)),
            call,
            direction: Direction::In,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            idle: between.map(|d| (d, Box::pin(tokio::time::sleep(d)))),
            report: Some(Mutex::new(report)),
        }
        .boxed_unsync()
    });
    let io_driver: Box<dyn Future<Output = Result<(), Error>> + Send> = match ended {
        Some(r) => Box::new(std::future::ready(r)),
        None => Box::new(io_driver),
    };
    Ok((response, io_driver))
}

/// A message from an error and its sources.
fn cause(e: &dyn std::error::Error) -> String {
    let mut m = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        m.push_str(": ");
        m.push_str(&s.to_string());
        source = s.source();
    }
    m
}

/// A refusal raised by the request body's meter, carried through hyper's error.
fn body_error(e: &hyper::Error) -> Option<Error> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(Error::InternalError(m)) = s.downcast_ref::<Error>() {
            return Some(Error::InternalError(m.clone()));
        }
        source = s.source();
    }
    None
}

trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> IoStream for T {}

async fn connect(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for a in addrs {
        match TcpStream::connect(a).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Out,
    In,
}

/// A body counted against the call's byte cap as it streams, cut at the request's deadline (and, for
/// a response, after the guest's between-bytes timeout); a response's body reports the request when
/// it ends or is dropped.
struct Metered<B> {
    inner: B,
    counted: Arc<AtomicU64>,
    call: Arc<CallEgress>,
    direction: Direction,
    deadline: Pin<Box<Sleep>>,
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
    report: Option<Mutex<Report>>,
}

impl<B> Metered<B> {
    fn refuse(&mut self, message: String) -> Error {
        if let Some(r) = &self.report {
            r.lock()
                .unwrap_or_else(|p| p.into_inner())
                .fail(EgressOutcome::Refused(message.clone()));
        }
        Error::InternalError(Some(message))
    }
}

impl<B> Body for Metered<B>
where
    B: Body<Data = Bytes, Error = Error> + Unpin,
{
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(match this.direction {
                Direction::In => Error::ConnectionReadTimeout,
                Direction::Out => Error::ConnectionWriteTimeout,
            })));
        }
        if let Some((_, idle)) = &mut this.idle
            && idle.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Some(Err(Error::ConnectionReadTimeout)));
        }
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if let Some((d, idle)) = &mut this.idle {
            idle.as_mut().reset(Instant::now() + *d);
        }
        let frame = match frame {
            Some(Ok(frame)) => frame,
            other => {
                if let (Some(Err(e)), Some(r)) = (&other, &this.report) {
                    r.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .fail(EgressOutcome::Failed(e.to_string()));
                }
                return Poll::Ready(other);
            }
        };
        if let Some(data) = frame.data_ref() {
            let n = data.len() as u64;
            this.counted.fetch_add(n, Ordering::Relaxed);
            let (total, cap, what, name) = match this.direction {
                Direction::In => (
                    this.call.bytes_in.fetch_add(n, Ordering::Relaxed) + n,
                    this.call.max_in,
                    "received",
                    "egressBytesInPerCall",
                ),
                Direction::Out => (
                    this.call.bytes_out.fetch_add(n, Ordering::Relaxed) + n,
                    this.call.max_out,
                    "sent",
                    "egressBytesOutPerCall",
                ),
            };
            if let Some(r) = &this.report {
                r.lock().unwrap_or_else(|p| p.into_inner()).bytes_in += n;
            }
            if total > cap {
                let m = format!(
                    "{REFUSED}this call has {what} more than {cap} bytes of HTTP bodies, its limit (the project's `{name}`)"
                );
                return Poll::Ready(Some(Err(this.refuse(m))));
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests;
