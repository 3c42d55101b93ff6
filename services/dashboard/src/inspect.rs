//! The inspector: pick a tool of the live deployment, fill in a form generated from its input schema,
//! and call it. The call is made here, on the server, as a real MCP client would make it against the
//! project's own URL over loopback (see [`crate::mcp`]), so the browser only talks to the dashboard and
//! the call goes through the whole serving path.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::mcp::{self, Outcome};
use crate::pages::live_description;
use crate::views::{Nav, page};
use crate::{Dashboard, PageError, Viewer};

/// How a form field is edited.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Text,
    Number,
    Integer,
    Boolean,
    /// One of fixed values (shown as a select).
    Choice(Vec<String>),
    /// Arrays, objects and anything else: JSON typed into a text area.
    Json,
}

/// One argument of the chosen tool, as a form field.
#[derive(Clone, Debug)]
struct Field {
    name: String,
    kind: Kind,
    required: bool,
    description: String,
    /// What is in the field now (typed before, or the schema's default).
    value: String,
    error: Option<String>,
}

impl Field {
    fn is(&self, kind: &str) -> bool {
        matches!(
            (&self.kind, kind),
            (Kind::Text, "text")
                | (Kind::Number, "number")
                | (Kind::Integer, "integer")
                | (Kind::Boolean, "boolean")
                | (Kind::Choice(_), "choice")
                | (Kind::Json, "json")
        )
    }

    fn choices(&self) -> &[String] {
        match &self.kind {
            Kind::Choice(c) => c,
            _ => &[],
        }
    }
}

/// The property's schema without an optional's `null` alternative (`anyOf: [{..}, {type: null}]`).
fn effective(schema: &Value) -> &Value {
    schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
        .and_then(|alts| {
            let non_null: Vec<_> = alts.iter().filter(|a| a["type"] != "null").collect();
            (non_null.len() == 1).then(|| non_null[0])
        })
        .unwrap_or(schema)
}

fn kind_of(schema: &Value) -> Kind {
    let s = effective(schema);
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        return Kind::Choice(
            values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect(),
        );
    }
    match s.get("type").and_then(Value::as_str) {
        Some("string") => Kind::Text,
        Some("number") => Kind::Number,
        Some("integer") => Kind::Integer,
        Some("boolean") => Kind::Boolean,
        _ => Kind::Json,
    }
}

/// The form fields of a tool's input schema, in the schema's order.
fn fields(schema: &Value) -> Vec<Field> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, prop)| {
            let kind = kind_of(prop);
            let value = match prop.get("default") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(b)) => {
                    if *b {
                        "on".into()
                    } else {
                        String::new()
                    }
                }
                Some(v) => v.to_string(),
            };
            Field {
                name: name.clone(),
                required: required.contains(&name.as_str()),
                description: prop
                    .get("description")
                    .or_else(|| prop.get("title"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                kind,
                value,
                error: None,
            }
        })
        .collect()
}

/// Fills the fields with what was submitted and builds the call's arguments; a field that does not
/// parse gets its message and no arguments are returned.
fn arguments(fields: &mut [Field], submitted: &[(String, String)]) -> Option<Map<String, Value>> {
    let mut args = Map::new();
    let mut ok = true;
    for f in fields.iter_mut() {
        let given = submitted
            .iter()
            .find(|(k, _)| k.strip_prefix("arg:") == Some(f.name.as_str()))
            .map(|(_, v)| v.clone());
        f.value = given.clone().unwrap_or_default();
        let text = f.value.trim();
        if f.kind == Kind::Boolean {
            args.insert(f.name.clone(), Value::Bool(given.is_some()));
            continue;
        }
        if text.is_empty() {
            if f.required {
                f.error = Some("Required.".into());
                ok = false;
            }
            continue;
        }
        let parsed = match &f.kind {
            Kind::Text => Ok(Value::String(f.value.clone())),
            Kind::Number => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or("Type a number, e.g. 2.5."),
            Kind::Integer => text
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| "Type a whole number, e.g. 3."),
            Kind::Choice(_) => Ok(serde_json::from_str::<Value>(text)
                .ok()
                .filter(|v| !v.is_string() && !v.is_object() && !v.is_array())
                .unwrap_or_else(|| Value::String(text.to_string()))),
            Kind::Json => serde_json::from_str(text)
                .map_err(|_| "Type JSON, e.g. [1, 2] or {\"key\": \"value\"}."),
            Kind::Boolean => Ok(Value::Bool(true)),
        };
        match parsed {
            Ok(v) => {
                args.insert(f.name.clone(), v);
            }
            Err(message) => {
                f.error = Some(message.into());
                ok = false;
            }
        }
    }
    ok.then_some(args)
}

/// A result content block, ready to show.
struct Block {
    /// `text`, `image`, `audio`, `resource` or `other`.
    kind: &'static str,
    text: String,
    /// A `data:` URL for images and audio.
    src: String,
}

fn blocks(result: &Value) -> Vec<Block> {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let data_url = || {
                format!(
                    "data:{};base64,{}",
                    c["mimeType"].as_str().unwrap_or("application/octet-stream"),
                    c["data"].as_str().unwrap_or_default()
                )
            };
            match c["type"].as_str() {
                Some("text") => Block {
                    kind: "text",
                    text: c["text"].as_str().unwrap_or_default().to_string(),
                    src: String::new(),
                },
                Some("image") => Block {
                    kind: "image",
                    text: c["mimeType"].as_str().unwrap_or_default().to_string(),
                    src: data_url(),
                },
                Some("audio") => Block {
                    kind: "audio",
                    text: c["mimeType"].as_str().unwrap_or_default().to_string(),
                    src: data_url(),
                },
                _ => Block {
                    kind: "other",
                    text: serde_json::to_string_pretty(c).unwrap_or_default(),
                    src: String::new(),
                },
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "inspector.html")]
struct Inspector {
    nav: Nav,
    slug: String,
    /// (name, description) of every tool of the live deployment.
    tools: Vec<(String, String)>,
    tool: Option<String>,
    description: String,
    fields: Vec<Field>,
    ran: bool,
    is_error: bool,
    blocks: Vec<Block>,
    structured: String,
    failure: String,
    logs: Vec<(String, String)>,
    progress: Vec<String>,
    elapsed: String,
    live: bool,
}

#[derive(Deserialize)]
pub struct ToolQuery {
    tool: Option<String>,
}

/// The page for the chosen tool (the first one unless `?tool=` says), without a result.
async fn inspector(
    d: &Dashboard,
    viewer: &Viewer,
    slug: &str,
    tool: Option<String>,
) -> Result<(Inspector, Value), PageError> {
    let p = d.project(viewer, slug).await?;
    let deployments = d.store().deployments(&p.id, 50).await?;
    let description = live_description(&deployments).map(|(_, desc)| desc);
    let live = description.is_some();
    let description = description.unwrap_or_default();
    let tools: Vec<(String, String)> = description
        .tools
        .iter()
        .map(|t| {
            let text = |k: &str| {
                t.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            (text("name"), text("description"))
        })
        .collect();
    let tool = tool
        .filter(|t| tools.iter().any(|(n, _)| n == t))
        .or_else(|| tools.first().map(|t| t.0.clone()));
    let schema = tool
        .as_deref()
        .and_then(|t| description.tool(t))
        .and_then(|t| t.get("inputSchema"))
        .cloned()
        .unwrap_or(Value::Null);
    let tool_description = tools
        .iter()
        .find(|(n, _)| Some(n) == tool.as_ref())
        .map(|t| t.1.clone())
        .unwrap_or_default();
    Ok((
        Inspector {
            nav: Nav::project(viewer, slug, "inspector"),
            slug: slug.to_string(),
            fields: fields(&schema),
            tools,
            tool,
            description: tool_description,
            ran: false,
            is_error: false,
            blocks: Vec::new(),
            structured: String::new(),
            failure: String::new(),
            logs: Vec::new(),
            progress: Vec::new(),
            elapsed: String::new(),
            live,
        },
        schema,
    ))
}

pub async fn page_handler(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<ToolQuery>,
) -> Result<Response, PageError> {
    let (data, _) = inspector(&d, &viewer, &slug, q.tool).await?;
    page(&data)
}

pub async fn call(
    State(d): State<Dashboard>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(submitted): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |k: &str| {
        submitted
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    viewer.check_csrf(&field("csrf").unwrap_or_default())?;
    let tool = field("tool");
    let (mut data, _) = inspector(&d, &viewer, &slug, tool.clone()).await?;
    let (Some(tool), true) = (data.tool.clone(), data.tool == tool) else {
        return Err(PageError::NotFound(format!(
            "The live deployment of “{slug}” has no such tool."
        )));
    };
    let Some(args) = arguments(&mut data.fields, &submitted) else {
        return page(&data);
    };
    let url = format!("{}/{slug}/mcp", d.loopback_url);
    let started = std::time::Instant::now();
    let outcome = mcp::call_tool(&url, &tool, args).await;
    data.elapsed = crate::views::duration(started.elapsed().as_millis() as i64);
    data.ran = true;
    show(&mut data, outcome);
    page(&data)
}

fn show(data: &mut Inspector, outcome: Outcome) {
    data.logs = outcome.logs;
    data.progress = outcome.progress;
    match outcome.result {
        Ok(result) => {
            data.is_error = result["isError"].as_bool().unwrap_or(false);
            data.blocks = blocks(&result);
            if let Some(s) = result.get("structuredContent") {
                data.structured = serde_json::to_string_pretty(s).unwrap_or_default();
            }
        }
        Err(message) => {
            data.is_error = true;
            data.failure = message;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn forms_follow_the_schema_and_parse_back_to_arguments() {
        let schema = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "Where"},
                "days": {"type": "integer", "default": 3},
                "ratio": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": null},
                "metric": {"type": "boolean"},
                "unit": {"enum": ["c", "f"]},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["city", "unit"],
        });
        let mut f = fields(&schema);
        let kinds: Vec<_> = f.iter().map(|f| f.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                Kind::Text,
                Kind::Integer,
                Kind::Boolean,
                Kind::Number,
                Kind::Json,
                Kind::Choice(vec!["c".into(), "f".into()]),
            ],
            "fields in the schema's (sorted) property order"
        );
        assert_eq!(f[1].value, "3");
        assert!(f[0].required && !f[1].required);
        let submitted: Vec<(String, String)> = [
            ("arg:city", "Oslo"),
            ("arg:days", "5"),
            ("arg:ratio", ""),
            ("arg:metric", "on"),
            ("arg:unit", "c"),
            ("arg:tags", r#"["a","b"]"#),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let args = arguments(&mut f, &submitted).unwrap();
        assert_eq!(
            Value::Object(args),
            json!({"city": "Oslo", "days": 5, "metric": true, "unit": "c", "tags": ["a", "b"]})
        );
        let bad: Vec<(String, String)> = vec![("arg:days".into(), "many".into())];
        assert!(arguments(&mut f, &bad).is_none());
        assert_eq!(f[0].error.as_deref(), Some("Required."));
        assert_eq!(f[1].error.as_deref(), Some("Type a whole number, e.g. 3."));
    }

    #[test]
    fn results_become_blocks() {
        let b = blocks(&json!({"content": [
            {"type": "text", "text": "hi"},
            {"type": "image", "mimeType": "image/png", "data": "AAA="},
            {"type": "resource_link", "uri": "x://y", "name": "y"},
        ]}));
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].kind, b[0].text.as_str()), ("text", "hi"));
        assert_eq!(b[1].src, "data:image/png;base64,AAA=");
        assert_eq!(b[2].kind, "other");
    }
}
