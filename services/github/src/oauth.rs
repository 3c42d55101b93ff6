//! GitHub's OAuth web flow: send the browser to GitHub's authorize page with a random `state` and a
//! PKCE challenge (S256), then trade the code GitHub sends back for a user access token.
//!
//! The caller keeps [`Authorization::state`] and [`Authorization::pkce_verifier`] (in the browser's
//! signed cookie, say) and, on the callback, checks the returned state with [`Authorization::state_matches`]
//! before calling [`SignIn::exchange`].

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};

use crate::{Error, GitHubConfig};

/// What Berth asks of a user: their profile, and their repositories (to list them, fetch private ones,
/// and post commit statuses and pull-request comments).
pub const SCOPES: &[&str] = &["read:user", "repo"];

/// The OAuth web flow against the configured GitHub.
#[derive(Clone, Debug)]
pub struct SignIn {
    config: GitHubConfig,
    redirect_uri: String,
    http: reqwest::Client,
}

/// Where to send the browser, and what to keep until it comes back. Its `Debug` hides the state and
/// the PKCE verifier.
#[derive(Clone)]
pub struct Authorization {
    /// GitHub's authorize page with client id, redirect URI, scopes, state and PKCE challenge.
    pub url: String,
    /// The random `state` GitHub hands back unchanged; anything else is a forged callback.
    pub state: String,
    /// The PKCE verifier to send with the code.
    pub pkce_verifier: String,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("url", &self.url)
            .field("state", &crate::Redacted)
            .field("pkce_verifier", &crate::Redacted)
            .finish()
    }
}

impl Authorization {
    /// Whether the callback's `state` is the one this flow started with (compared in constant time).
    pub fn state_matches(&self, returned: &str) -> bool {
        constant_time_eq(self.state.as_bytes(), returned.as_bytes())
    }
}

impl SignIn {
    /// `redirect_uri` is Berth's callback, e.g. `https://berth.example.com/auth/github/callback`; it must
    /// match the one registered for the OAuth app.
    pub fn new(config: GitHubConfig, redirect_uri: impl Into<String>) -> Result<SignIn, Error> {
        let http = reqwest::Client::builder()
            // The token endpoint must not redirect (an OAuth client following redirects can leak codes).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(crate::rest::USER_AGENT)
            .timeout(crate::rest::REQUEST_TIMEOUT)
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        Ok(SignIn {
            config,
            redirect_uri: redirect_uri.into(),
            http,
        })
    }

    /// Starts a sign-in: a fresh state and PKCE pair, and the URL of GitHub's authorize page.
    pub fn authorize(&self) -> Result<Authorization, Error> {
        let client = BasicClient::new(ClientId::new(self.config.client_id.clone()))
            .set_auth_uri(self.auth_url()?)
            .set_redirect_uri(self.redirect_url()?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(SCOPES.iter().map(|s| Scope::new(s.to_string())))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Trades the callback's code for the user's access token.
    pub async fn exchange(&self, code: &str, pkce_verifier: &str) -> Result<String, Error> {
        let token_url = TokenUrl::new(format!("{}/login/oauth/access_token", self.config.web()))
            .map_err(|e| Error::Invalid(format!("the GitHub web URL is not a URL: {e}")))?;
        let client = BasicClient::new(ClientId::new(self.config.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.config.client_secret.clone()))
            // GitHub documents the client id and secret as form parameters.
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(self.auth_url()?)
            .set_token_uri(token_url)
            .set_redirect_uri(self.redirect_url()?);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| Error::OAuth(describe(&e)))?;
        Ok(token.access_token().secret().clone())
    }

    fn auth_url(&self) -> Result<AuthUrl, Error> {
        AuthUrl::new(format!("{}/login/oauth/authorize", self.config.web()))
            .map_err(|e| Error::Invalid(format!("the GitHub web URL is not a URL: {e}")))
    }

    fn redirect_url(&self) -> Result<RedirectUrl, Error> {
        RedirectUrl::new(self.redirect_uri.clone())
            .map_err(|e| Error::Invalid(format!("the OAuth callback URL is not a URL: {e}")))
    }
}

/// A token error GitHub sends back (e.g. `bad_verification_code`) with its description, or what failed.
fn describe<RE: std::error::Error + 'static, T: oauth2::ErrorResponse + 'static>(
    e: &oauth2::RequestTokenError<RE, T>,
) -> String {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => r.to_string(),
        oauth2::RequestTokenError::Request(e) => format!("cannot reach GitHub: {e}"),
        oauth2::RequestTokenError::Parse(e, body) => {
            // GitHub answers a refused code with 200 and `{"error": ..., "error_description": ...}`.
            #[derive(serde::Deserialize)]
            struct Refusal {
                error: String,
                error_description: Option<String>,
            }
            match serde_json::from_slice::<Refusal>(body) {
                Ok(r) => format!("{}: {}", r.error, r.error_description.unwrap_or_default()),
                Err(_) => format!("GitHub's answer was not a token: {e}"),
            }
        }
        oauth2::RequestTokenError::Other(e) => e.clone(),
    }
}

/// Equal-length byte strings compared without an early exit.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> GitHubConfig {
        GitHubConfig {
            api_base: "http://127.0.0.1:9".into(),
            web_base: "http://127.0.0.1:9/".into(),
            client_id: "berth-client".into(),
            client_secret: "s3cret".into(),
            webhook_secret: "hook".into(),
        }
    }

    #[test]
    fn authorize_url_carries_state_pkce_and_scopes() {
        let sign_in = SignIn::new(config(), "http://127.0.0.1:8080/auth/github/callback").unwrap();
        let a = sign_in.authorize().unwrap();
        let url = url::Url::parse(&a.url).unwrap();
        assert_eq!(url.path(), "/login/oauth/authorize");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "berth-client");
        assert_eq!(q["state"], a.state);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["redirect_uri"],
            "http://127.0.0.1:8080/auth/github/callback"
        );
        assert_eq!(q["scope"], "read:user repo");
        assert!(!q.contains_key("client_secret"));
        assert!(a.state_matches(&a.state));
        assert!(!a.state_matches("forged"));
        let b = sign_in.authorize().unwrap();
        assert_ne!(a.state, b.state);
        assert_ne!(a.pkce_verifier, b.pkce_verifier);
    }
}
