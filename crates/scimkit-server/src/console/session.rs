//! Console sessions: a random session id in an `HttpOnly`, `SameSite=Strict` cookie (and
//! `Secure` behind HTTPS), expiring after [`SESSION_LIFETIME`]; a CSRF token per session; the
//! sign-in form's own CSRF token (double submit: cookie and field). The server keeps the admin
//! token a session was opened with in memory only, to call the admin API on its behalf; it is
//! never logged, echoed or put in a cookie.

use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// How long a session lasts after sign-in.
pub(crate) const SESSION_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// The most sessions kept at once; signing in beyond it ends the oldest.
const MAX_SESSIONS: usize = 1000;

/// Failed sign-ins allowed per [`FAILURE_WINDOW`], over all clients; beyond, sign-in is
/// refused (429) until the window has passed, whatever the token.
pub(crate) const MAX_FAILED_SIGN_INS: usize = 20;

/// The window [`MAX_FAILED_SIGN_INS`] counts in.
pub(crate) const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "scimkit_console";

/// The sign-in form's CSRF cookie.
pub(crate) const SIGN_IN_COOKIE: &str = "scimkit_console_signin";

/// A token the admin API issued, kept until the next page shows it once.
pub(crate) struct IssuedToken {
    pub(crate) tenant: String,
    pub(crate) scim_base_url: String,
    pub(crate) token: String,
}

/// A message for the next page: a notice or an error, and maybe a token to show once.
#[derive(Default)]
pub(crate) struct Flash {
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) token: Option<IssuedToken>,
}

struct Session {
    admin_token: String,
    csrf: String,
    expires: Instant,
    flash: Flash,
}

/// What a request learns about its session.
pub(crate) struct SessionView {
    /// The key the session is stored under (the SHA-256 of its id).
    pub(crate) key: String,
    pub(crate) admin_token: String,
    pub(crate) csrf: String,
}

/// Every open session, shared by clones, and the recent failed sign-ins.
#[derive(Clone, Default)]
pub(crate) struct Sessions {
    inner: Arc<Mutex<HashMap<String, Session>>>,
    failures: Arc<Mutex<VecDeque<Instant>>>,
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether sign-in is closed for now: [`MAX_FAILED_SIGN_INS`] failures in the last
    /// [`FAILURE_WINDOW`] (guessing the admin token through the console stays slow).
    pub(crate) fn sign_in_closed(&self) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while failures
            .front()
            .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
        {
            failures.pop_front();
        }
        failures.len() >= MAX_FAILED_SIGN_INS
    }

    /// Counts a failed sign-in.
    pub(crate) fn sign_in_failed(&self) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() < MAX_FAILED_SIGN_INS {
            failures.push_back(Instant::now());
        }
    }

    /// Opens a session for `admin_token`; returns the session id for the cookie.
    pub(crate) fn open(&self, admin_token: &str) -> Option<String> {
        let id = random_hex()?;
        let csrf = random_hex()?;
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            key_of(&id),
            Session {
                admin_token: admin_token.to_owned(),
                csrf,
                expires: now + SESSION_LIFETIME,
                flash: Flash::default(),
            },
        );
        Some(id)
    }

    /// The live session named by the request's session cookie.
    pub(crate) fn find(&self, cookie_header: Option<&str>) -> Option<SessionView> {
        let id = cookie(cookie_header, SESSION_COOKIE)?;
        let key = key_of(id);
        let mut map = self.lock();
        let s = map.get(&key)?;
        if s.expires <= Instant::now() {
            map.remove(&key);
            return None;
        }
        Some(SessionView {
            admin_token: s.admin_token.clone(),
            csrf: s.csrf.clone(),
            key,
        })
    }

    /// Ends a session.
    pub(crate) fn close(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Sets the message the session's next page shows.
    pub(crate) fn set_flash(&self, key: &str, flash: Flash) {
        if let Some(s) = self.lock().get_mut(key) {
            s.flash = flash;
        }
    }

    /// Takes the session's message (shown once).
    pub(crate) fn take_flash(&self, key: &str) -> Flash {
        self.lock()
            .get_mut(key)
            .map(|s| std::mem::take(&mut s.flash))
            .unwrap_or_default()
    }
}

fn key_of(id: &str) -> String {
    hex(&Sha256::digest(id.as_bytes()))
}

/// 256 random bits, hex; `None` when the operating system has no randomness to give.
pub(crate) fn random_hex() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        s.push_str(&format!("{b:02x}"));
        s
    })
}

/// Whether a submitted CSRF token is the expected one (constant time).
pub(crate) fn same_token(expected: &str, given: Option<&str>) -> bool {
    given.is_some_and(|g| {
        !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(g.as_bytes()))
    })
}

/// The value of cookie `name` in a `Cookie` header.
pub(crate) fn cookie<'h>(header: Option<&'h str>, name: &str) -> Option<&'h str> {
    header?
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Path=/console`, `Secure` when asked;
/// `max_age` zero deletes it.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    let mut c = format!(
        "{name}={value}; Path={}; Max-Age={}; HttpOnly; SameSite=Strict",
        super::CONSOLE_PATH,
        max_age.as_secs()
    );
    if secure {
        c.push_str("; Secure");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_open_find_and_close() {
        let sessions = Sessions::default();
        let id = sessions.open("admin").expect("randomness");
        let header = format!("other=1; {SESSION_COOKIE}={id}");
        let view = sessions.find(Some(&header)).expect("open");
        assert_eq!(view.admin_token, "admin");
        assert!(sessions.find(Some("scimkit_console=forged")).is_none());
        sessions.close(&view.key);
        assert!(sessions.find(Some(&header)).is_none());
    }

    #[test]
    fn csrf_comparison() {
        assert!(same_token("abc", Some("abc")));
        assert!(!same_token("abc", Some("abd")));
        assert!(!same_token("abc", None));
        assert!(!same_token("", Some("")));
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie("n", "v", SESSION_LIFETIME, true);
        for part in ["HttpOnly", "SameSite=Strict", "Secure", "Max-Age=3600"] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!set_cookie("n", "v", SESSION_LIFETIME, false).contains("Secure"));
    }
}
