//! The audit log's bounds and paging, and the camelCase shape of its records.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use scimkit_policy::{
    decide, AdminEvent, AuditBodies, AuditBody, AuditLimits, AuditLog, AuditRecord, JoinedVia,
    Operation, Redactor, RuleSet, TemplateId, Tenant, DEFAULT_AUDIT_BYTES, MAX_AUDIT_PAGE,
};
use serde_json::{json, Value};

fn enabled_tenant() -> Tenant {
    let mut t = Tenant::new("acme", RuleSet::tresorit());
    t.enable_provisioning(entropy(1), now()).unwrap();
    t
}

/// 2,000 rejected PUTs carrying a 900 KB displayName stay within the default byte budget (the
/// old log kept every body whole: 2,000 × 900 KB).
#[test]
fn two_thousand_900_kb_bodies_stay_within_the_byte_budget() {
    let mut t = enabled_tenant();
    let before = json!({"userName": "ada@example.com", "active": true});
    let mut after = before.clone();
    after["userName"] = json!("eve@example.com");
    after["displayName"] = json!("x".repeat(900_000));
    let acc = scimkit_policy::Account::new(
        "ada@example.com",
        "Ada",
        scimkit_policy::TemplateId(1),
        JoinedVia::Scim,
    );
    let op = Operation::replace(&before, &after)
        .with_raw(&after)
        .with_normalized(&after);
    let decision = decide(t.rules(), t.settings(), Some(&acc), &op);
    assert!(decision.is_rejected());
    let bodies = AuditBodies::of(&op, &Redactor::default());
    let Some(AuditBody::Excerpt(e)) = &bodies.raw else {
        panic!("a 900 KB body is excerpted: {:?}", bodies.raw.is_some())
    };
    assert!(e.bytes > 900_000 && e.excerpt.len() <= 4096 && e.sha256.len() == 64);
    let record = AuditRecord::scim(op.kind, Some("ada@example.com"), bodies, &decision);
    for _ in 0..2_000 {
        t.record(record.clone(), now());
    }
    let log = t.audit();
    assert!(log.accounted_bytes() <= DEFAULT_AUDIT_BYTES);
    let real: usize = log
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap().len())
        .sum();
    assert_eq!(
        real,
        log.accounted_bytes(),
        "the accounting is the entries' JSON"
    );
    assert_eq!(
        log.iter().last().unwrap().seq,
        2_001,
        "one admin entry, then 2,000"
    );
}

#[test]
fn the_byte_budget_evicts_the_oldest_first() {
    let mut t = enabled_tenant();
    t.set_audit_limits(AuditLimits::default().with_max_bytes(4_000));
    for i in 0..100 {
        t.create_template(&format!("template {i}"), now()).unwrap();
    }
    let log = t.audit();
    assert!(log.accounted_bytes() <= 4_000);
    assert!(log.len() < 100);
    assert_eq!(log.iter().last().unwrap().seq, 101);
    let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (102 - seqs.len() as u64..102).collect::<Vec<_>>());
}

/// A full log hands back the entries it drops, oldest first, and keeps its bounds and
/// accounting exactly as `push` does.
#[test]
fn a_full_log_hands_back_what_it_drops() {
    let limits = AuditLimits::default().with_max_entries(3);
    let mut handing = AuditLog::new(limits);
    let mut pushing = AuditLog::new(limits);
    let record = |i: usize| AuditRecord::Admin {
        event: AdminEvent::TemplateCreated {
            template: TemplateId(u64::try_from(i).unwrap()),
            name: format!("t{i}"),
        },
    };
    let mut evicted = Vec::new();
    for i in 0..5 {
        handing.push_handing_back(record(i), now(), &mut evicted);
        pushing.push(record(i), now());
    }
    let seqs = |log: &AuditLog| log.iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(seqs(&handing), [3, 4, 5]);
    assert_eq!(seqs(&handing), seqs(&pushing));
    assert_eq!(handing.accounted_bytes(), pushing.accounted_bytes());
    assert_eq!(evicted.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(evicted[0].record, record(0));
}

#[test]
fn pages_walk_every_entry_exactly_once() {
    let mut t = enabled_tenant();
    for i in 0..250 {
        t.create_template(&format!("t{i}"), now()).unwrap();
    }
    let all: Vec<u64> = t.audit_log().map(|e| e.seq).collect();
    for limit in [1, 7, 100, 251, MAX_AUDIT_PAGE] {
        let (mut seen, mut since) = (Vec::new(), 0);
        loop {
            let page = t.audit_page(since, limit);
            assert!(page.entries.len() <= limit);
            seen.extend(page.entries.iter().map(|e| e.seq));
            match page.next {
                Some(next) => since = next,
                None => break,
            }
        }
        assert_eq!(seen, all, "limit {limit}");
    }
    assert!(t.audit_page(10_000, 10).entries.is_empty());
    assert_eq!(
        t.audit_page(0, 5_000).entries.len(),
        MAX_AUDIT_PAGE.min(all.len())
    );
}

#[test]
fn records_use_camel_case_keys() {
    let mut t = enabled_tenant();
    let mut acc = t.add_account("ada@example.com", "Ada", JoinedVia::Invite, now());
    t.suspend(&mut acc, now()).unwrap();
    t.suspend(&mut acc, now()).unwrap();
    let created = json!({"userName": "bob@example.com", "name": {"givenName": "Bob"}});
    let op = Operation::create(&created);
    let d = decide(t.rules(), t.settings(), None, &op);
    t.record(AuditRecord::from_decision(&op, None, &d), now());
    let changed = json!({"userName": "eve@example.com"});
    let bob = d.into_result().unwrap().account;
    let op = Operation::replace(&created, &changed);
    let d = decide(t.rules(), t.settings(), Some(&bob), &op);
    t.record(AuditRecord::from_decision(&op, None, &d), now());

    let text = serde_json::to_string(&t.audit_log().collect::<Vec<_>>()).unwrap();
    for snake in ["scim_type", "joined_via", "registered_name"] {
        assert!(!text.contains(snake), "{snake} in {text}");
    }
    for camel in [
        "\"scimType\"",
        "\"joinedVia\"",
        "\"registeredName\"",
        "accountAdded",
    ] {
        assert!(text.contains(camel), "{camel} missing from {text}");
    }
    let suspensions = t
        .audit_log()
        .filter(|e| serde_json::to_value(&e.record).unwrap()["event"]["event"] == "userSuspended")
        .count();
    assert_eq!(
        suspensions, 1,
        "a repeated suspend changes nothing and is not audited"
    );
    let _: Value = serde_json::from_str(&text).unwrap();
}

/// A normalised body equal to the raw one shares its record (one redaction, one
/// serialisation) and still reads back whole and redacted; a different one is kept apart.
#[test]
fn equal_raw_and_normalized_bodies_read_back_the_same() {
    let body = json!({"userName": "ada@example.com", "password": "hunter2"});
    let other = json!({"userName": "ada@example.com"});
    let redactor = Redactor::default();
    let same = AuditBodies::of(
        &Operation::create(&body)
            .with_raw(&body)
            .with_normalized(&body),
        &redactor,
    );
    let (raw, normalized) = (
        same.raw.unwrap().to_value(),
        same.normalized.unwrap().to_value(),
    );
    assert_eq!(raw, normalized);
    assert_eq!(raw["userName"], "ada@example.com");
    assert!(!raw.to_string().contains("hunter2"));
    let apart = AuditBodies::of(
        &Operation::create(&other)
            .with_raw(&body)
            .with_normalized(&other),
        &redactor,
    );
    assert_eq!(apart.normalized.unwrap().to_value(), other);
    assert!(!apart
        .raw
        .unwrap()
        .to_value()
        .to_string()
        .contains("hunter2"));
}
