//! The command line: flags and environment variables into [`Options`].

use crate::error::ConfigError;
use crate::options::{parse_idp, Options, RulePreset, TenantOptions, DEFAULT_TENANT};
use crate::secret::Secret;
use std::time::Duration;

/// The environment variable the admin token is read from when no flag sets it.
pub const ADMIN_TOKEN_ENV: &str = "SCIMKIT_ADMIN_TOKEN";

/// `--help`'s text.
pub const USAGE: &str = "\
usage: scimkit-server [OPTIONS]

  --listen ADDR              listen address (default 127.0.0.1:8080)
  --base-url URL             public SCIM base URL; default http://LISTEN-ADDRESS/scim/v2
                             (the request's Host header is never used)
  --token TOKEN              token of tenant \"default\"
  --tenant ID=TOKEN          a tenant and its token (repeatable)
  --tenant-idp ID=PROFILE    the tenant's IdP profile: generic (default), entraId, okta
  --tenant-rules ID=RULES    the tenant's rule set: tresorit (default), plain
  --admin-token TOKEN        admin API token (default: $SCIMKIT_ADMIN_TOKEN, else generated)
  --admin-token-file PATH    admin API token read from a file
  --max-connections N        connections open at once (default 1024)
  --idle-timeout DURATION    wait for a request's first byte (default 60s)
  --header-timeout DURATION  read a request head (default 10s)
  --body-timeout DURATION    read a request body (default 30s; 408 after)
  --max-uri-bytes N          longest request target (default 8192; 414 beyond)
  --max-header-bytes N       largest header block (default 16384; 431 beyond)
  --quiet                    no per-request log line

A TOKEN is the token itself, env:VARIABLE or file:PATH; prefer the last two (argv is visible
in ps). Only tokens the server generates are printed; others show as a SHA-256 fingerprint.
A DURATION is seconds (30, 30s) or milliseconds (500ms).
";

/// Parses the arguments (without the program name), reading `env:` tokens and
/// `SCIMKIT_ADMIN_TOKEN` through `env` (pass `|k| std::env::var(k).ok()` in a program).
///
/// # Errors
/// A [`ConfigError`] naming the first bad option: unknown flags, missing or malformed values,
/// unreadable tokens, a tenant configured twice, a token shared by two tenants,
/// `--tenant-idp`/`--tenant-rules` for an unknown tenant or with an unknown value.
pub fn parse_args(
    args: impl IntoIterator<Item = String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Options, ConfigError> {
    let mut options = Options::default();
    let mut idps = Vec::new();
    let mut rules = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(ConfigError::MissingValue(arg.clone()));
        match arg.as_str() {
            "--listen" => {
                let v = value()?;
                options.listen = v
                    .parse()
                    .map_err(|e| ConfigError::invalid("--listen", format!("{v:?}: {e}")))?;
            }
            "--base-url" => options.base_url = Some(base_url(&value()?)?),
            "--token" => {
                let token = Secret::resolve(&value()?, "--token", env)?;
                options
                    .tenants
                    .push(TenantOptions::new(DEFAULT_TENANT, token));
            }
            "--tenant" => {
                let v = value()?;
                let (id, spec) = v
                    .split_once('=')
                    .filter(|(id, spec)| !id.is_empty() && !spec.is_empty())
                    .ok_or_else(|| ConfigError::invalid("--tenant", "takes ID=TOKEN"))?;
                let token = Secret::resolve(spec, &format!("--tenant {id}"), env)?;
                options.tenants.push(TenantOptions::new(id, token));
            }
            "--tenant-idp" => idps.push(assignment("--tenant-idp", &value()?)?),
            "--tenant-rules" => rules.push(assignment("--tenant-rules", &value()?)?),
            "--admin-token" => {
                options.admin_token = Some(Secret::resolve(&value()?, "--admin-token", env)?);
            }
            "--admin-token-file" => {
                let spec = format!("file:{}", value()?);
                options.admin_token = Some(Secret::resolve(&spec, "--admin-token-file", env)?);
            }
            "--max-connections" => {
                let n = count("--max-connections", &value()?, MAX_CONNECTIONS)?;
                options.connections = options.connections.with_max_connections(n);
            }
            "--idle-timeout" => options.connections.idle_timeout = duration(&arg, &value()?)?,
            "--header-timeout" => options.connections.header_timeout = duration(&arg, &value()?)?,
            "--body-timeout" => options.connections.body_timeout = duration(&arg, &value()?)?,
            "--max-uri-bytes" => {
                options.request_limits.max_uri_bytes =
                    count("--max-uri-bytes", &value()?, MAX_LIMIT_BYTES)?;
            }
            "--max-header-bytes" => {
                options.request_limits.max_header_bytes =
                    count("--max-header-bytes", &value()?, MAX_LIMIT_BYTES)?;
            }
            "--quiet" => options.quiet = true,
            // Not echoed unless it looks like a flag: a stray value may be a token.
            other if other.starts_with('-') => {
                return Err(ConfigError::UnknownArgument(other.to_string()))
            }
            _ => {
                return Err(ConfigError::UnknownArgument(
                    "(a value without its option)".into(),
                ))
            }
        }
    }
    if options.admin_token.is_none() && env(ADMIN_TOKEN_ENV).is_some() {
        let spec = format!("env:{ADMIN_TOKEN_ENV}");
        options.admin_token = Some(Secret::resolve(&spec, ADMIN_TOKEN_ENV, env)?);
    }
    check_tenants(&options)?;
    for (id, name) in idps {
        let idp = parse_idp(&name).map_err(|e| ConfigError::invalid("--tenant-idp", e))?;
        tenant_mut(&mut options, "--tenant-idp", &id)?.idp = idp;
    }
    for (id, name) in rules {
        let preset = RulePreset::parse(&name).ok_or_else(|| {
            ConfigError::invalid(
                "--tenant-rules",
                format!(
                    "unknown rule set {name:?}; valid: {}",
                    RulePreset::NAMES.join(", ")
                ),
            )
        })?;
        tenant_mut(&mut options, "--tenant-rules", &id)?.rules = preset;
    }
    Ok(options)
}

/// Every tenant once, every token once.
fn check_tenants(options: &Options) -> Result<(), ConfigError> {
    for (i, t) in options.tenants.iter().enumerate() {
        for earlier in &options.tenants[..i] {
            if earlier.id == t.id {
                return Err(ConfigError::DuplicateTenant(t.id.clone()));
            }
            if earlier.token.expose() == t.token.expose() {
                return Err(ConfigError::DuplicateToken {
                    first: earlier.id.clone(),
                    second: t.id.clone(),
                });
            }
        }
    }
    Ok(())
}

fn tenant_mut<'o>(
    options: &'o mut Options,
    option: &str,
    id: &str,
) -> Result<&'o mut TenantOptions, ConfigError> {
    options
        .tenants
        .iter_mut()
        .find(|t| t.id == id)
        .ok_or_else(|| ConfigError::UnknownTenant {
            option: option.to_string(),
            tenant: id.to_string(),
        })
}

fn assignment(option: &str, v: &str) -> Result<(String, String), ConfigError> {
    v.split_once('=')
        .filter(|(id, value)| !id.is_empty() && !value.is_empty())
        .map(|(id, value)| (id.to_string(), value.to_string()))
        .ok_or_else(|| ConfigError::invalid(option, format!("takes ID=VALUE, not {v:?}")))
}

fn base_url(v: &str) -> Result<String, ConfigError> {
    let ok = ["http://", "https://"]
        .iter()
        .any(|s| v.len() > s.len() && v[..s.len()].eq_ignore_ascii_case(s))
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(v.trim_end_matches('/').to_string())
    } else {
        Err(ConfigError::invalid(
            "--base-url",
            format!("{v:?} is not an http:// or https:// URL"),
        ))
    }
}

/// The largest `--max-connections`.
const MAX_CONNECTIONS: usize = 1 << 20;
/// The largest `--max-uri-bytes` and `--max-header-bytes` (1 MiB).
const MAX_LIMIT_BYTES: usize = 1 << 20;
/// The longest timeout (a day).
const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// A whole number from 1 to `max`.
fn count(option: &str, v: &str, max: usize) -> Result<usize, ConfigError> {
    match v.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::invalid(
            option,
            format!("{v:?} is not a whole number from 1 to {max}"),
        )),
    }
}

/// `30`, `30s` or `500ms`; positive, at most a day.
fn duration(option: &str, v: &str) -> Result<Duration, ConfigError> {
    let parsed = if let Some(ms) = v.strip_suffix("ms") {
        ms.parse().ok().map(Duration::from_millis)
    } else {
        v.strip_suffix('s')
            .unwrap_or(v)
            .parse()
            .ok()
            .map(Duration::from_secs)
    };
    parsed
        .filter(|d| !d.is_zero() && *d <= MAX_DURATION)
        .ok_or_else(|| {
            ConfigError::invalid(
                option,
                format!("{v:?} is not a duration from 1ms to 86400s (30, 30s, 500ms)"),
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::secret::SecretOrigin;

    fn parse(args: &[&str], env: &dyn Fn(&str) -> Option<String>) -> Result<Options, ConfigError> {
        parse_args(args.iter().map(|s| s.to_string()), env)
    }

    #[test]
    fn tokens_from_the_environment_and_precedence_of_the_admin_token() {
        let env = |k: &str| match k {
            "ACME" => Some("acme-token".to_string()),
            ADMIN_TOKEN_ENV => Some("admin-from-env".to_string()),
            _ => None,
        };
        let o = parse(&["--tenant", "acme=env:ACME"], &env).unwrap();
        assert_eq!(o.tenants[0].token.expose(), "acme-token");
        assert_eq!(o.admin_token.as_ref().unwrap().expose(), "admin-from-env");
        assert_eq!(
            o.admin_token.unwrap().origin(),
            &SecretOrigin::Environment(ADMIN_TOKEN_ENV.into())
        );
        let o = parse(&["--admin-token", "flag-wins"], &env).unwrap();
        assert_eq!(o.admin_token.unwrap().expose(), "flag-wins");
        // Tokens are compared as registered (trimmed): these two are the same.
        let err = parse(&["--tenant", "a=tok", "--tenant", "b=env:B"], &|_| {
            Some(" tok ".into())
        })
        .unwrap_err();
        assert!(matches!(err, ConfigError::DuplicateToken { .. }), "{err}");
    }

    #[test]
    fn durations_and_counts() {
        let o = parse(
            &[
                "--idle-timeout",
                "500ms",
                "--header-timeout",
                "3s",
                "--body-timeout",
                "7",
            ],
            &|_| None,
        )
        .unwrap();
        assert_eq!(o.connections.idle_timeout, Duration::from_millis(500));
        assert_eq!(o.connections.header_timeout, Duration::from_secs(3));
        assert_eq!(o.connections.body_timeout, Duration::from_secs(7));
        for bad in ["0", "-1", "1h", "", "ms", "86401", "18446744073709551615"] {
            assert!(parse(&["--body-timeout", bad], &|_| None).is_err(), "{bad}");
        }
        assert!(parse(&["--max-connections", "0"], &|_| None).is_err());
        let stray = parse(&["stray-secret-value"], &|_| None).unwrap_err();
        assert!(!stray.to_string().contains("stray-secret-value"), "{stray}");
        let huge = usize::MAX.to_string();
        for option in ["--max-connections", "--max-uri-bytes", "--max-header-bytes"] {
            assert!(parse(&[option, &huge], &|_| None).is_err(), "{option}");
        }
    }
}
