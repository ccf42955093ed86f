//! RFC 9865 cursor pages: `cursor` (and `count`) in, `nextCursor` out.
//!
//! A page is a keyset query ([`Keyset`]) after the position the cursor carries, in keyset
//! order (the sort, then `id`), one resource more than asked so that `nextCursor` is omitted
//! exactly on the last page. Every page is an ordinary request: authenticated, for the
//! caller's tenant, through the read hook; the cursor only says where to start.
//! `previousCursor` is not issued (RFC 9865 makes it optional).

use super::query::Parsed;
use super::{wants_members, Ctx, Dispatcher, ListParams};
use crate::auth::Authenticator;
use crate::cursor::{self, Binding};
use crate::hooks::Hooks;
use crate::http_util::json_bytes_response;
use crate::render::{list_body_with, Rendered};
use crate::store::{Keyset, KeysetPosition, Store};
use bytes::Bytes;
use http::{Response, StatusCode};
use scimkit_schema::{Projection, ResourceSchema, ScimError, ScimType};
use std::time::{SystemTime, UNIX_EPOCH};

impl<S: Store, A: Authenticator, H: Hooks<S>> Dispatcher<S, A, H> {
    pub(crate) async fn cursor_page(
        &self,
        ctx: &Ctx,
        types: &[ResourceSchema<'_>],
        params: &ListParams,
        parsed: &Parsed<'_>,
        cursor: &str,
    ) -> Result<Response<Bytes>, ScimError> {
        let cfg = &self.inner.config;
        if cfg.cursor_keys.is_empty() {
            return Err(cursor::not_enabled());
        }
        let [rs] = types else {
            return Err(ScimError::invalid_value(
                "Cursor paging is per resource type: search /Users/.search or /Groups/.search",
            ));
        };
        let rs = *rs;
        if params.start_index.is_some() {
            return Err(ScimError::invalid_value(
                "startIndex and cursor ask for different pagination methods: send one of them",
            ));
        }
        let count = match params.count {
            None => cfg.page_size(),
            Some(c) => match usize::try_from(c.max(0)) {
                Ok(c) if c <= cfg.max_results => c,
                _ => {
                    return Err(ScimError::bad_request(
                        ScimType::InvalidCount,
                        format!(
                            "count must be at most {} (maxPageSize) with cursor paging",
                            cfg.max_results
                        ),
                    ))
                }
            },
        };
        let (filter, sort) = (parsed.filter_text(), parsed.sort_text());
        let binding = Binding {
            tenant: ctx.principal.tenant.as_str(),
            resource_type: rs.name(),
            filter: &filter,
            sort: &sort,
        };
        let now = now_ms();
        let position = match cursor {
            "" => None,
            c => cursor::open(&cfg.cursor_keys, &binding, c, now, cfg.cursor_timeout)?.position,
        };
        let keyset = position.as_ref().map_or(Keyset::first(), Keyset::after);
        let with_members = wants_members(params.attributes.as_deref(), &params.excluded);
        let with_total = cfg.cursor_total_results;
        let mut page = self
            .run_query(
                ctx,
                rs,
                parsed,
                Some(keyset),
                0,
                count.saturating_add(1),
                with_members,
                with_total,
            )
            .await?;
        let more = page.resources.len() > count;
        page.resources.truncate(count);
        let next = match (more, page.resources.last()) {
            (false, _) => None,
            (true, Some(last)) => {
                let end = KeysetPosition::of(&last.view(rs.name()), &last.id, parsed.sort(), &rs);
                Some(cursor::issue(&cfg.cursor_keys, &binding, Some(&end), now)?)
            }
            // `count=0`: nothing served, the next page starts where this one did.
            (true, None) => Some(cursor::issue(
                &cfg.cursor_keys,
                &binding,
                position.as_ref(),
                now,
            )?),
        };
        let proj = Projection::new(&rs, params.attributes.as_deref(), &params.excluded)?;
        let resources: Vec<Rendered<'_>> = page
            .resources
            .iter()
            .map(|stored| self.render(ctx, rs, stored, &proj))
            .collect();
        let mut head = String::new();
        if with_total {
            head.push_str(&format!("\"totalResults\":{},", page.total));
        }
        head.push_str(&format!("\"itemsPerPage\":{}", resources.len()));
        if let Some(next) = next {
            // base64url: nothing to escape.
            head.push_str(&format!(",\"nextCursor\":\"{next}\""));
        }
        Ok(json_bytes_response(
            StatusCode::OK,
            list_body_with(&resources, &head),
        ))
    }
}

/// Now, in Unix milliseconds (a cursor's issue time).
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
