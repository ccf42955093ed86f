//! The parser: RFC 7644 §3.4.2.2 (Figure 1, `FILTER`) and §3.5.2 (`PATH`).
//!
//! A recursive-descent parser over the input bytes, with nom's complete-input primitives for the
//! tokens. Precedence is `not` > `and` > `or`; `and`/`or` chains are collected into one n-ary
//! node. Limits are checked while parsing, before any recursion could go deeper than allowed.

use crate::ast::{AttrPath, AttrTest, CompValue, CompareOp, Filter, PatchPath, ValuePath};
use crate::error::{Context, Expected, ParseError};
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{digit0, digit1};
use nom::IResult;
use std::borrow::Cow;

/// Bounds on what the parser accepts, checked while parsing.
///
/// The defaults fit every filter an identity provider sends with room to spare, while keeping the
/// work and memory of one parse small (a few microseconds, a few kilobytes).
///
/// ```
/// use scimkit_filter::{Limits, Expected};
///
/// let strict = Limits { max_depth: 2, ..Limits::default() };
/// let err = strict.parse("not (not (not (title pr)))").unwrap_err();
/// assert_eq!(err.expected(), &Expected::DepthLimit(2));
/// assert_eq!(err.offset(), 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest input accepted, in bytes. Default 8192.
    pub max_length: usize,
    /// How deeply parentheses, `not (…)` and value-path brackets may nest. Default 32; values
    /// above [`Limits::MAX_SUPPORTED_DEPTH`] count as that ceiling, so that parsing, printing,
    /// evaluating and dropping a tree stays far from any thread's stack limit.
    pub max_depth: usize,
    /// How many attribute expressions (`attr op value`, `attr pr`) one filter may hold.
    /// Default 256 (enough for an `id eq … or id eq …` list of 256 ids).
    pub max_terms: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_length: 8192,
            max_depth: 32,
            max_terms: 256,
        }
    }
}

impl Limits {
    /// The deepest nesting any configuration allows (see [`max_depth`](Self::max_depth)).
    pub const MAX_SUPPORTED_DEPTH: usize = 64;

    /// Parses a filter with these limits and the standard syntax (see [`ParseOptions::parse`]).
    pub fn parse<'a>(&self, input: &'a str) -> Result<Filter<'a>, ParseError> {
        ParseOptions::from(*self).parse(input)
    }

    /// Parses a PATCH `path` with these limits (see [`ParseOptions::parse_path`]).
    pub fn parse_path<'a>(&self, input: &'a str) -> Result<PatchPath<'a>, ParseError> {
        ParseOptions::from(*self).parse_path(input)
    }

    /// Parses a plain attribute path with these limits (see [`ParseOptions::parse_attr_path`]).
    pub fn parse_attr_path<'a>(&self, input: &'a str) -> Result<AttrPath<'a>, ParseError> {
        ParseOptions::from(*self).parse_attr_path(input)
    }
}

/// Limits plus the syntax extensions a parse accepts beyond RFC 7644.
///
/// ```
/// use scimkit_filter::ParseOptions;
///
/// // Microsoft's older SCIM documentation shows Entra ID filters with unquoted values.
/// let entra = ParseOptions { unquoted_strings: true, ..ParseOptions::default() };
/// let filter = entra.parse("externalId eq jyoung").unwrap();
/// assert_eq!(filter.to_string(), r#"externalId eq "jyoung""#);
/// assert!(ParseOptions::default().parse("externalId eq jyoung").is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// The bounds on the input.
    pub limits: Limits,
    /// Accept a bare word as a string comparison value: `externalId eq jyoung`,
    /// `id eq 54D382A4-2050-4C03-94D1-E769F1D15682` (the word runs to the next white space,
    /// parenthesis, bracket or quote). `true`, `false`, `null` and JSON numbers standing alone
    /// keep their meaning. Off by default: the RFC requires quotes, and strict parsing reports a
    /// typo such as `active eq ture` instead of comparing with the string "ture".
    pub unquoted_strings: bool,
}

impl From<Limits> for ParseOptions {
    fn from(limits: Limits) -> Self {
        ParseOptions {
            limits,
            unquoted_strings: false,
        }
    }
}

impl ParseOptions {
    /// Parses a filter (the `filter` query parameter or a `SearchRequest`'s `filter`).
    pub fn parse<'a>(&self, input: &'a str) -> Result<Filter<'a>, ParseError> {
        let mut p = Parser::new(input, *self, Context::Filter)?;
        let rest = skip_ws(input);
        let (rest, filter) = p.or_expr(rest, 0, false)?;
        let rest = skip_ws(rest);
        if !rest.is_empty() {
            return Err(p.error(rest, Expected::LogicalOpOrEnd));
        }
        Ok(filter)
    }

    /// Parses a PATCH operation's `path` (RFC 7644 §3.5.2): an attribute path, or a value path
    /// optionally followed by a sub-attribute. Errors map to `invalidPath`.
    pub fn parse_path<'a>(&self, input: &'a str) -> Result<PatchPath<'a>, ParseError> {
        let mut p = Parser::new(input, *self, Context::Path)?;
        let rest = skip_ws(input);
        let (rest, attr) = p.attr_path(rest)?;
        let (rest, path) = if let Some(inner) = rest.strip_prefix('[') {
            let (rest, value_path) = p.value_path_body(rest, inner, attr, 0)?;
            let (rest, sub_attr) = match rest.strip_prefix('.') {
                Some(after_dot) => {
                    let (rest, sub) = p.attr_name(after_dot)?;
                    (rest, Some(Cow::Borrowed(sub)))
                }
                None => (rest, None),
            };
            (
                rest,
                PatchPath::Value {
                    value_path,
                    sub_attr,
                },
            )
        } else {
            (rest, PatchPath::Attr(attr))
        };
        let rest = skip_ws(rest);
        if !rest.is_empty() {
            return Err(p.error(rest, Expected::PathEnd));
        }
        Ok(path)
    }

    /// Parses a plain attribute path (`sortBy`, the items of `attributes`).
    pub fn parse_attr_path<'a>(&self, input: &'a str) -> Result<AttrPath<'a>, ParseError> {
        let p = Parser::new(input, *self, Context::Path)?;
        let rest = skip_ws(input);
        let (rest, attr) = p.attr_path(rest)?;
        let rest = skip_ws(rest);
        if !rest.is_empty() {
            return Err(p.error(rest, Expected::PathEnd));
        }
        Ok(attr)
    }
}

/// Parses a filter with the default [`Limits`].
///
/// ```
/// use scimkit_filter::parse;
///
/// let filter = parse(r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#).unwrap();
/// assert_eq!(
///     filter.to_string(),
///     r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#
/// );
/// ```
pub fn parse(input: &str) -> Result<Filter<'_>, ParseError> {
    Limits::default().parse(input)
}

/// Parses a PATCH `path` with the default [`Limits`].
///
/// ```
/// use scimkit_filter::{parse_path, PatchPath};
///
/// let path = parse_path(r#"emails[type eq "work"].value"#).unwrap();
/// let PatchPath::Value { value_path, sub_attr } = &path else { panic!() };
/// assert_eq!(value_path.attr.name, "emails");
/// assert_eq!(sub_attr.as_deref(), Some("value"));
/// ```
pub fn parse_path(input: &str) -> Result<PatchPath<'_>, ParseError> {
    Limits::default().parse_path(input)
}

/// Parses a plain attribute path with the default [`Limits`].
///
/// ```
/// let path = scimkit_filter::parse_attr_path(
///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
/// ).unwrap();
/// assert_eq!(path.urn.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
/// assert_eq!(path.name, "manager");
/// assert_eq!(path.sub_attr.as_deref(), Some("value"));
/// ```
pub fn parse_attr_path(input: &str) -> Result<AttrPath<'_>, ParseError> {
    Limits::default().parse_attr_path(input)
}

type PResult<'a, T> = Result<(&'a str, T), ParseError>;

struct Parser<'a> {
    input: &'a str,
    limits: Limits,
    unquoted_strings: bool,
    context: Context,
    terms: usize,
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn skip_ws(s: &str) -> &str {
    s.trim_start_matches(is_ws)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Characters of a schema URN prefix (RFC 8141 NSS characters that can appear in a filter
/// without ambiguity): everything but white space, brackets, parentheses and quotes.
fn is_urn_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ":._-+%/;=@!,$'*~".contains(c)
}

/// If `s` starts with `keyword` (any letter case) followed by something that cannot continue a
/// name, the rest after the keyword.
fn keyword<'a>(s: &'a str, keyword: &str) -> Option<&'a str> {
    let n = keyword.len();
    let head = s.get(..n)?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = &s[n..];
    match rest.chars().next() {
        Some(c) if is_name_char(c) || c == '.' || c == ':' => None,
        _ => Some(rest),
    }
}

fn nom_take<'a>(
    s: &'a str,
    f: impl FnMut(&'a str) -> IResult<&'a str, &'a str>,
) -> Option<(&'a str, &'a str)> {
    let mut f = f;
    f(s).ok()
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, options: ParseOptions, context: Context) -> Result<Self, ParseError> {
        let limits = options.limits;
        let parser = Parser {
            input,
            limits,
            unquoted_strings: options.unquoted_strings,
            context,
            terms: 0,
        };
        if input.len() > limits.max_length {
            let mut at = limits.max_length;
            while !input.is_char_boundary(at) {
                at -= 1;
            }
            return Err(parser.error(&input[at..], Expected::LengthLimit(limits.max_length)));
        }
        Ok(parser)
    }

    fn error(&self, rest: &str, expected: Expected) -> ParseError {
        let offset = self.input.len().saturating_sub(rest.len());
        ParseError::new(self.input, offset, expected, self.context)
    }

    fn enter(&self, rest: &'a str, depth: usize) -> Result<usize, ParseError> {
        let depth = depth + 1;
        let max = self.limits.max_depth.min(Limits::MAX_SUPPORTED_DEPTH);
        if depth > max {
            return Err(self.error(rest, Expected::DepthLimit(max)));
        }
        Ok(depth)
    }

    /// `or_expr = and_expr *("or" and_expr)`
    fn or_expr(&mut self, s: &'a str, depth: usize, in_brackets: bool) -> PResult<'a, Filter<'a>> {
        let (mut rest, first) = self.and_expr(s, depth, in_brackets)?;
        let Some(mut after_keyword) = keyword(skip_ws(rest), "or") else {
            return Ok((rest, first));
        };
        let mut operands = vec![first];
        loop {
            let (r, next) = self.and_expr(skip_ws(after_keyword), depth, in_brackets)?;
            operands.push(next);
            rest = r;
            match keyword(skip_ws(rest), "or") {
                Some(after) => after_keyword = after,
                None => return Ok((rest, Filter::Or(operands))),
            }
        }
    }

    /// `and_expr = unary *("and" unary)`
    fn and_expr(&mut self, s: &'a str, depth: usize, in_brackets: bool) -> PResult<'a, Filter<'a>> {
        let (mut rest, first) = self.unary(s, depth, in_brackets)?;
        let Some(mut after_keyword) = keyword(skip_ws(rest), "and") else {
            return Ok((rest, first));
        };
        let mut operands = vec![first];
        loop {
            let (r, next) = self.unary(skip_ws(after_keyword), depth, in_brackets)?;
            operands.push(next);
            rest = r;
            match keyword(skip_ws(rest), "and") {
                Some(after) => after_keyword = after,
                None => return Ok((rest, Filter::And(operands))),
            }
        }
    }

    /// `unary = "(" filter ")" / "not" "(" filter ")" / attrExp / valuePath`
    fn unary(&mut self, s: &'a str, depth: usize, in_brackets: bool) -> PResult<'a, Filter<'a>> {
        if let Some(inner) = s.strip_prefix('(') {
            let depth = self.enter(s, depth)?;
            return self.group(inner, depth, in_brackets);
        }
        if let Some(after_not) = keyword(s, "not") {
            let after_ws = skip_ws(after_not);
            if let Some(inner) = after_ws.strip_prefix('(') {
                let depth = self.enter(s, depth)?;
                let (rest, f) = self.group(inner, depth, in_brackets)?;
                return Ok((rest, Filter::Not(Box::new(f))));
            }
            // `not` not followed by "(" is an attribute named "not" (legal, if unlikely).
        }
        self.attr_expr(s, depth, in_brackets)
    }

    /// `attrExp / valuePath`: kept out of `unary`'s frame, which recursion through parentheses
    /// repeats, so that deep nesting costs little stack.
    #[inline(never)]
    fn attr_expr(
        &mut self,
        s: &'a str,
        depth: usize,
        in_brackets: bool,
    ) -> PResult<'a, Filter<'a>> {
        let start = s;
        let (rest, path) = self.attr_path(s)?;
        if let Some(inner) = rest.strip_prefix('[') {
            if in_brackets {
                return Err(self.error(rest, Expected::NoNestedValuePath));
            }
            self.count_term(start)?;
            let (rest, value_path) = self.value_path_body(rest, inner, path, depth)?;
            // Entra ID's form `emails[type eq "work"].value eq "x"`: a sub-attribute test of the
            // selected element, desugared to `emails[type eq "work" and value eq "x"]`.
            if let Some(after_dot) = rest.strip_prefix('.') {
                let (rest, sub) = self.attr_name(after_dot)?;
                let (rest, test) = self.attr_test(rest)?;
                let extra = Filter::Attr {
                    path: AttrPath::new(sub),
                    test,
                };
                let ValuePath { attr, filter } = value_path;
                let filter = match *filter {
                    Filter::And(mut operands) => {
                        operands.push(extra);
                        Filter::And(operands)
                    }
                    other => Filter::And(vec![other, extra]),
                };
                return Ok((
                    rest,
                    Filter::ValuePath(ValuePath {
                        attr,
                        filter: Box::new(filter),
                    }),
                ));
            }
            return Ok((rest, Filter::ValuePath(value_path)));
        }
        self.count_term(start)?;
        let (rest, test) = self.attr_test(rest)?;
        Ok((rest, Filter::Attr { path, test }))
    }

    fn count_term(&mut self, at: &'a str) -> Result<(), ParseError> {
        self.terms += 1;
        if self.terms > self.limits.max_terms {
            return Err(self.error(at, Expected::TermLimit(self.limits.max_terms)));
        }
        Ok(())
    }

    /// After "(": a filter and the closing ")".
    fn group(
        &mut self,
        inner: &'a str,
        depth: usize,
        in_brackets: bool,
    ) -> PResult<'a, Filter<'a>> {
        let (rest, f) = self.or_expr(skip_ws(inner), depth, in_brackets)?;
        let rest = skip_ws(rest);
        match rest.strip_prefix(')') {
            Some(rest) => Ok((rest, f)),
            None => Err(self.error(rest, Expected::LogicalOpOrParen)),
        }
    }

    /// After `attr[`: the element filter and the closing "]". `open` is the input at "[".
    fn value_path_body(
        &mut self,
        open: &'a str,
        inner: &'a str,
        attr: AttrPath<'a>,
        depth: usize,
    ) -> PResult<'a, ValuePath<'a>> {
        if attr.sub_attr.is_some() {
            return Err(self.error(open, Expected::AttrPathEnd));
        }
        let depth = self.enter(open, depth)?;
        let (rest, f) = self.or_expr(skip_ws(inner), depth, true)?;
        let rest = skip_ws(rest);
        match rest.strip_prefix(']') {
            Some(rest) => Ok((
                rest,
                ValuePath {
                    attr,
                    filter: Box::new(f),
                },
            )),
            None => Err(self.error(rest, Expected::LogicalOpOrBracket)),
        }
    }

    /// `attrPath = [URI ":"] ATTRNAME *1subAttr`
    fn attr_path(&self, s: &'a str) -> PResult<'a, AttrPath<'a>> {
        if s.len() > 4 && s.as_bytes()[..4].eq_ignore_ascii_case(b"urn:") {
            let (rest, token) = nom_take(s, take_while1(is_urn_char))
                .ok_or_else(|| self.error(s, Expected::AttrPath))?;
            // The attribute follows the URN's last colon; the URN itself may contain dots
            // (`…:enterprise:2.0:User`), the attribute part only the sub-attribute dot.
            let colon = token.rfind(':').unwrap_or(3);
            let attr_input = &s[colon + 1..];
            let (after_attr, name, sub_attr) = self.name_and_sub(attr_input)?;
            if after_attr.len() != rest.len() {
                return Err(self.error(after_attr, Expected::AttrPathEnd));
            }
            return Ok((
                rest,
                AttrPath {
                    urn: Some(Cow::Borrowed(&token[..colon])),
                    name: Cow::Borrowed(name),
                    sub_attr: sub_attr.map(Cow::Borrowed),
                },
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '$') {
            return Err(self.error(s, Expected::AttrPath));
        }
        let (rest, name, sub_attr) = self.name_and_sub(s)?;
        Ok((
            rest,
            AttrPath {
                urn: None,
                name: Cow::Borrowed(name),
                sub_attr: sub_attr.map(Cow::Borrowed),
            },
        ))
    }

    /// `ATTRNAME *1subAttr`
    fn name_and_sub(&self, s: &'a str) -> Result<(&'a str, &'a str, Option<&'a str>), ParseError> {
        let (rest, name) = self.attr_name(s)?;
        match rest.strip_prefix('.') {
            Some(after_dot) => {
                let (rest, sub) = self.attr_name(after_dot)?;
                Ok((rest, name, Some(sub)))
            }
            None => Ok((rest, name, None)),
        }
    }

    /// `ATTRNAME = ALPHA *(nameChar)`, plus `$ref` (RFC 7643 §2.1 reserves it for references).
    fn attr_name(&self, s: &'a str) -> PResult<'a, &'a str> {
        if let Some(rest) = s.strip_prefix("$ref") {
            if !rest.starts_with(is_name_char) {
                return Ok((rest, &s[..4]));
            }
        }
        if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(self.error(s, Expected::AttrName));
        }
        let (rest, name) = nom_take(s, take_while(is_name_char))
            .ok_or_else(|| self.error(s, Expected::AttrName))?;
        Ok((rest, name))
    }

    /// After an attribute path: `pr` or `compareOp compValue`.
    fn attr_test(&self, s: &'a str) -> PResult<'a, AttrTest<'a>> {
        let op_start = skip_ws(s);
        let (rest, word) = nom_take(op_start, take_while1(|c: char| c.is_ascii_alphabetic()))
            .ok_or_else(|| self.error(op_start, Expected::CompareOp))?;
        if rest.starts_with(is_name_char) || word.len() != 2 || op_start.len() == s.len() {
            return Err(self.error(op_start, Expected::CompareOp));
        }
        let op = match word.as_bytes() {
            [a, b] => match [a.to_ascii_lowercase(), b.to_ascii_lowercase()] {
                [b'p', b'r'] => return Ok((rest, AttrTest::Present)),
                [b'e', b'q'] => CompareOp::Eq,
                [b'n', b'e'] => CompareOp::Ne,
                [b'c', b'o'] => CompareOp::Co,
                [b's', b'w'] => CompareOp::Sw,
                [b'e', b'w'] => CompareOp::Ew,
                [b'g', b't'] => CompareOp::Gt,
                [b'l', b't'] => CompareOp::Lt,
                [b'g', b'e'] => CompareOp::Ge,
                [b'l', b'e'] => CompareOp::Le,
                _ => return Err(self.error(op_start, Expected::CompareOp)),
            },
            _ => return Err(self.error(op_start, Expected::CompareOp)),
        };
        let value_start = skip_ws(rest);
        if value_start.len() == rest.len() && !rest.starts_with('"') {
            return Err(self.error(rest, Expected::CompValue));
        }
        let (rest, value) = self.comp_value(value_start)?;
        Ok((rest, AttrTest::Compare(op, value)))
    }

    /// A comparison value, with the unquoted-word extension when enabled.
    fn comp_value(&self, s: &'a str) -> PResult<'a, CompValue<'a>> {
        let standard = self.standard_comp_value(s);
        if !self.unquoted_strings || s.starts_with('"') {
            return standard;
        }
        let word_len = s
            .find(|c: char| is_ws(c) || matches!(c, '(' | ')' | '[' | ']' | '"'))
            .unwrap_or(s.len());
        match standard {
            Ok((rest, value)) if s.len() - rest.len() == word_len => Ok((rest, value)),
            _ if word_len > 0 => Ok((
                &s[word_len..],
                CompValue::String(Cow::Borrowed(&s[..word_len])),
            )),
            err => err,
        }
    }

    /// `compValue = false / null / true / number / string`
    fn standard_comp_value(&self, s: &'a str) -> PResult<'a, CompValue<'a>> {
        match s.as_bytes().first() {
            Some(b'"') => {
                let (rest, v) = self.string(s)?;
                Ok((rest, CompValue::String(v)))
            }
            Some(b'-' | b'0'..=b'9') => self.number(s),
            _ => {
                if let Some(rest) = keyword(s, "true") {
                    Ok((rest, CompValue::True))
                } else if let Some(rest) = keyword(s, "false") {
                    Ok((rest, CompValue::False))
                } else if let Some(rest) = keyword(s, "null") {
                    Ok((rest, CompValue::Null))
                } else {
                    Err(self.error(s, Expected::CompValue))
                }
            }
        }
    }

    /// A JSON number: `-? (0 / [1-9] digits) [. digits] [(e/E) [+/-] digits]`.
    fn number(&self, s: &'a str) -> PResult<'a, CompValue<'a>> {
        let bad = |at: &str| self.error(at, Expected::Number);
        let after_sign = s.strip_prefix('-').unwrap_or(s);
        let (rest, int) = nom_take(after_sign, digit1).ok_or_else(|| bad(after_sign))?;
        if int.len() > 1 && int.starts_with('0') {
            return Err(bad(after_sign));
        }
        let mut is_float = false;
        let mut rest = rest;
        if let Some(frac) = rest.strip_prefix('.') {
            let (r, digits) = nom_take(frac, digit0).ok_or_else(|| bad(frac))?;
            if digits.is_empty() {
                return Err(bad(frac));
            }
            rest = r;
            is_float = true;
        }
        if let Some(exp) = rest.strip_prefix(['e', 'E']) {
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            let (r, digits) = nom_take(exp, digit0).ok_or_else(|| bad(exp))?;
            if digits.is_empty() {
                return Err(bad(exp));
            }
            rest = r;
            is_float = true;
        }
        if rest.starts_with(|c: char| is_name_char(c) || c == '.') {
            return Err(bad(rest));
        }
        let text = &s[..s.len() - rest.len()];
        let number = if is_float {
            None
        } else if let Ok(i) = text.parse::<i64>() {
            Some(serde_json::Number::from(i))
        } else {
            text.parse::<u64>().ok().map(serde_json::Number::from)
        };
        let number = match number {
            Some(n) => n,
            None => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .ok_or_else(|| bad(s))?,
        };
        Ok((rest, CompValue::Number(number)))
    }

    /// A JSON string (RFC 8259 §7), starting at its opening quote.
    fn string(&self, s: &'a str) -> PResult<'a, Cow<'a, str>> {
        let body = &s[1..];
        let bytes = body.as_bytes();
        // Fast path: no escape before the closing quote.
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => return Ok((&body[i + 1..], Cow::Borrowed(&body[..i]))),
                b'\\' => break,
                c if c < 0x20 => return Err(self.error(&body[i..], Expected::StringChar)),
                _ => i += 1,
            }
        }
        if i >= bytes.len() {
            return Err(self.error(&body[bytes.len()..], Expected::StringEnd));
        }
        let mut out = String::with_capacity(body.len());
        out.push_str(&body[..i]);
        let mut rest = &body[i..];
        loop {
            let Some(c) = rest.chars().next() else {
                return Err(self.error(rest, Expected::StringEnd));
            };
            match c {
                '"' => return Ok((&rest[1..], Cow::Owned(out))),
                '\\' => {
                    let esc = &rest[1..];
                    let (r, ch) = self.escape(rest, esc)?;
                    out.push(ch);
                    rest = r;
                }
                c if (c as u32) < 0x20 => return Err(self.error(rest, Expected::StringChar)),
                c => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
    }

    /// One escape sequence; `at` is the input at the backslash, `esc` just after it.
    fn escape(&self, at: &'a str, esc: &'a str) -> PResult<'a, char> {
        let simple = |c: char| Ok((&esc[1..], c));
        match esc.as_bytes().first() {
            Some(b'"') => simple('"'),
            Some(b'\\') => simple('\\'),
            Some(b'/') => simple('/'),
            Some(b'b') => simple('\u{8}'),
            Some(b'f') => simple('\u{c}'),
            Some(b'n') => simple('\n'),
            Some(b'r') => simple('\r'),
            Some(b't') => simple('\t'),
            Some(b'u') => {
                let (rest, hi) = self.hex4(at, &esc[1..])?;
                if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    let low_esc = rest
                        .strip_prefix("\\u")
                        .ok_or_else(|| self.error(rest, Expected::StringEscape))?;
                    let (rest2, lo) = self.hex4(rest, low_esc)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.error(rest, Expected::StringEscape));
                    }
                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    let ch = char::from_u32(code)
                        .ok_or_else(|| self.error(at, Expected::StringEscape))?;
                    return Ok((rest2, ch));
                }
                let ch =
                    char::from_u32(hi).ok_or_else(|| self.error(at, Expected::StringEscape))?;
                Ok((rest, ch))
            }
            _ => Err(self.error(at, Expected::StringEscape)),
        }
    }

    /// Four hex digits of a `\u` escape; `at` is the input at the backslash.
    fn hex4(&self, at: &'a str, s: &'a str) -> PResult<'a, u32> {
        let digits = s
            .get(..4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error(at, Expected::StringEscape))?;
        let value =
            u32::from_str_radix(digits, 16).map_err(|_| self.error(at, Expected::StringEscape))?;
        Ok((&s[4..], value))
    }
}
