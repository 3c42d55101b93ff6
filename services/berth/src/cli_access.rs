//! The CLI's commands for who may call a project: `projects set --private`, `keys create|list|revoke`,
//! and the operator's pre-registered OAuth clients, `oauth-clients add|list|remove`.

use anyhow::Context;
use reqwest::Method;

use crate::args::{KeysArgs, KeysCommand, OauthClientsArgs, OauthClientsCommand, ProjectsCommand};
use crate::client::{Client, project_or_cwd};

/// `berth projects set`.
pub async fn projects(command: ProjectsCommand) -> anyhow::Result<()> {
    match command {
        ProjectsCommand::Set {
            private,
            network_allow,
            project,
            remote,
        } => {
            let client = Client::from_remote(&remote)?;
            let project = project_or_cwd(project)?;
            let mut body = serde_json::json!({});
            if let Some(private) = private {
                body["private"] = private.into();
            }
            if let Some(hosts) = &network_allow {
                // The server trims and drops blanks (`--network-allow ""` sends [""]: no hosts).
                body["networkAllow"] = hosts.clone().into();
            }
            let saved = client
                .send(
                    Method::PATCH,
                    &format!("/api/v1/projects/{project}"),
                    Some(body),
                )
                .await?;
            let live = saved["liveDeploymentsUpdated"].as_u64().unwrap_or(0);
            if private.is_some() {
                if saved["private"] == true {
                    println!(
                        "{project} is private: only requests with one of its API keys are served (make one with `berth keys create --project {project}`)"
                    );
                } else {
                    println!("{project} is public: anyone may call it");
                }
            }
            if network_allow.is_some() {
                let hosts = string_list(&saved["networkAllow"]);
                if hosts.is_empty() {
                    println!(
                        "{project} may reach only the hosts its berth.toml allows (no hosts in its settings)"
                    );
                } else {
                    println!(
                        "{project} may reach the hosts its berth.toml allows and {}",
                        hosts.replace(',', ", ")
                    );
                }
            }
            println!("live deployments updated: {live}");
            Ok(())
        }
        ProjectsCommand::Access {
            anyone_signed_in,
            users,
            no_users,
            project,
            remote,
        } => {
            let client = Client::from_remote(&remote)?;
            let project = project_or_cwd(project)?;
            let path = format!("/api/v1/projects/{project}/oauth-access");
            let mut rule = client.get(&path).await?;
            let change = anyone_signed_in.is_some() || !users.is_empty() || no_users;
            if let Some(anyone) = anyone_signed_in {
                rule["anyoneSignedIn"] = anyone.into();
            }
            if !users.is_empty() || no_users {
                rule["users"] = users.into();
            }
            if change {
                rule = client.send(Method::PUT, &path, Some(rule)).await?;
            }
            let named: Vec<&str> = rule["users"]
                .as_array()
                .map(|a| a.iter().filter_map(|u| u.as_str()).collect())
                .unwrap_or_default();
            println!("{project}: its owner may connect OAuth clients");
            if rule["anyoneSignedIn"] == true {
                println!("  and anyone signed in to this Berth");
            }
            if !named.is_empty() {
                println!("  and these GitHub users: {}", named.join(", "));
            }
            Ok(())
        }
    }
}

/// `berth keys create|list|revoke`.
pub async fn keys(args: KeysArgs) -> anyhow::Result<()> {
    match args.command {
        KeysCommand::Create {
            name,
            scopes,
            project,
            remote,
        } => {
            let client = Client::from_remote(&remote)?;
            let project = project_or_cwd(project)?;
            let body = serde_json::json!({ "name": name, "scopes": scopes });
            let made = client
                .send(
                    Method::POST,
                    &format!("/api/v1/projects/{project}/api-keys"),
                    Some(body),
                )
                .await?;
            let token = made["token"]
                .as_str()
                .context("the server returned no key")?;
            eprintln!(
                "created API key `{}` ({}) for {project}, scopes: {}; it is shown only now:",
                made["name"].as_str().unwrap_or("?"),
                made["id"].as_str().unwrap_or("?"),
                string_list(&made["scopes"]),
            );
            // Alone on stdout, so that `KEY=$(berth keys create ...)` works.
            println!("{token}");
            eprintln!("clients send it as `Authorization: Bearer <key>`");
            Ok(())
        }
        KeysCommand::List { project, remote } => {
            let client = Client::from_remote(&remote)?;
            let project = project_or_cwd(project)?;
            let list = client
                .get(&format!("/api/v1/projects/{project}/api-keys"))
                .await?;
            let keys = list["apiKeys"].as_array().cloned().unwrap_or_default();
            if keys.is_empty() {
                println!(
                    "{project} has no API keys; make one with `berth keys create --project {project}`"
                );
                return Ok(());
            }
            println!("{:18}  {:24}  {:8}  LAST USED", "ID", "NAME", "SCOPES");
            for k in &keys {
                let used = k["lastUsedAt"]
                    .as_i64()
                    .map(crate::cli_runtime_logs::utc)
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{:18}  {:24}  {:8}  {used}",
                    k["id"].as_str().unwrap_or("?"),
                    k["name"].as_str().unwrap_or("?"),
                    string_list(&k["scopes"]),
                );
            }
            Ok(())
        }
        KeysCommand::Revoke {
            id,
            project,
            remote,
        } => {
            let client = Client::from_remote(&remote)?;
            let project = project_or_cwd(project)?;
            client
                .send(
                    Method::DELETE,
                    &format!("/api/v1/projects/{project}/api-keys/{id}"),
                    None,
                )
                .await?;
            println!("revoked API key {id} of {project}");
            Ok(())
        }
    }
}

fn string_list(scopes: &serde_json::Value) -> String {
    let names: Vec<&str> = scopes
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default();
    names.join(",")
}

/// `berth oauth-clients add|list|remove`.
pub async fn oauth_clients(args: OauthClientsArgs) -> anyhow::Result<()> {
    match args.command {
        OauthClientsCommand::Add {
            name,
            redirect_uris,
            client_id,
            confidential,
            native,
            remote,
        } => {
            let client = Client::from_remote(&remote)?;
            let mut body = serde_json::json!({
                "client_name": name, "redirect_uris": redirect_uris, "confidential": confidential,
            });
            if let Some(id) = client_id {
                body["client_id"] = id.into();
            }
            if native {
                body["application_type"] = "native".into();
            }
            let made = client
                .send(Method::POST, "/api/v1/oauth/clients", Some(body))
                .await?;
            println!("client_id: {}", made["client_id"].as_str().unwrap_or("?"));
            if let Some(secret) = made["client_secret"].as_str() {
                println!("client_secret: {secret}");
                eprintln!("the secret is shown only now");
            }
            Ok(())
        }
        OauthClientsCommand::List { remote } => {
            let client = Client::from_remote(&remote)?;
            let list = client.get("/api/v1/oauth/clients").await?;
            let clients = list["clients"].as_array().cloned().unwrap_or_default();
            if clients.is_empty() {
                println!("no pre-registered OAuth clients; add one with `berth oauth-clients add`");
                return Ok(());
            }
            for c in &clients {
                let uris: Vec<&str> = c["redirect_uris"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|u| u.as_str()).collect())
                    .unwrap_or_default();
                println!(
                    "{}  {}  ({})  {}",
                    c["client_id"].as_str().unwrap_or("?"),
                    c["client_name"].as_str().unwrap_or("?"),
                    c["token_endpoint_auth_method"].as_str().unwrap_or("?"),
                    uris.join(" "),
                );
            }
            Ok(())
        }
        OauthClientsCommand::Remove { client_id, remote } => {
            let client = Client::from_remote(&remote)?;
            client
                .send(
                    Method::DELETE,
                    &format!("/api/v1/oauth/clients/{client_id}"),
                    None,
                )
                .await?;
            println!("removed OAuth client {client_id} and every consent given to it");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::args::{Args, Command, KeysCommand, ProjectsCommand};
    use clap::Parser;

    fn private_of(args: &[&str]) -> Option<bool> {
        match Args::try_parse_from(args).map(|a| a.command) {
            Ok(Command::Projects(p)) => match p.command {
                Some(ProjectsCommand::Set { private, .. }) => private,
                other => panic!("not `projects set`: {other:?}"),
            },
            other => panic!("{:?}", other.err()),
        }
    }

    #[test]
    fn private_is_a_flag_or_a_boolean() {
        assert_eq!(
            private_of(&["berth", "projects", "set", "--private", "-p", "x"]),
            Some(true)
        );
        let off = [
            "berth",
            "projects",
            "set",
            "--private",
            "false",
            "--project",
            "x",
        ];
        assert_eq!(private_of(&off), Some(false));
        assert!(Args::try_parse_from(["berth", "projects", "set", "-p", "x"]).is_err());
        assert!(Args::try_parse_from(["berth", "projects", "set", "--private", "maybe"]).is_err());
        // Hosts alone are a change too, comma-separated; an empty value clears the list.
        let hosts = [
            "berth",
            "projects",
            "set",
            "--network-allow",
            "a.example,*.b.example:8443",
        ];
        match Args::try_parse_from(hosts).unwrap().command {
            Command::Projects(p) => match p.command {
                Some(ProjectsCommand::Set {
                    private,
                    network_allow,
                    ..
                }) => {
                    assert_eq!(private, None);
                    assert_eq!(
                        network_allow.unwrap(),
                        vec!["a.example".to_string(), "*.b.example:8443".to_string()]
                    );
                }
                other => panic!("not `projects set`: {other:?}"),
            },
            other => panic!("{other:?}"),
        }
        let clear = ["berth", "projects", "set", "--network-allow", ""];
        assert!(Args::try_parse_from(clear).is_ok());
        // Listing is as it was.
        let list = Args::try_parse_from(["berth", "projects", "--server", "http://h"]).unwrap();
        assert!(matches!(list.command, Command::Projects(p) if p.command.is_none()));
    }

    #[test]
    fn access_lists_and_oauth_clients_parse() {
        let args = [
            "berth",
            "projects",
            "access",
            "--user",
            "octocat",
            "--user",
            "bob",
            "--anyone-signed-in",
            "-p",
            "x",
        ];
        match Args::try_parse_from(args).unwrap().command {
            Command::Projects(p) => match p.command {
                Some(ProjectsCommand::Access {
                    anyone_signed_in,
                    users,
                    no_users,
                    project,
                    ..
                }) => {
                    assert_eq!(anyone_signed_in, Some(true));
                    assert_eq!(users, ["octocat", "bob"]);
                    assert!(!no_users);
                    assert_eq!(project.as_deref(), Some("x"));
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        let both = ["berth", "projects", "access", "--user", "a", "--no-users"];
        assert!(Args::try_parse_from(both).is_err());
        let add = [
            "berth",
            "oauth-clients",
            "add",
            "--name",
            "VS Code",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--client-id",
            "vscode",
            "--confidential",
        ];
        match Args::try_parse_from(add).unwrap().command {
            Command::OauthClients(a) => match a.command {
                crate::args::OauthClientsCommand::Add {
                    name,
                    redirect_uris,
                    client_id,
                    confidential,
                    native,
                    ..
                } => {
                    assert_eq!(
                        (name.as_str(), client_id.as_deref()),
                        ("VS Code", Some("vscode"))
                    );
                    assert_eq!(redirect_uris, ["http://127.0.0.1/cb"]);
                    assert!(confidential && !native);
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        let without_uri = ["berth", "oauth-clients", "add", "--name", "x"];
        assert!(Args::try_parse_from(without_uri).is_err());
    }

    #[test]
    fn keys_take_a_project_name_and_scopes() {
        let args = [
            "berth", "keys", "create", "--name", "ci", "--scope", "mcp", "-p", "x",
        ];
        match Args::try_parse_from(args).unwrap().command {
            Command::Keys(k) => match k.command {
                KeysCommand::Create {
                    name,
                    scopes,
                    project,
                    ..
                } => {
                    assert_eq!((name.as_str(), project.as_deref()), ("ci", Some("x")));
                    assert_eq!(scopes, ["mcp"]);
                }
                other => panic!("{other:?}"),
            },
            _ => panic!("not keys"),
        }
        let revoke = ["berth", "keys", "revoke", "k-1", "--project", "x"];
        assert!(Args::try_parse_from(revoke).is_ok());
        assert!(Args::try_parse_from(["berth", "keys", "revoke"]).is_err());
    }
}
