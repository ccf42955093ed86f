//! Schema-driven redaction of request bodies for the audit log: [`Redactor`].

use scimkit_schema::{AttributeDef, Mutability, Registry, Returned};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// What a hidden value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Hides secrets in SCIM request bodies before they reach an audit record.
///
/// An attribute is secret when its definition in the schema registry says `returned: never` or
/// `mutability: writeOnly` (the standard User's `password`), or when an embedder marks it with
/// [`with_sensitive_path`](Redactor::with_sensitive_path). It is found in every spelling the
/// dispatcher accepts: any letter case, qualified by its schema URN
/// (`urn:ietf:params:scim:schemas:core:2.0:User:password`), inside an extension object, as the
/// `path` of a PATCH operation (also as a value path, `x509Certificates[value eq "…"]`), inside a
/// path-less PATCH value, and in the `data` of Bulk operations.
///
/// ```
/// use scimkit_policy::Redactor;
/// use serde_json::json;
///
/// let r = Redactor::default();
/// let patch = json!({"Operations": [
///     {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:PASSWORD", "value": "hunter2"},
///     {"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:User:password": "hunter3"}}]});
/// let shown = r.redact(&patch).to_string();
/// assert!(!shown.contains("hunter2") && !shown.contains("hunter3"));
/// ```
#[derive(Debug, Clone)]
pub struct Redactor {
    /// Registered schema URNs, lower case, longest first.
    schema_urns: Vec<String>,
    /// Secret attributes, without URN: (`password`, None), (`x509Certificates`, Some(`value`)).
    /// Few, so a scan compares them without allocating.
    sensitive: Vec<(String, Option<String>)>,
}

impl Default for Redactor {
    /// The secrets of [`Registry::standard`] (the User's `password`).
    fn default() -> Self {
        Redactor::from_registry(&Registry::standard())
    }
}

fn is_secret(attr: &AttributeDef) -> bool {
    attr.returned == Returned::Never || attr.mutability == Mutability::WriteOnly
}

impl Redactor {
    /// Every `returned: never` or `mutability: writeOnly` attribute (and sub-attribute) of every
    /// schema in `registry`.
    pub fn from_registry(registry: &Registry) -> Self {
        let mut schema_urns: Vec<String> = registry
            .schemas()
            .iter()
            .map(|s| s.id.to_lowercase())
            .collect();
        schema_urns.sort_by_key(|u| std::cmp::Reverse(u.len()));
        let mut redactor = Redactor {
            schema_urns,
            sensitive: Vec::new(),
        };
        for schema in registry.schemas() {
            for attr in &schema.attributes {
                if is_secret(attr) {
                    redactor.add(&attr.name, None);
                }
                for sub in attr.sub_attributes.iter().filter(|s| is_secret(s)) {
                    redactor.add(&attr.name, Some(&sub.name));
                }
            }
        }
        redactor
    }

    fn add(&mut self, attr: &str, sub: Option<&str>) {
        let entry = (attr.to_owned(), sub.map(str::to_owned));
        let known = self.sensitive.iter().any(|(a, s)| {
            a.eq_ignore_ascii_case(&entry.0)
                && match (s, &entry.1) {
                    (None, None) => true,
                    (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
                    _ => false,
                }
        });
        if !known {
            self.sensitive.push(entry);
        }
    }

    /// Also hides the attribute at `path` (`secretQuestion`, `x509Certificates.value`, or
    /// URN-qualified), e.g. one the product keeps but that is not declared write-only.
    pub fn with_sensitive_path(mut self, path: &str) -> Self {
        let (_, rest) = self.split_urn(path.trim());
        match rest.split_once('.') {
            Some((attr, sub)) => self.add(attr, Some(sub)),
            None if !rest.is_empty() => self.add(rest, None),
            None => {}
        }
        self
    }

    /// A copy of `body` with every secret value replaced by `"[redacted]"`.
    pub fn redact(&self, body: &Value) -> Value {
        serde_json::to_value(self.view(body)).unwrap_or(Value::Null)
    }

    /// `body` as [`Serialize`], redacted while it is written (no copy of the body is made).
    pub fn view<'a>(&'a self, body: &'a Value) -> impl Serialize + 'a {
        View {
            redactor: self,
            value: body,
            context: Context::Resource,
        }
    }

    /// Splits a registered schema URN off `path`: `(Some(urn), attribute path)`. A path that
    /// is a schema URN only gives `(Some(urn), "")`. An unregistered `urn:` prefix is split at
    /// its last `:`, so that no unknown extension hides a secret.
    fn split_urn<'p>(&self, path: &'p str) -> (Option<&'p str>, &'p str) {
        let lower_starts = |p: &str, prefix: &str| {
            p.len() >= prefix.len()
                && p.is_char_boundary(prefix.len())
                && p[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
        if !lower_starts(path, "urn:") {
            return (None, path);
        }
        for urn in &self.schema_urns {
            if lower_starts(path, urn) {
                let rest = &path[urn.len()..];
                if rest.is_empty() {
                    return (Some(path), "");
                }
                if let Some(attr) = rest.strip_prefix(':') {
                    return (Some(&path[..urn.len()]), attr);
                }
            }
        }
        match path.rsplit_once(':') {
            Some((urn, attr)) => (Some(urn), attr),
            None => (None, path),
        }
    }

    /// Whether `attr` (or, given, its sub-attribute `sub`) is secret, ignoring case.
    fn is_secret(&self, attr: &str, sub: Option<&str>) -> bool {
        self.sensitive.iter().any(|(a, s)| {
            a.eq_ignore_ascii_case(attr)
                && match (s, sub) {
                    (None, _) => true,
                    (Some(s), Some(sub)) => s.eq_ignore_ascii_case(sub),
                    (Some(_), None) => false,
                }
        })
    }

    /// Whether a dotted path (`password`, `name.givenName`) is secret.
    fn is_sensitive(&self, path: &str) -> bool {
        match path.split_once('.') {
            Some((attr, sub)) => self.is_secret(attr, Some(sub)),
            None => self.is_secret(path, None),
        }
    }

    /// How an attribute key of a resource-level object is read: secret, or the context of its
    /// value.
    fn key_in_resource<'k>(&self, key: &'k str) -> Hide<'k> {
        if key.eq_ignore_ascii_case("Operations") {
            return Hide::No(Context::Operations);
        }
        let (urn, attr) = self.split_urn(key);
        if urn.is_some() && attr.is_empty() {
            return Hide::No(Context::Resource);
        }
        if self.is_sensitive(attr) {
            return Hide::Value;
        }
        Hide::No(Context::Attribute(
            attr.split('.').next().unwrap_or_default(),
        ))
    }

    fn key_in_attribute<'k>(&self, attribute: &'k str, key: &str) -> Hide<'k> {
        let (_, sub) = self.split_urn(key);
        if self.is_secret(attribute, Some(sub)) || self.is_sensitive(sub) {
            Hide::Value
        } else {
            Hide::No(Context::Attribute(attribute))
        }
    }

    /// A PATCH operation's `path`: whether its target is secret, whether its value filter
    /// mentions a secret, and the context of its `value`.
    fn patch_path<'p>(&self, path: &'p str) -> PatchPath<'p> {
        let (urn, rest) = self.split_urn(path.trim());
        if urn.is_some() && rest.is_empty() {
            return PatchPath::plain(Context::Resource);
        }
        let (attr, filter, sub) = match rest.split_once('[') {
            Some((attr, tail)) => {
                let (filter, after) = tail.rsplit_once(']').unwrap_or((tail, ""));
                (attr, filter, after.trim_start_matches('.'))
            }
            None => match rest.split_once('.') {
                Some((attr, sub)) => (attr, "", sub),
                None => (rest, "", ""),
            },
        };
        let attr = attr.trim();
        let target_secret =
            self.is_secret(attr, None) || (!sub.is_empty() && self.is_secret(attr, Some(sub)));
        let filter_secret = filter
            .split(|c: char| !(c.is_alphanumeric() || c == '$' || c == '_' || c == '-'))
            .filter(|w| !w.is_empty())
            .any(|w| self.is_secret(attr, Some(w)) || self.is_sensitive(w));
        PatchPath {
            target_secret,
            filter_secret,
            value_context: Context::Attribute(attr),
        }
    }
}

/// Where in a SCIM body a value sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context<'a> {
    /// An object whose keys are attributes (a resource, an extension object, a path-less PATCH
    /// value, Bulk `data`).
    Resource,
    /// Inside the value of the attribute (as spelled in the body): keys are its sub-attributes.
    Attribute(&'a str),
    /// The `Operations` array of a PATCH or Bulk request.
    Operations,
    /// One PATCH or Bulk operation.
    Operation,
}

enum Hide<'a> {
    Value,
    No(Context<'a>),
}

struct PatchPath<'a> {
    target_secret: bool,
    filter_secret: bool,
    value_context: Context<'a>,
}

impl<'a> PatchPath<'a> {
    fn plain(value_context: Context<'a>) -> Self {
        PatchPath {
            target_secret: false,
            filter_secret: false,
            value_context,
        }
    }
}

struct View<'a> {
    redactor: &'a Redactor,
    value: &'a Value,
    context: Context<'a>,
}

impl<'a> View<'a> {
    fn child(&self, value: &'a Value, context: Context<'a>) -> View<'a> {
        View {
            redactor: self.redactor,
            value,
            context,
        }
    }
}

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.redactor;
        match self.value {
            Value::Array(items) => {
                let item_context = match self.context {
                    Context::Operations => Context::Operation,
                    c => c,
                };
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&self.child(item, item_context))?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let patch_path = (self.context == Context::Operation).then(|| {
                    map.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("path"))
                        .and_then(|(_, p)| p.as_str())
                        .map_or(PatchPath::plain(Context::Resource), |p| r.patch_path(p))
                });
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    let hide = match (self.context, &patch_path) {
                        (Context::Operation, Some(p)) => {
                            if key.eq_ignore_ascii_case("value") {
                                if p.target_secret {
                                    Hide::Value
                                } else {
                                    Hide::No(p.value_context)
                                }
                            } else if key.eq_ignore_ascii_case("path") && p.filter_secret {
                                Hide::Value
                            } else if key.eq_ignore_ascii_case("data") {
                                Hide::No(Context::Resource)
                            } else {
                                r.key_in_resource(key)
                            }
                        }
                        (Context::Attribute(a), _) => r.key_in_attribute(a, key),
                        _ => r.key_in_resource(key),
                    };
                    match hide {
                        Hide::Value => out.serialize_entry(key, REDACTED)?,
                        Hide::No(c) => out.serialize_entry(key, &self.child(value, c))?,
                    }
                }
                out.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shown(body: Value) -> String {
        Redactor::default().redact(&body).to_string()
    }

    #[test]
    fn every_spelling_of_password_is_hidden() {
        let urn = "urn:ietf:params:scim:schemas:core:2.0:User";
        for body in [
            json!({"password": "s3cret"}),
            json!({"PassWord": "s3cret"}),
            json!({format!("{urn}:password"): "s3cret"}),
            json!({format!("{}:PASSWORD", urn.to_uppercase()): "s3cret"}),
            json!({urn: {"password": "s3cret"}}),
            json!({"Operations": [{"op": "replace", "path": "password", "value": "s3cret"}]}),
            json!({"Operations": [{"op": "replace", "path": format!("{urn}:password"), "value": "s3cret"}]}),
            json!({"Operations": [{"op": "add", "value": {"password": "s3cret"}}]}),
            json!({"Operations": [{"op": "add", "value": {format!("{urn}:password"): "s3cret"}}]}),
            json!({"Operations": [{"op": "add", "path": urn, "value": {"password": "s3cret"}}]}),
            json!({"Operations": [{"method": "POST", "data": {"password": "s3cret"}}]}),
            json!({"Operations": [{"method": "PATCH", "data": {"Operations": [{"op": "replace", "path": "password", "value": "s3cret"}]}}]}),
        ] {
            let s = shown(body.clone());
            assert!(!s.contains("s3cret"), "{body} → {s}");
            assert!(s.contains(REDACTED), "{s}");
        }
    }

    #[test]
    fn secrets_the_embedder_names_and_value_paths_are_hidden() {
        let r = Redactor::default().with_sensitive_path("x509Certificates.value");
        let body = json!({"Operations": [
            {"op": "replace", "path": "x509Certificates[value eq \"k3y\"]", "value": {"value": "k3y2"}},
            {"op": "add", "path": "x509Certificates", "value": [{"Value": "k3y3", "primary": true}]},
            {"op": "add", "path": "x509Certificates[primary eq true].value", "value": "k3y4"}]});
        let s = r.redact(&body).to_string();
        for secret in ["k3y\\\"", "k3y2", "k3y3", "k3y4"] {
            assert!(!s.contains(secret), "{secret} in {s}");
        }
        assert!(s.contains("primary"), "other sub-attributes stay: {s}");
    }

    #[test]
    fn other_attributes_are_kept_as_sent() {
        let body = json!({"userName": "ada@example.com", "name": {"givenName": "Ada"},
            "emails": [{"value": "ada@example.com", "type": "work"}],
            "Operations": [{"op": "replace", "path": "name.givenName", "value": "Augusta"}]});
        assert_eq!(Redactor::default().redact(&body), body);
    }
}
