//! The CLI's commands for who may call a project: `projects set --private`, and `keys create|list|revoke`.

use anyhow::Context;
use reqwest::Method;

use crate::args::{KeysArgs, KeysCommand, ProjectsCommand};
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
                let hosts: Vec<&str> = hosts
                    .iter()
                    .map(|h| h.trim())
                    .filter(|h| !h.is_empty())
                    .collect();
                body["networkAllow"] = hosts.into();
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

#[cfg(test)]
mod tests {
    use crate::args::{Args, Command, KeysCommand, ProjectsCommand};
    use clap::Parser;

    fn private_of(args: &[&str]) -> Option<bool> {
        match Args::try_parse_from(args).map(|a| a.command) {
            Ok(Command::Projects(p)) => match p.command {
                Some(ProjectsCommand::Set { private, .. }) => private,
                None => panic!("no subcommand"),
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
                None => panic!("no subcommand"),
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
