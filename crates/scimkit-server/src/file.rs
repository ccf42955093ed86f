//! The TOML configuration file (`--config PATH`), read into a configuration [`Layer`].
//!
//! ```toml
//! listen = ["127.0.0.1:8080"]            # or one address as a string
//! base_url = "https://scim.example.com/scim/v2"
//! db = "sqlite:/var/lib/scimkit/scimkit.db"   # or "memory"; default sqlite:scimkit.db
//! trusted_proxies = ["127.0.0.1"]        # whose X-Forwarded-For names the client in logs
//! log_format = "json"                    # auto, human, json
//! admin_token = "file:/run/secrets/scimkit-admin"
//!
//! [limits]
//! max_connections = 1024
//! body_timeout = "30s"                   # or 30 (seconds), "500ms"
//! shutdown_grace = "10s"
//!
//! [database]                             # PostgreSQL storage only (db = "postgres://…")
//! max_connections = 10                   # per instance
//! acquire_timeout = "5s"
//! statement_timeout = "10s"
//!
//! [metrics]
//! listen = "127.0.0.1:9464"
//!
//! [[tenants]]
//! id = "acme"
//! token = "env:ACME_SCIM_TOKEN"          # env:VARIABLE or file:PATH, never the token itself
//! idp = "entraId"                        # generic, entraId, okta, strict
//! rules = "tresorit"                     # tresorit, plain
//! ```
//!
//! Unknown keys are errors (a misspelt setting must not be silently ignored).

use crate::config::{idp, rules, Key, Layer, KEYS};
use crate::error::ConfigError;
use crate::secret::Secret;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<OneOrMany>,
    base_url: Option<String>,
    db: Option<String>,
    database: Option<Database>,
    log_format: Option<String>,
    quiet: Option<bool>,
    admin_token: Option<String>,
    cursor_key: Option<String>,
    cursor_previous_key: Option<String>,
    limits: Option<Limits>,
    metrics: Option<Metrics>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    #[serde(default)]
    tenants: Vec<Tenant>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A count, or a duration in seconds or as text (`"30s"`, `"500ms"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Value {
    Number(u64),
    Text(String),
}

impl Value {
    fn text(&self) -> String {
        match self {
            Value::Number(n) => n.to_string(),
            Value::Text(t) => t.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Limits {
    max_connections: Option<Value>,
    idle_timeout: Option<Value>,
    header_timeout: Option<Value>,
    body_timeout: Option<Value>,
    shutdown_grace: Option<Value>,
    max_uri_bytes: Option<Value>,
    max_header_bytes: Option<Value>,
}

/// `[database]`: the PostgreSQL pool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Database {
    max_connections: Option<Value>,
    acquire_timeout: Option<Value>,
    statement_timeout: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metrics {
    listen: Option<String>,
    token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tenant {
    id: String,
    token: String,
    idp: Option<String>,
    rules: Option<String>,
}

/// Reads and checks the file at `path`; `env:` token sources are read through `env`.
pub(crate) fn file_layer(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Layer, ConfigError> {
    let fail = |problem: String| ConfigError::File {
        path: path.to_path_buf(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let file: File = toml::from_str(&text).map_err(|e| fail(toml_problem(&text, &e)))?;
    let in_file = |key: &str| format!("{key} in {}", path.display());
    let mut layer = Layer::default();
    let set = |layer: &mut Layer, key: Key, v: &str| {
        let name = KEYS.iter().find(|k| k.0 == key).map_or("", |k| k.3);
        layer.set(key, &in_file(name), v)
    };
    match file.listen {
        Some(OneOrMany::One(a)) => set(&mut layer, Key::Listen, &a)?,
        Some(OneOrMany::Many(all)) => {
            if all.is_empty() {
                return Err(ConfigError::invalid(&in_file("listen"), "is empty"));
            }
            for a in all {
                set(&mut layer, Key::Listen, &a)?;
            }
        }
        None => {}
    }
    for proxy in &file.trusted_proxies {
        set(&mut layer, Key::TrustedProxy, proxy)?;
    }
    let text_settings = [
        (Key::BaseUrl, file.base_url),
        (Key::Storage, file.db),
        (Key::LogFormat, file.log_format),
        (Key::Quiet, file.quiet.map(|q| q.to_string())),
    ];
    let limits = file.limits.map(|l| {
        [
            (Key::MaxConnections, l.max_connections),
            (Key::IdleTimeout, l.idle_timeout),
            (Key::HeaderTimeout, l.header_timeout),
            (Key::BodyTimeout, l.body_timeout),
            (Key::ShutdownGrace, l.shutdown_grace),
            (Key::MaxUriBytes, l.max_uri_bytes),
            (Key::MaxHeaderBytes, l.max_header_bytes),
        ]
        .map(|(k, v)| (k, v.map(|v| v.text())))
    });
    let database = file.database.map(|d| {
        [
            (Key::DbMaxConnections, d.max_connections),
            (Key::DbAcquireTimeout, d.acquire_timeout),
            (Key::DbStatementTimeout, d.statement_timeout),
        ]
        .map(|(k, v)| (k, v.map(|v| v.text())))
    });
    let (metrics_listen, metrics_token) =
        file.metrics.map_or((None, None), |m| (m.listen, m.token));
    for (key, v) in text_settings
        .into_iter()
        .chain(limits.into_iter().flatten())
        .chain(database.into_iter().flatten())
        .chain([(Key::MetricsListen, metrics_listen)])
    {
        if let Some(v) = v {
            set(&mut layer, key, &v)?;
        }
    }
    if let Some(spec) = file.admin_token {
        layer.admin_token = Some(secret(&in_file("admin_token"), &spec, env)?);
    }
    if let Some(spec) = file.cursor_key {
        layer.cursor_key = Some(secret(&in_file("cursor_key"), &spec, env)?);
    }
    if let Some(spec) = file.cursor_previous_key {
        layer.cursor_previous_key = Some(secret(&in_file("cursor_previous_key"), &spec, env)?);
    }
    if let Some(spec) = metrics_token {
        layer.metrics_token = Some(secret(&in_file("metrics.token"), &spec, env)?);
    }
    for t in file.tenants {
        let key = |field: &str| in_file(&format!("tenants[{}].{field}", t.id));
        let token = secret(&key("token"), &t.token, env)?;
        layer.tenant_token(&t.id, &key("id"), token)?;
        let entry = layer.tenant(&t.id, "");
        if let Some(name) = &t.idp {
            entry.idp = Some(idp(&key("idp"), name)?);
        }
        if let Some(name) = &t.rules {
            entry.rules = Some(rules(&key("rules"), name)?);
        }
    }
    Ok(layer)
}

/// A token source in the file: `env:VARIABLE` or `file:PATH` only, so that the file itself
/// holds no secret and can be shared and versioned.
fn secret(
    what: &str,
    spec: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, ConfigError> {
    if !(spec.starts_with("env:") || spec.starts_with("file:")) {
        return Err(ConfigError::Secret {
            what: what.to_string(),
            problem: "give env:VARIABLE or file:PATH; a configuration file holds no token \
                      (the value is not shown)"
                .into(),
        });
    }
    Secret::resolve(spec, what, env)
}

/// The parser's message, the line and the key it is about, without the line's value (a
/// misspelt key's value may be a secret): quoted text in the message is elided.
fn toml_problem(text: &str, e: &toml::de::Error) -> String {
    let mut message = String::new();
    for (i, part) in e.message().trim_end().split('"').enumerate() {
        message.push_str(if i % 2 == 1 { "\"…\"" } else { part });
    }
    let Some(span) = e.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let before = &text.as_bytes()[..start];
    let number = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    match line.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => {
            format!("line {number}, key {}: {message}", key.trim())
        }
        _ => format!("line {number}: {message}"),
    }
}
