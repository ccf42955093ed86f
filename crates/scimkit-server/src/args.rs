//! The command line's flags, read into a configuration [`Layer`].

use crate::config::{assignment, idp, rules, Layer, KEYS};
use crate::error::ConfigError;
use crate::options::DEFAULT_TENANT;
use crate::secret::Secret;

/// `--help`'s text.
pub const USAGE: &str = "\
usage: scimkit-server [OPTIONS]

Settings come from flags, then SCIMKIT_* environment variables, then the --config file, then
the defaults (the first that sets a value wins). Environment variables are the flag's name in
capitals with SCIMKIT_ in front (--body-timeout: SCIMKIT_BODY_TIMEOUT); see docs/deploying.md.

  --config PATH              TOML configuration file (or $SCIMKIT_CONFIG)
  --check-config             check the configuration, print a summary, exit (0: valid)
  --listen ADDR              listen address (default 127.0.0.1:8080; repeatable)
  --base-url URL             public SCIM base URL; default http://LISTEN-ADDRESS/scim/v2
                             (the request's Host header is never used)
  --db STORAGE               sqlite:PATH (default sqlite:scimkit.db, in the working directory),
                             or memory (nothing kept after the server stops), or
                             postgres://USER:PASSWORD@HOST:PORT/DATABASE (several instances)
  --db-max-connections N     PostgreSQL connections per instance at most (default 10)
  --db-acquire-timeout DURATION
                             wait for a pooled PostgreSQL connection (default 5s; 503 after)
  --db-statement-timeout DURATION
                             PostgreSQL statement_timeout (default 10s; 503 after)
  --token TOKEN              token of tenant \"default\"
  --tenant ID=TOKEN          a tenant and its token (repeatable)
  --tenant-idp ID=PROFILE    the tenant's IdP profile: generic (default), entraId, okta, strict
  --tenant-rules ID=RULES    the tenant's rule set: tresorit (default), plain
  --admin-token TOKEN        admin API token (default: $SCIMKIT_ADMIN_TOKEN, else generated)
  --admin-token-file PATH    admin API token read from a file
  --cursor-key KEY           key signing RFC 9865 paging cursors, 32+ bytes (env:VAR or
                             file:PATH; the same on every instance); default: generated at start
  --cursor-previous-key KEY  the key before a rotation, still accepted
  --metrics-listen ADDR      serve /metrics on this address (off by default)
  --metrics-token TOKEN      token /metrics requires; without --metrics-listen, /metrics is
                             served beside SCIM and needs it
  --max-connections N        connections open at once, per listen address (default 1024)
  --idle-timeout DURATION    wait for a request's first byte (default 60s)
  --header-timeout DURATION  read a request head (default 10s)
  --body-timeout DURATION    read a request body (default 30s; 408 after)
  --shutdown-grace DURATION  after SIGTERM/SIGINT, let in-flight requests finish (default 10s)
  --max-uri-bytes N          longest request target (default 8192; 414 beyond)
  --max-header-bytes N       largest header block (default 16384; 431 beyond)
  --trusted-proxy NET        a proxy whose X-Forwarded-For names the client in log lines
                             (10.0.0.0/8, 127.0.0.1; repeatable; none by default)
  --log-format FORMAT        auto (default: human on a terminal, else JSON lines), human, json
  --quiet                    no per-request log line

A TOKEN is env:VARIABLE, file:PATH or the token itself; prefer the first two (argv is visible
in ps). Only tokens the server generates are printed; others show as a SHA-256 fingerprint.
A DURATION is seconds (30, 30s) or milliseconds (500ms).
";

/// Reads the flags (without the program name); `env:` tokens are read through `env`.
pub(crate) fn flags_layer(
    args: impl IntoIterator<Item = String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Layer, ConfigError> {
    let mut layer = Layer::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(ConfigError::MissingValue(arg.clone()));
        if let Some((key, flag, _, _)) = KEYS.iter().find(|k| k.1 == arg) {
            let v = if *flag == "--quiet" {
                "true".to_string()
            } else {
                value()?
            };
            layer.set(*key, flag, &v)?;
            continue;
        }
        match arg.as_str() {
            "--config" => layer.config = Some(value()?.into()),
            "--check-config" => layer.check_only = true,
            "--token" => {
                let token = Secret::resolve(&value()?, "--token", env)?;
                layer.tenant_token(DEFAULT_TENANT, "--token", token)?;
            }
            "--tenant" => {
                let v = value()?;
                let (id, spec) = assignment("--tenant", &v)?;
                let token = Secret::resolve(spec, &format!("--tenant {id}"), env)?;
                layer.tenant_token(id, "--tenant", token)?;
            }
            "--tenant-idp" => {
                let v = value()?;
                let (id, name) = assignment("--tenant-idp", &v)?;
                layer.tenant(id, "--tenant-idp").idp = Some(idp("--tenant-idp", name)?);
            }
            "--tenant-rules" => {
                let v = value()?;
                let (id, name) = assignment("--tenant-rules", &v)?;
                layer.tenant(id, "--tenant-rules").rules = Some(rules("--tenant-rules", name)?);
            }
            "--admin-token" => {
                layer.admin_token = Some(Secret::resolve(&value()?, "--admin-token", env)?);
            }
            "--admin-token-file" => {
                let spec = format!("file:{}", value()?);
                layer.admin_token = Some(Secret::resolve(&spec, "--admin-token-file", env)?);
            }
            "--metrics-token" => {
                layer.metrics_token = Some(Secret::resolve(&value()?, "--metrics-token", env)?);
            }
            "--cursor-key" => {
                layer.cursor_key = Some(Secret::resolve(&value()?, "--cursor-key", env)?);
            }
            "--cursor-previous-key" => {
                let key = Secret::resolve(&value()?, "--cursor-previous-key", env)?;
                layer.cursor_previous_key = Some(key);
            }
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
    Ok(layer)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::config::{parse_args, ADMIN_TOKEN_ENV};
    use crate::error::ConfigError;
    use crate::options::Options;
    use crate::secret::SecretOrigin;
    use std::time::Duration;

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
        let err = parse(&["--tenant", "a=tok", "--tenant", "b=env:B"], &|k| {
            (k == "B").then(|| " tok ".into())
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
