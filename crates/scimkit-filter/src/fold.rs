//! Comparison keys for case-insensitive strings, and the identifier rule.
//!
//! SCIM compares `caseExact: false` strings "without regard to case" (RFC 7643 §2.2) but does not
//! say which Unicode rules apply. scimkit uses the mapping of PRECIS `UsernameCaseMapped`
//! (RFC 8265 §3.3, after RFC 8264 §5.2): width mapping (fullwidth and halfwidth forms to their
//! ordinary equivalents), Unicode default *full* case folding, and normalisation form C. So
//! `josé` written precomposed (NFC) or decomposed (NFD), `JOSÉ`, fullwidth `ｊｏｓé`, `STRASSE`
//! and `straße` all have one key. Every place that compares, indexes, sorts or stores a folded
//! case-insensitive value calls [`fold`], so that a filter, an index and a uniqueness check never
//! disagree.
//!
//! [`check_identifier`] is the other half of the rule, for identifiers (`userName`, the email
//! that identifies an account): control and format characters (`U+200B ZERO WIDTH SPACE`,
//! bidirectional marks, …) are refused, because they make look-alikes that no fold can join.

use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The comparison key of a case-insensitive string: width-mapped, fully case-folded, NFC.
///
/// ASCII input costs one scan (and no allocation when it has no capital letter).
///
/// ```
/// use scimkit_filter::fold;
///
/// assert_eq!(fold("Ada@Example.com"), "ada@example.com");
/// assert_eq!(fold("JOSE\u{301}"), fold("jos\u{e9}")); // NFD and NFC
/// assert_eq!(fold("ＦＲＥＤ"), "fred"); // fullwidth
/// assert_eq!(fold("STRASSE"), fold("straße")); // full case folding
/// assert_eq!(fold("ΟΔΟΣ"), fold("οδος")); // final sigma
/// ```
pub fn fold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        };
    }
    let mut widened = String::with_capacity(s.len());
    for c in s.chars() {
        map_width(c, &mut widened);
    }
    // Canonical caseless matching (Unicode §3.13, D145): fold the decomposed form, so that
    // combining marks with case mappings (U+0345) fold the same in either form; then recompose.
    let folded: String = caseless::default_case_fold_str(&widened.nfd().collect::<String>());
    Cow::Owned(folded.nfc().collect())
}

/// Whether `a` and `b` are equal without regard to case (their [`fold`] keys are equal).
pub fn eq_folded(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    fold(a) == fold(b)
}

/// PRECIS width mapping (RFC 8264 §9.1): fullwidth and halfwidth forms become their
/// decomposition mappings (`Ａ` → `A`, `ｶ` → `カ`); every other character is kept.
fn map_width(c: char, out: &mut String) {
    let is_width_form = matches!(c, '\u{3000}' | '\u{FF01}'..='\u{FFEE}');
    if is_width_form {
        unicode_normalization::char::decompose_compatible(c, |d| out.push(d));
    } else {
        out.push(c);
    }
}

/// Why a string cannot be an identifier: it holds a control or format character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("it contains the {kind} character U+{code:04X}, which identifiers may not contain")]
pub struct IdentifierError {
    /// `"control"` or `"format"`.
    pub kind: &'static str,
    /// The offending code point.
    pub code: u32,
}

/// Checks the identifier rule: no control (Cc) or format (Cf) characters, which PRECIS's
/// `IdentifierClass` disallows (RFC 8264 §9.12, §9.13) and which make invisible look-alikes
/// (`zo\u{200B}e` beside `zoe`).
///
/// # Errors
///
/// The first offending character.
///
/// ```
/// use scimkit_filter::check_identifier;
///
/// assert!(check_identifier("zoe@example.com").is_ok());
/// assert!(check_identifier("zo\u{200B}e@example.com").is_err());
/// assert!(check_identifier("ada\n@example.com").is_err());
/// ```
pub fn check_identifier(s: &str) -> Result<(), IdentifierError> {
    for c in s.chars() {
        let kind = match c.general_category() {
            GeneralCategory::Control => "control",
            GeneralCategory::Format => "format",
            _ => continue,
        };
        return Err(IdentifierError {
            kind,
            code: u32::from(c),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The look-alikes the attack review created as separate accounts, and the cases the
    /// store conformance suite checks (`ÄRGER`/`ärger`, dotted capital I).
    #[test]
    fn one_key_for_every_spelling() {
        let same: &[(&str, &str)] = &[
            ("jos\u{e9}", "jose\u{301}"),
            ("JOS\u{c9}", "jose\u{301}"),
            ("\u{ff46}red", "fred"),
            ("\u{ff26}\u{ff32}\u{ff25}\u{ff24}", "fred"),
            ("\u{c4}RGER", "\u{e4}rger"),
            ("A\u{308}RGER", "\u{e4}rger"),
            ("STRASSE", "stra\u{df}e"),
            ("\u{3a3}\u{3a3}", "\u{3c3}\u{3c2}"),
            ("\u{130}stanbul", "i\u{307}stanbul"),
            ("\u{ff76}", "\u{30ab}"),
            ("Ada@Example.COM", "ada@example.com"),
        ];
        for (a, b) in same {
            assert_eq!(fold(a), fold(b), "{a:?} vs {b:?}");
            assert!(eq_folded(a, b), "{a:?} vs {b:?}");
        }
        let different: &[(&str, &str)] = &[
            ("zo\u{200b}e", "zoe"),
            ("\u{130}stanbul", "istanbul"),
            ("jos\u{e9}", "jose"),
            ("fred", "fre"),
        ];
        for (a, b) in different {
            assert_ne!(fold(a), fold(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn ascii_without_capitals_is_borrowed() {
        assert!(matches!(fold("ada@example.com"), Cow::Borrowed(_)));
        assert!(matches!(fold("Ada"), Cow::Owned(_)));
    }

    #[test]
    fn identifiers_refuse_control_and_format_characters() {
        for bad in [
            "zo\u{200b}e",
            "a\u{0}b",
            "tab\there",
            "\u{feff}bom",
            "rtl\u{202e}x",
        ] {
            assert!(check_identifier(bad).is_err(), "{bad:?}");
        }
        for good in [
            "ada@example.com",
            "jos\u{e9}",
            "\u{ff46}red",
            "Barbara Jensen",
        ] {
            assert_eq!(check_identifier(good), Ok(()), "{good:?}");
        }
        let e = check_identifier("zo\u{200b}e").unwrap_err();
        assert_eq!(
            e.to_string(),
            "it contains the format character U+200B, which identifiers may not contain"
        );
    }
}
