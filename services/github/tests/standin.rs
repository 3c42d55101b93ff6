//! berth-github against the GitHub stand-in over real HTTP: the OAuth web flow with state and PKCE,
//! the REST calls, and a shallow fetch of one commit over smart HTTP.

use berth_github::fetch::{FetchLimits, FetchRequest, GitSource, fetch_commit};
use berth_github::{CommitState, GitHub, GitHubConfig, RepoName, SignIn, Status};
use berth_github_standin::StandIn;

fn config(standin: &StandIn) -> GitHubConfig {
    GitHubConfig {
        api_base: standin.api_url(),
        web_base: standin.web_url(),
        client_id: standin.client_id().into(),
        client_secret: standin.client_secret().into(),
        webhook_secret: standin.webhook_secret().into(),
    }
}

/// Follows the authorize page's redirect by hand, as a browser would, and returns (code, state).
async fn approve(url: &str) -> (String, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http.get(url).send().await.unwrap();
    assert_eq!(
        response.status().as_u16(),
        303,
        "the authorize page redirects back"
    );
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let back = url::Url::parse(&location).unwrap();
    assert_eq!(back.path(), "/auth/github/callback");
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    (q["code"].clone(), q["state"].clone())
}

#[tokio::test]
async fn oauth_web_flow_with_pkce() {
    let standin = StandIn::start().await.unwrap();
    let sign_in = SignIn::new(config(&standin), "http://127.0.0.1:1/auth/github/callback").unwrap();
    let auth = sign_in.authorize().unwrap();
    let (code, state) = approve(&auth.url).await;
    assert!(auth.state_matches(&state));
    let token = sign_in.exchange(&code, &auth.pkce_verifier).await.unwrap();
    assert_eq!(token, standin.user().token);
    let again = sign_in
        .exchange(&code, &auth.pkce_verifier)
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("sign-in failed"),
        "a used code is refused: {again}"
    );

    let auth = sign_in.authorize().unwrap();
    let (code, _) = approve(&auth.url).await;
    let wrong = sign_in
        .exchange(&code, "not-the-verifier-not-the-verifier-not-the-verifier")
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("code_verifier"), "{wrong}");

    let user = GitHub::new(config(&standin))
        .unwrap()
        .user(&token)
        .await
        .unwrap();
    assert_eq!((user.id, user.login.as_str()), (standin.user().id, "octo"));
}

#[tokio::test]
async fn repositories_statuses_and_one_comment_per_pull_request() {
    let standin = StandIn::start().await.unwrap();
    standin.create_repo("octo/tools", true).unwrap();
    standin.create_foreign_repo("someone/else").unwrap();
    let gh = GitHub::new(config(&standin)).unwrap();
    let token = standin.user().token.clone();
    let repos = gh.repositories(&token).await.unwrap();
    assert_eq!(
        repos
            .iter()
            .map(|r| r.full_name.as_str())
            .collect::<Vec<_>>(),
        ["octo/tools"]
    );
    let tools = RepoName::parse("octo/tools").unwrap();
    assert!(gh.repository(&token, &tools).await.unwrap().can_deploy());
    let foreign = gh
        .repository(&token, &RepoName::parse("someone/else").unwrap())
        .await
        .unwrap();
    assert!(!foreign.can_deploy());
    let hidden = gh.repository("bad-token", &tools).await.unwrap_err();
    assert_eq!(
        hidden.status(),
        Some(404),
        "a private repository is invisible without the token"
    );

    let sha = "a".repeat(40);
    let status = Status {
        state: CommitState::Pending,
        target_url: "http://b/logs",
        description: "building",
        context: "berth",
    };
    gh.set_status(&token, &tools, &sha, &status).await.unwrap();
    let recorded = standin.statuses();
    assert_eq!(
        (
            recorded[0].state.as_str(),
            recorded[0].target_url.as_deref()
        ),
        ("pending", Some("http://b/logs"))
    );

    let marker = "<!-- berth-preview -->";
    let first = gh
        .upsert_comment(&token, &tools, 3, marker, "Preview: v1")
        .await
        .unwrap();
    let second = gh
        .upsert_comment(&token, &tools, 3, marker, "Preview: v2")
        .await
        .unwrap();
    assert_eq!(first, second);
    let comments = standin.comments("octo/tools", 3);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.contains("Preview: v2") && comments[0].body.contains(marker));
    assert_eq!(comments[0].edits, 1);
}

#[tokio::test]
async fn shallow_fetch_of_one_commit_over_smart_http() {
    let standin = StandIn::start().await.unwrap();
    let repo = standin.create_repo("octo/private", true).unwrap();
    let noise = noise(50_000);
    let first = repo
        .commit(
            "main",
            &[("server.py", "v = 1\n"), ("noise.txt", &noise)],
            "first",
        )
        .unwrap();
    let second = repo
        .commit("main", &[("server.py", "v = 2\n")], "second")
        .unwrap();
    let source = GitSource::check(
        &format!("{}/octo/private.git", standin.web_url()),
        &standin.web_url(),
        false,
    )
    .unwrap();
    let request = |commit: Option<&str>, token: Option<&str>| FetchRequest {
        source: source.clone(),
        commit: commit.map(str::to_string),
        git_ref: "refs/heads/main".into(),
        token: token.map(str::to_string),
        limits: FetchLimits::default(),
    };
    let token = standin.user().token.clone();
    let work = tempfile::tempdir().unwrap();
    let run = move |req: FetchRequest, name: &str| {
        let (scratch, dest) = (
            work.path().join(format!("{name}.git")),
            work.path().join(name),
        );
        tokio::task::spawn_blocking(move || {
            fetch_commit(&req, &scratch, &dest, &|_| {}).map(|f| (f, dest))
        })
    };
    let (got, dest) = run(request(Some(&first), Some(&token)), "a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.commit, first);
    assert_eq!(
        std::fs::read_to_string(dest.join("server.py")).unwrap(),
        "v = 1\n"
    );
    let (tip, dest) = run(request(None, Some(&token)), "b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tip.commit, second);
    assert_eq!(
        std::fs::read_to_string(dest.join("server.py")).unwrap(),
        "v = 2\n"
    );

    let denied = run(request(Some(&second), None), "c")
        .await
        .unwrap()
        .unwrap_err();
    assert!(denied.contains("credentials"), "{denied}");
    let mut small = request(Some(&first), Some(&token));
    small.limits.max_bytes = 1000;
    let too_big = run(small, "d").await.unwrap().unwrap_err();
    assert!(too_big.contains("larger than"), "{too_big}");
}

/// Text that does not compress.
fn noise(len: usize) -> String {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}
