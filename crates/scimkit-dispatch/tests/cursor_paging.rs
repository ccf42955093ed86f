//! RFC 9865 cursor paging through the dispatcher: the ServiceProviderConfig `pagination`
//! object, every pagination error, cursors bound to their tenant, type, filter and sort,
//! expiry, key rotation, and the page shape (`nextCursor`, optional `totalResults`).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use http::StatusCode;
use scimkit_dispatch::{Config, CursorKey, MAX_CURSOR_CHARS};
use serde_json::{json, Value};
use std::time::Duration;

fn key(seed: u8) -> CursorKey {
    CursorKey::new([seed; 32]).unwrap()
}

fn with_cursors() -> Config {
    Config::default().with_cursor_keys([key(1)])
}

fn populated(
    config: Config,
    n: usize,
) -> scimkit_dispatch::Dispatcher<scimkit_dispatch::MemoryStore, scimkit_dispatch::BearerTokens> {
    let d = dispatcher(config);
    for i in 0..n {
        let r = call(&d, "POST", "/Users", Some(user(&format!("u{i:03}"))), &[]);
        assert_eq!(r.status, StatusCode::CREATED);
    }
    d
}

fn scim_type(r: &Resp) -> &str {
    r.body["scimType"].as_str().unwrap_or("")
}

fn next(r: &Resp) -> String {
    r.body["nextCursor"].as_str().unwrap().to_string()
}

#[test]
fn service_provider_config_advertises_pagination() {
    let d = dispatcher(
        with_cursors()
            .with_max_results(150)
            .with_default_page_size(50)
            .with_cursor_timeout(Duration::from_secs(900)),
    );
    let r = call(&d, "GET", "/ServiceProviderConfig", None, &[]);
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["pagination"],
        json!({"cursor": true, "index": true, "defaultPaginationMethod": "index",
               "defaultPageSize": 50, "maxPageSize": 150, "cursorTimeout": 900})
    );
    let plain = call(
        &default_dispatcher(),
        "GET",
        "/ServiceProviderConfig",
        None,
        &[],
    );
    assert_eq!(
        plain.body["pagination"],
        json!({"cursor": false, "index": true, "defaultPaginationMethod": "index",
               "defaultPageSize": 200, "maxPageSize": 200})
    );
}

#[test]
fn index_paging_stays_the_default_and_uses_the_default_page_size() {
    let d = populated(with_cursors().with_default_page_size(4), 10);
    let r = call(&d, "GET", "/Users", None, &[]);
    assert_eq!(r.body["itemsPerPage"], 4);
    assert_eq!(r.body["startIndex"], 1);
    assert_eq!(r.body["totalResults"], 10);
    assert!(r.body.get("nextCursor").is_none());
}

#[test]
fn a_cursor_walk_pages_to_the_end() {
    let d = populated(with_cursors(), 10);
    let first = call(&d, "GET", "/Users?cursor&count=4", None, &[]);
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["totalResults"], 10);
    assert_eq!(first.body["itemsPerPage"], 4);
    assert!(first.body.get("startIndex").is_none());
    assert!(first.body.get("previousCursor").is_none());
    let mut ids: Vec<Value> = first.body["Resources"].as_array().unwrap().clone();
    let mut cursor = next(&first);
    assert!(cursor
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    loop {
        let r = call(
            &d,
            "GET",
            &format!("/Users?count=4&cursor={cursor}"),
            None,
            &[],
        );
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        ids.extend(r.body["Resources"].as_array().unwrap().iter().cloned());
        match r.body["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(ids.len(), 10);
    // Exactly 8 = 2 full pages: the second page's cursor exists, the third page has 2 and none.
    let d = populated(with_cursors(), 8);
    let p1 = call(&d, "GET", "/Users?cursor=&count=4", None, &[]);
    let p2 = call(
        &d,
        "GET",
        &format!("/Users?count=4&cursor={}", next(&p1)),
        None,
        &[],
    );
    assert_eq!(p2.body["itemsPerPage"], 4);
    assert!(
        p2.body.get("nextCursor").is_none(),
        "the last page has no nextCursor"
    );
}

#[test]
fn post_search_takes_cursor_and_count() {
    let d = populated(with_cursors(), 5);
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                      "filter": "userName sw \"u\"", "sortBy": "userName",
                      "cursor": "", "count": 3});
    let r = call(&d, "POST", "/Users/.search", Some(body.clone()), &[]);
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["Resources"][0]["userName"], "u000");
    let mut again = body.clone();
    again["cursor"] = json!(next(&r));
    let r = call(&d, "POST", "/Users/.search", Some(again), &[]);
    let names: Vec<_> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["u003", "u004"]);
    assert!(r.body.get("nextCursor").is_none());
    let mut bad = body;
    bad["cursor"] = json!(7);
    let r = call(&d, "POST", "/Users/.search", Some(bad), &[]);
    assert_eq!(scim_type(&r), "invalidCursor");
}

#[test]
fn count_zero_serves_only_the_total_and_keeps_the_position() {
    let d = populated(with_cursors(), 3);
    let r = call(&d, "GET", "/Users?cursor&count=0", None, &[]);
    assert_eq!(r.body["totalResults"], 3);
    assert_eq!(r.body["Resources"], json!([]));
    let r = call(
        &d,
        "GET",
        &format!("/Users?count=2&cursor={}", next(&r)),
        None,
        &[],
    );
    assert_eq!(r.body["itemsPerPage"], 2);
    // Negative counts are 0 (RFC 9865 §2).
    let r = call(&d, "GET", "/Users?cursor&count=-5", None, &[]);
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["itemsPerPage"], 0);
}

#[test]
fn total_results_can_be_left_out_of_cursor_pages() {
    let d = populated(with_cursors().with_cursor_total_results(false), 3);
    let r = call(&d, "GET", "/Users?cursor&count=2", None, &[]);
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("totalResults").is_none(), "{}", r.body);
    assert!(r.body["nextCursor"].is_string());
    // Index pages keep it.
    let r = call(&d, "GET", "/Users?count=2", None, &[]);
    assert_eq!(r.body["totalResults"], 3);
}

#[test]
fn pagination_errors_are_scim_errors() {
    let d = populated(with_cursors().with_max_results(50), 3);
    let r = call(&d, "GET", "/Users?cursor&count=51", None, &[]);
    assert_eq!(
        (r.status, scim_type(&r)),
        (StatusCode::BAD_REQUEST, "invalidCount")
    );
    let r = call(&d, "GET", "/Users?cursor&count=ten", None, &[]);
    assert_eq!(
        (r.status, scim_type(&r)),
        (StatusCode::BAD_REQUEST, "invalidCount")
    );
    // Without a cursor, an oversized count is capped as RFC 7644 says.
    let r = call(&d, "GET", "/Users?count=51", None, &[]);
    assert_eq!(r.status, StatusCode::OK);
    let r = call(&d, "GET", "/Users?cursor=&startIndex=1", None, &[]);
    assert_eq!(
        (r.status, scim_type(&r)),
        (StatusCode::BAD_REQUEST, "invalidValue")
    );
    let r = call(&d, "POST", "/.search", Some(json!({"cursor": ""})), &[]);
    assert_eq!(
        (r.status, scim_type(&r)),
        (StatusCode::BAD_REQUEST, "invalidValue")
    );
    for garbage in [
        "x".to_string(),
        "not%20base64%21".to_string(),
        "AAAA".to_string(),
        "%00%ff".to_string(),
        "A".repeat(MAX_CURSOR_CHARS + 1),
        "A".repeat(60_000),
    ] {
        let r = call(&d, "GET", &format!("/Users?cursor={garbage}"), None, &[]);
        assert_eq!(
            (r.status, scim_type(&r)),
            (StatusCode::BAD_REQUEST, "invalidCursor"),
            "{garbage:.20}"
        );
    }
    let huge = json!({"cursor": "A".repeat(900_000)});
    let r = call(&d, "POST", "/Users/.search", Some(huge), &[]);
    assert_eq!(
        (r.status, scim_type(&r)),
        (StatusCode::BAD_REQUEST, "invalidCursor")
    );
    let r = call(&default_dispatcher(), "GET", "/Users?cursor", None, &[]);
    assert_eq!(r.status, StatusCode::NOT_IMPLEMENTED);
}

#[test]
fn a_cursor_is_bound_to_its_tenant_type_filter_and_sort() {
    let d = populated(with_cursors(), 4);
    for i in 0..4 {
        let r = call(
            &d,
            "POST",
            "/Users",
            Some(user(&format!("b{i}"))),
            &[("Authorization", &format!("Bearer {TOKEN_B}"))],
        );
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let q = "filter=userName%20pr&sortBy=userName";
    let c = next(&call(
        &d,
        "GET",
        &format!("/Users?{q}&cursor&count=1"),
        None,
        &[],
    ));
    let ok = call(
        &d,
        "GET",
        &format!("/Users?{q}&cursor={c}&count=1"),
        None,
        &[],
    );
    assert_eq!(ok.status, StatusCode::OK);
    let other_tenant = call(
        &d,
        "GET",
        &format!("/Users?{q}&cursor={c}&count=1"),
        None,
        &[("Authorization", &format!("Bearer {TOKEN_B}"))],
    );
    let other_filter = call(
        &d,
        "GET",
        &format!("/Users?filter=userName%20sw%20%22u%22&sortBy=userName&cursor={c}"),
        None,
        &[],
    );
    let other_sort = call(
        &d,
        "GET",
        &format!("/Users?filter=userName%20pr&sortBy=userName&sortOrder=descending&cursor={c}"),
        None,
        &[],
    );
    let no_sort = call(
        &d,
        "GET",
        &format!("/Users?filter=userName%20pr&cursor={c}"),
        None,
        &[],
    );
    let other_type = call(&d, "GET", &format!("/Groups?{q}&cursor={c}"), None, &[]);
    let other_key = call(
        &populated(Config::default().with_cursor_keys([key(2)]), 1),
        "GET",
        &format!("/Users?{q}&cursor={c}"),
        None,
        &[],
    );
    for r in [
        other_tenant,
        other_filter,
        other_sort,
        no_sort,
        other_type,
        other_key,
    ] {
        assert_eq!(
            (r.status, scim_type(&r)),
            (StatusCode::BAD_REQUEST, "invalidCursor"),
            "{}",
            r.body
        );
        assert!(!r.body["detail"].as_str().unwrap().contains(&c));
    }
}

#[test]
fn an_old_cursor_expires() {
    let d = populated(
        with_cursors().with_cursor_timeout(Duration::from_millis(1)),
        3,
    );
    let c = next(&call(&d, "GET", "/Users?cursor&count=1", None, &[]));
    std::thread::sleep(Duration::from_millis(20));
    let r = call(&d, "GET", &format!("/Users?count=1&cursor={c}"), None, &[]);
    assert_eq!(
        (r.status, scim_type(&r)),
        (StatusCode::BAD_REQUEST, "expiredCursor")
    );
}

#[test]
fn the_previous_key_is_accepted_while_rotating() {
    let store = scimkit_dispatch::MemoryStore::new();
    let build = |keys: Vec<CursorKey>| {
        scimkit_dispatch::Dispatcher::builder(store.clone(), tokens())
            .config(Config::default().with_cursor_keys(keys))
            .build()
    };
    let old = build(vec![key(1)]);
    for i in 0..3 {
        call(&old, "POST", "/Users", Some(user(&format!("r{i}"))), &[]);
    }
    let c = next(&call(&old, "GET", "/Users?cursor&count=1", None, &[]));
    let rotating = build(vec![key(2), key(1)]);
    let r = call(
        &rotating,
        "GET",
        &format!("/Users?count=1&cursor={c}"),
        None,
        &[],
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let fresh = next(&r);
    let rotated = build(vec![key(2)]);
    let r = call(
        &rotated,
        "GET",
        &format!("/Users?count=1&cursor={fresh}"),
        None,
        &[],
    );
    assert_eq!(r.status, StatusCode::OK, "the new key signs");
    let r = call(
        &rotated,
        "GET",
        &format!("/Users?count=1&cursor={c}"),
        None,
        &[],
    );
    assert_eq!(
        scim_type(&r),
        "invalidCursor",
        "the retired key no longer opens"
    );
}

#[test]
fn keys_never_reach_debug_output() {
    let config = Config::default().with_cursor_keys([CursorKey::new("k3y-".repeat(8)).unwrap()]);
    assert!(!format!("{config:?}").contains("k3y-"));
}
