//! Queries: filter, sort and page, natively in the store where it can, here otherwise.

use super::walks::WalkKey;
use super::writes::served;
use super::{wants_members, Ctx, Dispatcher, ListParams};
use crate::auth::Authenticator;
use crate::hooks::Hooks;
use crate::http_util::json_bytes_response;
use crate::read_filter;
use crate::render::{list_body, Rendered};
use crate::store::{
    finish_keyset_query, finish_query, Keyset, KeysetPosition, Page, Query, Store, Stored,
};
use bytes::Bytes;
use http::{Response, StatusCode};
use scimkit_filter::{parse_attr_path, AttrPath, Filter, Matcher, ParseOptions, SortOrder};
use scimkit_schema::{Projection, ResourceSchema, ScimError};

/// A parsed query: its filter and sort, and their canonical text (what cursors and remembered
/// walks are bound to).
pub(crate) struct Parsed<'f> {
    pub(crate) filter: Option<Filter<'f>>,
    pub(crate) sort_by: Option<AttrPath<'f>>,
    pub(crate) order: SortOrder,
}

impl Parsed<'_> {
    pub(crate) fn sort(&self) -> Option<(&AttrPath<'_>, SortOrder)> {
        self.sort_by.as_ref().map(|by| (by, self.order))
    }

    /// The filter's canonical text (`""` for none).
    pub(crate) fn filter_text(&self) -> String {
        self.filter
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// `sortBy` and `sortOrder` as canonical text (`""` for none).
    pub(crate) fn sort_text(&self) -> String {
        match &self.sort_by {
            None => String::new(),
            Some(by) => match self.order {
                SortOrder::Ascending => format!("{by} ascending"),
                SortOrder::Descending => format!("{by} descending"),
            },
        }
    }
}

impl<S: Store, A: Authenticator, H: Hooks<S>> Dispatcher<S, A, H> {
    pub(crate) async fn list(
        &self,
        ctx: &Ctx,
        types: &[ResourceSchema<'_>],
        params: ListParams,
    ) -> Result<Response<Bytes>, ScimError> {
        let parsed = self.parse_list(ctx, types, &params)?;
        if let Some(cursor) = &params.cursor {
            return self.cursor_page(ctx, types, &params, &parsed, cursor).await;
        }
        let cfg = &self.inner.config;
        let start = params.start_index.unwrap_or(1).max(1);
        let offset = usize::try_from(start - 1).unwrap_or(usize::MAX);
        let count = params
            .count
            .map_or(cfg.page_size(), |c| {
                usize::try_from(c.max(0)).unwrap_or(usize::MAX)
            })
            .min(cfg.max_results);
        let with_members = wants_members(params.attributes.as_deref(), &params.excluded);
        let mut total = 0usize;
        let mut pages = Vec::new();
        let mut taken = 0usize;
        let mut skip = offset;
        for rs in types {
            let proj = Projection::new(rs, params.attributes.as_deref(), &params.excluded)?;
            let want = count.saturating_sub(taken);
            let mut page = match types.len() {
                1 => {
                    self.index_page(ctx, *rs, &parsed, skip, want, with_members)
                        .await?
                }
                _ => {
                    self.run_query(ctx, *rs, &parsed, None, skip, want, with_members, true)
                        .await?
                }
            };
            // A store that returns more than asked does not widen the page.
            page.resources.truncate(want);
            skip = skip.saturating_sub(page.total);
            total += page.total;
            taken += page.resources.len();
            pages.push((*rs, proj, page));
        }
        let resources: Vec<Rendered<'_>> = pages
            .iter()
            .flat_map(|(rs, proj, page)| {
                page.resources
                    .iter()
                    .map(move |stored| self.render(ctx, *rs, stored, proj))
            })
            .collect();
        let body = list_body(&resources, total as u64, start as u64);
        Ok(json_bytes_response(StatusCode::OK, body))
    }

    /// Parses and checks a query's filter and sort against each type's facts (e.g. ordering
    /// a boolean → `invalidFilter`).
    fn parse_list<'p>(
        &self,
        ctx: &Ctx,
        types: &[ResourceSchema<'_>],
        params: &'p ListParams,
    ) -> Result<Parsed<'p>, ScimError> {
        let cfg = &self.inner.config;
        let options = ParseOptions {
            limits: cfg.filter_limits,
            unquoted_strings: cfg
                .unquoted_filter_values
                .unwrap_or(ctx.profile.unquoted_filter_values),
        };
        let filter = match &params.filter {
            Some(f) => Some(options.parse(f)?),
            None => None,
        };
        let sort_by = match &params.sort_by {
            Some(s) => Some(
                parse_attr_path(s).map_err(|e| ScimError::invalid_value(format!("sortBy: {e}")))?,
            ),
            None => None,
        };
        let order = match &params.sort_order {
            None => SortOrder::Ascending,
            Some(o) => SortOrder::from_param(o).ok_or_else(|| {
                ScimError::invalid_value("sortOrder must be \"ascending\" or \"descending\"")
            })?,
        };
        for rs in types {
            if let Some(f) = &filter {
                Matcher::new(f, rs)?;
                read_filter::check_readable(rs, f)?;
            }
        }
        Ok(Parsed {
            filter,
            sort_by,
            order,
        })
    }

    /// An index page of one type: by offset, or — for the next page of a remembered walk
    /// ([`Config::index_walks`](crate::Config::index_walks)) — from the keyset position where
    /// the previous page ended, once the store confirms that exactly `offset` matches still
    /// come before it.
    async fn index_page(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        parsed: &Parsed<'_>,
        offset: usize,
        count: usize,
        with_members: bool,
    ) -> Result<Page, ScimError> {
        let walks = &self.inner.walks;
        let keyset_plan = self.inner.config.index_walks > 0
            && self
                .inner
                .store
                .plan(&rs, parsed.filter.as_ref(), parsed.sort_by.as_ref())
                .keyset;
        if !keyset_plan {
            return self
                .run_query(ctx, rs, parsed, None, offset, count, with_members, true)
                .await;
        }
        let key = WalkKey {
            tenant: ctx.principal.tenant.as_str().to_string(),
            resource_type: rs.name().to_string(),
            filter: parsed.filter_text(),
            sort: parsed.sort_text(),
        };
        let mut page = None;
        if let Some(position) = walks.take(key.clone(), offset).filter(|_| offset > 0) {
            let after = Keyset::after(&position).counting_after();
            let rest = self
                .run_query(ctx, rs, parsed, Some(after), 0, count, with_members, true)
                .await?;
            let all = self
                .run_query(ctx, rs, parsed, Some(Keyset::first()), 0, 0, false, true)
                .await?;
            // Still exactly `offset` matches before the position: the page is the offset page.
            if all.total.checked_sub(rest.total) == Some(offset) {
                page = Some(Page {
                    total: all.total,
                    resources: rest.resources,
                });
            }
        }
        let page = match page {
            Some(p) => p,
            None => {
                self.run_query(
                    ctx,
                    rs,
                    parsed,
                    Some(Keyset::first()),
                    offset,
                    count,
                    with_members,
                    true,
                )
                .await?
            }
        };
        if let (Some(last), true) = (page.resources.last(), page.resources.len() == count) {
            let position = KeysetPosition::of(&last.view(rs.name()), &last.id, parsed.sort(), &rs);
            walks.remember(key, offset.saturating_add(count), position);
        }
        Ok(page)
    }

    /// Runs a query: what the store's [`Store::plan`] calls native in the store, the residual
    /// filter, sorting and paging here over the store's answer when it is not all native.
    /// Filters on what only a read adds (`meta.location`, `$ref`) are evaluated here on the
    /// read view.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn run_query(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        parsed: &Parsed<'_>,
        keyset: Option<Keyset<'_>>,
        offset: usize,
        limit: usize,
        with_members: bool,
        with_total: bool,
    ) -> Result<Page, ScimError> {
        let (filter, sort) = (parsed.filter.as_ref(), parsed.sort());
        let store = &self.inner.store;
        let tenant = &ctx.principal.tenant;
        let on_read_view = filter.is_some_and(read_filter::names_read_only_addition);
        let plan = match filter {
            Some(f) if on_read_view => {
                // The conjuncts that do not need the read view may still go to the store.
                let stored_part = match f {
                    Filter::And(parts) => and_of(
                        parts
                            .iter()
                            .filter(|p| !read_filter::names_read_only_addition(p))
                            .cloned()
                            .collect(),
                    ),
                    _ => None,
                };
                let mut plan = store.plan(&rs, stored_part.as_ref(), None);
                plan.residual = Some(f.clone());
                plan.sorts = false;
                plan
            }
            _ => store.plan(&rs, filter, sort.map(|(by, _)| by)),
        };
        let pushed_down = (plan.is_native() || (plan.residual.is_none() && sort.is_none()))
            && (keyset.is_none() || plan.keyset);
        if pushed_down {
            let mut q = Query::all(rs)
                .filtered(plan.native.as_ref())
                .page(offset, limit);
            q.sort = sort;
            q.keyset = keyset;
            q.with_members = with_members;
            q.with_total = with_total;
            // Served as the store answered: `id` and `meta` are written while rendering.
            return Ok(store.query(tenant, q).await?);
        }
        let q = Query::all(rs).filtered(plan.native.as_ref());
        let candidates = store.query(tenant, q).await?.resources;
        let view = |s: &Stored| match on_read_view {
            true => self.read_view(ctx, rs, &served(rs, s.clone()).resource),
            false => s.view(rs.name()),
        };
        let residual = plan.residual.as_ref();
        let mut page = match keyset {
            None => finish_query(&rs, residual, sort, offset, Some(limit), candidates, view)?,
            Some(k) => {
                let mut page = finish_keyset_query(
                    &rs,
                    residual,
                    sort,
                    k,
                    Some(offset.saturating_add(limit)),
                    candidates,
                    view,
                )?;
                page.resources = page
                    .resources
                    .into_iter()
                    .skip(offset)
                    .take(limit)
                    .collect();
                page
            }
        };
        if !with_members {
            for s in &mut page.resources {
                if let Some(o) = s.resource.make_mut().as_object_mut() {
                    o.remove("members");
                }
            }
        }
        Ok(page)
    }
}

/// The conjunction of filters (`None` for none, the filter itself for one).
fn and_of(mut parts: Vec<Filter<'_>>) -> Option<Filter<'_>> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Filter::And(parts)),
    }
}
