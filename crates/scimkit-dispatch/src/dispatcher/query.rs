//! Queries: filter, sort and page, natively in the store where it can, here otherwise.

use super::writes::served;
use super::{wants_members, Ctx, Dispatcher, ListParams};
use crate::auth::Authenticator;
use crate::hooks::Hooks;
use crate::http_util::json_bytes_response;
use crate::read_filter;
use crate::render::{list_body, Rendered};
use crate::store::{finish_query, Page, Query, Store};
use bytes::Bytes;
use http::{Response, StatusCode};
use scimkit_filter::{parse_attr_path, AttrPath, Filter, Matcher, ParseOptions, SortOrder};
use scimkit_schema::{Projection, ResourceSchema, ScimError};

impl<S: Store, A: Authenticator, H: Hooks<S>> Dispatcher<S, A, H> {
    pub(crate) async fn list(
        &self,
        ctx: &Ctx,
        types: &[ResourceSchema<'_>],
        params: ListParams,
    ) -> Result<Response<Bytes>, ScimError> {
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
        let start = params.start_index.unwrap_or(1).max(1);
        let offset = usize::try_from(start - 1).unwrap_or(usize::MAX);
        let count = params
            .count
            .map_or(cfg.max_results, |c| {
                usize::try_from(c.max(0)).unwrap_or(usize::MAX)
            })
            .min(cfg.max_results);
        let with_members = wants_members(params.attributes.as_deref(), &params.excluded);
        // Check the filter against each type's facts (e.g. ordering a boolean → invalidFilter).
        for rs in types {
            if let Some(f) = &filter {
                Matcher::new(f, rs)?;
                read_filter::check_readable(rs, f)?;
            }
        }
        let mut total = 0usize;
        let mut pages = Vec::new();
        let mut taken = 0usize;
        let mut skip = offset;
        for rs in types {
            let proj = Projection::new(rs, params.attributes.as_deref(), &params.excluded)?;
            let want = count.saturating_sub(taken);
            let mut page = self
                .run_query(
                    ctx,
                    *rs,
                    filter.as_ref(),
                    sort_by.as_ref().map(|s| (s, order)),
                    skip,
                    want,
                    with_members,
                )
                .await?;
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

    /// Runs a query: what the store's [`Store::plan`] calls native in the store, the residual
    /// filter, sorting and paging here over the store's answer when it is not all native.
    /// Filters on what only a read adds (`meta.location`, `$ref`) are evaluated here on the
    /// read view.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn run_query(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        filter: Option<&Filter<'_>>,
        sort: Option<(&AttrPath<'_>, SortOrder)>,
        offset: usize,
        limit: usize,
        with_members: bool,
    ) -> Result<Page, ScimError> {
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
        let pushed_down = plan.is_native() || (plan.residual.is_none() && sort.is_none());
        if pushed_down {
            let q = Query {
                resource_type: rs,
                filter: plan.native.as_ref(),
                sort,
                offset,
                limit: Some(limit),
                with_members,
            };
            // Served as the store answered: `id` and `meta` are written while rendering.
            return Ok(store.query(tenant, q).await?);
        }
        let q = Query {
            resource_type: rs,
            filter: plan.native.as_ref(),
            sort: None,
            offset: 0,
            limit: None,
            with_members: true,
        };
        let candidates = store.query(tenant, q).await?.resources;
        let mut page = finish_query(
            &rs,
            plan.residual.as_ref(),
            sort,
            offset,
            Some(limit),
            candidates,
            |s| match on_read_view {
                true => self.read_view(ctx, rs, &served(rs, s.clone()).resource),
                false => s.view(rs.name()),
            },
        )?;
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
