//! OAuth across crashes of a real `berth up`: the operator signs in and consents over plain HTTP (the
//! one-time link, the session's CSRF token, the consent form), then Berth is killed (SIGKILL) and
//! started again between consent and the code exchange, and again between two refreshes; the code, the
//! refresh tokens and the signing key survive, and the tokens call a private project's tool.

use anyhow::{Context, Result, bail};
use berth_e2e::Berth;
use berth_e2e::mcp::Session;
use reqwest::redirect::Policy;
use serde_json::{Value, json};

const PROJECT: &str = "oauth-restart";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU2p1r_wW1gFWFOEjXk";
/// The S256 challenge of [`VERIFIER`], computed apart (Python's hashlib and base64).
const CHALLENGE: &str = "q4kBDKNrgzS8bDCkGXg71yviKVsRgSVuTTyTHQPhLYM";
const CALLBACK: &str = "http://127.0.0.1:9/callback";

const SERVER: &str = r#"from fastmcp import FastMCP

mcp = FastMCP("private")


@mcp.tool
def secret_word() -> str:
    """A word only signed-in users hear."""
    return "swordfish"
"#;

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("an HTTP client")
}

/// Signs the operator in with a fresh one-time link; returns the session cookie and its CSRF token.
async fn operator_session(berth: &Berth) -> Result<(String, String)> {
    let token = std::fs::read_to_string(berth.data_path().join("operator-token"))?;
    let base = berth.base_url();
    let link: Value = http()
        .post(format!("{base}/api/v1/sign-in-links"))
        .bearer_auth(token.trim())
        .send()
        .await?
        .json()
        .await?;
    let signed_in = http()
        .get(link["url"].as_str().context("a sign-in link")?)
        .send()
        .await?;
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("berth_session="))
        .and_then(|c| c.split(';').next())
        .context("a session cookie")?
        .to_string();
    let session: Value = http()
        .get(format!("{base}/auth/session"))
        .header("cookie", &cookie)
        .send()
        .await?
        .json()
        .await?;
    let csrf = session["csrfToken"].as_str().context("a CSRF token")?;
    Ok((cookie, csrf.to_string()))
}

async fn token_request(berth: &Berth, form: &[(&str, &str)]) -> Result<Value> {
    let answer = http()
        .post(format!("{}/oauth/token", berth.base_url()))
        .form(form)
        .send()
        .await?;
    let status = answer.status();
    let body: Value = answer.json().await?;
    if !status.is_success() {
        bail!("the token endpoint answered {status}: {body}");
    }
    Ok(body)
}

async fn refresh(berth: &Berth, client_id: &str, token: &str) -> Result<Value> {
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", token),
    ];
    token_request(berth, &form).await
}

async fn secret_word(url: &str, access_token: &str) -> Result<String> {
    Session::connect_with_bearer(url, access_token)
        .await?
        .call_tool_text("secret_word", json!({}))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_survive_crashes_between_consent_exchange_and_refreshes() -> Result<()> {
    let mut berth = Berth::start()?;
    let dir = tempfile::Builder::new()
        .prefix("berth-e2e-oauth-restart-")
        .tempdir()?;
    std::fs::write(dir.path().join("server.py"), SERVER)?;
    let url = berth.deploy_ok(dir.path(), PROJECT)?;
    berth.cli_ok(&["projects", "set", "--private", "--project", PROJECT])?;
    let base = berth.base_url();

    let registered: Value = http()
        .post(format!("{base}/oauth/register"))
        .json(&json!({"client_name": "restart test", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}))
        .send()
        .await?
        .json()
        .await?;
    let client_id = registered["client_id"].as_str().context("a client id")?;
    let (cookie, csrf) = operator_session(&berth).await?;
    let consent = http()
        .post(format!("{base}/oauth/authorize"))
        .header("cookie", &cookie)
        .form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", CALLBACK),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("resource", &url),
            ("state", "s-1"),
            ("csrf", &csrf),
            ("decision", "allow"),
        ])
        .send()
        .await?;
    let location = consent
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .with_context(|| {
            format!(
                "the consent answered {} without a redirect",
                consent.status()
            )
        })?;
    let location = reqwest::Url::parse(location)?;
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .with_context(|| format!("no code in {location}"))?;

    // Killed and started again between the consent and the exchange.
    berth.crash_and_restart()?;
    let tokens = token_request(
        &berth,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("resource", &url),
        ],
    )
    .await?;
    let access = tokens["access_token"].as_str().context("an access token")?;
    assert_eq!(secret_word(&url, access).await?, "swordfish");

    // Two refreshes with a crash between them.
    let first = refresh(&berth, client_id, tokens["refresh_token"].as_str().unwrap()).await?;
    berth.crash_and_restart()?;
    let second = refresh(&berth, client_id, first["refresh_token"].as_str().unwrap()).await?;
    let access = second["access_token"].as_str().context("an access token")?;
    assert_eq!(secret_word(&url, access).await?, "swordfish");
    // The token from before the crashes is still good too: the signing key survived.
    let old = first["access_token"].as_str().unwrap();
    assert_eq!(secret_word(&url, old).await?, "swordfish");
    Ok(())
}
