//! Client ID Metadata Documents: a client whose `client_id` is an https URL is described by the JSON
//! document at that URL. Berth fetches it itself, so the fetch is held to the operator's address policy
//! for guests' outbound HTTP ([`berth_core::egress::refused_address`]: no loopback, private,
//! link-local or metadata address, for a name that resolves to one as for a literal, checked on the
//! addresses connected to), with no redirects, a time limit and a size limit, and caches what it got.

use berth_core::egress::refused_address;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// Largest document read: the draft suggests 5 KB; a client's name, redirect URIs and a few URLs fit.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// How long a fetch may take in all: a user is waiting on the authorization page.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a document is used without fetching it again, when its answer says nothing
/// (`Cache-Control: max-age` is honoured between [`MIN_CACHE`] and [`MAX_CACHE`]).
pub const DEFAULT_CACHE: Duration = Duration::from_secs(60 * 60);
pub const MIN_CACHE: Duration = Duration::from_secs(60);
pub const MAX_CACHE: Duration = Duration::from_secs(24 * 60 * 60);
/// Documents kept in the cache; past it the one that expires first goes.
pub const MAX_CACHED_DOCUMENTS: usize = 1024;
/// Longest client_id URL accepted.
pub const MAX_CLIENT_ID_URL_BYTES: usize = 2048;

/// A document as fetched: its bytes and how long it may be cached, if the answer said.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub max_age: Option<Duration>,
}

/// Fetches a client's metadata document. The error says why, for the user's page.
#[async_trait::async_trait]
pub trait DocumentFetcher: Send + Sync + 'static {
    async fn fetch(&self, url: &Url) -> Result<Fetched, String>;
}

/// Checks a `client_id` that is a URL: https, a host, a path, no user, fragment or dot segments.
pub fn check_client_id_url(client_id: &str) -> Result<Url, String> {
    if client_id.len() > MAX_CLIENT_ID_URL_BYTES {
        return Err(format!(
            "a client_id URL is at most {MAX_CLIENT_ID_URL_BYTES} bytes"
        ));
    }
    let url = Url::parse(client_id).map_err(|e| format!("the client_id is not a URL: {e}"))?;
    let raw_path = client_id
        .split_once("://")
        .map(|(_, rest)| rest.find('/').map_or("", |at| &rest[at..]))
        .unwrap_or("");
    let dot_segment = raw_path.split(['/', '?']).any(|s| {
        s == "." || s == ".." || s.eq_ignore_ascii_case("%2e") || s.eq_ignore_ascii_case("%2e%2e")
    });
    if url.scheme() != "https"
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.fragment().is_some()
        || url.path() == "/"
        || dot_segment
        || url.as_str() != client_id
    {
        return Err(
            "a client_id URL must be https, with a host and a path, and no user, fragment or `.` segments"
                .into(),
        );
    }
    Ok(url)
}

/// The real fetcher: HTTPS with the system's resolver, refusing addresses the operator's policy
/// refuses (unless the operator allowed private egress).
pub struct HttpDocuments {
    client: reqwest::Client,
    allow_private: bool,
}

/// Resolves names for [`HttpDocuments`], dropping every address the policy refuses.
struct PolicyResolver;

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| refused_address(a.ip()).is_none())
                .collect();
            if allowed.is_empty() {
                let why = match addrs.first() {
                    Some(a) => format!(
                        "{host} resolves to {}, a {} address, which Berth does not fetch from",
                        a.ip(),
                        refused_address(a.ip()).unwrap_or("refused")
                    ),
                    None => format!("{host} resolves to no address"),
                };
                return Err(why.into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(addrs)
        })
    }
}

impl HttpDocuments {
    /// `allow_private` lifts the address policy, as `--allow-private-egress` does for guests.
    pub fn new(allow_private: bool) -> Result<HttpDocuments, String> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .user_agent("Berth (OAuth client metadata)");
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PolicyResolver));
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(HttpDocuments {
            client,
            allow_private,
        })
    }
}

#[async_trait::async_trait]
impl DocumentFetcher for HttpDocuments {
    async fn fetch(&self, url: &Url) -> Result<Fetched, String> {
        let literal: Option<IpAddr> = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(v4.into()),
            Some(url::Host::Ipv6(v6)) => Some(v6.into()),
            _ => None,
        };
        if !self.allow_private
            && let Some(ip) = literal
            && let Some(class) = refused_address(ip)
        {
            return Err(format!(
                "{ip} is a {class} address, which Berth does not fetch from"
            ));
        }
        let fetch = async {
            let mut response = self
                .client
                .get(url.clone())
                .header("accept", "application/json")
                .send()
                .await
                .map_err(|e| describe(&e))?;
            if !response.status().is_success() {
                return Err(format!("it answered {}", response.status()));
            }
            if response
                .content_length()
                .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
            {
                return Err(format!("it is larger than {MAX_DOCUMENT_BYTES} bytes"));
            }
            let max_age = max_age(response.headers());
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
                if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                    return Err(format!("it is larger than {MAX_DOCUMENT_BYTES} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Fetched { body, max_age })
        };
        tokio::time::timeout(FETCH_TIMEOUT, fetch)
            .await
            .map_err(|_| format!("it took longer than {} s", FETCH_TIMEOUT.as_secs()))?
    }
}

/// A fetch error with its causes (the policy's refusal is one of them).
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `Cache-Control: max-age=N` of an answer (`no-store` and `no-cache` count as the shortest).
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    value.split(',').map(str::trim).find_map(|d| {
        if d.eq_ignore_ascii_case("no-store") || d.eq_ignore_ascii_case("no-cache") {
            return Some(Duration::ZERO);
        }
        let (k, v) = d.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().parse().ok().map(Duration::from_secs))?
    })
}

/// Cached documents by URL: the document, and until when (unix ms) it is used.
type Cache = HashMap<String, (Arc<serde_json::Value>, i64)>;

/// Client metadata documents, fetched through a [`DocumentFetcher`] and cached. Cheap to clone.
#[derive(Clone)]
pub struct ClientDocuments {
    fetcher: Arc<dyn DocumentFetcher>,
    cache: Arc<Mutex<Cache>>,
}

impl ClientDocuments {
    pub fn new(fetcher: Arc<dyn DocumentFetcher>) -> ClientDocuments {
        ClientDocuments {
            fetcher,
            cache: Arc::default(),
        }
    }

    /// The document at `url` as a JSON object (from the cache while it is fresh).
    pub async fn get(&self, url: &Url) -> Result<Arc<serde_json::Value>, String> {
        let now = super::now_ms();
        if let Some((doc, until)) = lock(&self.cache).get(url.as_str())
            && *until > now
        {
            return Ok(doc.clone());
        }
        let fetched = self.fetcher.fetch(url).await?;
        let doc: serde_json::Value =
            serde_json::from_slice(&fetched.body).map_err(|e| format!("it is not JSON: {e}"))?;
        if !doc.is_object() {
            return Err("it is not a JSON object".into());
        }
        let doc = Arc::new(doc);
        let keep = fetched
            .max_age
            .unwrap_or(DEFAULT_CACHE)
            .clamp(MIN_CACHE, MAX_CACHE);
        let mut cache = lock(&self.cache);
        cache.retain(|_, (_, until)| *until > now);
        if cache.len() >= MAX_CACHED_DOCUMENTS
            && let Some(first) = cache
                .iter()
                .min_by_key(|(_, (_, until))| *until)
                .map(|(k, _)| k.clone())
        {
            cache.remove(&first);
        }
        cache.insert(
            url.as_str().to_string(),
            (doc.clone(), now + keep.as_millis() as i64),
        );
        Ok(doc)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_urls_are_checked() {
        for ok in [
            "https://app.example/oauth/client.json",
            "https://app.example:8443/c",
        ] {
            assert!(check_client_id_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://app.example/client.json",
            "https://app.example",
            "https://app.example/",
            "https://user@app.example/c",
            "https://app.example/c#frag",
            "https://app.example/a/../c",
            "https://app.example/./c",
            "https://APP.example/c",
            "not a url",
        ] {
            assert!(check_client_id_url(bad).is_err(), "{bad}");
        }
        let long = format!(
            "https://app.example/{}",
            "a".repeat(MAX_CLIENT_ID_URL_BYTES)
        );
        assert!(check_client_id_url(&long).is_err());
    }

    #[tokio::test]
    async fn documents_at_private_addresses_are_not_fetched() {
        let fetcher = HttpDocuments::new(false).unwrap();
        for (url, class) in [
            ("https://127.0.0.1/client.json", "loopback"),
            ("https://169.254.169.254/latest/meta-data", "cloud metadata"),
            ("https://[::1]:8443/c", "loopback"),
            ("https://10.1.2.3/c", "private"),
            // A name is judged by what it resolves to.
            ("https://localhost/client.json", "loopback"),
        ] {
            let err = fetcher.fetch(&Url::parse(url).unwrap()).await.unwrap_err();
            assert!(err.contains(class), "{url}: {err}");
        }
    }

    #[test]
    fn cache_lifetimes_come_from_cache_control() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(max_age(&h), None);
        h.insert("cache-control", "public, max-age=120".parse().unwrap());
        assert_eq!(max_age(&h), Some(Duration::from_secs(120)));
        h.insert("cache-control", "no-store".parse().unwrap());
        assert_eq!(max_age(&h), Some(Duration::ZERO));
    }
}
