//! Secrets never reach the audit log, an error detail or a response: random POST, PUT, PATCH
//! and Bulk bodies carrying a password in every spelling the dispatcher accepts.
#![allow(clippy::unwrap_used)]

mod policy_common;

use policy_common::{patch, Env, Idp, BOTH};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// `word` with the letter case given by `mask`, bit by bit.
fn cased(word: &str, mask: u64) -> String {
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// How the password attribute is named.
#[derive(Debug, Clone)]
struct Spelling {
    mask: u64,
    urn: bool,
    urn_upper: bool,
}

impl Spelling {
    fn name(&self) -> String {
        let attr = cased("password", self.mask);
        match (self.urn, self.urn_upper) {
            (false, _) => attr,
            (true, false) => format!("{USER}:{attr}"),
            (true, true) => format!("{}:{attr}", USER.to_uppercase()),
        }
    }
}

/// Where the password travels.
#[derive(Debug, Clone, Copy)]
enum Form {
    Post,
    Put,
    PatchPath,
    PatchPathless,
    PatchSchemaObject,
    PatchSchemaPath,
    RejectedPatch,
    BulkPost,
    BulkPatch,
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![
        Just(Form::Post),
        Just(Form::Put),
        Just(Form::PatchPath),
        Just(Form::PatchPathless),
        Just(Form::PatchSchemaObject),
        Just(Form::PatchSchemaPath),
        Just(Form::RejectedPatch),
        Just(Form::BulkPost),
        Just(Form::BulkPatch),
    ]
}

fn spelling() -> impl Strategy<Value = Spelling> {
    (any::<u64>(), any::<bool>(), any::<bool>()).prop_map(|(mask, urn, urn_upper)| Spelling {
        mask,
        urn,
        urn_upper,
    })
}

fn user_with(email: &str, key: &str, secret: &str) -> Value {
    let mut m = Map::new();
    m.insert("schemas".into(), json!([USER]));
    m.insert("userName".into(), json!(email));
    m.insert(
        "name".into(),
        json!({"givenName": "Pat", "familyName": "Doe"}),
    );
    m.insert(key.into(), json!(secret));
    Value::Object(m)
}

fn bulk(op: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [op]})
}

/// Every audit entry of every tenant, serialised.
fn audit_text(env: &Env) -> String {
    BOTH.iter()
        .map(|idp| serde_json::to_string(&env.audit(*idp)).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn passwords_never_reach_the_audit_log_or_a_response(
        forms in proptest::collection::vec((form(), spelling()), 1..5),
        secret in "[A-Za-z0-9]{12}",
        okta in any::<bool>(),
    ) {
        let secret = format!("Pw{secret}!");
        let idp = if okta { Idp::Okta } else { Idp::Entra };
        let env = Env::new();
        let user = env.create(idp, "ada@example.com", "Ada", "Lovelace");
        let id = user["id"].as_str().unwrap().to_owned();
        let mut responses = Vec::new();
        let mut audited = false;
        for (n, (form, spelling)) in forms.iter().enumerate() {
            let key = spelling.name();
            let (method, path, body) = match form {
                Form::Post => ("POST", "/Users".to_owned(),
                    user_with(&format!("u{n}@example.com"), &key, &secret)),
                Form::Put => ("PUT", format!("/Users/{id}"),
                    user_with("ada@example.com", &key, &secret)),
                Form::PatchPath => ("PATCH", format!("/Users/{id}"),
                    patch(json!([{"op": "replace", "path": key, "value": secret}]))),
                Form::PatchPathless => ("PATCH", format!("/Users/{id}"),
                    patch(json!([{"op": "replace", "value": {key.clone(): secret, "displayName": "Ada"}}]))),
                Form::PatchSchemaObject => ("PATCH", format!("/Users/{id}"),
                    patch(json!([{"op": "add",
                        "value": {USER: {cased("password", spelling.mask): secret}}}]))),
                Form::PatchSchemaPath => ("PATCH", format!("/Users/{id}"),
                    patch(json!([{"op": "add", "path": USER,
                        "value": {cased("password", spelling.mask): secret}}]))),
                Form::RejectedPatch => ("PATCH", format!("/Users/{id}"),
                    patch(json!([{"op": "replace", "path": key, "value": secret},
                                 {"op": "replace", "path": "userName", "value": "eve@example.com"}]))),
                Form::BulkPost => ("POST", "/Bulk".to_owned(), bulk(json!({"method": "POST",
                    "path": "/Users", "bulkId": format!("b{n}"),
                    "data": user_with(&format!("b{n}@example.com"), &key, &secret)}))),
                Form::BulkPatch => ("POST", "/Bulk".to_owned(), bulk(json!({"method": "PATCH",
                    "path": format!("/Users/{id}"),
                    "data": patch(json!([{"op": "replace", "path": key, "value": secret}]))}))),
            };
            let r = env.scim(idp, method, &path, Some(&body));
            prop_assert!(r.status < 500, "{form:?} {key}: {r:?}");
            // Accepted, or refused by the policy (so audited): the secret was in an audited body.
            audited |= r.status < 300 || r.body["scimType"] == "mutability";
            responses.push(r.body.to_string());
        }
        let audit = audit_text(&env);
        prop_assert!(!audited || audit.contains("[redacted]"), "{forms:?}: {audit}");
        prop_assert!(!audit.contains(&secret), "{forms:?}: {audit}");
        for r in responses {
            prop_assert!(!r.contains(&secret), "{forms:?}: response {r}");
        }
    }
}
