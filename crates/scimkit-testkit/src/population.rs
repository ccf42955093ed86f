//! A deterministic population of users and groups that exercises every kind of attribute the
//! filter corpus names: absent and present values, multi-valued complex attributes with two
//! conditions on one element, the enterprise extension, non-ASCII identifiers.

use serde_json::{json, Map, Value};

/// The enterprise extension's URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core User schema's URN.
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema's URN.
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

const GIVEN: [&str; 13] = [
    "Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Margaret", "Ken", "Radia",
    "Tim", "Hedy", "Jürgen",
];
const FAMILY: [&str; 17] = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Ärger",
    "Ritchie",
    "Hoare",
    "Kay",
    "Wirth",
];
const TITLES: [&str; 3] = ["Engineer", "Manager", "Director"];
const DEPARTMENTS: [&str; 4] = ["Sales", "R&D", "Ops", "Legal"];

/// The userName of user `i`: ASCII for most, non-ASCII for every 97th (`ärger…`, `İlker…`,
/// `jürgen…`), so case-insensitive comparison beyond ASCII is exercised.
pub fn user_name(i: usize) -> String {
    match (i % 97, i % 3) {
        (0, 0) => format!("\u{e4}rger{i}@example.com"),
        (0, 1) => format!("\u{130}lker{i}@example.com"),
        (0, _) => format!("j\u{fc}rgen{i}@example.com"),
        _ => format!("user{i:04}@example.com"),
    }
}

/// User `i` of the population, as an IdP would POST it.
pub fn user(i: usize) -> Value {
    let given = GIVEN[i % GIVEN.len()];
    let family = FAMILY[(i / GIVEN.len()) % FAMILY.len()];
    let mut u = Map::new();
    u.insert("userName".into(), json!(user_name(i)));
    let mut name = json!({"givenName": given, "familyName": family});
    if i % 4 == 1 {
        name["formatted"] = json!(format!("{given} {family}"));
    }
    u.insert("name".into(), name);
    if i % 3 != 0 {
        u.insert("displayName".into(), json!(format!("{given} {family}")));
    }
    if i % 4 != 0 {
        let mut emails = vec![json!({"value": user_name(i), "type": "work"})];
        if i % 2 == 0 {
            emails[0]["primary"] = json!(true);
        }
        if i % 3 == 0 {
            emails.push(json!({"value": format!("home{i}@mail.test"), "type": "home"}));
        }
        u.insert("emails".into(), Value::Array(emails));
    }
    if i % 5 == 0 {
        u.insert(
            "phoneNumbers".into(),
            json!([{"value": format!("+1 555 {i:04}"), "type": "work"}]),
        );
    }
    match (i % 7, i % 11) {
        (0, _) => {
            u.insert("active".into(), json!(false));
        }
        (_, 0) => {}
        _ => {
            u.insert("active".into(), json!(true));
        }
    }
    if i % 6 == 1 {
        u.insert("title".into(), json!(TITLES[i % 3]));
    }
    if i % 2 == 0 {
        u.insert("externalId".into(), json!(format!("ext-{i}")));
    }
    if i % 8 == 0 {
        u.insert("userType".into(), json!("Contractor"));
    } else if i % 8 == 1 {
        u.insert("userType".into(), json!("Employee"));
    }
    if i % 9 == 0 {
        u.insert("nickName".into(), json!(format!("Nick{i}")));
    }
    let mut schemas = vec![json!(USER)];
    if i % 3 != 2 {
        let mut ext = json!({
            "employeeNumber": i.to_string(),
            "department": DEPARTMENTS[i % DEPARTMENTS.len()],
        });
        if i % 5 == 0 {
            ext["costCenter"] = json!(format!("CC-{}", i % 13));
        }
        if i % 10 == 0 {
            ext["manager"] = json!({"value": format!("mgr-{}", i % 7)});
        }
        u.insert(ENTERPRISE.into(), ext);
        schemas.push(json!(ENTERPRISE));
    }
    u.insert("schemas".into(), Value::Array(schemas));
    Value::Object(u)
}

/// The displayName of group `g`.
pub fn group_name(g: usize) -> String {
    format!("Group {g:02}")
}

/// The indexes of the users who are members of group `g` of `groups`, out of `users`.
/// Every fifth group is empty; the others hold the users whose index is `g` modulo `groups`,
/// and group 1 also every user whose index is a multiple of 50.
pub fn members_of(g: usize, groups: usize, users: usize) -> Vec<usize> {
    if g % 5 == 4 {
        return Vec::new();
    }
    (0..users)
        .filter(|i| i % groups == g || (g == 1 && i % 50 == 0))
        .collect()
}

/// Group `g` with its members given by their ids.
pub fn group(g: usize, member_ids: &[String]) -> Value {
    json!({
        "schemas": [GROUP],
        "displayName": group_name(g),
        "members": member_ids.iter().map(|id| json!({"value": id})).collect::<Vec<_>>(),
    })
}
