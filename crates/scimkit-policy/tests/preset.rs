//! The Tresorit preset, rule by rule, with the request shapes Entra ID and Okta send.
#![allow(clippy::unwrap_used)] // test helpers may unwrap, like the tests

mod common;

use common::*;
use scimkit_policy::{
    scim_view, Account, AuditBody, AuditRecord, AuditResult, DisabledStatus, Effect,
    IdentifierSource, JoinedVia, Membership, OnExistingAccount, Operation, Outcome, Reason,
    RuleSet, TemplateId, Tenant, WarningCode, IDENTIFIER_IMMUTABLE,
};
use serde_json::{json, Value};

/// Runs a create through the tenant and returns the stored resource and account.
fn create(t: &mut Tenant, body: &Value, existing: Option<&Account>) -> (Value, Account) {
    let d = t.decide(existing, &Operation::create(body).with_raw(body), now());
    let a = d.into_result().expect("create accepted");
    (stored(a.resource.unwrap(), "u1"), a.account)
}

fn entra_ryan(t: &mut Tenant) -> (Value, Account) {
    create(t, &entra_create("ryan@contoso.com", "Ryan", "Smith"), None)
}

fn okta_test_user(t: &mut Tenant) -> (Value, Account) {
    create(
        t,
        &okta_create("test.user@okta.local", "Test", "User"),
        None,
    )
}

// ----- create: default template at that moment; IdP name becomes registered name -----

#[test]
fn entra_create_assigns_default_template_and_registers_name() {
    let mut t = tenant();
    let (res, acc) = entra_ryan(&mut t);
    assert_eq!(acc.template, TemplateId(1));
    assert_eq!(acc.registered_name, "Ryan Smith");
    assert_eq!(acc.email, "ryan@contoso.com");
    assert_eq!(acc.joined_via, JoinedVia::Scim);
    assert!(acc.managed_by_scim && acc.scim_active && !acc.admin_suspended);
    assert_eq!(res["userName"], "ryan@contoso.com");
}

#[test]
fn okta_create_registers_display_name_and_ignores_password() {
    let mut t = tenant();
    let body = okta_create("test.user@okta.local", "Test", "User");
    let d = t.decide(None, &Operation::create(&body).with_raw(&body), now());
    assert_eq!(d.outcome_of("password"), Some(Outcome::Ignore));
    assert_eq!(d.outcome_of("displayName"), Some(Outcome::Apply));
    let a = d.into_result().unwrap();
    assert!(a.rewritten);
    assert!(a.resource.as_ref().unwrap().get("password").is_none());
    assert_eq!(a.account.registered_name, "Test User");
    assert_eq!(
        a.effects[..2],
        [
            Effect::CreateAccount {
                email: "test.user@okta.local".into(),
                registered_name: "Test User".into()
            },
            Effect::AssignTemplate {
                template: TemplateId(1)
            }
        ]
    );
    // The audit log never holds the password.
    let entry = t.audit_log().last().unwrap();
    assert!(!serde_json::to_string(entry).unwrap().contains("1mz050nq"));
}

#[test]
fn changing_the_default_template_later_does_not_move_existing_users() {
    let mut t = tenant();
    let (ryan_res, ryan) = entra_ryan(&mut t);
    let contractors = t.create_template("Contractors", now()).unwrap();
    t.set_default_template(contractors, now()).unwrap();
    let (_, ann) = create(&mut t, &entra_create("ann@contoso.com", "Ann", "Lee"), None);
    assert_eq!(ann.template, contractors);
    assert_eq!(ryan.template, TemplateId(1));
    // A later update of Ryan keeps his template.
    let patch = patch_op(json!([{"op": "Replace", "path": "name.givenName", "value": "Rye"}]));
    let after = apply_patch(&ryan_res, &patch);
    let d = t.decide(Some(&ryan), &Operation::patch(&ryan_res, &after), now());
    assert_eq!(d.into_result().unwrap().account.template, TemplateId(1));
}

// ----- names: shadowed (IdP reads back what it sent), registered name kept -----

#[test]
fn entra_patch_replace_given_name_is_shadowed() {
    let mut t = tenant();
    let (before, acc) = entra_ryan(&mut t);
    let patch = patch_op(json!([
        {"op": "Replace", "path": "name.givenName", "value": "Bryan"},
        {"op": "Replace", "path": "name.formatted", "value": "Bryan Smith"}
    ]));
    let after = apply_patch(&before, &patch);
    let d = t.decide(
        Some(&acc),
        &Operation::patch(&before, &after).with_raw(&patch),
        now(),
    );
    assert_eq!(d.outcome_of("name.givenName"), Some(Outcome::Shadow));
    assert_eq!(d.outcome_of("name.formatted"), Some(Outcome::Shadow));
    let a = d.into_result().unwrap();
    assert!(!a.rewritten);
    assert_eq!(a.resource.as_ref().unwrap()["name"]["givenName"], "Bryan");
    assert_eq!(a.account, acc, "the account is untouched");
    assert!(a.effects.is_empty());
}

#[test]
fn okta_put_with_changed_given_name_reads_back_as_sent() {
    let mut t = tenant();
    let (before, acc) = okta_test_user(&mut t);
    // Okta's CRUD test: full-object PUT, then GET expects the new givenName.
    let mut put = before.clone();
    put["name"]["givenName"] = json!("Changed");
    put["displayName"] = json!("Changed User");
    let d = t.decide(Some(&acc), &Operation::replace(&before, &put), now());
    assert_eq!(d.outcome_of("name.givenName"), Some(Outcome::Shadow));
    assert_eq!(d.outcome_of("displayName"), Some(Outcome::Shadow));
    let a = d.into_result().unwrap();
    let read = scim_view(a.resource.as_ref().unwrap(), &a.account);
    assert_eq!(read["name"]["givenName"], "Changed");
    assert_eq!(a.account.registered_name, "Test User");
}

#[test]
fn nick_name_added_by_patch_is_shadowed() {
    let mut t = tenant();
    let (before, acc) = entra_ryan(&mut t);
    let patch = patch_op(json!([{"op": "Add", "path": "nickName", "value": "Ry"}]));
    let after = apply_patch(&before, &patch);
    let d = t.decide(Some(&acc), &Operation::patch(&before, &after), now());
    assert_eq!(d.attributes.len(), 1);
    assert_eq!(d.attributes[0].reason, Reason::Name);
    assert_eq!(d.outcome_of("nickName"), Some(Outcome::Shadow));
    assert_eq!(
        d.into_result().unwrap().account.registered_name,
        "Ryan Smith"
    );
}

#[test]
fn apply_names_setting_changes_the_registered_name() {
    let mut t = tenant_with(RuleSet::tresorit().with_name_changes(Outcome::Apply));
    let (before, acc) = okta_test_user(&mut t);
    let mut put = before.clone();
    put["displayName"] = json!("Tess User");
    let d = t.decide(Some(&acc), &Operation::replace(&before, &put), now());
    assert_eq!(d.outcome_of("displayName"), Some(Outcome::Apply));
    let a = d.into_result().unwrap();
    assert_eq!(a.account.registered_name, "Tess User");
    assert_eq!(
        a.effects,
        [Effect::SetRegisteredName {
            name: "Tess User".into()
        }]
    );
}

// ----- identifier email: immutable from the IdP; letter case is a no-op -----

#[test]
fn entra_patch_user_name_to_other_address_is_rejected_mutability() {
    let mut t = tenant();
    let (before, acc) = entra_ryan(&mut t);
    let patch = patch_op(json!([
        {"op": "Replace", "path": "userName", "value": "ryan.smith@contoso.com"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ryan.smith@contoso.com"}
    ]));
    let after = apply_patch(&before, &patch);
    let d = t.decide(Some(&acc), &Operation::patch(&before, &after), now());
    let err = d.error().expect("rejected");
    assert_eq!(err.status(), 400);
    assert_eq!(err.scim_type(), Some(scimkit_schema::ScimType::Mutability));
    assert!(err.detail().contains(IDENTIFIER_IMMUTABLE));
    assert!(err.detail().contains("identifier"));
    assert!(d.applied().is_none(), "nothing to store");
    match &t.audit_log().last().unwrap().record {
        AuditRecord::Scim {
            result, effects, ..
        } => {
            assert!(matches!(result, AuditResult::Rejected { status: 400, .. }));
            assert!(effects.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn okta_put_with_other_user_name_is_rejected_mutability() {
    let mut t = tenant();
    let (before, acc) = okta_test_user(&mut t);
    let mut put = before.clone();
    put["userName"] = json!("tester@okta.local");
    let d = t.decide(Some(&acc), &Operation::replace(&before, &put), now());
    let err = d.error().unwrap();
    assert_eq!(
        (err.status(), err.scim_type()),
        (400, Some(scimkit_schema::ScimType::Mutability))
    );
    assert!(err
        .detail()
        .contains("cannot be changed from the identity provider"));
}

#[test]
fn user_name_in_other_letter_case_is_a_noop_for_entra_and_okta() {
    let mut t = tenant();
    let (before, acc) = entra_ryan(&mut t);
    let patch =
        patch_op(json!([{"op": "Replace", "path": "userName", "value": "Ryan@Contoso.COM"}]));
    let after = apply_patch(&before, &patch);
    let d = t.decide(Some(&acc), &Operation::patch(&before, &after), now());
    assert_eq!(d.outcome_of("userName"), Some(Outcome::Ignore));
    assert_eq!(d.attributes[0].reason, Reason::IdentifierCase);
    let a = d.into_result().unwrap();
    assert_eq!(a.resource.as_ref(), Some(&before), "nothing stored changes");
    assert_eq!(a.account, acc);

    let (before, acc) = okta_test_user(&mut t);
    let mut put = before.clone();
    put["userName"] = json!("TEST.USER@okta.local");
    let a = t
        .decide(Some(&acc), &Operation::replace(&before, &put), now())
        .into_result()
        .unwrap();
    assert_eq!(a.resource.as_ref(), Some(&before));
    assert_eq!(a.account, acc);
}

#[test]
fn removing_user_name_is_rejected() {
    let mut t = tenant();
    let (before, acc) = okta_test_user(&mut t);
    let mut put = before.clone();
    put.as_object_mut().unwrap().remove("userName");
    let err = t
        .decide(Some(&acc), &Operation::replace(&before, &put), now())
        .into_result()
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.detail().contains("cannot be removed"));
}

#[test]
fn work_email_identifier_setting_guards_emails_instead() {
    let rules = RuleSet::tresorit().with_identifier(IdentifierSource::WorkEmail);
    let mut t = tenant_with(rules);
    let body = entra_create("ryan@contoso.onmicrosoft.com", "Ryan", "Smith");
    let mut body = body;
    body["emails"] = json!([{"primary": true, "type": "work", "value": "ryan@contoso.com"}]);
    let (before, acc) = create(&mut t, &body, None);
    assert_eq!(acc.email, "ryan@contoso.com");

    // userName is not the identifier here: a change is shadowed.
    let p = patch_op(
        json!([{"op": "Replace", "path": "userName", "value": "rs@contoso.onmicrosoft.com"}]),
    );
    let d = t.decide(
        Some(&acc),
        &Operation::patch(&before, &apply_patch(&before, &p)),
        now(),
    );
    assert_eq!(d.outcome_of("userName"), Some(Outcome::Shadow));

    // The work email to another address: rejected.
    let p = patch_op(
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "rs@contoso.com"}]),
    );
    let d = t.decide(
        Some(&acc),
        &Operation::patch(&before, &apply_patch(&before, &p)),
        now(),
    );
    assert_eq!(
        d.error().unwrap().scim_type(),
        Some(scimkit_schema::ScimType::Mutability)
    );

    // The work email in other letter case: no-op, stored spelling kept.
    let p = patch_op(
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "Ryan@Contoso.com"}]),
    );
    let a = t
        .decide(
            Some(&acc),
            &Operation::patch(&before, &apply_patch(&before, &p)),
            now(),
        )
        .into_result()
        .unwrap();
    assert_eq!(a.resource.as_ref(), Some(&before));

    // A second email added, identifier unchanged: the ordinary rule (shadow).
    let p = patch_op(json!([{"op": "Add", "path": "emails", "value": [
        {"primary": true, "type": "work", "value": "ryan@contoso.com"},
        {"type": "home", "value": "ryan@example.org"}]}]));
    let d = t.decide(
        Some(&acc),
        &Operation::patch(&before, &apply_patch(&before, &p)),
        now(),
    );
    assert_eq!(d.outcome_of("emails"), Some(Outcome::Shadow));
    assert_eq!(d.into_result().unwrap().account.email, "ryan@contoso.com");
}

#[test]
fn emails_identifier_case_change_with_another_change_keeps_stored_spelling() {
    let mut t = tenant_with(RuleSet::tresorit().with_identifier(IdentifierSource::PrimaryEmail));
    let (before, acc) = entra_ryan(&mut t);
    let mut put = before.clone();
    put["emails"] = json!([
        {"primary": true, "type": "work", "value": "RYAN@CONTOSO.COM"},
        {"type": "other", "value": "ryan@example.org"}
    ]);
    let d = t.decide(Some(&acc), &Operation::replace(&before, &put), now());
    assert_eq!(d.outcome_of("emails"), Some(Outcome::Shadow));
    let a = d.into_result().unwrap();
    assert!(a.rewritten);
    assert_eq!(
        a.resource.as_ref().unwrap()["emails"],
        json!([
            {"primary": true, "type": "work", "value": "ryan@contoso.com"},
            {"type": "other", "value": "ryan@example.org"}
        ])
    );
    assert_eq!(a.account, acc);
}

// ----- active sets scim_active only; admin suspension sets admin_suspended only -----

#[test]
fn entra_patch_active_string_false_sets_scim_active_only() {
    let mut t = tenant();
    let (before, mut acc) = entra_ryan(&mut t);
    t.suspend(&mut acc, now()).unwrap();
    let patch = patch_op(json!([{"op": "Replace", "path": "active", "value": "False"}]));
    let after = apply_patch(&before, &patch);
    let d = t.decide(Some(&acc), &Operation::patch(&before, &after), now());
    assert_eq!(d.outcome_of("active"), Some(Outcome::Apply));
    let a = d.into_result().unwrap();
    assert_eq!(a.effects, [Effect::SetScimActive { active: false }]);
    assert!(!a.account.scim_active);
    assert!(a.account.admin_suspended, "admin suspension untouched");
    assert_eq!(
        a.resource.as_ref().unwrap()["active"],
        json!(false),
        "stored as a boolean"
    );
    assert!(a.rewritten);
    assert!(a.account.is_member(), "active=false keeps the account");
    assert!(!a.account.effective_access());
}

#[test]
fn okta_patch_without_path_deactivates_and_reactivates() {
    let mut t = tenant();
    let (before, acc) = okta_test_user(&mut t);
    let off = patch_op(json!([{"op": "replace", "value": {"active": false}}]));
    let after = apply_patch(&before, &off);
    let a = t
        .decide(Some(&acc), &Operation::patch(&before, &after), now())
        .into_result()
        .unwrap();
    assert!(!a.account.scim_active && a.account.is_member());
    assert_eq!(
        scim_view(a.resource.as_ref().unwrap(), &a.account)["active"],
        false
    );

    let on = patch_op(json!([{"op": "replace", "value": {"active": true}}]));
    let res = a.resource.unwrap();
    let again = apply_patch(&res, &on);
    let b = t
        .decide(Some(&a.account), &Operation::patch(&res, &again), now())
        .into_result()
        .unwrap();
    assert!(b.account.scim_active && b.account.effective_access());
}

#[test]
fn admin_suspension_is_invisible_to_the_identity_provider() {
    let mut t = tenant();
    let (res, mut acc) = okta_test_user(&mut t);
    let read_before = scim_view(&res, &acc);
    t.suspend(&mut acc, now()).unwrap();
    assert!(!acc.effective_access());
    assert_eq!(scim_view(&res, &acc), read_before);
    assert_eq!(scim_view(&res, &acc)["active"], true);
    t.unsuspend(&mut acc, now()).unwrap();
    assert!(acc.effective_access());
}

#[test]
fn active_that_is_not_a_boolean_is_rejected() {
    let mut t = tenant();
    let (before, acc) = entra_ryan(&mut t);
    let patch = patch_op(json!([{"op": "Replace", "path": "active", "value": "maybe"}]));
    let err = t
        .decide(
            Some(&acc),
            &Operation::patch(&before, &apply_patch(&before, &patch)),
            now(),
        )
        .into_result()
        .unwrap_err();
    assert_eq!(
        err.scim_type(),
        Some(scimkit_schema::ScimType::InvalidValue)
    );
}

#[test]
fn string_boolean_warns_unless_the_dialect_is_entra() {
    let mut t = tenant();
    let (before, acc) = entra_ryan(&mut t);
    let patch = patch_op(json!([{"op": "Replace", "path": "active", "value": "False"}]));
    let after = apply_patch(&before, &patch);
    let d = t.decide(Some(&acc), &Operation::patch(&before, &after), now());
    assert_eq!(d.warnings[0].code, WarningCode::StringBoolean);
    t.set_dialect(scimkit_policy::IdpDialect::EntraId);
    let d = t.decide(Some(&acc), &Operation::patch(&before, &after), now());
    assert!(d.warnings.is_empty());
}

// ----- create for an existing non-SCIM account: adopt, or 409 by setting -----

#[test]
fn create_for_domain_auto_added_account_adopts_it() {
    let mut t = tenant();
    let mut existing = Account::new(
        "ryan@contoso.com",
        "Ryan S.",
        TemplateId(7),
        JoinedVia::DomainAutoAdd,
    );
    existing.admin_suspended = true;
    let body = entra_create("Ryan@contoso.com", "Ryan", "Smith");
    let d = t.decide(Some(&existing), &Operation::create(&body), now());
    assert_eq!(d.warnings[0].code, WarningCode::AdoptedAutoAddedAccount);
    assert_eq!(d.outcome_of("name.givenName"), Some(Outcome::Shadow));
    let a = d.into_result().unwrap();
    assert_eq!(
        a.effects,
        [Effect::AdoptIntoScim {
            joined_via: JoinedVia::DomainAutoAdd
        }]
    );
    assert_eq!(a.account.registered_name, "Ryan S.");
    assert_eq!(a.account.template, TemplateId(7));
    assert_eq!(a.account.email, "ryan@contoso.com");
    assert!(a.account.managed_by_scim && a.account.admin_suspended);
    assert_eq!(a.account.joined_via, JoinedVia::DomainAutoAdd);
    // The IdP reads back what it sent.
    assert_eq!(a.resource.as_ref().unwrap()["name"]["givenName"], "Ryan");
    match &t.audit_log().last().unwrap().record {
        AuditRecord::Scim { effects, .. } => {
            assert!(matches!(effects[0], Effect::AdoptIntoScim { .. }))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn okta_create_for_invited_account_adopts_it_inactive() {
    let mut t = tenant();
    let existing = Account::new(
        "test.user@okta.local",
        "T. User",
        TemplateId(1),
        JoinedVia::Invite,
    );
    let mut body = okta_create("test.user@okta.local", "Test", "User");
    body["active"] = json!(false);
    let a = t
        .decide(Some(&existing), &Operation::create(&body), now())
        .into_result()
        .unwrap();
    assert!(!a.account.scim_active && a.account.managed_by_scim);
    assert_eq!(a.account.registered_name, "T. User");
}

#[test]
fn conflict_setting_refuses_existing_account_with_409() {
    let mut t = tenant_with(RuleSet::tresorit().with_existing_account(OnExistingAccount::Conflict));
    let existing = Account::new("ryan@contoso.com", "Ryan", TemplateId(1), JoinedVia::Manual);
    let body = entra_create("ryan@contoso.com", "Ryan", "Smith");
    let err = t
        .decide(Some(&existing), &Operation::create(&body), now())
        .into_result()
        .unwrap_err();
    assert_eq!(
        (err.status(), err.scim_type()),
        (409, Some(scimkit_schema::ScimType::Uniqueness))
    );
}

#[test]
fn create_for_an_already_provisioned_email_is_409() {
    let mut t = tenant();
    let (_, acc) = entra_ryan(&mut t);
    let body = entra_create("RYAN@contoso.com", "Ryan", "Smith");
    let err = t
        .decide(Some(&acc), &Operation::create(&body), now())
        .into_result()
        .unwrap_err();
    assert_eq!(err.status(), 409);
}

#[test]
fn create_without_an_email_identifier_is_rejected() {
    let mut t = tenant();
    let mut body = okta_create("not-an-email", "A", "B");
    let err = t
        .decide(None, &Operation::create(&body), now())
        .into_result()
        .unwrap_err();
    assert_eq!(
        err.scim_type(),
        Some(scimkit_schema::ScimType::InvalidValue)
    );
    body.as_object_mut().unwrap().remove("userName");
    let err = t
        .decide(None, &Operation::create(&body), now())
        .into_result()
        .unwrap_err();
    assert!(err.detail().contains("userName is required"));
}

// ----- provisioning disabled: every SCIM request refused; re-enabling issues a new token -----

#[test]
fn provisioning_disabled_refuses_every_scim_operation() {
    let mut t = tenant();
    let (before, acc) = entra_ryan(&mut t);
    t.disable_provisioning(now());
    let mut after = before.clone();
    after["active"] = json!(false);
    let body = okta_create("x@okta.local", "X", "Y");
    for op in [
        Operation::create(&body),
        Operation::replace(&before, &after),
        Operation::patch(&before, &after),
        Operation::delete(&before),
    ] {
        let d = t.decide(Some(&acc), &op, now());
        let err = d.error().expect("refused");
        assert_eq!(err.status(), 403, "{:?}", op.kind);
        assert!(err.detail().contains("provisioning is disabled"));
        assert!(d.attributes.is_empty());
    }
    assert_eq!(t.authenticate("anything").unwrap_err().status(), 403);
}

#[test]
fn unauthorized_setting_answers_401_when_disabled() {
    let rules = RuleSet::tresorit().with_when_disabled(DisabledStatus::Unauthorized);
    let mut t = Tenant::new("contoso", rules);
    let body = okta_create("x@okta.local", "X", "Y");
    let err = t
        .decide(None, &Operation::create(&body), now())
        .into_result()
        .unwrap_err();
    assert_eq!(err.status(), 401);
}

#[test]
fn reenabling_issues_a_new_token_and_the_old_one_stops_working() {
    let mut t = Tenant::new("contoso", RuleSet::tresorit());
    let first = t.enable_provisioning(entropy(1), now()).unwrap();
    assert!(t.authenticate(first.expose()).is_ok());
    t.disable_provisioning(now());
    assert!(t.token_digest().is_none());
    let second = t.enable_provisioning(entropy(2), now()).unwrap();
    assert_ne!(first, second);
    assert_eq!(t.authenticate(first.expose()).unwrap_err().status(), 401);
    assert!(t.authenticate(second.expose()).is_ok());
}

// ----- DELETE ends membership; active=false keeps the account -----

#[test]
fn delete_ends_membership_and_access() {
    let mut t = tenant();
    let (res, acc) = entra_ryan(&mut t);
    let d = t.decide(Some(&acc), &Operation::delete(&res), now());
    let a = d.into_result().unwrap();
    assert_eq!(a.effects, [Effect::EndMembership]);
    assert!(a.resource.is_none());
    assert_eq!(a.account.membership, Membership::Ended);
    assert!(!a.account.effective_access() && !a.account.managed_by_scim);
    assert_eq!(a.account.registered_name, acc.registered_name);
    // The resource is gone for the IdP: a later PATCH finds nothing.
    let err = t
        .decide(Some(&a.account), &Operation::patch(&res, &res), now())
        .into_result()
        .unwrap_err();
    assert_eq!(err.status(), 404);
}

#[test]
fn create_after_delete_restores_a_retained_account() {
    let mut t = tenant();
    let body = entra_create("ryan@contoso.com", "Ryan", "Smith");
    let (res, acc) = create(&mut t, &body, None);
    let ended = t
        .decide(Some(&acc), &Operation::delete(&res), now())
        .into_result()
        .unwrap()
        .account;
    let t2 = t.create_template("Later", now()).unwrap();
    t.set_default_template(t2, now()).unwrap();
    let a = t
        .decide(Some(&ended), &Operation::create(&body), now())
        .into_result()
        .unwrap();
    assert_eq!(a.effects[0], Effect::RestoreMembership);
    assert!(a.account.is_member() && a.account.managed_by_scim && a.account.effective_access());
    assert_eq!(
        a.account.template,
        TemplateId(1),
        "the retained account keeps its template"
    );
}

// ----- configuration lint -----

#[test]
fn auto_add_domain_with_provisioning_on_warns() {
    use scimkit_policy::RegistrationMode::*;
    let mut t = Tenant::new("contoso", RuleSet::tresorit());
    t.add_domain("contoso.com", AddAutomatically, now())
        .unwrap();
    t.add_domain("fabrikam.com", InviteOnly, now()).unwrap();
    assert!(t.warnings().is_empty());
    t.enable_provisioning(entropy(3), now()).unwrap();
    let w = t.warnings();
    assert_eq!(w.len(), 1);
    assert!(w[0].message.contains("contoso.com"));
    assert!(w[0].message.contains("Invite only") && w[0].message.contains("Do not add"));
    t.set_domain_mode("contoso.com", DoNotAdd, now()).unwrap();
    assert!(t.warnings().is_empty());
}

// ----- other attributes and per-attribute rules -----

#[test]
fn entra_enterprise_extension_change_is_shadowed_and_rules_can_reject_or_ignore() {
    let mut t = tenant();
    let (before, acc) = entra_ryan(&mut t);
    let patch = patch_op(json!([
        {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Legal"}
    ]));
    let after = apply_patch(&before, &patch);
    let d = t.decide(Some(&acc), &Operation::patch(&before, &after), now());
    assert_eq!(
        d.outcome_of(&format!("{ENTERPRISE}:department")),
        Some(Outcome::Shadow)
    );

    let rules = RuleSet::tresorit()
        .with_attribute(format!("{ENTERPRISE}:department"), Outcome::Reject)
        .with_attribute("title", Outcome::Ignore);
    let mut t = tenant_with(rules);
    let err = t
        .decide(Some(&acc), &Operation::patch(&before, &after), now())
        .into_result()
        .unwrap_err();
    assert_eq!(err.scim_type(), Some(scimkit_schema::ScimType::Mutability));
    assert!(err.detail().contains("department"));

    let p = patch_op(json!([{"op": "Add", "path": "title", "value": "CFO"}]));
    let a = t
        .decide(
            Some(&acc),
            &Operation::patch(&before, &apply_patch(&before, &p)),
            now(),
        )
        .into_result()
        .unwrap();
    assert_eq!(a.resource.as_ref(), Some(&before), "ignored: not kept");
}

#[test]
fn audit_entry_holds_raw_and_normalised_operation_and_outcomes() {
    let mut t = tenant();
    let (before, acc) = entra_ryan(&mut t);
    let raw = patch_op(json!([
        {"op": "Replace", "path": "name.givenName", "value": "Bryan"},
        {"op": "Replace", "path": "active", "value": "False"}
    ]));
    let normalized = patch_op(json!([
        {"op": "replace", "path": "name.givenName", "value": "Bryan"},
        {"op": "replace", "path": "active", "value": false}
    ]));
    let after = apply_patch(&before, &normalized);
    let op = Operation::patch(&before, &after)
        .with_raw(&raw)
        .with_normalized(&normalized);
    t.decide(Some(&acc), &op, now());
    let entry = t.audit_log().last().unwrap();
    match &entry.record {
        AuditRecord::Scim {
            raw: r,
            normalized: n,
            result,
            attributes,
            subject,
            ..
        } => {
            assert_eq!(r.as_ref().map(AuditBody::to_value), Some(raw.clone()));
            assert_eq!(
                n.as_ref().map(AuditBody::to_value),
                Some(normalized.clone())
            );
            assert_eq!(*result, AuditResult::Applied);
            assert_eq!(subject.as_deref(), Some("ryan@contoso.com"));
            let outcomes: Vec<_> = attributes
                .iter()
                .map(|a| (a.path.as_str(), a.outcome))
                .collect();
            assert!(outcomes.contains(&("name.givenName", Outcome::Shadow)));
            assert!(outcomes.contains(&("active", Outcome::Apply)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(entry.at, now());
}
