//! The egress policy and sender against a resolver the test controls and a real HTTP server on
//! loopback.

use super::*;
use berth_core::{ElicitResponse, HookError, LogLevel};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers every name with the addresses it was given.
struct Fixed(Vec<IpAddr>);

impl Resolve for Fixed {
    fn lookup(
        &self,
        _host: &str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static>> {
        let addrs = self.0.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
        Box::pin(async move { Ok(addrs) })
    }
}

fn egress(allow_private: bool, answers: &[&str]) -> Egress {
    let ips = answers.iter().map(|a| a.parse().unwrap()).collect();
    Egress::with_resolver(EgressOptions { allow_private }, Arc::new(Fixed(ips)))
}

fn allow(entries: &[&str]) -> AllowList {
    AllowList::parse(entries).unwrap()
}

#[tokio::test]
async fn a_host_off_the_list_is_refused_naming_it_and_the_fix() {
    let e = egress(true, &["93.184.215.14"]);
    let err = e
        .admit(&allow(&["api.github.com"]), "evil.example", 443)
        .await
        .unwrap_err();
    assert!(err.starts_with(REFUSED), "{err}");
    assert!(
        err.contains("evil.example:443")
            && err.contains("\"evil.example\"")
            && err.contains("[network] allow"),
        "{err}"
    );
    let err = e
        .admit(&allow(&["api.example"]), "api.example", 8080)
        .await
        .unwrap_err();
    assert!(err.contains("\"api.example:8080\""), "{err}");
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_refused_unless_the_operator_allows_it() {
    let list = allow(&["internal.example.com"]);
    for answers in [
        &["10.0.0.7"][..],
        &["127.0.0.1"],
        &["169.254.169.254"],
        &["fd00:ec2::254"],
        &["93.184.215.14", "192.168.1.1"],
    ] {
        let err = egress(false, answers)
            .admit(&list, "internal.example.com", 443)
            .await
            .unwrap_err();
        assert!(err.starts_with(REFUSED), "{err}");
        assert!(
            err.contains("internal.example.com resolves to")
                && err.contains("--allow-private-egress"),
            "{err}"
        );
    }
    // With the operator's flag the connection goes to the address that was checked.
    let ok = egress(true, &["10.0.0.7"])
        .admit(&list, "internal.example.com", 443)
        .await
        .unwrap();
    assert_eq!(ok, vec!["10.0.0.7:443".parse().unwrap()]);
    // A public answer passes without it.
    let ok = egress(false, &["93.184.215.14"])
        .admit(&list, "internal.example.com", 443)
        .await
        .unwrap();
    assert_eq!(ok, vec!["93.184.215.14:443".parse().unwrap()]);
}

#[tokio::test]
async fn an_allowed_address_literal_is_still_judged_by_the_operator_policy() {
    let e = egress(false, &[]);
    let list = allow(&["169.254.169.254", "[::1]:8080"]);
    let err = e.admit(&list, "169.254.169.254", 80).await.unwrap_err();
    assert!(err.contains("cloud metadata"), "{err}");
    let err = e.admit(&list, "[::1]", 8080).await.unwrap_err();
    assert!(err.contains("loopback"), "{err}");
}

/// Hooks that keep the egress events they are told of.
#[derive(Default)]
struct Events(Mutex<Vec<EgressEvent>>);

impl CallHooks for Events {
    fn log(&self, _: LogLevel, _: Option<&str>, _: serde_json::Value) {}
    fn progress(&self, _: f64, _: Option<f64>, _: Option<&str>) {}
    fn kv_get(&self, _: &str) -> Option<String> {
        None
    }
    fn kv_set(&self, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn kv_delete(&self, _: &str) {}
    fn elicit(&self, _: &str, _: serde_json::Value) -> Result<ElicitResponse, HookError> {
        Err(HookError::Failed("no".into()))
    }
    fn sample(&self, _: serde_json::Value) -> Result<serde_json::Value, HookError> {
        Err(HookError::Failed("no".into()))
    }
    fn environment(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn egress(&self, event: &EgressEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

/// An HTTP/1.1 server on loopback that answers every request with `body`; returns its port.
async fn serve(body: &'static [u8]) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut seen = Vec::new();
                // Read the head (and whatever body came with it).
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(body).await;
            });
        }
    });
    port
}

fn call(limits: &Limits, entries: &[&str], events: &Arc<Events>) -> Arc<CallEgress> {
    CallEgress::new(
        Arc::new(allow(entries)),
        limits,
        std::time::Instant::now() + Duration::from_secs(30),
        events.clone(),
    )
}

fn get(url: &str) -> http::Request<WasiBody> {
    let body = http_body_util::Empty::<Bytes>::new()
        .map_err(|_| Error::InternalError(None))
        .boxed_unsync();
    http::Request::get(url).body(body).unwrap()
}

async fn fetch(e: &Egress, c: &Arc<CallEgress>, url: &str) -> Result<(u16, Bytes), Error> {
    let (response, io) = send(e, c.clone(), get(url), None).await?;
    tokio::spawn(Pin::from(io));
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

#[tokio::test]
async fn requests_go_out_counted_and_the_per_call_caps_hold() {
    let port = serve(b"0123456789").await;
    let e = egress(true, &["127.0.0.1"]);
    let events = Arc::new(Events::default());
    let limits = Limits {
        egress_requests_per_call: 2,
        egress_bytes_in_per_call: 15,
        ..Limits::default()
    };
    let c = call(&limits, &["localhost", "127.0.0.1:1"], &events);
    // Not on the list (another port): refused before connecting.
    let url = format!("http://127.0.0.1:{port}/x");
    match fetch(&e, &c, &url).await {
        Err(Error::InternalError(Some(m))) => assert!(m.contains("not on this project's"), "{m}"),
        other => panic!("{other:?}"),
    }
    let entry = format!("127.0.0.1:{port}");
    let c = call(&limits, &[&entry], &events);
    let (status, body) = fetch(&e, &c, &url).await.unwrap();
    assert_eq!((status, &body[..]), (200, &b"0123456789"[..]));
    // The second response would take the call past 15 bytes read.
    match fetch(&e, &c, &url).await {
        Err(Error::InternalError(Some(m))) => {
            assert!(
                m.starts_with(REFUSED) && m.contains("egressBytesInPerCall"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    // And a third is one request too many.
    match fetch(&e, &c, &url).await {
        Err(Error::InternalError(Some(m))) => {
            assert!(m.contains("egressRequestsPerCall"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    let seen = events.0.lock().unwrap().clone();
    let outcomes: Vec<_> = seen.iter().map(|e| e.outcome.clone()).collect();
    assert_eq!(outcomes.len(), 4, "{seen:?}");
    assert!(matches!(&outcomes[0], EgressOutcome::Refused(m) if m.contains("allowlist")));
    assert_eq!(outcomes[1], EgressOutcome::Answered(200));
    assert_eq!(
        (seen[1].host.as_str(), seen[1].port, seen[1].bytes_in),
        ("127.0.0.1", port, 10)
    );
    assert!(matches!(&outcomes[2], EgressOutcome::Refused(m) if m.contains("BytesIn")));
    assert!(matches!(&outcomes[3], EgressOutcome::Refused(m) if m.contains("Requests")));
}

#[tokio::test]
async fn nothing_goes_out_between_calls() {
    let mut hooks = EgressHooks {
        egress: Arc::new(egress(true, &[])),
        call: None,
    };
    let fut = hooks.send_request(get("http://127.0.0.1:9/"), None, Box::new(async { Ok(()) }));
    match Pin::from(fut).await {
        Err(Error::InternalError(Some(m))) => assert!(m.contains("only while"), "{m}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a request went out outside a call"),
    }
}
