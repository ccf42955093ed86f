//! SCIM filter → SQL condition, with what cannot be translated reported as residual.
//!
//! [`Translator::plan`] splits a filter into a [`Plan`]: a condition the database answers
//! natively ([`Plan::native`], a [`Fragment`] over the `resources` table aliased `r`) and the
//! part the caller must still evaluate with `scimkit_filter::matches` on each candidate
//! ([`Plan::residual`]). A top-level `and` is split operand by operand; any other node is
//! native only when all of it is. The native condition gives exactly the answers of the
//! evaluator on the resource as the store renders it (`id`, `meta`, `members`, `groups`
//! included); the equivalence test (`tests/filter_equivalence.rs`) checks it over the corpus.
//!
//! What is native, in short (docs/storage.md has the table): `id`, `externalId`, `userName`,
//! `displayName`, `active`, `meta.created`, `meta.lastModified` and `meta.resourceType` on
//! columns; `emails.value`/`type`/`primary` (and value paths over them) on the `emails` table;
//! `members.value` and `groups.value` on the membership table; every other attribute of the
//! schema (core or extension, single- or multi-valued, value paths included) on the JSON
//! document and its folded mirror. Residual: attributes the schema does not define, `dateTime`
//! attributes stored in the document, `meta.version`/`meta.location`, sub-attributes of
//! `members`/`groups` other than `value`, value paths over single-valued attributes, numbers
//! beyond `i64` that are integers.

mod leaf;
mod test;

use crate::dialect::{Dialect, JsonAt};
use crate::fragment::Fragment;
use leaf::{positive, Leaf};
use scimkit_filter::{
    AttrPath, AttrRef, AttrTest, AttrType, AttributeFacts, EvalError, Filter, Matcher, SortOrder,
    ValuePath,
};
use scimkit_schema::{AttributeDef, ResolvedAttr, ResourceSchema};
use std::cell::Cell;
use test::{Positive, Test};

/// A filter split into what the database answers and what the caller evaluates.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Plan<'f> {
    /// The condition the database evaluates (over `resources AS r`); `None`: every resource
    /// of the type is a candidate.
    pub native: Option<Fragment>,
    /// The part of the filter `native` answers (for a caller that passes filters, as the
    /// dispatcher's `Store::plan` does); `None`: every resource.
    pub native_filter: Option<Filter<'f>>,
    /// What the caller evaluates on each candidate; `None`: the native condition is exact.
    pub residual: Option<Filter<'f>>,
}

impl Plan<'_> {
    /// Whether the database answers the whole filter (so paging can be pushed down too).
    pub fn is_exact(&self) -> bool {
        self.residual.is_none()
    }
}

/// Translates filters over one resource type. A plan does not depend on the tenant: the
/// tenant is bound when the query runs ([`Param::Tenant`](crate::fragment::Param::Tenant)).
pub struct Translator<'s> {
    schema: ResourceSchema<'s>,
    /// `schemas`, which no schema defines: a multi-valued string compared as the evaluator
    /// compares an unknown attribute (case-insensitively).
    schemas_def: AttributeDef,
    dialect: &'s dyn Dialect,
    aliases: Cell<u32>,
}

impl std::fmt::Debug for Translator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translator")
            .field("type", &self.schema.name())
            .finish_non_exhaustive()
    }
}

/// The element table a value path's inner filter is translated against.
#[derive(Clone, Copy)]
enum Elements<'a> {
    /// A row of `emails AS m`.
    Emails,
    /// A row of `memberships AS ms`; the column holding the other side's id.
    Membership(&'static str),
    /// An element of a JSON array iterated as `alias`.
    Json { alias: &'a str },
}

/// Which side of the membership relation an attribute reads.
#[derive(Clone, Copy)]
enum Side {
    /// A group's `members`: rows whose `group_id` is the resource.
    Members,
    /// A member's `groups`: rows whose `member_id` is the resource.
    Groups,
}

impl<'s> Translator<'s> {
    /// A translator for `schema`'s type, writing in `dialect`.
    pub fn new(schema: ResourceSchema<'s>, dialect: &'s dyn Dialect) -> Self {
        Translator {
            schema,
            schemas_def: schemas_attribute(),
            dialect,
            aliases: Cell::new(0),
        }
    }

    /// Splits `filter` into its native condition and its residual.
    ///
    /// # Errors
    ///
    /// The evaluator's: ordering a boolean or binary attribute, a dateTime attribute compared
    /// with a string that is not an RFC 3339 timestamp (`invalidFilter`).
    pub fn plan<'f>(&self, filter: &Filter<'f>) -> Result<Plan<'f>, EvalError> {
        Matcher::new(filter, &self.schema)?;
        if let Some(native) = self.filter(filter) {
            return Ok(Plan {
                native: Some(native),
                native_filter: Some(filter.clone()),
                residual: None,
            });
        }
        let Filter::And(operands) = filter else {
            return Ok(Plan {
                native: None,
                native_filter: None,
                residual: Some(filter.clone()),
            });
        };
        let mut native = Vec::new();
        let mut native_filters = Vec::new();
        let mut residual = Vec::new();
        for f in operands {
            match self.filter(f) {
                Some(sql) => {
                    native.push(sql);
                    native_filters.push(f.clone());
                }
                None => residual.push(f.clone()),
            }
        }
        Ok(Plan {
            native: join(native, " AND "),
            native_filter: match native_filters.len() {
                0 => None,
                1 => native_filters.pop(),
                _ => Some(Filter::And(native_filters)),
            },
            residual: match residual.len() {
                0 => None,
                1 => residual.pop(),
                _ => Some(Filter::And(residual)),
            },
        })
    }

    /// An `ORDER BY` list for `sortBy`/`sortOrder` with the evaluator's order (absent values
    /// last ascending, first descending; ties in insertion order), or `None` when the sort
    /// stays with the caller.
    pub fn order_by(&self, by: &AttrPath<'_>, order: SortOrder) -> Option<Fragment> {
        let resolved = self.schema.resolve(by.urn.as_deref(), &by.name)?;
        let facts = self.schema.facts(&attr_ref(by));
        let sub = by.sub_attr.as_deref();
        let key: Fragment = match (resolved.extension, resolved.def.name.as_str(), sub) {
            (None, "id", None) if facts.case_exact => Fragment::sql("r.id"),
            (None, "externalId", None) if facts.case_exact => Fragment::sql("r.external_id"),
            (None, "userName", None) if !facts.case_exact => Fragment::sql("r.user_name_norm"),
            (None, "displayName", None) if !facts.case_exact => {
                Fragment::sql("r.display_name_norm")
            }
            (None, "meta", Some(s)) if s.eq_ignore_ascii_case("created") => {
                Fragment::sql("r.created")
            }
            (None, "meta", Some(s)) if s.eq_ignore_ascii_case("lastModified") => {
                Fragment::sql("r.last_modified")
            }
            (_, "meta", _) => return None,
            _ => {
                let (segments, leaf_def) = single_path(&resolved, sub)?;
                if !matches!(
                    leaf_def.kind.to_filter_type(),
                    AttrType::String | AttrType::Reference
                ) {
                    return None;
                }
                let doc = if leaf_def.case_exact {
                    "r.document"
                } else {
                    "r.folded"
                };
                let at = JsonAt::Path {
                    doc,
                    segments: &segments,
                };
                let mut k = Fragment::sql("CASE WHEN ");
                self.dialect
                    .json_is(&mut k, at, &[crate::dialect::JsonKind::Text]);
                k.push(" THEN ");
                self.dialect.json_value(&mut k, at);
                k.push(" END");
                k
            }
        };
        let mut out = Fragment::sql("(");
        out.append(key.clone()).push(" IS NULL)");
        let direction = match order {
            SortOrder::Ascending => " ASC",
            SortOrder::Descending => " DESC",
        };
        out.push(direction).push(", ").append(key).push(direction);
        out.push(", r.pk");
        Some(out)
    }

    fn alias(&self, prefix: &str) -> String {
        let n = self.aliases.get() + 1;
        self.aliases.set(n);
        format!("{prefix}{n}")
    }

    /// A filter at the resource's scope.
    fn filter(&self, f: &Filter<'_>) -> Option<Fragment> {
        match f {
            Filter::Attr { path, test } => self.attr(path, test),
            Filter::ValuePath(vp) => self.value_path(vp),
            Filter::And(fs) => join(
                fs.iter().map(|f| self.filter(f)).collect::<Option<_>>()?,
                " AND ",
            ),
            Filter::Or(fs) => join(
                fs.iter().map(|f| self.filter(f)).collect::<Option<_>>()?,
                " OR ",
            ),
            Filter::Not(inner) => Some(not(self.filter(inner)?)),
        }
    }

    fn attr(&self, path: &AttrPath<'_>, test: &AttrTest<'_>) -> Option<Fragment> {
        let facts = self.schema.facts(&attr_ref(path));
        let prepared = Test::prepare(test, facts);
        let resolved = self.resolve(path)?;
        let def = resolved.def;
        let sub = path.sub_attr.as_deref();
        let d = self.dialect;
        let text = |col, folded, search| Leaf::Text {
            col,
            folded,
            search,
        };
        if resolved.extension.is_none() {
            let single = |leaf: Leaf<'_>| apply(prepared.clone(), |p| positive(d, leaf, p));
            match (def.name.as_str(), sub) {
                ("meta", Some(s)) => return self.meta(s, path, test, prepared.clone()),
                ("meta", None) => return None,
                ("id", None) if facts.case_exact => return single(text("r.id", false, None)),
                ("externalId", None) if facts.case_exact => {
                    return single(text("r.external_id", false, None))
                }
                ("userName", None) if !facts.case_exact && facts.kind == AttrType::String => {
                    return single(text("r.user_name_norm", true, Some(("user_name", "r.pk"))))
                }
                ("displayName", None) if !facts.case_exact && facts.kind == AttrType::String => {
                    return single(text(
                        "r.display_name_norm",
                        true,
                        Some(("display_name", "r.pk")),
                    ))
                }
                ("active", None) if facts.kind == AttrType::Boolean => {
                    return single(Leaf::Bool { col: "r.active" })
                }
                ("emails", _) if def.multi_valued && def.is_complex() => {
                    let is_whole_presence = sub.is_none() && prepared == Test::Present;
                    if !is_whole_presence {
                        if let Some(leaf) =
                            self.element_leaf(Elements::Emails, def, sub.unwrap_or("value"))
                        {
                            return apply(prepared, |p| {
                                let mut out = Fragment::sql(
                                    "r.pk IN (SELECT m.resource_pk FROM emails AS m WHERE ",
                                );
                                out.append(positive(d, leaf, p)?).push(")");
                                Some(out)
                            });
                        }
                    }
                }
                ("members", _) if def.multi_valued && def.is_complex() => {
                    return self.membership(Side::Members, def, sub, prepared)
                }
                ("groups", _) if def.multi_valued && def.is_complex() => {
                    return self.membership(Side::Groups, def, sub, prepared)
                }
                _ => {}
            }
        }
        self.json_attr(&resolved, sub, prepared)
    }

    /// The attribute `path` names (`schemas` included).
    fn resolve(&self, path: &AttrPath<'_>) -> Option<ResolvedAttr<'_>> {
        let resolved = self.schema.resolve(path.urn.as_deref(), &path.name);
        if resolved.is_none() && path.urn.is_none() && path.name.eq_ignore_ascii_case("schemas") {
            return Some(ResolvedAttr {
                extension: None,
                def: &self.schemas_def,
            });
        }
        resolved
    }

    /// `meta.created`, `meta.lastModified` (columns) and `meta.resourceType` (the type,
    /// known here: a constant).
    fn meta(
        &self,
        sub: &str,
        path: &AttrPath<'_>,
        test: &AttrTest<'_>,
        prepared: Test,
    ) -> Option<Fragment> {
        let d = self.dialect;
        let col = if sub.eq_ignore_ascii_case("created") {
            "r.created"
        } else if sub.eq_ignore_ascii_case("lastModified") {
            "r.last_modified"
        } else if sub.eq_ignore_ascii_case("resourceType") {
            let filter = Filter::Attr {
                path: path.clone(),
                test: test.clone(),
            };
            let view = serde_json::json!({"meta": {"resourceType": self.schema.name()}});
            let holds = scimkit_filter::matches(&filter, &view, &self.schema).ok()?;
            let mut out = Fragment::new();
            self.dialect.constant(&mut out, holds);
            return Some(out);
        } else {
            return None;
        };
        apply(prepared, |p| positive(d, Leaf::Time { col }, p))
    }

    /// `members` of a group or `groups` of a member, on the membership table: only `value`
    /// (and presence).
    fn membership(
        &self,
        side: Side,
        def: &AttributeDef,
        sub: Option<&str>,
        test: Test,
    ) -> Option<Fragment> {
        let column = match side {
            Side::Members => "ms.member_id",
            Side::Groups => "ms.group_id",
        };
        let leaf = self.element_leaf(Elements::Membership(column), def, sub.unwrap_or("value"))?;
        apply(test, |p| {
            let mut out = self.membership_select(side);
            out.push(" AND ")
                .append(positive(self.dialect, leaf, p)?)
                .push(")");
            Some(out)
        })
    }

    /// `r.id IN (SELECT … FROM memberships AS ms WHERE ms.tenant = ?` (left open).
    fn membership_select(&self, side: Side) -> Fragment {
        let mut out = Fragment::sql(match side {
            Side::Members => {
                "r.id IN (SELECT ms.group_id FROM memberships AS ms WHERE ms.tenant = "
            }
            Side::Groups => {
                "r.id IN (SELECT ms.member_id FROM memberships AS ms WHERE ms.tenant = "
            }
        });
        out.bind(crate::fragment::Param::Tenant);
        out
    }

    /// An attribute read from the document.
    fn json_attr(
        &self,
        resolved: &ResolvedAttr<'_>,
        sub: Option<&str>,
        test: Test,
    ) -> Option<Fragment> {
        let d = self.dialect;
        let def = resolved.def;
        if !def.multi_valued {
            if def.is_complex() && sub.is_none() && test == Test::Present {
                let segments = attribute_path(resolved);
                let mut out = Fragment::new();
                d.json_present(
                    &mut out,
                    JsonAt::Path {
                        doc: "r.document",
                        segments: &segments,
                    },
                );
                return Some(out);
            }
            let (segments, leaf_def) = single_path(resolved, sub)?;
            let leaf = json_leaf(
                JsonAt::Path {
                    doc: "r.document",
                    segments: &segments,
                },
                JsonAt::Path {
                    doc: "r.folded",
                    segments: &segments,
                },
                leaf_def,
            );
            return apply(test, |p| positive(d, leaf, p));
        }
        let segments = attribute_path(resolved);
        if def.is_complex() && sub.is_none() && test == Test::Present {
            let mut out = Fragment::new();
            d.json_present(
                &mut out,
                JsonAt::Path {
                    doc: "r.document",
                    segments: &segments,
                },
            );
            return Some(out);
        }
        let (leaf_def, leaf_sub) = if def.is_complex() {
            let s = def.sub_attribute(sub.unwrap_or("value"))?;
            if s.multi_valued || s.is_complex() {
                return None;
            }
            (s, Some(s.name.as_str()))
        } else if sub.is_none() {
            (def, None)
        } else {
            return None;
        };
        apply(test, |p| {
            let alias = self.alias("e");
            let leaf = json_leaf(
                JsonAt::Element {
                    doc: "r.document",
                    alias: &alias,
                    sub: leaf_sub,
                },
                JsonAt::Element {
                    doc: "r.folded",
                    alias: &alias,
                    sub: leaf_sub,
                },
                leaf_def,
            );
            let mut out = Fragment::sql("EXISTS (SELECT 1 FROM ");
            d.json_elements(&mut out, "r.document", &segments, &alias);
            out.push(" WHERE ").append(positive(d, leaf, p)?).push(")");
            Some(out)
        })
    }

    /// `attr[filter]` at the resource's scope.
    fn value_path(&self, vp: &ValuePath<'_>) -> Option<Fragment> {
        if vp.attr.sub_attr.is_some() {
            return None;
        }
        let resolved = self.resolve(&vp.attr)?;
        let def = resolved.def;
        if !(def.multi_valued && def.is_complex()) {
            return None;
        }
        if resolved.extension.is_none() {
            match def.name.as_str() {
                "emails" => {
                    if let Some(inner) = self.element(&vp.filter, Elements::Emails, def) {
                        let mut out =
                            Fragment::sql("r.pk IN (SELECT m.resource_pk FROM emails AS m WHERE ");
                        out.append(inner).push(")");
                        return Some(out);
                    }
                }
                "members" | "groups" => {
                    let (side, column) = if def.name == "members" {
                        (Side::Members, "ms.member_id")
                    } else {
                        (Side::Groups, "ms.group_id")
                    };
                    let inner = self.element(&vp.filter, Elements::Membership(column), def)?;
                    let mut out = self.membership_select(side);
                    out.push(" AND (").append(inner).push("))");
                    return Some(out);
                }
                _ => {}
            }
        }
        let segments = attribute_path(&resolved);
        let alias = self.alias("e");
        let inner = self.element(&vp.filter, Elements::Json { alias: &alias }, def)?;
        let mut out = Fragment::sql("EXISTS (SELECT 1 FROM ");
        self.dialect
            .json_elements(&mut out, "r.document", &segments, &alias);
        out.push(" WHERE ").append(inner).push(")");
        Some(out)
    }

    /// A value path's inner filter, over one element.
    fn element(
        &self,
        f: &Filter<'_>,
        elements: Elements<'_>,
        def: &AttributeDef,
    ) -> Option<Fragment> {
        match f {
            Filter::Attr { path, test } => {
                if path.urn.is_some() || path.sub_attr.is_some() {
                    return None;
                }
                let leaf = self.element_leaf(elements, def, &path.name)?;
                let facts = self.schema.facts(&AttrRef {
                    urn: None,
                    name: &def.name,
                    sub_attr: Some(&path.name),
                });
                let d = self.dialect;
                apply(Test::prepare(test, facts), |p| positive(d, leaf, p))
            }
            Filter::ValuePath(_) => None,
            Filter::And(fs) => join(
                fs.iter()
                    .map(|f| self.element(f, elements, def))
                    .collect::<Option<_>>()?,
                " AND ",
            ),
            Filter::Or(fs) => join(
                fs.iter()
                    .map(|f| self.element(f, elements, def))
                    .collect::<Option<_>>()?,
                " OR ",
            ),
            Filter::Not(inner) => Some(not(self.element(inner, elements, def)?)),
        }
    }

    /// Where sub-attribute `sub` of an element lives, if it is translated.
    fn element_leaf<'a>(
        &self,
        elements: Elements<'a>,
        def: &'a AttributeDef,
        sub: &str,
    ) -> Option<Leaf<'a>> {
        let sub_def = def.sub_attribute(sub)?;
        if sub_def.multi_valued || sub_def.is_complex() {
            return None;
        }
        let kind = sub_def.kind.to_filter_type();
        let folded_string = kind == AttrType::String && !sub_def.case_exact;
        Some(match (elements, sub_def.name.as_str()) {
            (Elements::Emails, "value") if folded_string => Leaf::Text {
                col: "m.value_norm",
                folded: true,
                search: Some(("emails", "m.resource_pk")),
            },
            (Elements::Emails, "type") if folded_string => Leaf::Text {
                col: "m.type_norm",
                folded: true,
                search: None,
            },
            (Elements::Emails, "primary") if kind == AttrType::Boolean => Leaf::Bool {
                col: "m.is_primary",
            },
            (Elements::Membership(col), "value")
                if matches!(kind, AttrType::String | AttrType::Reference) =>
            {
                // Ids are generated by the store and are their own fold key, so a folded
                // comparison value compares exactly.
                Leaf::Text {
                    col,
                    folded: !sub_def.case_exact,
                    search: None,
                }
            }
            (Elements::Json { alias, .. }, _) => json_leaf(
                JsonAt::Element {
                    doc: "r.document",
                    alias,
                    sub: Some(&sub_def.name),
                },
                JsonAt::Element {
                    doc: "r.folded",
                    alias,
                    sub: Some(&sub_def.name),
                },
                sub_def,
            ),
            _ => return None,
        })
    }
}

/// `schemas` as the evaluator sees it: an attribute no schema defines, so a case-insensitive
/// string (multi-valued, as it is).
pub(crate) fn schemas_attribute() -> AttributeDef {
    AttributeDef::string("schemas").multi_valued()
}

/// The keys from the document's root to a top-level attribute.
fn attribute_path<'r>(resolved: &ResolvedAttr<'r>) -> Vec<&'r str> {
    let mut segments: Vec<&'r str> = Vec::new();
    if let Some(ext) = resolved.extension {
        segments.push(&ext.id);
    }
    segments.push(&resolved.def.name);
    segments
}

fn attr_ref<'p>(path: &'p AttrPath<'_>) -> AttrRef<'p> {
    AttrRef {
        urn: path.urn.as_deref(),
        name: &path.name,
        sub_attr: path.sub_attr.as_deref(),
    }
}

fn json_leaf<'a>(doc: JsonAt<'a>, folded: JsonAt<'a>, def: &AttributeDef) -> Leaf<'a> {
    Leaf::Json {
        doc,
        folded,
        facts: scimkit_filter::AttrFacts {
            kind: def.kind.to_filter_type(),
            case_exact: def.case_exact,
        },
    }
}

/// The JSON path of a single-valued attribute (or a sub-attribute of a single-valued complex
/// one) and its definition; `None` for a complex value compared as a whole.
fn single_path<'r>(
    resolved: &ResolvedAttr<'r>,
    sub: Option<&str>,
) -> Option<(Vec<&'r str>, &'r AttributeDef)> {
    let def = resolved.def;
    if def.multi_valued {
        return None;
    }
    let mut segments = attribute_path(resolved);
    let leaf = match (def.is_complex(), sub) {
        (false, None) => def,
        (true, Some(s)) => {
            let s = def.sub_attribute(s)?;
            if s.multi_valued || s.is_complex() {
                return None;
            }
            segments.push(&s.name);
            s
        }
        _ => return None,
    };
    Some((segments, leaf))
}

/// "Some value satisfies `positive`" (written by `any`), or its negation for `ne` and
/// `eq null`.
fn apply(test: Test, any: impl FnOnce(&Positive) -> Option<Fragment>) -> Option<Fragment> {
    let (negated, p) = test.split();
    let inner = any(&p)?;
    Some(if negated { not(inner) } else { inner })
}

fn not(inner: Fragment) -> Fragment {
    let mut out = Fragment::sql("NOT (");
    out.append(inner).push(")");
    out
}

/// `(a) op (b) op …`, nested as a balanced tree so that SQL's expression depth grows with the
/// logarithm of the number of operands, not with their number (SQLite refuses expressions
/// deeper than 1,000).
fn join(mut parts: Vec<Fragment>, op: &str) -> Option<Fragment> {
    if parts.len() <= 1 {
        return parts.pop();
    }
    let right = parts.split_off(parts.len() / 2);
    let mut out = Fragment::sql("(");
    out.append(join(parts, op)?)
        .push(")")
        .push(op)
        .push("(")
        .append(join(right, op)?)
        .push(")");
    Some(out)
}
