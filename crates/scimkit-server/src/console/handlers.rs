//! The console's routes: sign-in and sign-out, then each page and form, every change a call
//! of the admin API.

use super::api::{query_value, seg, Api, ApiError};
use super::audit::{self, AUDIT_PAGE};
use super::session::{self, cookie, same_token, Flash, IssuedToken, SessionView, SIGN_IN_COOKIE};
use super::views::{self, tenant_url, Frame};
use super::{accounts, tenant};
use super::{asset, html, see_other, text, Console, Incoming, SESSION_COOKIE};
use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use scimkit_provisioning::ProvisioningState;
use serde_json::{json, Value};
use std::time::Duration;

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

/// Accounts per page.
const ACCOUNTS_PAGE: usize = 50;

/// How long the sign-in form's CSRF cookie lasts.
const SIGN_IN_FORM_LIFETIME: Duration = Duration::from_secs(15 * 60);

impl<B: ProvisioningState> Console<B> {
    pub(super) async fn route(&self, req: &Incoming) -> Response<Bytes> {
        let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
        let get = req.method == Method::GET;
        let post = req.method == Method::POST;
        match segs.as_slice() {
            ["assets", "console.css"] if get => return asset(CSS, "text/css; charset=utf-8"),
            ["assets", "console.js"] if get => return asset(JS, "text/javascript; charset=utf-8"),
            ["sign-in"] if get => return self.sign_in_page(StatusCode::OK, None),
            ["sign-in"] if post => return self.sign_in(req).await,
            _ => {}
        }
        let Some(session) = self.sessions.find(req.cookies.as_deref()) else {
            if get {
                return see_other("/console/sign-in");
            }
            return html(
                StatusCode::FORBIDDEN,
                views::refused(
                    "Not signed in",
                    "You are not signed in, or your session has ended: nothing was changed.",
                    false,
                ),
            );
        };
        if post && !same_token(&session.csrf, req.form.get("csrf").map(String::as_str)) {
            return html(
                StatusCode::FORBIDDEN,
                views::refused(
                    "Form refused",
                    "The form's CSRF token is missing or not valid: nothing was changed. \
                     Reload the page and try again.",
                    true,
                ),
            );
        }
        let resp = self.signed_in(req, &segs, &session).await;
        match resp {
            Ok(resp) => resp,
            Err(e) if e.status == 401 => {
                self.sessions.close(&session.key);
                see_other("/console/sign-in")
            }
            Err(e) => html(
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
                views::refused("Not possible", &e.message, true),
            ),
        }
    }

    fn sign_in_page(&self, status: StatusCode, error: Option<&str>) -> Response<Bytes> {
        let Some(csrf) = session::random_hex() else {
            return text(StatusCode::SERVICE_UNAVAILABLE, "no randomness available\n");
        };
        let mut resp = html(status, views::sign_in(&csrf, error));
        self.add_cookie(
            &mut resp,
            &session::set_cookie(
                SIGN_IN_COOKIE,
                &csrf,
                SIGN_IN_FORM_LIFETIME,
                self.secure_cookies,
            ),
        );
        resp
    }

    async fn sign_in(&self, req: &Incoming) -> Response<Bytes> {
        let expected = cookie(req.cookies.as_deref(), SIGN_IN_COOKIE).unwrap_or_default();
        if !same_token(expected, req.form.get("csrf").map(String::as_str)) {
            return self.sign_in_page(
                StatusCode::FORBIDDEN,
                Some("The sign-in form expired or was not this server's; try again."),
            );
        }
        if self.sessions.sign_in_closed() {
            return self.sign_in_page(
                StatusCode::TOO_MANY_REQUESTS,
                Some("Too many failed sign-ins: signing in is closed for a minute."),
            );
        }
        let token = req.field("token").trim();
        let api = Api {
            admin: &self.admin,
            token,
        };
        if let Err(e) = api.get("/tenants").await {
            let message = if e.status == 401 {
                self.sessions.sign_in_failed();
                "That is not the admin token."
            } else {
                "The admin API could not be reached."
            };
            return self.sign_in_page(StatusCode::UNAUTHORIZED, Some(message));
        }
        let Some(id) = self.sessions.open(token) else {
            return text(StatusCode::SERVICE_UNAVAILABLE, "no randomness available\n");
        };
        let mut resp = see_other("/console/tenants");
        self.add_cookie(&mut resp, &self.session_cookie(&id));
        self.add_cookie(
            &mut resp,
            &session::set_cookie(SIGN_IN_COOKIE, "", Duration::ZERO, self.secure_cookies),
        );
        resp
    }

    fn add_cookie(&self, resp: &mut Response<Bytes>, value: &str) {
        if let Ok(v) = HeaderValue::from_str(value) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }

    /// Redirects to `location` with a notice (the API call succeeded) or its error.
    fn after(
        &self,
        s: &SessionView,
        result: Result<Value, ApiError>,
        notice: String,
        location: &str,
    ) -> Result<Response<Bytes>, ApiError> {
        let flash = match result {
            Ok(_) => Flash {
                notice: Some(notice),
                ..Flash::default()
            },
            Err(e) if e.status == 401 => return Err(e),
            Err(e) => Flash {
                error: Some(e.message),
                ..Flash::default()
            },
        };
        self.sessions.set_flash(&s.key, flash);
        Ok(see_other(location))
    }

    async fn signed_in(
        &self,
        req: &Incoming,
        segs: &[&str],
        s: &SessionView,
    ) -> Result<Response<Bytes>, ApiError> {
        let api = Api {
            admin: &self.admin,
            token: &s.admin_token,
        };
        let get = req.method == Method::GET;
        let post = req.method == Method::POST;
        match segs {
            [] if get => Ok(see_other("/console/tenants")),
            ["sign-out"] if post => {
                self.sessions.close(&s.key);
                let mut resp = see_other("/console/sign-in");
                self.add_cookie(
                    &mut resp,
                    &session::set_cookie(SESSION_COOKIE, "", Duration::ZERO, self.secure_cookies),
                );
                Ok(resp)
            }
            ["tenants"] if get => {
                let ids = api.get("/tenants").await?;
                let mut tenants = Vec::new();
                for id in ids["tenants"].as_array().into_iter().flatten() {
                    let id = id.as_str().unwrap_or_default();
                    tenants.push(api.get(&format!("/tenants/{}", seg(id))).await?);
                }
                let frame = self.frame(s, "Tenants", None);
                Ok(html(
                    StatusCode::OK,
                    views::tenants(&frame, &s.csrf, &tenants),
                ))
            }
            ["tenants"] if post => {
                let id = req.field("id").trim();
                let body = json!({"id": id, "idp": req.field("idp"), "rules": req.field("rules")});
                match api.send(Method::POST, "/tenants", &body).await {
                    Ok(_) => self.after(
                        s,
                        Ok(Value::Null),
                        format!("Tenant {id} created."),
                        &tenant_url(id, ""),
                    ),
                    r => self.after(s, r, String::new(), "/console/tenants"),
                }
            }
            ["tenants", t] if get => {
                let tenant = api.get(&format!("/tenants/{}", seg(t))).await?;
                let frame = self.frame(s, "Tenant", Some(t));
                Ok(html(
                    StatusCode::OK,
                    tenant::tenant(&frame, &s.csrf, &tenant),
                ))
            }
            ["tenants", t, "provisioning", action @ ("rotate" | "revoke" | "disable")] if get => {
                let frame = self.frame(s, "Confirm", Some(t));
                Ok(html(
                    StatusCode::OK,
                    tenant::confirm(&frame, &s.csrf, t, action),
                ))
            }
            ["tenants", t, "provisioning", action @ ("enable" | "rotate" | "revoke" | "disable")]
                if post =>
            {
                let path = format!("/tenants/{}/provisioning/{action}", seg(t));
                let result = api.send(Method::POST, &path, &json!({})).await;
                let here = tenant_url(t, "");
                match (result, *action) {
                    (Ok(v), "enable" | "rotate") => {
                        let issued = IssuedToken {
                            tenant: (*t).to_owned(),
                            scim_base_url: v["scimBaseUrl"].as_str().unwrap_or_default().to_owned(),
                            token: v["token"].as_str().unwrap_or_default().to_owned(),
                        };
                        let notice = if *action == "enable" {
                            "Provisioning is on."
                        } else {
                            "The token was rotated; the old one no longer works."
                        };
                        self.sessions.set_flash(
                            &s.key,
                            Flash {
                                notice: Some(notice.into()),
                                error: None,
                                token: Some(issued),
                            },
                        );
                        Ok(see_other(&here))
                    }
                    (r, "revoke") => self.after(
                        s,
                        r,
                        "The token was revoked: SCIM requests get 401 until you rotate.".into(),
                        &here,
                    ),
                    (r, _) => self.after(s, r, "Provisioning is off.".into(), &here),
                }
            }
            ["tenants", t, "templates"] if post => {
                let name = req.field("name");
                let r = api
                    .send(
                        Method::POST,
                        &format!("/tenants/{}/templates", seg(t)),
                        &json!({"name": name}),
                    )
                    .await;
                self.after(
                    s,
                    r,
                    format!("Template {} created.", name.trim()),
                    &tenant_url(t, ""),
                )
            }
            ["tenants", t, "templates", "default"] if post => {
                let r = match req.field("template").parse::<u64>() {
                    Ok(id) => {
                        api.send(
                            Method::PUT,
                            &format!("/tenants/{}/templates/default", seg(t)),
                            &json!({"template": id}),
                        )
                        .await
                    }
                    Err(_) => Err(ApiError {
                        status: 400,
                        message: "Choose a template.".into(),
                    }),
                };
                self.after(
                    s,
                    r,
                    "Default policy template set.".into(),
                    &tenant_url(t, ""),
                )
            }
            ["tenants", t, "domains"] if post => {
                let domain = req.field("domain").trim();
                let body = json!({"domain": domain, "mode": req.field("mode")});
                let r = api
                    .send(Method::POST, &format!("/tenants/{}/domains", seg(t)), &body)
                    .await;
                self.after(s, r, format!("Domain {domain} added."), &tenant_url(t, ""))
            }
            ["tenants", t, "domains", d, "mode"] if post => {
                let path = format!("/tenants/{}/domains/{}", seg(t), seg(d));
                let r = api
                    .send(Method::PUT, &path, &json!({"mode": req.field("mode")}))
                    .await;
                self.after(
                    s,
                    r,
                    format!("Domain {d}: mode changed."),
                    &tenant_url(t, ""),
                )
            }
            ["tenants", t, "domains", d, "remove"] if post => {
                let path = format!("/tenants/{}/domains/{}", seg(t), seg(d));
                let r = api.call(Method::DELETE, &path, None).await;
                self.after(s, r, format!("Domain {d} removed."), &tenant_url(t, ""))
            }
            ["tenants", t, "accounts"] if get => {
                let q = req.query("q");
                let cursor = req.query("cursor");
                let mut path = format!("/tenants/{}/accounts?limit={ACCOUNTS_PAGE}", seg(t));
                if let Some(q) = q {
                    path.push_str(&format!("&q={}", query_value(q)));
                }
                if let Some(c) = cursor {
                    path.push_str(&format!("&cursor={}", query_value(c)));
                }
                let tenant = api.get(&format!("/tenants/{}", seg(t))).await?;
                let page = api.get(&path).await?;
                let frame = self.frame(s, "Accounts", Some(t));
                Ok(html(
                    StatusCode::OK,
                    accounts::accounts(&frame, &s.csrf, &tenant, &page, q, cursor),
                ))
            }
            ["tenants", t, "accounts", email, action @ ("suspend" | "unsuspend")] if post => {
                let path = format!("/tenants/{}/accounts/{}/{action}", seg(t), seg(email));
                let r = api.send(Method::POST, &path, &json!({})).await;
                let notice = if *action == "suspend" {
                    format!("{email} is suspended here; the identity provider still reads its own “active”.")
                } else {
                    format!("{email} is no longer suspended.")
                };
                let mut back = tenant_url(t, "/accounts?");
                if let Some(q) = req.form.get("q").filter(|q| !q.is_empty()) {
                    back.push_str(&format!("q={}&", query_value(q)));
                }
                if let Some(c) = req.form.get("cursor").filter(|c| !c.is_empty()) {
                    back.push_str(&format!("cursor={}", query_value(c)));
                }
                self.after(s, r, notice, back.trim_end_matches(['&', '?']))
            }
            ["tenants", t, "audit"] if get => {
                let before = req.query("before").and_then(|b| b.parse::<u64>().ok());
                let (entries, first, _) = api.audit_newest_first(t, before, AUDIT_PAGE).await?;
                let frame = self.frame(s, "Audit log", Some(t));
                Ok(html(
                    StatusCode::OK,
                    audit::page(&frame, t, &entries, first, before.is_none()),
                ))
            }
            ["tenants", t, "audit", "live"] if get => {
                let after = req
                    .query("after")
                    .and_then(|a| a.parse::<u64>().ok())
                    .unwrap_or(0);
                let path = format!("/tenants/{}/audit?since={after}&limit={AUDIT_PAGE}", seg(t));
                let v = api.get(&path).await?;
                let mut entries = v["entries"].as_array().cloned().unwrap_or_default();
                entries.reverse();
                Ok(html(StatusCode::OK, audit::fragment(&entries)))
            }
            _ => Ok(html(
                StatusCode::NOT_FOUND,
                views::refused("Not found", "There is no such console page.", true),
            )),
        }
    }

    /// The frame of a signed-in page; takes the session's message (shown once).
    fn frame<'a>(&self, s: &'a SessionView, title: &'a str, tenant: Option<&'a str>) -> Frame<'a> {
        Frame {
            title,
            csrf: Some(&s.csrf),
            tenant,
            flash: self.sessions.take_flash(&s.key),
        }
    }
}
