//! Queries: filter, sort and page, natively in the store where it can, here otherwise.

use super::{wants_members, Ctx, Dispatcher, ListParams};
use crate::auth::Authenticator;
use crate::hooks::Hooks;
use crate::http_util::json_bytes_response;
use crate::read_filter;
use crate::render::{list_body, Rendered};
use crate::store::{Page, Query, Store, Stored};
use bytes::Bytes;
use http::{Response, StatusCode};
use scimkit_filter::{
    compare_resources, parse_attr_path, AttrPath, Filter, Matcher, ParseOptions, SortOrder,
};
use scimkit_schema::{Projection, ResourceSchema, ScimError};

impl<S: Store, A: Authenticator, H: Hooks> Dispatcher<S, A, H> {
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
                    .map(move |stored| self.render(ctx, *rs, &stored.resource, proj))
            })
            .collect();
        let body = list_body(&resources, total as u64, start as u64);
        Ok(json_bytes_response(StatusCode::OK, body))
    }

    /// Runs a query, natively where the store can, otherwise evaluating the filter, sorting and
    /// paging here over the candidates the store returns.
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
        let native_filter = filter.map_or(true, |f| !on_read_view && store.answers(rs.name(), f));
        let native_sort = sort.map_or(true, |(by, _)| store.sorts_by(rs.name(), by));
        if native_filter && native_sort {
            let q = Query {
                resource_type: rs,
                filter,
                sort,
                offset,
                limit: Some(limit),
                with_members,
            };
            return Ok(store.query(tenant, q).await?);
        }
        // Candidates: the conjuncts the store answers, or everything.
        let partial: Option<Filter<'_>> = match filter {
            Some(f) if native_filter => Some(f.clone()),
            Some(Filter::And(parts)) => {
                let mut answered: Vec<Filter<'_>> = parts
                    .iter()
                    .filter(|p| {
                        !read_filter::names_read_only_addition(p) && store.answers(rs.name(), p)
                    })
                    .cloned()
                    .collect();
                match answered.len() {
                    0 => None,
                    1 => answered.pop(),
                    _ => Some(Filter::And(answered)),
                }
            }
            _ => None,
        };
        let q = Query {
            resource_type: rs,
            filter: partial.as_ref(),
            sort: None,
            offset: 0,
            limit: None,
            with_members: true,
        };
        let page = store.query(tenant, q).await?;
        let mut matched: Vec<Stored> = match filter {
            Some(f) if !native_filter => {
                let m = Matcher::new(f, &rs)?;
                page.resources
                    .into_iter()
                    .filter(|s| match on_read_view {
                        true => m.matches(&self.read_view(ctx, rs, &s.resource)),
                        false => m.matches(&s.resource),
                    })
                    .collect()
            }
            _ => page.resources,
        };
        if let Some((by, order)) = sort {
            matched.sort_by(|a, b| compare_resources(&a.resource, &b.resource, by, order, &rs));
        }
        let total = matched.len();
        let mut resources: Vec<Stored> = matched.into_iter().skip(offset).take(limit).collect();
        if !with_members {
            for s in &mut resources {
                if let Some(o) = s.resource.make_mut().as_object_mut() {
                    o.remove("members");
                }
            }
        }
        Ok(Page { total, resources })
    }
}
