//! The rule set docs/policy.md builds for a product other than Tresorit, exercised.
#![allow(clippy::unwrap_used)] // test helpers may unwrap, like the tests

mod common;

use common::*;
use scimkit_policy::{
    DisabledStatus, Effect, IdentifierSource, OnExistingAccount, Operation, Outcome, RuleSet,
};
use serde_json::json;

/// "Acme Notes": users are keyed by their work email, which follows the directory; names follow
/// the directory too; the employee number is set once; job titles are not kept; accounts made
/// outside SCIM must be merged by a person, not silently adopted.
fn acme_notes() -> RuleSet {
    RuleSet::tresorit()
        .with_identifier(IdentifierSource::WorkEmail)
        .with_identifier_changes(Outcome::Apply)
        .with_name_changes(Outcome::Apply)
        .with_attribute(format!("{ENTERPRISE}:employeeNumber"), Outcome::Reject)
        .with_attribute("title", Outcome::Ignore)
        .with_existing_account(OnExistingAccount::Conflict)
        .with_when_disabled(DisabledStatus::Unauthorized)
}

#[test]
fn acme_notes_rule_set_behaves_as_documented() {
    let mut t = tenant_with(acme_notes());
    let body = entra_create("ryan@contoso.com", "Ryan", "Smith");
    let created = t
        .decide(None, &Operation::create(&body), now())
        .into_result()
        .unwrap();
    let before = stored(created.resource.unwrap(), "u1");
    let acc = created.account;

    // The work email moves: the account follows.
    let patch = patch_op(json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ryan.smith@contoso.com"},
        {"op": "Replace", "path": "name.givenName", "value": "Bryan"},
        {"op": "Replace", "path": "name.formatted", "value": "Bryan Smith"},
        {"op": "Add", "path": "title", "value": "CFO"}
    ]));
    let after = apply_patch(&before, &patch);
    let d = t.decide(Some(&acc), &Operation::patch(&before, &after), now());
    assert_eq!(d.outcome_of("emails"), Some(Outcome::Apply));
    assert_eq!(d.outcome_of("title"), Some(Outcome::Ignore));
    let a = d.into_result().unwrap();
    assert!(a.effects.contains(&Effect::SetEmail {
        email: "ryan.smith@contoso.com".into()
    }));
    assert_eq!(a.account.email, "ryan.smith@contoso.com");
    assert_eq!(a.account.registered_name, "Bryan Smith");
    assert!(a.resource.as_ref().unwrap().get("title").is_none());

    // The employee number is set once.
    let patch = patch_op(json!([
        {"op": "Replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "9"}
    ]));
    let after = apply_patch(&before, &patch);
    let err = t
        .decide(Some(&acc), &Operation::patch(&before, &after), now())
        .into_result()
        .unwrap_err();
    assert_eq!(err.status(), 400);

    // Disabled: 401.
    t.disable_provisioning(now());
    let err = t
        .decide(Some(&acc), &Operation::delete(&before), now())
        .into_result()
        .unwrap_err();
    assert_eq!(err.status(), 401);
}
