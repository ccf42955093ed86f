//! Property tests: random sequences of SCIM and admin operations against a reference model of
//! what the identity provider and the tenant administrator last said.
#![allow(clippy::unwrap_used)] // test helpers may unwrap, like the tests

mod common;

use common::*;
use proptest::prelude::*;
use scimkit_policy::{
    same_email, scim_view, Account, AuditRecord, JoinedVia, Operation, RegistrationMode, RuleSet,
    TemplateId, Tenant, Verdict,
};
use serde_json::{json, Value};

const USERS: [&str; 3] = ["ada@contoso.com", "bob@contoso.com", "cy@contoso.com"];

#[derive(Debug, Clone)]
enum Change {
    GivenName(String),
    DisplayName(String),
    UserNameCase,
    UserNameOther,
    Active(bool, bool), // value, sent as a string (Entra ID)
    RemoveActive,
    Title(String),
    Password,
}

#[derive(Debug, Clone)]
enum Step {
    Create {
        user: usize,
        okta: bool,
        active: bool,
    },
    Update {
        user: usize,
        put: bool,
        changes: Vec<Change>,
    },
    Delete {
        user: usize,
    },
    Suspend {
        user: usize,
    },
    Unsuspend {
        user: usize,
    },
    NewTemplate,
    SetDefault(u64),
    Disable,
    Enable(u8),
    Rotate(u8),
    Domain(RegistrationMode),
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["Ada", "Bob", "Zoë", "Ann-Marie", ""]).prop_map(String::from)
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        name().prop_map(Change::GivenName),
        name().prop_map(Change::DisplayName),
        Just(Change::UserNameCase),
        Just(Change::UserNameOther),
        (any::<bool>(), any::<bool>()).prop_map(|(v, s)| Change::Active(v, s)),
        Just(Change::RemoveActive),
        name().prop_map(Change::Title),
        Just(Change::Password),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let user = 0..USERS.len();
    prop_oneof![
        3 => (user.clone(), any::<bool>(), any::<bool>())
            .prop_map(|(user, okta, active)| Step::Create { user, okta, active }),
        6 => (user.clone(), any::<bool>(), prop::collection::vec(change(), 1..4))
            .prop_map(|(user, put, changes)| Step::Update { user, put, changes }),
        1 => user.clone().prop_map(|user| Step::Delete { user }),
        2 => user.clone().prop_map(|user| Step::Suspend { user }),
        2 => user.prop_map(|user| Step::Unsuspend { user }),
        1 => Just(Step::NewTemplate),
        1 => (1u64..5).prop_map(Step::SetDefault),
        1 => Just(Step::Disable),
        1 => any::<u8>().prop_map(Step::Enable),
        1 => any::<u8>().prop_map(Step::Rotate),
        1 => prop::sample::select(vec![
            RegistrationMode::AddAutomatically,
            RegistrationMode::InviteOnly,
            RegistrationMode::DoNotAdd
        ]).prop_map(Step::Domain),
    ]
}

/// One user: the stored SCIM resource (if provisioned), the account (if any), and what the IdP
/// and the administrator last said.
#[derive(Debug, Clone, Default)]
struct User {
    resource: Option<Value>,
    account: Option<Account>,
    idp_active: bool,
    suspended: bool,
}

struct World {
    tenant: Tenant,
    users: Vec<User>,
}

impl World {
    fn new() -> Self {
        let mut tenant = Tenant::new("contoso", RuleSet::tresorit());
        tenant.enable_provisioning(entropy(9), now()).unwrap();
        let mut users = vec![User::default(); USERS.len()];
        // cy joined through domain auto-add, outside SCIM.
        users[2].account = Some(Account::new(
            USERS[2],
            "Cy Outside",
            TemplateId(1),
            JoinedVia::DomainAutoAdd,
        ));
        users[2].idp_active = true;
        World { tenant, users }
    }

    fn reads(&self) -> Vec<Option<Value>> {
        self.users
            .iter()
            .map(|u| match (&u.resource, &u.account) {
                (Some(r), Some(a)) => Some(scim_view(r, a)["active"].clone()),
                _ => None,
            })
            .collect()
    }

    fn scim(
        &mut self,
        i: usize,
        op: &Operation<'_>,
        expect_reject: bool,
    ) -> Result<(), TestCaseError> {
        let before = self.users[i].account.clone();
        let settings_before = self.tenant.settings().clone();
        let templates_before = self.tenant.templates().to_vec();
        let d = self.tenant.decide(before.as_ref(), op, now());
        prop_assert_eq!(self.tenant.settings(), &settings_before);
        prop_assert_eq!(self.tenant.templates(), &templates_before[..]);
        match d.verdict {
            Verdict::Reject(e) => {
                prop_assert!(expect_reject, "unexpected rejection {:?} of {:?}", e, op);
                match &self.tenant.audit_log().last().unwrap().record {
                    AuditRecord::Scim { effects, .. } => prop_assert!(effects.is_empty()),
                    other => prop_assert!(false, "{:?}", other),
                }
                // Nothing is stored: the model keeps both views as they were.
            }
            Verdict::Apply(a) => {
                prop_assert!(!expect_reject, "accepted {:?}", op);
                let acc = &a.account;
                // Effects replayed on the account before give the account after.
                if let Some(b) = &before {
                    let mut replay = b.clone();
                    for e in &a.effects {
                        replay.apply_effect(e);
                    }
                    prop_assert_eq!(&replay, acc);
                    // No SCIM operation changes admin_suspended, template or registered name.
                    prop_assert_eq!(b.admin_suspended, acc.admin_suspended);
                    prop_assert_eq!(b.template, acc.template);
                    prop_assert_eq!(&b.registered_name, &acc.registered_name);
                } else {
                    prop_assert_eq!(acc.template, self.tenant.settings().default_template);
                    prop_assert!(!acc.admin_suspended);
                }
                if let Some(r) = &a.resource {
                    // The identifier in the SCIM view is the account's email.
                    prop_assert!(acc.has_email(r["userName"].as_str().unwrap()));
                    prop_assert!(r.get("password").is_none());
                    prop_assert!(r["active"].is_boolean() || r.get("active").is_none());
                    let active = r.get("active").and_then(Value::as_bool).unwrap_or(true);
                    prop_assert_eq!(active, acc.scim_active);
                    self.users[i].idp_active = acc.scim_active;
                }
                self.users[i].resource = a.resource;
                self.users[i].account = Some(a.account);
            }
        }
        Ok(())
    }

    fn step(&mut self, s: &Step) -> Result<(), TestCaseError> {
        let on = self.tenant.settings().provisioning_enabled;
        match s {
            Step::Create { user, okta, active } => {
                let email = USERS[*user];
                let mut body = if *okta {
                    okta_create(email, "Given", "Family")
                } else {
                    entra_create(email, "Given", "Family")
                };
                body["active"] = json!(active);
                let u = &self.users[*user];
                let provisioned = u
                    .account
                    .as_ref()
                    .is_some_and(|a| a.is_member() && a.managed_by_scim);
                self.scim(*user, &Operation::create(&body), !on || provisioned)?;
                if let Some(r) = self.users[*user].resource.take() {
                    self.users[*user].resource = Some(stored(r, &format!("id{user}")));
                }
            }
            Step::Update { user, put, changes } => {
                let Some(before) = self.users[*user].resource.clone() else {
                    return Ok(());
                };
                let mut after = before.clone();
                let mut reject = !on;
                for c in changes {
                    match c {
                        Change::GivenName(n) => after["name"]["givenName"] = json!(n),
                        Change::DisplayName(n) => after["displayName"] = json!(n),
                        Change::UserNameCase => {
                            after["userName"] =
                                json!(before["userName"].as_str().unwrap().to_uppercase())
                        }
                        Change::UserNameOther => {
                            after["userName"] = json!("someone.else@contoso.com");
                        }
                        Change::Active(v, s) => {
                            after["active"] = if *s {
                                json!(if *v { "True" } else { "False" })
                            } else {
                                json!(v)
                            }
                        }
                        Change::RemoveActive => {
                            after.as_object_mut().unwrap().remove("active");
                        }
                        Change::Title(t) => after["title"] = json!(t),
                        Change::Password => after["password"] = json!("s3cret!"),
                    }
                }
                // Only a different address is refused; letter case is a no-op.
                let old = before["userName"].as_str().unwrap();
                reject |= !same_email(old, after["userName"].as_str().unwrap());
                let op = if *put {
                    Operation::replace(&before, &after)
                } else {
                    Operation::patch(&before, &after)
                };
                self.scim(*user, &op, reject)?;
            }
            Step::Delete { user } => {
                let Some(before) = self.users[*user].resource.clone() else {
                    return Ok(());
                };
                self.scim(*user, &Operation::delete(&before), !on)?;
            }
            Step::Suspend { user } | Step::Unsuspend { user } => {
                let suspend = matches!(s, Step::Suspend { .. });
                let mut t = self.tenant.clone();
                if let Some(acc) = self.users[*user].account.as_mut() {
                    let scim_active = acc.scim_active;
                    let r = if suspend {
                        t.suspend(acc, now())
                    } else {
                        t.unsuspend(acc, now())
                    };
                    prop_assert_eq!(acc.scim_active, scim_active);
                    if r.is_ok() {
                        self.users[*user].suspended = suspend;
                    } else {
                        prop_assert!(!acc.is_member());
                    }
                }
                self.tenant = t;
            }
            Step::NewTemplate => {
                let n = self.tenant.templates().len();
                self.tenant
                    .create_template(&format!("T{n}"), now())
                    .unwrap();
            }
            Step::SetDefault(id) => {
                let known = self.tenant.templates().iter().any(|t| t.id.0 == *id);
                prop_assert_eq!(
                    self.tenant
                        .set_default_template(TemplateId(*id), now())
                        .is_ok(),
                    known
                );
            }
            Step::Disable => self.tenant.disable_provisioning(now()),
            Step::Enable(seed) => {
                let r = self.tenant.enable_provisioning(entropy(*seed), now());
                prop_assert_eq!(r.is_ok(), !on);
            }
            Step::Rotate(seed) => {
                let r = self.tenant.rotate_token(entropy(*seed), now());
                prop_assert_eq!(r.is_ok(), on);
            }
            Step::Domain(mode) => {
                if self
                    .tenant
                    .set_domain_mode("contoso.com", *mode, now())
                    .is_err()
                {
                    self.tenant.add_domain("contoso.com", *mode, now()).unwrap();
                }
            }
        }
        Ok(())
    }

    fn invariants(&self) -> Result<(), TestCaseError> {
        for u in &self.users {
            let Some(acc) = &u.account else { continue };
            // The account's flags are exactly what the IdP and the administrator last said.
            prop_assert_eq!(acc.admin_suspended, u.suspended);
            if acc.is_member() {
                prop_assert_eq!(acc.scim_active, u.idp_active);
            }
            prop_assert_eq!(
                acc.effective_access(),
                acc.is_member() && u.idp_active && !u.suspended
            );
            if let Some(r) = &u.resource {
                prop_assert!(acc.is_member() && acc.managed_by_scim);
                prop_assert_eq!(&scim_view(r, acc)["active"], &json!(u.idp_active));
            }
        }
        Ok(())
    }
}

fn is_admin(s: &Step) -> bool {
    !matches!(
        s,
        Step::Create { .. } | Step::Update { .. } | Step::Delete { .. }
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_sequences_keep_the_two_views_apart(steps in prop::collection::vec(step(), 1..40)) {
        let mut w = World::new();
        for s in &steps {
            let reads_before = w.reads();
            w.step(s)?;
            if is_admin(s) {
                // No admin operation changes the `active` the IdP reads.
                prop_assert_eq!(w.reads(), reads_before);
            }
            w.invariants()?;
        }
    }

    #[test]
    fn decide_never_panics_on_arbitrary_json(before in json_value(3), after in json_value(3), kind in 0u8..4) {
        let mut tenant = Tenant::new("t", RuleSet::tresorit());
        tenant.enable_provisioning(entropy(4), now()).unwrap();
        let acc = Account::new("a@b.c", "A", TemplateId(1), JoinedVia::Scim);
        let op = match kind {
            0 => Operation::create(&after),
            1 => Operation::replace(&before, &after),
            2 => Operation::patch(&before, &after),
            _ => Operation::delete(&before),
        };
        let d = tenant.decide(Some(&acc), &op, now());
        if let Some(a) = d.applied() {
            prop_assert_eq!(a.account.admin_suspended, acc.admin_suspended);
        }
    }
}

/// Arbitrary JSON biased towards SCIM attribute names.
fn json_value(depth: u32) -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "userName",
        "USERNAME",
        "active",
        "name",
        "givenName",
        "emails",
        "value",
        "primary",
        "type",
        "displayName",
        "password",
        "id",
        "meta",
        "urn:x:User",
        "title",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec!["a@b.c", "A@B.C", "x@y.z", "True", "false", "", "work"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(depth, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key.clone().prop_map(String::from), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
