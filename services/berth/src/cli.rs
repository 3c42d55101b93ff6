//! The CLI's commands over the REST API: `login`, `projects`, `logs`, `env set/list/unset`, `rollback`
//! (`projects set` and `keys` are in `cli_access.rs`).

use anyhow::{Context, bail};
use reqwest::Method;

use crate::args::{EnvArgs, EnvCommand, LoginArgs, LogsArgs, ProjectsArgs, Remote, RollbackArgs};
use crate::client::{
    Client, Config, DEFAULT_SERVER, load_config, operator_token, project_or_cwd, save_config,
};

/// `berth login`: checks the token (or makes one with a local `berth up`'s operator token) and saves
/// the server and token for later commands.
pub async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let saved = load_config()?;
    let server = args
        .remote
        .server
        .clone()
        .or_else(|| saved.as_ref().map(|c| c.server.clone()))
        .unwrap_or_else(|| DEFAULT_SERVER.to_string());
    let server = server.trim_end_matches('/').to_string();
    let token = match (&args.remote.token, operator_token(&args.remote.data_dir)) {
        (Some(token), _) => token.clone(),
        (None, Some(operator)) => {
            let name = args.name.clone().unwrap_or_else(|| "berth CLI".to_string());
            let made = Client::new(&server, &operator)
                .send(
                    Method::POST,
                    "/api/v1/tokens",
                    Some(serde_json::json!({"name": name})),
                )
                .await
                .context("cannot create a token with the local operator token")?;
            eprintln!(
                "created API token `{name}` ({})",
                made["id"].as_str().unwrap_or("?")
            );
            made["token"]
                .as_str()
                .context("the server returned no token")?
                .to_string()
        }
        (None, None) => bail!(
            "no token to sign in with: pass --token <token> (make one at {server}/api/v1/tokens while signed in), \
             or --data-dir <dir> of a local `berth up`"
        ),
    };
    let me = Client::new(&server, &token)
        .get("/api/v1/me")
        .await
        .context("the token was refused")?;
    let path = save_config(&Config {
        server: server.clone(),
        token,
    })?;
    println!(
        "signed in to {server} as {}",
        me["login"].as_str().unwrap_or("?")
    );
    eprintln!("saved to {}", path.display());
    Ok(())
}

/// `berth projects`: the caller's projects and their URLs (`projects set`: see `cli_access.rs`).
pub async fn projects(args: ProjectsArgs) -> anyhow::Result<()> {
    if let Some(command) = args.command {
        return crate::cli_access::projects(command).await;
    }
    let client = Client::from_remote(&args.remote)?;
    let list = client.get("/api/v1/projects").await?;
    let projects = list["projects"].as_array().cloned().unwrap_or_default();
    if projects.is_empty() {
        println!("no projects yet: deploy one with `berth deploy <dir> --project <name>`");
        return Ok(());
    }
    let width = projects
        .iter()
        .filter_map(|p| p["slug"].as_str())
        .map(str::len)
        .max()
        .unwrap_or(4)
        .max(4);
    println!("{:width$}  URL", "NAME");
    for p in &projects {
        let repo = p["repo"]
            .as_str()
            .map(|r| format!("  ({r})"))
            .unwrap_or_default();
        let private = if p["private"] == true {
            "  [private]"
        } else {
            ""
        };
        println!(
            "{:width$}  {}{repo}{private}",
            p["slug"].as_str().unwrap_or("?"),
            p["url"].as_str().unwrap_or("?")
        );
    }
    Ok(())
}

/// `berth sign-in`: a fresh one-time dashboard sign-in link for the token's user.
pub async fn sign_in(remote: Remote) -> anyhow::Result<()> {
    let client = Client::from_remote(&remote)?;
    let link = client
        .send(Method::POST, "/api/v1/sign-in-links", None)
        .await?;
    let url = link["url"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("the server answered no link: {link}"))?;
    println!("{url}");
    let minutes = link["expiresInSeconds"].as_u64().unwrap_or(0) / 60;
    eprintln!("open it in a browser: it signs in once, within {minutes} minutes");
    Ok(())
}

/// `berth logs <project|deployment>`: the build log of a deployment, or of a project's newest one
/// (`--runtime`: the project's runtime log, see `cli_runtime_logs.rs`).
pub async fn logs(args: LogsArgs) -> anyhow::Result<()> {
    if args.runtime {
        return crate::cli_runtime_logs::run(args).await;
    }
    let client = Client::from_remote(&args.remote)?;
    let id = if args.target.starts_with("d-") {
        args.target.clone()
    } else {
        let list = client
            .get(&format!("/api/v1/projects/{}/deployments", args.target))
            .await?;
        let newest = list["deployments"]
            .as_array()
            .and_then(|d| d.first())
            .cloned();
        let newest =
            newest.with_context(|| format!("project `{}` has no deployments yet", args.target))?;
        newest["id"]
            .as_str()
            .context("a deployment without an id")?
            .to_string()
    };
    let d = client.get(&format!("/api/v1/deployments/{id}")).await?;
    eprintln!("deployment {id} ({}):", d["status"].as_str().unwrap_or("?"));
    let (status, error) = client.print_log(&id, args.follow).await?;
    match error {
        Some(e) if status == "failed" => bail!("the build failed: {e}"),
        _ => {
            eprintln!("status: {status}");
            Ok(())
        }
    }
}

/// `berth env set|list|unset`.
pub async fn env(args: EnvArgs) -> anyhow::Result<()> {
    match args.command {
        EnvCommand::Set {
            pairs,
            secret,
            scope,
            project,
            remote,
        } => {
            let client = Client::from_remote(&remote)?;
            let project = project_or_cwd(project)?;
            for pair in &pairs {
                let (key, value) = pair
                    .split_once('=')
                    .with_context(|| format!("`{pair}` is not KEY=VALUE (to read a value from a file: KEY=\"$(cat file)\")"))?;
                let body = serde_json::json!({"value": value, "secret": secret, "scope": scope});
                let saved = client
                    .send(
                        Method::PUT,
                        &format!("/api/v1/projects/{project}/env/{key}"),
                        Some(body),
                    )
                    .await?;
                let kind = if secret { "secret" } else { "variable" };
                let live = saved["liveDeploymentsUpdated"].as_u64().unwrap_or(0);
                println!(
                    "set {kind} {key} ({scope}) on {project}; live deployments updated: {live}"
                );
            }
            Ok(())
        }
        EnvCommand::List { project, remote } => {
            let client = Client::from_remote(&remote)?;
            let project = project_or_cwd(project)?;
            let list = client
                .get(&format!("/api/v1/projects/{project}/env"))
                .await?;
            let vars = list["env"].as_array().cloned().unwrap_or_default();
            if vars.is_empty() {
                println!(
                    "{project} has no environment variables; add one with `berth env set KEY=VALUE`"
                );
            }
            for v in vars {
                let value = if v["secret"] == true {
                    "(secret)".to_string()
                } else {
                    v["value"].as_str().unwrap_or("").to_string()
                };
                println!(
                    "{}={value}  [{}]",
                    v["key"].as_str().unwrap_or("?"),
                    v["scope"].as_str().unwrap_or("all")
                );
            }
            Ok(())
        }
        EnvCommand::Unset {
            keys,
            scope,
            project,
            remote,
        } => {
            let client = Client::from_remote(&remote)?;
            let project = project_or_cwd(project)?;
            for key in &keys {
                let query = scope
                    .as_ref()
                    .map(|s| format!("?scope={s}"))
                    .unwrap_or_default();
                client
                    .send(
                        Method::DELETE,
                        &format!("/api/v1/projects/{project}/env/{key}{query}"),
                        None,
                    )
                    .await?;
                println!("unset {key} on {project}");
            }
            Ok(())
        }
    }
}

/// `berth rollback <project> [--to <deployment>]`.
pub async fn rollback(args: RollbackArgs) -> anyhow::Result<()> {
    let client = Client::from_remote(&args.remote)?;
    let body = args.to.as_ref().map(|to| serde_json::json!({"to": to}));
    eprintln!(
        "rolling {} back{}...",
        args.project,
        args.to
            .as_ref()
            .map(|t| format!(" to {t}"))
            .unwrap_or_default()
    );
    let d = client
        .send(
            Method::POST,
            &format!("/api/v1/projects/{}/rollback", args.project),
            body,
        )
        .await?;
    let message = d["source"]["message"]
        .as_str()
        .map(|m| format!(" \"{m}\""))
        .unwrap_or_default();
    println!(
        "live: {} serves deployment {}{message}",
        d["url"].as_str().unwrap_or("?"),
        d["id"].as_str().unwrap_or("?")
    );
    Ok(())
}
