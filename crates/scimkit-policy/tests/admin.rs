//! The tenant administrator's operations as a library API.
#![allow(clippy::unwrap_used)] // test helpers may unwrap, like the tests

mod common;

use common::*;
use scimkit_policy::{
    Account, AdminError, AdminEvent, AuditRecord, JoinedVia, Membership, Operation,
    RegistrationMode, RuleSet, TemplateId, Tenant, TokenDigest, TOKEN_PREFIX,
};

fn admin_events(t: &Tenant) -> Vec<AdminEvent> {
    t.audit_log()
        .filter_map(|e| match &e.record {
            AuditRecord::Admin { event } => Some(event.clone()),
            AuditRecord::Scim { .. } => None,
        })
        .collect()
}

#[test]
fn templates_list_create_and_set_default() {
    let mut t = Tenant::new("acme", RuleSet::tresorit());
    assert_eq!(t.templates().len(), 1);
    assert_eq!(t.templates()[0].name, "Default");
    assert_eq!(t.settings().default_template, TemplateId(1));
    let c = t.create_template(" Contractors ", now()).unwrap();
    assert_eq!(c, TemplateId(2));
    assert_eq!(t.templates()[1].name, "Contractors");
    assert_eq!(
        t.create_template("contractors", now()),
        Err(AdminError::DuplicateTemplate("contractors".into()))
    );
    assert_eq!(
        t.create_template("  ", now()),
        Err(AdminError::EmptyTemplateName)
    );
    assert_eq!(
        t.set_default_template(TemplateId(9), now()),
        Err(AdminError::UnknownTemplate(TemplateId(9)))
    );
    t.set_default_template(c, now()).unwrap();
    assert_eq!(t.settings().default_template, c);
    assert_eq!(
        admin_events(&t),
        [
            AdminEvent::TemplateCreated {
                template: c,
                name: "Contractors".into()
            },
            AdminEvent::DefaultTemplateSet { template: c }
        ]
    );
}

#[test]
fn verified_domains_add_remove_and_set_mode() {
    let mut t = Tenant::new("acme", RuleSet::tresorit());
    t.add_domain("@Contoso.COM", RegistrationMode::InviteOnly, now())
        .unwrap();
    assert_eq!(t.settings().verified_domains[0].domain, "contoso.com");
    assert_eq!(
        t.add_domain("contoso.com", RegistrationMode::DoNotAdd, now()),
        Err(AdminError::DuplicateDomain("contoso.com".into()))
    );
    assert!(matches!(
        t.add_domain("not a domain", RegistrationMode::DoNotAdd, now()),
        Err(AdminError::InvalidDomain(_))
    ));
    t.set_domain_mode("CONTOSO.com", RegistrationMode::AddAutomatically, now())
        .unwrap();
    assert_eq!(
        t.settings().domain_of("ryan@Contoso.com").unwrap().mode,
        RegistrationMode::AddAutomatically
    );
    assert_eq!(
        t.set_domain_mode("fabrikam.com", RegistrationMode::DoNotAdd, now()),
        Err(AdminError::UnknownDomain("fabrikam.com".into()))
    );
    t.remove_domain("contoso.com", now()).unwrap();
    assert!(t.settings().verified_domains.is_empty());
    assert!(t.remove_domain("contoso.com", now()).is_err());
    assert_eq!(admin_events(&t).len(), 3);
}

#[test]
fn token_is_shown_once_and_only_its_digest_is_kept() {
    let mut t = Tenant::new("acme", RuleSet::tresorit());
    assert_eq!(t.authenticate("x").unwrap_err().status(), 403);
    let token = t.enable_provisioning(entropy(5), now()).unwrap();
    assert!(token.expose().starts_with(TOKEN_PREFIX));
    assert_eq!(token.expose().len(), TOKEN_PREFIX.len() + 64);
    assert!(!format!("{token:?}").contains(token.expose()));
    assert_eq!(t.token_digest(), Some(&TokenDigest::of(token.expose())));
    // The serialised tenant holds no token.
    let saved = serde_json::to_string(&t).unwrap();
    assert!(!saved.contains(token.expose()));
    let restored: Tenant = serde_json::from_str(&saved).unwrap();
    assert_eq!(restored, t);
    assert!(restored.authenticate(token.expose()).is_ok());
    assert_eq!(
        t.enable_provisioning(entropy(6), now()).unwrap_err(),
        AdminError::AlreadyEnabled
    );
    assert_eq!(t.authenticate("scimkit_wrong").unwrap_err().status(), 401);
}

#[test]
fn rotate_and_revoke_tokens() {
    let mut t = Tenant::new("acme", RuleSet::tresorit());
    assert_eq!(
        t.rotate_token(entropy(1), now()).unwrap_err(),
        AdminError::NotEnabled
    );
    let old = t.enable_provisioning(entropy(1), now()).unwrap();
    let new = t.rotate_token(entropy(2), now()).unwrap();
    assert_eq!(t.authenticate(old.expose()).unwrap_err().status(), 401);
    assert!(t.authenticate(new.expose()).is_ok());
    t.revoke_token(now());
    assert_eq!(t.authenticate(new.expose()).unwrap_err().status(), 401);
    assert!(
        t.settings().provisioning_enabled,
        "revoke keeps provisioning on"
    );
    let newer = t.rotate_token(entropy(3), now()).unwrap();
    assert!(t.authenticate(newer.expose()).is_ok());
    assert_eq!(
        t.rotate_token([0; 32], now()).unwrap_err(),
        AdminError::WeakEntropy
    );
    assert!(
        t.authenticate(newer.expose()).is_ok(),
        "a refused rotation keeps the token"
    );
}

#[test]
fn suspend_sets_admin_suspended_only_and_is_audited() {
    let mut t = tenant();
    let mut acc = Account::new("ann@contoso.com", "Ann", TemplateId(1), JoinedVia::Scim);
    let before = acc.clone();
    t.suspend(&mut acc, now()).unwrap();
    assert_eq!(
        acc,
        Account {
            admin_suspended: true,
            ..before.clone()
        }
    );
    t.unsuspend(&mut acc, now()).unwrap();
    assert_eq!(acc, before);
    let events = admin_events(&t);
    assert_eq!(
        events[events.len() - 2..],
        [
            AdminEvent::UserSuspended {
                email: "ann@contoso.com".into()
            },
            AdminEvent::UserUnsuspended {
                email: "ann@contoso.com".into()
            }
        ]
    );
    acc.membership = Membership::Ended;
    assert_eq!(
        t.suspend(&mut acc, now()),
        Err(AdminError::NotAMember("ann@contoso.com".into()))
    );
}

#[test]
fn read_account_shows_every_field_and_effective_access() {
    let mut t = tenant();
    let mut acc = Account::new(
        "ann@contoso.com",
        "Ann Lee",
        TemplateId(1),
        JoinedVia::Invite,
    );
    t.suspend(&mut acc, now()).unwrap();
    let v = acc.to_admin_json();
    for key in [
        "email",
        "registeredName",
        "template",
        "scimActive",
        "adminSuspended",
        "joinedVia",
        "managedByScim",
        "membership",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(v["scimActive"], true);
    assert_eq!(v["adminSuspended"], true);
    assert_eq!(v["effectiveAccess"], false);
}

#[test]
fn audit_log_is_bounded_numbered_and_drainable() {
    let mut t = tenant();
    t.set_audit_capacity(3);
    for i in 0..5 {
        t.create_template(&format!("T{i}"), now()).unwrap();
    }
    let seqs: Vec<u64> = t.audit_log().map(|e| e.seq).collect();
    assert_eq!(seqs, [4, 5, 6], "enable was 1; the oldest entries go first");
    let drained = t.drain_audit();
    assert_eq!(drained.len(), 3);
    assert_eq!(t.audit_log().count(), 0);
    let body = okta_create("x@okta.local", "X", "Y");
    t.decide(None, &Operation::create(&body), now());
    assert_eq!(t.audit_log().next().unwrap().seq, 7);
}
