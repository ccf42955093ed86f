//! Filters see what reads show: attributes a read adds are filtered on the read view, and
//! attributes no read ever shows cannot be filtered on.
//!
//! The store holds documents without `meta.location` and without the `$ref` of members and
//! groups (the dispatcher adds them when it renders), so a filter naming them is evaluated by
//! the dispatcher on the resource as a read shows it. A filter naming an attribute that is
//! `returned: never` (`password`) is refused: answering it would let a client test guesses of
//! a secret that no read reveals.

use scimkit_filter::{AttrPath, Filter};
use scimkit_schema::{ResourceSchema, Returned, ScimError};

/// Whether `filter` names an attribute that only a read adds.
pub(crate) fn names_read_only_addition(filter: &Filter<'_>) -> bool {
    any_path(filter, None, &mut |path, outer| {
        let (name, sub) = match outer {
            Some(o) => (o.name.as_ref(), Some(path.name.as_ref())),
            None => (path.name.as_ref(), path.sub_attr.as_deref()),
        };
        let sub_is = |s: &str| sub.is_some_and(|x| x.eq_ignore_ascii_case(s));
        (name.eq_ignore_ascii_case("meta") && sub_is("location"))
            || ((name.eq_ignore_ascii_case("members") || name.eq_ignore_ascii_case("groups"))
                && sub_is("$ref"))
    })
}

/// Refuses a filter that names an attribute no read returns.
///
/// # Errors
///
/// `invalidFilter` naming the attribute.
pub(crate) fn check_readable(
    rs: &ResourceSchema<'_>,
    filter: &Filter<'_>,
) -> Result<(), ScimError> {
    let mut hidden = None;
    any_path(filter, None, &mut |path, outer| {
        let (top, sub) = match outer {
            Some(o) => (o, Some(path.name.as_ref())),
            None => (path, path.sub_attr.as_deref()),
        };
        let Some(attr) = rs.resolve(top.urn.as_deref(), &top.name) else {
            return false;
        };
        let def = match sub {
            Some(s) => attr.def.sub_attribute(s).unwrap_or(attr.def),
            None => attr.def,
        };
        let never = attr.def.returned == Returned::Never || def.returned == Returned::Never;
        if never {
            hidden = Some(def.name.clone());
        }
        never
    });
    match hidden {
        Some(name) => Err(ScimError::invalid_filter(format!(
            "{name} cannot be used in a filter: it is never returned"
        ))),
        None => Ok(()),
    }
}

/// Whether `test` holds for any attribute path of `filter`; inside a value path it sees the
/// inner path with the bracketed attribute as `outer`.
fn any_path<'f>(
    filter: &'f Filter<'_>,
    outer: Option<&'f AttrPath<'_>>,
    test: &mut impl FnMut(&AttrPath<'_>, Option<&AttrPath<'_>>) -> bool,
) -> bool {
    match filter {
        Filter::Attr { path, .. } => test(path, outer),
        Filter::ValuePath(vp) => {
            test(&vp.attr, outer) || any_path(&vp.filter, Some(&vp.attr), test)
        }
        Filter::And(fs) | Filter::Or(fs) => fs.iter().any(|f| any_path(f, outer, test)),
        Filter::Not(f) => any_path(f, outer, test),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scimkit_schema::Registry;

    #[test]
    fn read_only_additions_are_found_anywhere_in_a_filter() {
        for f in [
            "meta.location pr",
            "META.LOCATION sw \"http\"",
            "userName eq \"a\" or not (meta.location co \"x\")",
            "members.$ref pr",
            "members[$ref ew \"/u\"]",
            "groups[value eq \"g\" and $ref pr]",
        ] {
            let parsed = scimkit_filter::parse(f).unwrap();
            assert!(names_read_only_addition(&parsed), "{f}");
        }
        for f in [
            "meta.created pr",
            "userName eq \"location\"",
            "members[value eq \"x\"]",
        ] {
            let parsed = scimkit_filter::parse(f).unwrap();
            assert!(!names_read_only_addition(&parsed), "{f}");
        }
    }

    #[test]
    fn never_returned_attributes_cannot_be_filtered_on() {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        for f in [
            "password eq \"guess\"",
            "PASSWORD pr",
            "urn:ietf:params:scim:schemas:core:2.0:User:password sw \"a\"",
            "userName pr and not (password pr)",
        ] {
            let parsed = scimkit_filter::parse(f).unwrap();
            let err = check_readable(&users, &parsed).unwrap_err();
            assert_eq!(err.status(), 400, "{f}");
            assert!(err.detail().contains("password"), "{f}");
        }
        let ok = scimkit_filter::parse("userName pr and emails[type eq \"work\"]").unwrap();
        assert!(check_readable(&users, &ok).is_ok());
    }
}
