//! The console's pages as maud templates: every value is escaped by maud (nothing here is
//! `PreEscaped`); the admin API's JSON is read field by field.

use super::api::{query_value, seg};
use super::session::{Flash, IssuedToken};
use super::CONSOLE_PATH;
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

/// The seed's Admin Center note about automatic adding, word for word.
pub(crate) const AUTO_ADD_WARNING: &str = "Using the Add to subscription automatically option \
    for a verified domain can result in users being added to your subscription outside SCIM \
    provisioning. If you set up provisioning, we recommend setting either Invite only \
    registration or Do not add to subscription for your verified domain.";

/// The identity provider profiles, wire name and label.
pub(crate) const IDPS: [(&str, &str); 4] = [
    ("generic", "Generic (detect Okta or Entra ID per request)"),
    ("entraId", "Microsoft Entra ID"),
    ("okta", "Okta"),
    ("strict", "Strict RFC 7644"),
];

/// The verified domain modes, wire name and the seed's label.
pub(crate) const MODES: [(&str, &str); 3] = [
    ("addAutomatically", "Add to subscription automatically"),
    ("inviteOnly", "Invite only registration"),
    ("doNotAdd", "Do not add to subscription"),
];

/// What every page of a signed-in administrator shows around its body.
pub(crate) struct Frame<'a> {
    pub(crate) title: &'a str,
    /// The session's CSRF token; `None` before sign-in.
    pub(crate) csrf: Option<&'a str>,
    /// The tenant the page is about (its sub-navigation).
    pub(crate) tenant: Option<&'a str>,
    pub(crate) flash: Flash,
}

/// A console URL under `/tenants/{t}`, the tenant id escaped.
pub(crate) fn tenant_url(t: &str, rest: &str) -> String {
    format!("{CONSOLE_PATH}/tenants/{}{rest}", seg(t))
}

/// The page around `body`.
pub(crate) fn layout(frame: &Frame<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " · scimkit console" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "scimkit console" }
                    @if let Some(csrf) = frame.csrf {
                        nav aria-label="Main" {
                            a href="/console/tenants" { "Tenants" }
                            @if let Some(t) = frame.tenant {
                                a href=(tenant_url(t, "")) { "Tenant " (t) }
                                a href=(tenant_url(t, "/accounts")) { "Accounts" }
                                a href=(tenant_url(t, "/audit")) { "Audit log" }
                            }
                        }
                        form.inline method="post" action="/console/sign-out" {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main {
                    @if let Some(n) = &frame.flash.notice {
                        p.notice role="status" { (n) }
                    }
                    @if let Some(e) = &frame.flash.error {
                        p.error role="alert" { (e) }
                    }
                    (body)
                }
            }
        }
    }
}

/// A form posting to `action` with the CSRF token.
pub(crate) fn post_form(action: &str, csrf: &str, class: &str, inner: Markup) -> Markup {
    html! {
        form class=(class) method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            (inner)
        }
    }
}

/// The sign-in page; `csrf` is the sign-in form's token.
pub(crate) fn sign_in(csrf: &str, error: Option<&str>) -> Markup {
    let frame = Frame {
        title: "Sign in",
        csrf: None,
        tenant: None,
        flash: Flash {
            error: error.map(str::to_owned),
            ..Flash::default()
        },
    };
    layout(
        &frame,
        html! {
            h1 { "Sign in" }
            p { "Sign in with the server's admin token (the one the admin API takes)." }
            form method="post" action="/console/sign-in" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { "Admin token" }
                input #token type="password" name="token" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// A refusal page (403, 404, …) with a way back.
pub(crate) fn refused(title: &str, detail: &str, signed_in: bool) -> Markup {
    let frame = Frame {
        title,
        csrf: None,
        tenant: None,
        flash: Flash::default(),
    };
    layout(
        &frame,
        html! {
            h1 { (title) }
            p.error role="alert" { (detail) }
            @if signed_in {
                p { a href="/console/tenants" { "Back to the tenants" } }
            } @else {
                p { a href="/console/sign-in" { "Sign in" } }
            }
        },
    )
}

/// The tenants page: `tenants` are `GET /admin/tenants/{t}` answers.
pub(crate) fn tenants(frame: &Frame<'_>, csrf: &str, tenants: &[Value]) -> Markup {
    layout(
        frame,
        html! {
            h1 { "Tenants" }
            table {
                caption.sr { "Tenants" }
                thead { tr { th scope="col" { "Tenant" } th scope="col" { "Identity provider" }
                    th scope="col" { "Provisioning" } th scope="col" { "Warnings" } } }
                tbody {
                    @for t in tenants {
                        @let id = t["id"].as_str().unwrap_or_default();
                        tr {
                            td { a href=(tenant_url(id, "")) { (id) } }
                            td { (idp_label(t["idp"].as_str().unwrap_or_default())) }
                            td { (on_off(t["provisioningEnabled"].as_bool().unwrap_or(false))) }
                            td { (t["warnings"].as_array().map_or(0, Vec::len)) }
                        }
                    }
                }
            }
            h2 { "Create a tenant" }
            (post_form("/console/tenants", csrf, "stack", html! {
                label for="tenant-id" { "Tenant id" }
                input #tenant-id name="id" required maxlength="64" aria-describedby="tenant-id-help";
                small #tenant-id-help { "1–64 letters, digits, “.”, “_” or “-”." }
                label for="tenant-idp" { "Identity provider profile" }
                select #tenant-idp name="idp" {
                    @for (value, label) in IDPS { option value=(value) { (label) } }
                }
                p #rule-set-note {
                    "Rule set: " strong { "tresorit" } " (the seed product's rules). "
                    "The admin API does not take a rule set when creating a tenant yet; the "
                    "server's " code { "--tenant-rules" } " flag sets it for configured tenants."
                }
                button type="submit" { "Create tenant" }
            }))
        },
    )
}

/// On or off, as text.
pub(crate) fn on_off(on: bool) -> Markup {
    html! {
        @if on { span.badge.good { "on" } } @else { span.badge.neutral { "off" } }
    }
}

fn idp_label(wire: &str) -> &str {
    IDPS.iter()
        .find(|(v, _)| *v == wire)
        .map_or(wire, |(_, l)| l)
}

fn mode_label(wire: &str) -> &str {
    MODES
        .iter()
        .find(|(v, _)| *v == wire)
        .map_or(wire, |(_, l)| l)
}

/// The token panel, shown once after enable or rotate.
fn issued_token(token: &IssuedToken) -> Markup {
    html! {
        section.token aria-labelledby="token-heading" {
            h2 #token-heading { "SCIM credentials for " (token.tenant) }
            p.warning role="alert" {
                strong { "Copy the token now: it will not be shown again." }
                " Only its SHA-256 digest is kept. Paste the base URL and the token into your "
                "identity provider (Entra ID: Tenant URL and Secret Token; Okta: SCIM connector "
                "base URL and API token)."
            }
            dl {
                dt { "SCIM base URL" }
                dd { code #scim-base-url { (token.scim_base_url) }
                     button.copy type="button" data-copy="scim-base-url" hidden { "Copy base URL" } }
                dt { "Token" }
                dd { code #scim-token { (token.token) }
                     button.copy type="button" data-copy="scim-token" hidden { "Copy token" } }
            }
        }
    }
}

/// The tenant page: `t` is the `GET /admin/tenants/{t}` answer.
pub(crate) fn tenant(frame: &Frame<'_>, csrf: &str, t: &Value) -> Markup {
    let id = t["id"].as_str().unwrap_or_default();
    let enabled = t["provisioningEnabled"].as_bool().unwrap_or(false);
    let has_token = t["hasToken"].as_bool().unwrap_or(false);
    let default = t["defaultTemplate"].as_u64().unwrap_or(0);
    let empty = Vec::new();
    let templates = t["templates"].as_array().unwrap_or(&empty);
    let domains = t["verifiedDomains"].as_array().unwrap_or(&empty);
    let warnings = t["warnings"].as_array().unwrap_or(&empty);
    let auto_add_warned = warnings
        .iter()
        .any(|w| w["code"] == "autoAddDomainWithProvisioning");
    let auto_add: Vec<&str> = domains
        .iter()
        .filter(|d| d["mode"] == "addAutomatically")
        .filter_map(|d| d["domain"].as_str())
        .collect();
    let action = |a: &str| tenant_url(id, &format!("/provisioning/{a}"));
    layout(
        frame,
        html! {
            h1 { "Tenant " (id) }
            @if auto_add_warned && !auto_add.is_empty() {
                section.banner #auto-add-banner role="alert" aria-labelledby="auto-add-heading" {
                    h2 #auto-add-heading { "Users can join outside SCIM provisioning" }
                    p { (AUTO_ADD_WARNING) }
                    @for d in &auto_add {
                        (post_form(&tenant_url(id, &format!("/domains/{}/mode", seg(d))), csrf, "inline", html! {
                            input type="hidden" name="mode" value="inviteOnly";
                            button type="submit" { "Set " (d) " to Invite only registration" }
                        }))
                    }
                }
            }
            @if let Some(token) = frame.flash.token.as_ref().filter(|k| k.tenant == id) {
                (issued_token(token))
            }
            section aria-labelledby="prov-heading" {
                h2 #prov-heading { "Provisioning" }
                dl {
                    dt { "State" } dd #provisioning-state { (on_off(enabled)) }
                    dt { "Token" } dd { @if has_token { "issued (shown only when issued)" } @else { "none" } }
                    dt { "SCIM base URL" } dd { code { (t["scimBaseUrl"].as_str().unwrap_or_default()) } }
                    dt { "Identity provider" } dd { (idp_label(t["idp"].as_str().unwrap_or_default())) }
                }
                div.actions {
                    @if enabled {
                        a.button href=(action("rotate")) { "Rotate token…" }
                        a.button href=(action("revoke")) { "Revoke token…" }
                        a.button href=(action("disable")) { "Turn provisioning off…" }
                    } @else {
                        (post_form(&action("enable"), csrf, "inline", html! {
                            button type="submit" { "Turn provisioning on" }
                        }))
                    }
                }
            }
            section aria-labelledby="templates-heading" {
                h2 #templates-heading { "Policy templates" }
                p { "New users from the identity provider get the default template." }
                (post_form(&tenant_url(id, "/templates/default"), csrf, "inline", html! {
                    label for="default-template" { "Default policy template" }
                    select #default-template name="template" {
                        @for tpl in templates {
                            @let tid = tpl["id"].as_u64().unwrap_or(0);
                            option value=(tid) selected[tid == default] { (tpl["name"].as_str().unwrap_or_default()) }
                        }
                    }
                    button type="submit" { "Set default" }
                }))
                ul #templates {
                    @for tpl in templates {
                        li { (tpl["name"].as_str().unwrap_or_default()) " (id " (tpl["id"].as_u64().unwrap_or(0)) ")" }
                    }
                }
                (post_form(&tenant_url(id, "/templates"), csrf, "inline", html! {
                    label for="template-name" { "New template name" }
                    input #template-name name="name" required;
                    button type="submit" { "Create template" }
                }))
            }
            section aria-labelledby="domains-heading" {
                h2 #domains-heading { "Verified domains" }
                table #domains {
                    caption.sr { "Verified domains" }
                    thead { tr { th scope="col" { "Domain" } th scope="col" { "Mode" } th scope="col" { "Change" } } }
                    tbody {
                        @for d in domains {
                            @let name = d["domain"].as_str().unwrap_or_default();
                            @let mode = d["mode"].as_str().unwrap_or_default();
                            tr {
                                td { (name) }
                                td { (mode_label(mode)) }
                                td {
                                    (post_form(&tenant_url(id, &format!("/domains/{}/mode", seg(name))), csrf, "inline", html! {
                                        label.sr for=(format!("mode-{name}")) { "Mode of " (name) }
                                        select id=(format!("mode-{name}")) name="mode" {
                                            @for (v, l) in MODES { option value=(v) selected[v == mode] { (l) } }
                                        }
                                        button type="submit" { "Set mode" }
                                    }))
                                    (post_form(&tenant_url(id, &format!("/domains/{}/remove", seg(name))), csrf, "inline", html! {
                                        button type="submit" { "Remove " (name) }
                                    }))
                                }
                            }
                        }
                    }
                }
                (post_form(&tenant_url(id, "/domains"), csrf, "inline", html! {
                    label for="domain-name" { "Domain" }
                    input #domain-name name="domain" required placeholder="example.com";
                    label for="domain-mode" { "Mode" }
                    select #domain-mode name="mode" {
                        @for (v, l) in MODES { option value=(v) { (l) } }
                    }
                    button type="submit" { "Add domain" }
                }))
            }
            section aria-labelledby="rules-heading" {
                h2 #rules-heading { "Rule set" }
                details { summary { "The rules that decide each SCIM write (JSON)" }
                    pre { (serde_json::to_string_pretty(&t["rules"]).unwrap_or_default()) } }
            }
        },
    )
}

/// The confirmation page for a provisioning action that cuts the identity provider off.
pub(crate) fn confirm(frame: &Frame<'_>, csrf: &str, tenant: &str, action: &str) -> Markup {
    let (what, consequence) = match action {
        "rotate" => ("Rotate the SCIM token", "The current token stops working at once; the identity provider needs the new one."),
        "revoke" => ("Revoke the SCIM token", "Every SCIM request gets 401 until a new token is issued by rotating."),
        _ => ("Turn provisioning off", "Every SCIM request is refused until provisioning is turned on again, with a new token."),
    };
    layout(
        frame,
        html! {
            h1 { (what) " of " (tenant) "?" }
            p.warning { (consequence) }
            (post_form(&tenant_url(tenant, &format!("/provisioning/{action}")), csrf, "inline", html! {
                button.danger type="submit" { (what) }
            }))
            a.button href=(tenant_url(tenant, "")) { "Cancel" }
        },
    )
}

/// The accounts page: `page` is a `GET /admin/tenants/{t}/accounts` answer, `tenant` the
/// tenant's (for template names).
pub(crate) fn accounts(
    frame: &Frame<'_>,
    csrf: &str,
    tenant: &Value,
    page: &Value,
    q: Option<&str>,
    cursor: Option<&str>,
) -> Markup {
    let id = tenant["id"].as_str().unwrap_or_default();
    let template_name = |tid: u64| {
        tenant["templates"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["id"].as_u64() == Some(tid)))
            .and_then(|t| t["name"].as_str())
            .unwrap_or("?")
    };
    let empty = Vec::new();
    let list = page["accounts"].as_array().unwrap_or(&empty);
    let base = tenant_url(id, "/accounts");
    let query = q
        .map(|q| format!("&q={}", query_value(q)))
        .unwrap_or_default();
    layout(
        frame,
        html! {
            h1 { "Accounts of " (id) }
            form.inline method="get" action=(base) role="search" {
                label for="account-q" { "Search email or registered name" }
                input #account-q type="search" name="q" value=(q.unwrap_or_default());
                button type="submit" { "Search" }
            }
            table #accounts {
                caption.sr { "Accounts" }
                thead { tr {
                    th scope="col" { "Email" } th scope="col" { "Registered name" }
                    th scope="col" { "Name from the IdP" } th scope="col" { "Template" }
                    th scope="col" { "IdP active" } th scope="col" { "Admin suspension" }
                    th scope="col" { "Access" } th scope="col" { "Joined via" } th scope="col" { "Action" }
                } }
                tbody {
                    @for a in list {
                        @let email = a["email"].as_str().unwrap_or_default();
                        @let suspended = a["adminSuspended"].as_bool().unwrap_or(false);
                        @let member = a["membership"] == "active";
                        tr data-email=(email) {
                            td { (email) @if a["managedByScim"].as_bool().unwrap_or(false) { " " span.badge.scim title="Managed by the identity provider through SCIM" { "SCIM-managed" } } }
                            td { (a["registeredName"].as_str().unwrap_or_default()) }
                            td.muted { "not reported by the admin API" }
                            td { (template_name(a["template"].as_u64().unwrap_or(0))) }
                            td.idp-active { @if a["scimActive"].as_bool().unwrap_or(false) { "active" } @else { "inactive" } }
                            td.suspension { @if suspended { span.badge.bad { "suspended" } } @else { span.badge.neutral { "not suspended" } } }
                            td.access { @if a["effectiveAccess"].as_bool().unwrap_or(false) { span.badge.good { "has access" } } @else { span.badge.bad { "no access" } }
                                @if !member { " " span.badge.neutral { "membership ended" } } }
                            td { (a["joinedVia"].as_str().unwrap_or_default()) }
                            td {
                                @if member {
                                    @let verb = if suspended { "unsuspend" } else { "suspend" };
                                    (post_form(&tenant_url(id, &format!("/accounts/{}/{verb}", seg(email))), csrf, "inline", html! {
                                        input type="hidden" name="q" value=(q.unwrap_or_default());
                                        input type="hidden" name="cursor" value=(cursor.unwrap_or_default());
                                        button type="submit" aria-label=(format!("{} {email}", if suspended { "Unsuspend" } else { "Suspend" })) {
                                            @if suspended { "Unsuspend" } @else { "Suspend" }
                                        }
                                    }))
                                }
                            }
                        }
                    }
                }
            }
            @if list.is_empty() { p { "No accounts." } }
            nav.pager aria-label="Pages" {
                @if cursor.is_some() { a href=(format!("{base}?{}", query.trim_start_matches('&'))) { "First page" } }
                @if let Some(next) = page["next"].as_str() {
                    a href=(format!("{base}?cursor={}{query}", query_value(next))) { "Next page" }
                }
            }
            p.muted { "Suspension is local: the identity provider still reads its own “active”. "
                "The name the identity provider last wrote is not in the admin API's account listing yet." }
        },
    )
}
