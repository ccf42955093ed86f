//! Small HTTP helpers: query strings, content types, preconditions, responses.

use crate::store::Version;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use scimkit_schema::ScimError;
use serde_json::Value;

/// The media type of every response.
pub const SCIM_JSON: &str = "application/scim+json";

/// Decodes `%XX` escapes and `+` (as a space) of a query-string component. Invalid escapes are
/// kept as written; invalid UTF-8 is replaced.
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded `name=value` pairs of a query string.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Checks a request body's `Content-Type`: `application/scim+json` or `application/json`,
/// parameters (charset) allowed; a missing header is accepted.
pub(crate) fn check_content_type(headers: &HeaderMap) -> Result<(), ScimError> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let mime = ct
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    if mime.eq_ignore_ascii_case(SCIM_JSON) || mime.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ScimError::new(
            415,
            None,
            format!("Content-Type must be {SCIM_JSON} or application/json"),
        ))
    }
}

/// An `If-Match` / `If-None-Match` header: `*` or a list of entity tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Precondition {
    /// No header.
    None,
    /// `*`.
    Any,
    /// Entity tags; `None` for a tag this server cannot have issued.
    Tags(Vec<Option<Version>>),
}

impl Precondition {
    pub(crate) fn from_header(headers: &HeaderMap, name: header::HeaderName) -> Self {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return Precondition::None;
        }
        let tags: Vec<&str> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if tags.contains(&"*") {
            return Precondition::Any;
        }
        Precondition::Tags(tags.into_iter().map(Version::from_etag).collect())
    }

    /// From a Bulk operation's `version`.
    pub(crate) fn from_version(v: Option<&str>) -> Self {
        match v {
            None => Precondition::None,
            Some(t) if t.trim() == "*" => Precondition::Any,
            Some(t) => Precondition::Tags(vec![Version::from_etag(t)]),
        }
    }

    pub(crate) fn is_given(&self) -> bool {
        !matches!(self, Precondition::None)
    }

    /// Whether the current version matches (weak comparison).
    pub(crate) fn matches(&self, current: Version) -> bool {
        match self {
            Precondition::None | Precondition::Any => true,
            Precondition::Tags(tags) => tags.contains(&Some(current)),
        }
    }

    /// `If-Match`: 412 unless the current version matches.
    pub(crate) fn check(&self, current: Version) -> Result<(), ScimError> {
        if self.matches(current) {
            Ok(())
        } else {
            Err(ScimError::precondition_failed(format!(
                "If-Match does not match the current version {}",
                current.etag()
            )))
        }
    }
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Bytes> {
    json_bytes_response(status, serde_json::to_vec(body).unwrap_or_default())
}

pub(crate) fn json_bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    resp
}

/// The SCIM error body for an error, with `WWW-Authenticate: Bearer` on a 401.
pub fn error_response(err: &ScimError) -> Response<Bytes> {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = json_response(status, &err.to_json());
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"SCIM\""),
        );
    }
    resp
}

pub(crate) fn set_etag(resp: &mut Response<Bytes>, v: Version) {
    if let Ok(h) = HeaderValue::from_str(&v.etag()) {
        resp.headers_mut().insert(header::ETAG, h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(
            percent_decode("userName%20eq%20%22a%40b%22", true),
            "userName eq \"a@b\""
        );
        assert_eq!(percent_decode("a+b", true), "a b");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("100%", true), "100%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert_eq!(percent_decode("%C3%A4", true), "ä");
        let q = query_pairs(Some("filter=x%20pr&count=5&flag"));
        assert_eq!(q[0], ("filter".into(), "x pr".into()));
        assert_eq!(q[2], ("flag".into(), "".into()));
    }

    #[test]
    fn preconditions() {
        let mut h = HeaderMap::new();
        assert_eq!(
            Precondition::from_header(&h, header::IF_MATCH),
            Precondition::None
        );
        h.insert(header::IF_MATCH, HeaderValue::from_static("W/\"2\", \"3\""));
        let p = Precondition::from_header(&h, header::IF_MATCH);
        assert!(p.matches(Version(2)) && p.matches(Version(3)) && !p.matches(Version(4)));
        assert_eq!(p.check(Version(4)).unwrap_err().status(), 412);
        h.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert!(Precondition::from_header(&h, header::IF_MATCH).matches(Version(9)));
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"garbage\""));
        assert!(!Precondition::from_header(&h, header::IF_MATCH).matches(Version(1)));
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(check_content_type(&h).is_ok());
        for ok in [
            "application/scim+json",
            "application/json; charset=utf-8",
            "Application/SCIM+JSON;charset=UTF-8",
        ] {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ok));
            assert!(check_content_type(&h).is_ok(), "{ok}");
        }
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(check_content_type(&h).unwrap_err().status(), 415);
    }
}
