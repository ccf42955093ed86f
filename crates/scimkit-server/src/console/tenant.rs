//! The tenant page (provisioning and its token, templates, verified domains with the auto-add
//! banner) and the confirmation page of the actions that cut the identity provider off.

use super::api::seg;
use super::session::IssuedToken;
use super::views::{idp_label, layout, on_off, post_form, tenant_url, Frame};
use maud::{html, Markup};
use serde_json::Value;

/// The seed's Admin Center note about automatic adding, word for word.
pub(crate) const AUTO_ADD_WARNING: &str = "Using the Add to subscription automatically option \
    for a verified domain can result in users being added to your subscription outside SCIM \
    provisioning. If you set up provisioning, we recommend setting either Invite only \
    registration or Do not add to subscription for your verified domain.";

/// The verified domain modes, wire name and the seed's label.
pub(crate) const MODES: [(&str, &str); 3] = [
    ("addAutomatically", "Add to subscription automatically"),
    ("inviteOnly", "Invite only registration"),
    ("doNotAdd", "Do not add to subscription"),
];

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
