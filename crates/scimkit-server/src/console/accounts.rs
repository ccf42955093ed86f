//! The accounts page: a page of the admin API's account listing, search, suspension.

use super::api::{query_value, seg};
use super::views::{layout, post_form, tenant_url, Frame};
use maud::{html, Markup};
use serde_json::Value;

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
                            td.idp-name { @match a["idpName"].as_str() { Some(n) => (n), None => span.muted { "—" } } }
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
                "A name change from the identity provider shows under “Name from the IdP”; "
                "the registered name stays as it was." }
        },
    )
}
