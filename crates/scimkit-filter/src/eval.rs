//! Evaluating a filter against a JSON resource (RFC 7644 §3.4.2.2).
//!
//! Semantics, in brief:
//! - attribute names match case-insensitively; a URN-qualified name looks inside the extension
//!   object keyed by that URN (or at the top level for the core schema, see
//!   [`AttributeFacts::is_core_schema`]);
//! - strings compare case-insensitively unless the attribute is `caseExact`;
//! - `gt`/`ge`/`lt`/`le` order strings lexicographically (by Unicode scalar value, after
//!   lower-casing unless `caseExact`), numbers numerically, `dateTime` values as instants (any
//!   RFC 3339 offset); ordering a boolean or binary attribute is an error (`invalidFilter`);
//! - a multi-valued attribute matches if any of its values matches; a complex multi-valued
//!   attribute compared without a sub-attribute compares its elements' `value` sub-attribute;
//! - `pr` is false for an absent attribute, `null`, `""`, `[]` and `{}`;
//! - **an absent (or null) attribute** matches nothing but `ne` with a non-null value, and
//!   `eq null`: "the attribute is not equal to X" is true when it has no value, and RFC 7644
//!   §3.4.2.2 defines `ne` as the negation of `eq` ("the attribute and operator values are not
//!   identical"). `not (x eq "y")` agrees with `x ne "y"` for every resource. Ordering and
//!   substring operators on an absent attribute are false.
//! - A value of a JSON type the comparison value cannot be compared with (a string attribute
//!   compared with a number, say) does not match `eq`, so it matches `ne`.

use crate::ast::{AttrPath, AttrTest, CompValue, CompareOp, Filter, ValuePath};
use crate::error::EvalError;
use crate::facts::{AttrFacts, AttrRef, AttrType, AttributeFacts};
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// Whether `resource` matches `filter`.
///
/// This checks the filter against the facts first (see [`Matcher::new`]); to test many
/// resources against one filter, build a [`Matcher`] once.
///
/// ```
/// use scimkit_filter::{matches, parse, DefaultFacts};
/// use serde_json::json;
///
/// let user = json!({
///     "userName": "bjensen",
///     "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour"}
/// });
/// let yes = |f: &str| matches(&parse(f).unwrap(), &user, &DefaultFacts).unwrap();
/// assert!(yes(r#"USERNAME eq "BJensen""#));
/// assert!(yes(r#"emails[type eq "work" and value ew "@example.com"]"#));
/// assert!(yes(r#"emails co "bjensen@""#));
/// assert!(yes(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour""#));
/// assert!(!yes("title pr"));
/// ```
pub fn matches<F: AttributeFacts + ?Sized>(
    filter: &Filter<'_>,
    resource: &Value,
    facts: &F,
) -> Result<bool, EvalError> {
    Ok(Matcher::new(filter, facts)?.matches(resource))
}

/// Whether one element of a multi-valued attribute matches a value path's bracketed filter.
///
/// This is what PATCH needs to select elements (`emails[type eq "work"]`): the filter's names
/// are sub-attributes of `value_path.attr`, and the facts are asked about them as such
/// (`emails.type`).
///
/// ```
/// use scimkit_filter::{element_matches, parse_path, DefaultFacts, PatchPath};
/// use serde_json::json;
///
/// let PatchPath::Value { value_path, .. } = parse_path(r#"members[value eq "2819c223"]"#).unwrap()
/// else { unreachable!() };
/// assert!(element_matches(&value_path, &json!({"value": "2819c223"}), &DefaultFacts).unwrap());
/// assert!(!element_matches(&value_path, &json!({"value": "other"}), &DefaultFacts).unwrap());
/// ```
pub fn element_matches<F: AttributeFacts + ?Sized>(
    value_path: &ValuePath<'_>,
    element: &Value,
    facts: &F,
) -> Result<bool, EvalError> {
    let node = prepare(&value_path.filter, Some(&value_path.attr), facts)?;
    Ok(node.eval(Scope::Element(element), facts))
}

/// A filter checked against the attribute facts and prepared for evaluation: each attribute's
/// type and case rule looked up once, dateTime comparison values parsed once. Evaluating it
/// cannot fail.
///
/// ```
/// use scimkit_filter::{parse, DefaultFacts, Matcher};
/// use serde_json::json;
///
/// let filter = parse(r#"userName sw "b""#).unwrap();
/// let matcher = Matcher::new(&filter, &DefaultFacts).unwrap();
/// let users = [json!({"userName": "bjensen"}), json!({"userName": "jsmith"})];
/// assert_eq!(users.iter().filter(|u| matcher.matches(u)).count(), 1);
/// ```
pub struct Matcher<'f, F: ?Sized> {
    root: Node<'f>,
    facts: &'f F,
}

impl<F: ?Sized> std::fmt::Debug for Matcher<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher").finish_non_exhaustive()
    }
}

impl<'f, F: AttributeFacts + ?Sized> Matcher<'f, F> {
    /// Checks `filter` against `facts` and prepares it. Fails, whatever the data, where RFC 7644
    /// §3.4.2.2 makes the filter `invalidFilter`: ordering (`gt`, `ge`, `lt`, `le`) a boolean
    /// or binary attribute, or comparing a dateTime attribute with a string that is not an
    /// RFC 3339 timestamp.
    pub fn new(filter: &'f Filter<'f>, facts: &'f F) -> Result<Self, EvalError> {
        Ok(Matcher {
            root: prepare(filter, None, facts)?,
            facts,
        })
    }

    /// Whether `resource` matches.
    pub fn matches(&self, resource: &Value) -> bool {
        self.root.eval(Scope::Resource(resource), self.facts)
    }
}

/// A prepared filter node.
enum Node<'f> {
    Attr {
        path: &'f AttrPath<'f>,
        test: Test<'f>,
    },
    ValuePath {
        attr: &'f AttrPath<'f>,
        inner: Box<Node<'f>>,
    },
    And(Vec<Node<'f>>),
    Or(Vec<Node<'f>>),
    Not(Box<Node<'f>>),
}

/// A prepared attribute test.
enum Test<'f> {
    Present,
    /// `eq null`: no value.
    IsNull,
    /// `ne null`: some value.
    IsNotNull,
    /// `ne v`: no value equals `v`.
    NotEqual(Operand<'f>),
    Compare(CompareOp, Operand<'f>),
}

/// Prepares `filter`; `parent` is the bracketed attribute when `filter` is a value path's
/// element filter.
fn prepare<'f, F: AttributeFacts + ?Sized>(
    filter: &'f Filter<'f>,
    parent: Option<&'f AttrPath<'f>>,
    facts: &F,
) -> Result<Node<'f>, EvalError> {
    Ok(match filter {
        Filter::Attr { path, test } => {
            let attr = match parent {
                None => AttrRef {
                    urn: path.urn.as_deref(),
                    name: &path.name,
                    sub_attr: path.sub_attr.as_deref(),
                },
                Some(parent) => AttrRef {
                    urn: parent.urn.as_deref(),
                    name: &parent.name,
                    sub_attr: Some(&path.name),
                },
            };
            let test = match test {
                AttrTest::Present => Test::Present,
                AttrTest::Compare(CompareOp::Eq, CompValue::Null) => Test::IsNull,
                AttrTest::Compare(CompareOp::Ne, CompValue::Null) => Test::IsNotNull,
                AttrTest::Compare(op, value) => {
                    let operand = Operand::new(&attr, facts.facts(&attr), *op, value)?;
                    match op {
                        CompareOp::Ne => Test::NotEqual(operand),
                        op => Test::Compare(*op, operand),
                    }
                }
            };
            Node::Attr { path, test }
        }
        Filter::ValuePath(vp) => Node::ValuePath {
            attr: &vp.attr,
            inner: Box::new(prepare(&vp.filter, Some(&vp.attr), facts)?),
        },
        Filter::And(operands) => Node::And(
            operands
                .iter()
                .map(|f| prepare(f, parent, facts))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(operands) => Node::Or(
            operands
                .iter()
                .map(|f| prepare(f, parent, facts))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Not(inner) => Node::Not(Box::new(prepare(inner, parent, facts)?)),
    })
}

/// Where names are looked up.
#[derive(Clone, Copy)]
enum Scope<'v> {
    /// The whole resource: names are top-level attributes (or URN-qualified).
    Resource(&'v Value),
    /// One element of a multi-valued attribute: names are its sub-attributes.
    Element(&'v Value),
}

/// Looks a key up in a JSON object without regard to letter case (RFC 7643 §2.1); an exact
/// match is tried first.
///
/// ```
/// let user = serde_json::json!({"userName": "bjensen"});
/// let object = user.as_object().unwrap();
/// assert_eq!(scimkit_filter::get_ci(object, "USERNAME"), Some(&"bjensen".into()));
/// ```
pub fn get_ci<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    if let Some(v) = object.get(name) {
        return Some(v);
    }
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The JSON object an attribute path's name is looked up in: the resource itself, or the
/// extension object named by the path's URN.
pub(crate) fn container<'v, F: AttributeFacts + ?Sized>(
    resource: &'v Value,
    urn: Option<&str>,
    facts: &F,
) -> Option<&'v Map<String, Value>> {
    let object = resource.as_object()?;
    match urn {
        None => Some(object),
        Some(urn) => match get_ci(object, urn) {
            Some(Value::Object(ext)) => Some(ext),
            Some(_) => None,
            None if facts.is_core_schema(urn) => Some(object),
            None => None,
        },
    }
}

/// Whether `f` holds for any value an attribute path resolves to in `object` (flattening
/// multi-valued attributes). `value_of_complex`: a complex element stands for its `value`
/// sub-attribute (comparisons without a sub-attribute).
fn any_value(
    object: &Map<String, Value>,
    name: &str,
    sub_attr: Option<&str>,
    value_of_complex: bool,
    f: &mut dyn FnMut(&Value) -> bool,
) -> bool {
    let Some(v) = get_ci(object, name) else {
        return false;
    };
    match (v, sub_attr) {
        (Value::Array(items), None) => items.iter().any(|item| match item {
            Value::Object(o) if value_of_complex => get_ci(o, "value").is_some_and(&mut *f),
            other => f(other),
        }),
        (Value::Array(items), Some(sub)) => items.iter().any(|item| {
            item.as_object()
                .and_then(|o| get_ci(o, sub))
                .is_some_and(|v| any_of(v, f))
        }),
        (Value::Object(o), Some(sub)) => get_ci(o, sub).is_some_and(|v| any_of(v, f)),
        (Value::Object(_), None) if value_of_complex => false,
        (_, Some(_)) => false,
        (v, None) => f(v),
    }
}

/// `f` over a value, or over each item of an array.
fn any_of(v: &Value, f: &mut dyn FnMut(&Value) -> bool) -> bool {
    match v {
        Value::Array(items) => items.iter().any(&mut *f),
        other => f(other),
    }
}

/// Whether a value counts as present for `pr`.
pub(crate) fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(o) => o.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

impl Node<'_> {
    fn eval<F: AttributeFacts + ?Sized>(&self, scope: Scope<'_>, facts: &F) -> bool {
        match self {
            Node::Attr { path, test } => test.eval(path, scope, facts),
            Node::ValuePath { attr, inner } => {
                // Value paths do not nest (the parser refuses it); inside an element, one
                // matches nothing.
                let Scope::Resource(resource) = scope else {
                    return false;
                };
                let Some(object) = container(resource, attr.urn.as_deref(), facts) else {
                    return false;
                };
                match get_ci(object, &attr.name) {
                    Some(Value::Array(items)) => items
                        .iter()
                        .any(|item| inner.eval(Scope::Element(item), facts)),
                    None | Some(Value::Null) => false,
                    Some(single) => inner.eval(Scope::Element(single), facts),
                }
            }
            Node::And(operands) => operands.iter().all(|n| n.eval(scope, facts)),
            Node::Or(operands) => operands.iter().any(|n| n.eval(scope, facts)),
            Node::Not(inner) => !inner.eval(scope, facts),
        }
    }
}

impl Test<'_> {
    fn eval<F: AttributeFacts + ?Sized>(
        &self,
        path: &AttrPath<'_>,
        scope: Scope<'_>,
        facts: &F,
    ) -> bool {
        // A complex element compared without a sub-attribute stands for its `value`; for
        // presence the element itself counts.
        let value_of_complex = !matches!(self, Test::Present);
        let any = |f: &mut dyn FnMut(&Value) -> bool| -> bool {
            match scope {
                Scope::Resource(resource) => {
                    match container(resource, path.urn.as_deref(), facts) {
                        Some(object) => any_value(
                            object,
                            &path.name,
                            path.sub_attr.as_deref(),
                            value_of_complex,
                            f,
                        ),
                        None => false,
                    }
                }
                Scope::Element(Value::Object(object)) => {
                    any_value(object, &path.name, path.sub_attr.as_deref(), false, f)
                }
                // A simple multi-valued attribute: its elements are their own `value`.
                Scope::Element(simple) => {
                    path.name.eq_ignore_ascii_case("value") && path.sub_attr.is_none() && f(simple)
                }
            }
        };
        match self {
            Test::Present => any(&mut is_present),
            Test::IsNull => !any(&mut |v| !v.is_null()),
            Test::IsNotNull => any(&mut |v| !v.is_null()),
            // `ne` is the negation of `eq`, also over multi-valued and absent attributes.
            Test::NotEqual(operand) => !any(&mut |v| operand.equals(v)),
            Test::Compare(op, operand) => any(&mut |v| operand.test(*op, v)),
        }
    }
}

/// A comparison value prepared once for many attribute values.
struct Operand<'c> {
    facts: AttrFacts,
    value: &'c CompValue<'c>,
    /// The comparison value as an instant, for dateTime attributes.
    instant: Option<DateTime<FixedOffset>>,
}

fn type_name(kind: AttrType) -> &'static str {
    match kind {
        AttrType::String => "string",
        AttrType::Boolean => "boolean",
        AttrType::Decimal => "decimal",
        AttrType::Integer => "integer",
        AttrType::DateTime => "dateTime",
        AttrType::Binary => "binary",
        AttrType::Reference => "reference",
        AttrType::Complex => "complex",
    }
}

fn attr_display(attr: &AttrRef<'_>) -> String {
    let mut s = String::new();
    if let Some(urn) = attr.urn {
        s.push_str(urn);
        s.push(':');
    }
    s.push_str(attr.name);
    if let Some(sub) = attr.sub_attr {
        s.push('.');
        s.push_str(sub);
    }
    s
}

impl<'c> Operand<'c> {
    fn new(
        attr: &AttrRef<'_>,
        facts: AttrFacts,
        op: CompareOp,
        value: &'c CompValue<'c>,
    ) -> Result<Self, EvalError> {
        if op.is_ordering() && matches!(facts.kind, AttrType::Boolean | AttrType::Binary) {
            return Err(EvalError::Unorderable {
                attr: attr_display(attr),
                kind: type_name(facts.kind),
                op: op.as_str(),
            });
        }
        // Entra ID compares boolean attributes with strings (`roles[primary eq "True"]`):
        // for an attribute the schema says is boolean, "true"/"false" in any case mean the
        // boolean.
        static TRUE: CompValue<'static> = CompValue::True;
        static FALSE: CompValue<'static> = CompValue::False;
        let value = match value {
            CompValue::String(s) if facts.kind == AttrType::Boolean => {
                if s.eq_ignore_ascii_case("true") {
                    &TRUE
                } else if s.eq_ignore_ascii_case("false") {
                    &FALSE
                } else {
                    value
                }
            }
            _ => value,
        };
        let mut instant = None;
        if facts.kind == AttrType::DateTime
            && !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
        {
            if let CompValue::String(s) = value {
                instant =
                    Some(
                        DateTime::parse_from_rfc3339(s).map_err(|e| EvalError::InvalidValue {
                            attr: attr_display(attr),
                            kind: "dateTime",
                            reason: e.to_string(),
                        })?,
                    );
            }
        }
        Ok(Operand {
            facts,
            value,
            instant,
        })
    }

    fn equals(&self, v: &Value) -> bool {
        match (v, self.value) {
            // The common case (`userName eq "…"`), without building an ordering.
            (Value::String(s), CompValue::String(c)) if self.instant.is_none() => {
                if self.facts.case_exact {
                    s == c
                } else if s.len() == c.len() && s.is_ascii() && c.is_ascii() {
                    s.eq_ignore_ascii_case(c)
                } else {
                    compare_str(s, c, false) == Ordering::Equal
                }
            }
            _ => self.order(v) == Some(Ordering::Equal),
        }
    }

    fn test(&self, op: CompareOp, v: &Value) -> bool {
        match op {
            CompareOp::Eq => self.equals(v),
            CompareOp::Ne => !self.equals(v),
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => match (v, self.value) {
                (Value::String(s), CompValue::String(needle)) => {
                    substring(s, needle, op, self.facts.case_exact)
                }
                _ => false,
            },
            CompareOp::Gt => self.order(v) == Some(Ordering::Greater),
            CompareOp::Ge => matches!(self.order(v), Some(Ordering::Greater | Ordering::Equal)),
            CompareOp::Lt => self.order(v) == Some(Ordering::Less),
            CompareOp::Le => matches!(self.order(v), Some(Ordering::Less | Ordering::Equal)),
        }
    }

    /// How the attribute value `v` orders against the comparison value, if they compare.
    fn order(&self, v: &Value) -> Option<Ordering> {
        match (v, self.value) {
            (Value::String(s), CompValue::String(c)) => {
                if let Some(instant) = &self.instant {
                    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                        return Some(t.cmp(instant));
                    }
                }
                Some(compare_str(s, c, self.facts.case_exact))
            }
            (Value::Number(n), CompValue::Number(c)) => compare_numbers(n, c),
            (Value::Bool(b), CompValue::True) => Some(b.cmp(&true)),
            (Value::Bool(b), CompValue::False) => Some(b.cmp(&false)),
            _ => None,
        }
    }
}

/// Compares two JSON numbers by value: exactly when both are integers, as floats otherwise.
pub(crate) fn compare_numbers(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// Compares strings, by their [`fold`](crate::fold) keys unless `case_exact`.
pub(crate) fn compare_str(a: &str, b: &str, case_exact: bool) -> Ordering {
    if case_exact {
        return a.cmp(b);
    }
    if a.is_ascii() && b.is_ascii() {
        let x = a.bytes().map(|c| c.to_ascii_lowercase());
        let y = b.bytes().map(|c| c.to_ascii_lowercase());
        return x.cmp(y);
    }
    crate::fold(a).cmp(&crate::fold(b))
}

/// `co`, `sw` or `ew`.
fn substring(haystack: &str, needle: &str, op: CompareOp, case_exact: bool) -> bool {
    if case_exact {
        return match op {
            CompareOp::Sw => haystack.starts_with(needle),
            CompareOp::Ew => haystack.ends_with(needle),
            _ => haystack.contains(needle),
        };
    }
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        if n.len() > h.len() {
            return false;
        }
        return match op {
            CompareOp::Sw => h[..n.len()].eq_ignore_ascii_case(n),
            CompareOp::Ew => h[h.len() - n.len()..].eq_ignore_ascii_case(n),
            _ => n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n)),
        };
    }
    let (h, n) = (crate::fold(haystack), crate::fold(needle));
    match op {
        CompareOp::Sw => h.starts_with(n.as_ref()),
        CompareOp::Ew => h.ends_with(n.as_ref()),
        _ => h.contains(n.as_ref()),
    }
}
