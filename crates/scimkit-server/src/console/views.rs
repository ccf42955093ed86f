//! The console's frame and small pages as maud templates (the tenant, accounts and audit pages
//! have their own files): every value is escaped by maud (nothing in the console is
//! `PreEscaped`); the admin API's JSON is read field by field.

use super::api::seg;
use super::session::Flash;
use super::CONSOLE_PATH;
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

/// The identity provider profiles, wire name and label.
pub(crate) const IDPS: [(&str, &str); 4] = [
    ("generic", "Generic (detect Okta or Entra ID per request)"),
    ("entraId", "Microsoft Entra ID"),
    ("okta", "Okta"),
    ("strict", "Strict RFC 7644"),
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
                label for="tenant-rules" { "Rule set" }
                select #tenant-rules name="rules" aria-describedby="tenant-rules-help" {
                    option value="tresorit" { "The product's rules (tresorit)" }
                    option value="plain" { "Plain SCIM, no product rules" }
                }
                small #tenant-rules-help {
                    "The product's rules: the email is the identifier, IdP name changes leave "
                    "the registered name, new users get the Default policy template."
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

pub(crate) fn idp_label(wire: &str) -> &str {
    IDPS.iter()
        .find(|(v, _)| *v == wire)
        .map_or(wire, |(_, l)| l)
}
