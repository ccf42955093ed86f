//! The audit log page: entries newest first, each SCIM write with its result, the outcome per
//! attribute (colour and text, with the rule that decided) and the raw and normalised bodies
//! side by side (redacted by the audit log itself); admin events; live updates by polling.

use super::views::{layout, tenant_url, Frame};
use maud::{html, Markup};
use serde_json::Value;

/// Entries per audit page.
pub(crate) const AUDIT_PAGE: u64 = 25;

/// The audit page. `entries` newest first; `first` and `last` the oldest and newest kept
/// sequence numbers; `live` when the page shows the newest entries (and polls for more).
pub(crate) fn page(
    frame: &Frame<'_>,
    tenant: &str,
    entries: &[Value],
    first: u64,
    live: bool,
) -> Markup {
    let newest = entries.first().and_then(|e| e["seq"].as_u64()).unwrap_or(0);
    let oldest_shown = entries.last().and_then(|e| e["seq"].as_u64());
    let base = tenant_url(tenant, "/audit");
    layout(
        frame,
        html! {
            h1 { "Audit log of " (tenant) }
            @if live {
                p.muted #live-status role="status" aria-live="polite" data-live=(format!("{base}/live")) data-after=(newest) {
                    "Newest first. New entries appear here as they happen (with JavaScript)."
                }
            } @else {
                p { a href=(base) { "Back to the newest entries" } }
            }
            ol #audit reversed {
                @for e in entries { (entry(e)) }
            }
            @if entries.is_empty() { p { "No entries." } }
            nav.pager aria-label="Pages" {
                @if let Some(o) = oldest_shown.filter(|o| *o > first) {
                    a href=(format!("{base}?before={o}")) { "Older entries" }
                }
            }
        },
    )
}

/// New entries for the live view (newest first), as list items.
pub(crate) fn fragment(entries: &[Value]) -> Markup {
    html! { @for e in entries { (entry(e)) } }
}

/// One entry.
pub(crate) fn entry(e: &Value) -> Markup {
    let seq = e["seq"].as_u64().unwrap_or(0);
    let at = e["at"].as_str().unwrap_or_default();
    let r = &e["record"];
    html! {
        li.entry data-seq=(seq) {
            @if r["actor"] == "scim" { (scim(seq, at, r)) } @else { (admin(seq, at, r)) }
        }
    }
}

fn scim(seq: u64, at: &str, r: &Value) -> Markup {
    let result = &r["result"];
    let verdict = result["result"].as_str().unwrap_or("unknown");
    let empty = Vec::new();
    html! {
        article.scim aria-label=(format!("Entry {seq}")) {
            h2.entry-head {
                span.seq { "#" (seq) } " "
                span.actor { "SCIM " (r["kind"].as_str().unwrap_or("?")) } " "
                span.subject { (r["subject"].as_str().unwrap_or("(no subject)")) } " "
                span class=(format!("result result-{verdict}")) { (verdict) }
                @if verdict == "rejected" {
                    " " span.detail { (result["status"].as_u64().unwrap_or(0))
                        @if let Some(t) = result["scimType"].as_str() { " " (t) }
                        ": " (result["detail"].as_str().unwrap_or_default()) }
                }
                " " time datetime=(at) { (at) }
            }
            @let attributes = r["attributes"].as_array().unwrap_or(&empty);
            @if !attributes.is_empty() {
                table.outcomes {
                    caption.sr { "Outcome per attribute" }
                    thead { tr { th scope="col" { "Attribute" } th scope="col" { "Outcome" } th scope="col" { "Rule" } } }
                    tbody {
                        @for a in attributes {
                            @let outcome = a["outcome"].as_str().unwrap_or("?");
                            tr data-path=(a["path"].as_str().unwrap_or_default()) {
                                td { code { (a["path"].as_str().unwrap_or_default()) } }
                                td { span class=(format!("outcome outcome-{outcome}")) { (outcome) } }
                                td { (a["reason"].as_str().map_or_else(|| a["reason"].to_string(), str::to_owned)) }
                            }
                        }
                    }
                }
                @if let Some(n) = r["omittedAttributes"].as_u64() { p.muted { (n) " more attributes not recorded" } }
            }
            @if r["raw"].is_object() || r["normalized"].is_object() {
                div.bodies {
                    div { h3 { "Request as received" } (body(&r["raw"])) }
                    div { h3 { "Normalised" } (body(&r["normalized"])) }
                }
            }
            @for (what, list) in [("Effects", &r["effects"]), ("Warnings", &r["warnings"])] {
                @if let Some(items) = list.as_array().filter(|l| !l.is_empty()) {
                    h3 { (what) }
                    ul { @for i in items { li { code { (i) } } } }
                }
            }
        }
    }
}

fn body(b: &Value) -> Markup {
    let excerpt = b["excerpt"].as_str().filter(|_| b["sha256"].is_string());
    html! {
        @if let Some(text) = excerpt {
            p.muted { (b["bytes"].as_u64().unwrap_or(0)) " bytes, SHA-256 " code { (b["sha256"].as_str().unwrap_or_default()) } "; the first 4 KiB:" }
            pre { (text) }
        } @else if b.is_null() {
            p.muted { "none" }
        } @else {
            pre { (serde_json::to_string_pretty(b).unwrap_or_default()) }
        }
    }
}

fn admin(seq: u64, at: &str, r: &Value) -> Markup {
    let event = &r["event"];
    let name = event["event"].as_str().unwrap_or("?");
    html! {
        article.admin aria-label=(format!("Entry {seq}")) {
            h2.entry-head {
                span.seq { "#" (seq) } " "
                span.actor { "Admin" } " "
                span.event { (name) } " "
                time datetime=(at) { (at) }
            }
            @if let Some(fields) = event.as_object().filter(|o| o.len() > 1) {
                dl.fields {
                    @for (k, v) in fields.iter().filter(|(k, _)| *k != "event") {
                        dt { (k) } dd { (v.as_str().map_or_else(|| v.to_string(), str::to_owned)) }
                    }
                }
            }
        }
    }
}
