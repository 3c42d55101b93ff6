//! `berth up`: the whole platform in one process on its embedded defaults.

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use berth_builder::Builder;
use berth_control::{ApiState, BuildQueue};
use berth_edge::{Edge, EdgeConfig, RouteTable};
use berth_sandbox_host::{ArtifactDir, EgressOptions, GuestThreadOptions, Runtime};
use berth_store::{NewDeployment, NewProject, NewUser, Source, Store};
use berth_worker::Worker;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::args::UpArgs;
use crate::glue::{
    EdgeRoutes, EdgeTokenKeys, KeyUseWriter, LocalBuilds, RecordedUpstream, WorkerUpstream,
};
use crate::toolchain;

/// The example project's slug.
const EXAMPLE: &str = "hello";

pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    let limits = args.limits.policy()?;
    let data = &args.data_dir;
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data dir {}", data.display()))?;
    let data = data.canonicalize()?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    let db_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", data.join("berth.db").display()));
    let store = Store::connect(&db_url)
        .await
        .with_context(|| format!("cannot open the database at {db_url}"))?;
    let (operator, token) = operator_token(&store, &data).await?;

    let builder_config = tokio::task::spawn_blocking({
        let tools = args.tools.clone();
        let work = data.join("work");
        move || toolchain::builder_config(&tools, work)
    })
    .await??;
    let home = toolchain::berth_home(&args.tools)?;
    let compile_cache = match args.compile_cache.as_deref() {
        Some("off") => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => Some(data.join("compile-cache")),
    };
    let runtime = Runtime::with_compile_cache(
        &GuestThreadOptions {
            threads: args.guest_threads,
            priority: args.guest_priority,
        },
        compile_cache
            .as_deref()
            .map(|dir| (dir, args.compile_cache_mb.saturating_mul(1024 * 1024))),
    )?
    .with_egress(EgressOptions {
        allow_private: args.allow_private_egress,
    });
    if args.allow_private_egress {
        tracing::warn!(
            "guests' outbound HTTP may reach private and loopback addresses (--allow-private-egress)"
        );
    }
    let artifacts = ArtifactDir::new(data.join("artifacts"))?;
    let builder = Arc::new(Builder::new(
        builder_config,
        runtime.clone(),
        artifacts.clone(),
    ));
    let worker = Worker::new(runtime, artifacts);
    let routes = RouteTable::new();
    let registry = prometheus::Registry::new();
    if let Err(e) = crate::worker_metrics::WorkerMetrics::new(worker.clone())
        .and_then(|m| registry.register(Box::new(m)))
    {
        tracing::warn!("worker metrics not registered: {e}");
    }
    let public_host = public_url
        .split("://")
        .nth(1)
        .and_then(|h| h.split([':', '/']).next())
        .unwrap_or("")
        .to_string();
    let mut edge_config = EdgeConfig {
        public_hosts: vec![public_host],
        public_url: Some(public_url.clone()),
        ..EdgeConfig::default()
    };
    let mut build_log = berth_control::BuildLogLimits::default();
    args.memory.apply(&mut edge_config, &mut build_log)?;
    let recorder = berth_dashboard::Recorder::new();
    let worker_upstream: Arc<dyn berth_edge::Upstream> = Arc::new(WorkerUpstream(worker.clone()));
    let upstream = RecordedUpstream {
        inner: worker_upstream,
        recorder: Arc::new(recorder.clone()),
    };
    let runtime_logs = crate::runtime_logs::start(&args.runtime_log, &store);
    if let Err(e) = crate::runtime_logs::RuntimeLogMetrics::new(runtime_logs.clone())
        .and_then(|m| registry.register(Box::new(m)))
    {
        tracing::warn!("runtime log metrics not registered: {e}");
    }
    let egress_figures = recorder.clone();
    let token_keys = berth_edge::TokenKeys::new();
    let edge = Edge::builder(routes.clone(), Arc::new(upstream))
        .token_keys(token_keys.clone())
        .runtime_log(runtime_logs.recorder())
        .key_uses(Arc::new(KeyUseWriter(berth_control::KeyUses::start(
            store.clone(),
        ))))
        .config(edge_config)
        .metrics(&registry)
        .egress_observer(Arc::new(move |project, event| {
            egress_figures.egress(project, event)
        }))
        .into_router();
    let secrets = crate::keys::keyring(args.secret_key.as_deref(), &data)?;
    let queue = BuildQueue::start_with_secrets(
        store.clone(),
        Arc::new(LocalBuilds(builder)),
        Arc::new(EdgeRoutes {
            routes,
            worker,
            limits: limits.clone(),
        }),
        data.join("sources"),
        args.build_concurrency,
        secrets,
    );
    let git_options = berth_control::GitOptions {
        operator: Some(operator.clone()),
        ..args.git.options()?
    };
    let git = berth_control::GitLink::new(
        git_options,
        store.clone(),
        queue.secrets().clone(),
        &public_url,
    )
    .map_err(anyhow::Error::msg)?;
    queue.set_source(git.clone());
    queue.set_log_limits(build_log);
    queue.recover().await?;
    let api_state = ApiState::new(queue.clone(), public_url.clone())
        .with_git(git)
        .with_limits(limits.clone())
        .with_runtime_logs(runtime_logs)
        .with_operator(operator.clone())
        .with_token_keys(Arc::new(EdgeTokenKeys(token_keys)))
        .with_client_documents(Arc::new(
            berth_control::oauth::HttpDocuments::new(args.allow_private_egress)
                .map_err(anyhow::Error::msg)?,
        ));
    // The edge knows the access token keys before it serves; they reload (and rotate) every minute.
    api_state
        .oauth
        .keys
        .reload()
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the OAuth signing keys: {e}"))?;
    api_state.oauth.keys.start();
    let sign_in = api_state.auth.sessions.local_link(&operator);
    let api = berth_control::router(api_state);
    let loopback = match args.listen.ip() {
        ip if ip.is_unspecified() => format!("http://127.0.0.1:{}", args.listen.port()),
        _ => format!("http://{}", args.listen),
    };
    let dashboard = berth_dashboard::Dashboard::new(queue.clone(), api.clone(), &public_url)
        .recorder(recorder)
        .loopback_url(&loopback)
        .limit_policy(limits.clone())
        .into_router();
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::admin::public_metrics(
            registry.clone(),
            crate::admin::OperatorOnly {
                store: store.clone(),
                operator_id: operator.clone(),
            },
        ))
        .merge(api)
        .merge(edge)
        .merge(dashboard)
        .layer(crate::http_trace::layer());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; is another Berth running? Use --listen",
                args.listen
            )
        })?;
    let admin = match args.admin_listen.0 {
        Some(addr) => {
            let admin = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!(
                    "cannot listen on {addr} for /metrics; is another Berth running? Use --admin-listen <address> or --admin-listen off"
                )
            })?;
            let router = crate::admin::admin_router(registry.clone());
            let addr = admin.local_addr()?;
            tokio::spawn(async move {
                if let Err(e) = axum::serve(admin, router).await {
                    tracing::error!(error = %e, "the admin listener stopped");
                }
            });
            Some(addr)
        }
        None => None,
    };
    println!("Berth is ready: {public_url}");
    match admin {
        Some(addr) => println!("  metrics:        http://{addr}/metrics (admin listener)"),
        None => println!("  metrics:        {public_url}/metrics with the operator token"),
    }
    println!("  data dir:       {}", data.display());
    println!(
        "  operator token: {}... (full token in {})",
        &token[..12.min(token.len())],
        data.join("operator-token").display()
    );
    println!(
        "  sign in:        {public_url}/auth/local?token={sign_in} (one-time link, valid 15 minutes; `berth sign-in --data-dir {}` prints a new one)",
        data.display()
    );
    println!(
        "  CLI:            berth login --server {public_url} --data-dir {}",
        data.display()
    );
    println!("  deploy:         berth deploy <dir> --project <name> --server {public_url}");
    if !args.no_example {
        deploy_example(
            &queue,
            &operator,
            &home.join("sandbox/examples/hello"),
            &public_url,
            &limits,
        )
        .await?;
    }
    // MCP answers are small and latency-bound: send them at once rather than batching (Nagle).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    println!("Berth stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The local operator account and its API token, kept in `<data>/operator-token` (readable by the owner
/// only). The token is stored hashed in the database.
async fn operator_token(store: &Store, data: &Path) -> anyhow::Result<(String, String)> {
    let user = store
        .upsert_user(NewUser {
            github_id: None,
            login: "operator".into(),
            name: Some("Local operator".into()),
            avatar_url: None,
        })
        .await?;
    let path = data.join("operator-token");
    let token = match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => {
            use rand::Rng;
            let bytes: [u8; 24] = rand::rng().random();
            let t = format!("berth_{}", hex::encode(bytes));
            write_private(&path, &t)?;
            t
        }
    };
    let hash = berth_control::token_hash(&token);
    if store.user_by_token_hash(&hash).await?.is_none() {
        store
            .create_token(&user.id, "operator (berth up)", &hash)
            .await?;
    }
    Ok((user.id, token))
}

pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(text.as_bytes())?;
    Ok(())
}

/// Deploys the example project unless it is already live, and prints its URL once it serves.
async fn deploy_example(
    queue: &BuildQueue,
    owner: &str,
    dir: &Path,
    public_url: &str,
    limits: &berth_core::LimitPolicy,
) -> anyhow::Result<()> {
    let store = queue.store();
    let project = match store.project(EXAMPLE).await? {
        Some(p) => p,
        None => {
            store
                .create_project(NewProject {
                    slug: berth_core::ProjectSlug::parse(EXAMPLE)?,
                    owner_id: owner.to_string(),
                    repo: None,
                    branch: "main".into(),
                    entry: "server.py:mcp".into(),
                    limits: limits.defaults().clone(),
                })
                .await?
        }
    };
    let url = format!("{public_url}/{EXAMPLE}/mcp");
    let already_live = store
        .deployments(&project.id, 10)
        .await?
        .iter()
        .any(|d| d.live);
    if already_live {
        print_example(&url);
        return Ok(());
    }
    let source = Source {
        kind: "upload".into(),
        commit: None,
        branch: None,
        author: Some("berth up".into()),
        message: Some("example project".into()),
    };
    let d = store
        .create_deployment(NewDeployment::production(&project.id, source))
        .await?;
    copy_dir(dir, &queue.source_dir(&d.id))?;
    queue.enqueue(&d.id);
    let events = queue.follow(&d.id).map(|(_, rx)| rx);
    println!(
        "  example:        building {EXAMPLE} from {} (first build takes ~30 s)",
        dir.display()
    );
    if let Some(mut rx) = events {
        tokio::spawn(async move {
            while let Ok(e) = rx.recv().await {
                if let berth_control::LogEvent::Done { status, error } = e {
                    match error {
                        None => print_example(&url),
                        Some(err) => println!("example build {}: {err}", status.as_str()),
                    }
                    return;
                }
            }
        });
    }
    Ok(())
}

fn print_example(url: &str) {
    println!("Example project live: {url}");
    println!("  Claude Code:  claude mcp add --transport http {EXAMPLE} {url}");
    println!(
        "  Client config (Claude Desktop, Cursor, VS Code):\n{}",
        serde_json::to_string_pretty(
            &serde_json::json!({"mcpServers": {EXAMPLE: {"type": "http", "url": url}}})
        )
        .unwrap_or_default()
    );
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        if name == "__pycache__" {
            continue;
        }
        let ty = entry.file_type()?;
        if ty.is_dir() {
            copy_dir(&entry.path(), &to.join(&name))?;
        } else if ty.is_file() {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}
