//! Route templates: a request path with its ids replaced by placeholders, for metric labels and
//! log lines. The set of templates is small and fixed, whatever paths clients send.

use crate::console::CONSOLE_PATH;
use crate::health::{HEALTH_PATH, READY_PATH};
use crate::metrics::METRICS_PATH;
use crate::server::{ADMIN_PATH, BASE_PATH};

/// The SCIM endpoints a template names by name; any other is `{unknown}`.
const SCIM_ENDPOINTS: [&str; 8] = [
    "Users",
    "Groups",
    "Me",
    "Bulk",
    ".search",
    "ServiceProviderConfig",
    "ResourceTypes",
    "Schemas",
];

/// The admin API's fixed path words (docs/admin-api.md); other segments are ids.
const ADMIN_WORDS: [&str; 8] = [
    "provisioning",
    "templates",
    "default",
    "domains",
    "accounts",
    "warnings",
    "audit",
    "tenants",
];

/// The template of `path`: `/scim/v2/Users/{id}`, `/admin/tenants/{tenant}/audit`,
/// `/healthz`, `/console` for every console page; `{unknown}` for paths outside every endpoint.
pub fn route_template(path: &str) -> String {
    if [HEALTH_PATH, READY_PATH, METRICS_PATH].contains(&path) {
        return path.to_string();
    }
    if let Some(rest) = under(path, BASE_PATH) {
        return scim_template(rest);
    }
    if let Some(rest) = under(path, ADMIN_PATH) {
        return admin_template(rest);
    }
    if under(path, CONSOLE_PATH).is_some() {
        return CONSOLE_PATH.to_string();
    }
    "{unknown}".to_string()
}

/// What follows `prefix` in `path` (empty or starting with `/`), any letter case.
fn under<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    let head = path.get(..prefix.len())?;
    let rest = &path[prefix.len()..];
    (head.eq_ignore_ascii_case(prefix) && (rest.is_empty() || rest.starts_with('/')))
        .then_some(rest)
}

fn scim_template(rest: &str) -> String {
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let name = |s: &str| {
        SCIM_ENDPOINTS
            .iter()
            .find(|e| e.eq_ignore_ascii_case(s))
            .copied()
    };
    let tail = match segs.as_slice() {
        [] => String::new(),
        [endpoint] => match name(endpoint) {
            Some(e) => format!("/{e}"),
            None => "/{unknown}".into(),
        },
        [endpoint, second] => match name(endpoint) {
            Some(e) if second.eq_ignore_ascii_case(".search") => format!("/{e}/.search"),
            Some(e) => format!("/{e}/{{id}}"),
            None => "/{unknown}".into(),
        },
        _ => "/{unknown}".into(),
    };
    format!("{BASE_PATH}{tail}")
}

fn admin_template(rest: &str) -> String {
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if segs.len() > 5 || segs.first().is_some_and(|s| *s != "tenants") {
        return format!("{ADMIN_PATH}/{{unknown}}");
    }
    let mut out = ADMIN_PATH.to_string();
    for (i, seg) in segs.iter().enumerate() {
        out.push('/');
        match ADMIN_WORDS.iter().find(|w| *w == seg) {
            Some(word) if i != 1 => out.push_str(word),
            _ => out.push_str(match (i, segs.get(2)) {
                (1, _) => "{tenant}",
                (3, Some(&"domains")) => "{domain}",
                (3, Some(&"accounts")) => "{email}",
                _ => "{action}",
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::route_template;

    #[test]
    fn ids_become_placeholders() {
        for (path, template) in [
            ("/scim/v2/Users", "/scim/v2/Users"),
            ("/scim/v2/users/2819c223-7f76", "/scim/v2/Users/{id}"),
            ("/scim/v2/Groups/.search", "/scim/v2/Groups/.search"),
            ("/scim/v2/Schemas/urn:x", "/scim/v2/Schemas/{id}"),
            ("/scim/v2/Secrets/abc", "/scim/v2/{unknown}"),
            ("/scim/v2/Users/a/b", "/scim/v2/{unknown}"),
            ("/scim/v2", "/scim/v2"),
            ("/scim/v2x", "{unknown}"),
            ("/admin/tenants", "/admin/tenants"),
            ("/admin/tenants/acme/audit", "/admin/tenants/{tenant}/audit"),
            (
                "/admin/tenants/acme/accounts/a@b.c/disable",
                "/admin/tenants/{tenant}/accounts/{email}/{action}",
            ),
            ("/admin/tenants/tenants", "/admin/tenants/{tenant}"),
            ("/admin/other/x", "/admin/{unknown}"),
            ("/healthz", "/healthz"),
            ("/console/tenants/acme/accounts", "/console"),
            ("/anything/else", "{unknown}"),
        ] {
            assert_eq!(route_template(path), template, "{path}");
        }
    }
}
