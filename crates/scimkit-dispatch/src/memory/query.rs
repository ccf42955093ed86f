//! Queries over one tenant's data: index candidates, filter, sort, page.

use super::document::{filter_names, partial, sort_key, Entry};
use super::ids::Id;
use super::tenant::TenantData;
use super::{is_relation, mentions_relation, type_key};
use crate::store::{compare_keyset, keyset_key, meta, Page, Query, StoreError, Version};
use scimkit_filter::{compare_resources, Matcher};
use serde_json::Value;

impl TenantData {
    pub(super) fn query(&self, q: Query<'_>) -> Result<Page, StoreError> {
        let rs = q.resource_type;
        let matcher = match q.filter {
            Some(f) => {
                Some(Matcher::new(f, &rs).map_err(|e| StoreError::InvalidFilter(e.to_string()))?)
            }
            None => None,
        };
        let key = type_key(rs.name());
        let Some(ty) = self.types.get(&key) else {
            return Ok(Page::default());
        };
        let limit = q.limit.unwrap_or(usize::MAX);
        // The fast path: everything, in creation order.
        if q.filter.is_none() && q.sort.is_none() && q.keyset.is_none() {
            let resources = ty
                .order
                .iter_from(q.offset)
                .take(limit)
                .filter_map(|id| self.view(&key, id, q.with_members))
                .collect();
            return Ok(Page {
                total: ty.by_id.len(),
                resources,
            });
        }
        let needs_view = q.filter.is_some_and(mentions_relation)
            || q.sort.is_some_and(|(by, _)| is_relation(&by.name));
        let candidates = q.filter.and_then(|f| ty.candidates(f, &rs));
        // (creation order, id, the entry when already looked up)
        let mut ids: Vec<(u64, &Id, Option<&Entry>)> = match &candidates {
            Some(list) => {
                let mut v: Vec<_> = list
                    .iter()
                    .filter_map(|id| ty.by_id.get_key_value(&**id))
                    .map(|(k, e)| (e.seq, k, Some(e)))
                    .collect();
                if v.len() > 1 {
                    v.sort_unstable_by_key(|(seq, _, _)| *seq);
                    v.dedup_by_key(|(seq, _, _)| *seq);
                }
                v
            }
            None => ty.order.iter().map(|(seq, id)| (seq, id, None)).collect(),
        };
        // Resources are held as JSON text: of each candidate, only the attributes the filter
        // and the sort look at (and extension objects) are parsed, and dropped after use.
        let mut names = Vec::new();
        if let Some(f) = q.filter {
            filter_names(f, &mut names);
        }
        if let Some((by, _)) = q.sort {
            names.push(&*by.name);
            names.extend(by.urn.as_deref());
        }
        let wants = |n: &str| names.iter().any(|m| m.eq_ignore_ascii_case(n));
        let (wants_id, wants_meta) = (wants("id"), wants("meta"));
        let load = |id: &str| -> Option<Value> {
            let entry = ty.by_id.get(id)?;
            let mut doc = if needs_view {
                let s = self.view_entry(&key, id, entry, true);
                match s.resource.json_text() {
                    Some(text) => partial(text, &names),
                    None => s.resource.into_value(),
                }
            } else {
                partial(&entry.doc, &names)
            };
            if let Some(o) = doc.as_object_mut() {
                if wants_id {
                    o.insert("id".into(), Value::String(id.to_string()));
                }
                if wants_meta {
                    o.insert(
                        "meta".into(),
                        meta(
                            rs.name(),
                            Version(entry.version),
                            entry.created,
                            entry.last_modified,
                        ),
                    );
                }
            }
            Some(doc)
        };
        // An index lookup that answers the whole filter needs no evaluation.
        let exact = candidates.is_some() && q.filter.is_some_and(|f| ty.index_answers(f, &rs));
        if let (Some(m), false) = (&matcher, exact) {
            ids.retain(|(_, id, _)| load(id).is_some_and(|d| m.matches(&d)));
        }
        if let Some(keyset) = q.keyset {
            // Keyset order: the sort value (parsed once per candidate), then the id.
            let mut keyed: Vec<_> = ids
                .into_iter()
                .map(|item| {
                    let k = q.sort.map_or(Value::Null, |(by, _)| {
                        load(item.1).map_or(Value::Null, |d| sort_key(&d, by))
                    });
                    (k, item)
                })
                .collect();
            let all = keyed.len();
            fn place<'v>(item: &'v (Value, (u64, &Id, Option<&Entry>))) -> (&'v Value, &'v str) {
                (&item.0, item.1 .1)
            }
            if let Some(position) = keyset.after {
                keyed.retain(|item| {
                    let (view, id) = place(item);
                    let here = keyset_key(view, id, q.sort, &rs);
                    compare_keyset(here, position.key(), q.sort, &rs).is_gt()
                });
            }
            let total = if keyset.total_after { keyed.len() } else { all };
            let in_order = |a: &(Value, (u64, &Id, Option<&Entry>)),
                            b: &(Value, (u64, &Id, Option<&Entry>))| {
                let ((va, ia), (vb, ib)) = (place(a), place(b));
                let (ka, kb) = (
                    keyset_key(va, ia, q.sort, &rs),
                    keyset_key(vb, ib, q.sort, &rs),
                );
                compare_keyset(ka, kb, q.sort, &rs)
            };
            // Only the page is sorted: the first `end` are selected in linear time.
            let end = q.offset.saturating_add(limit);
            if end < keyed.len() {
                keyed.select_nth_unstable_by(end, in_order);
                keyed.truncate(end);
            }
            keyed.sort_by(in_order);
            let resources = keyed
                .into_iter()
                .skip(q.offset)
                .take(limit)
                .filter_map(|(_, (_, id, _))| self.view(&key, id, q.with_members))
                .collect();
            return Ok(Page { total, resources });
        }
        if let Some((by, order)) = q.sort {
            let mut keyed: Vec<_> = ids
                .into_iter()
                .map(|item| {
                    let k = load(item.1).map_or(Value::Null, |d| sort_key(&d, by));
                    (k, item)
                })
                .collect();
            keyed.sort_by(|(a, _), (b, _)| compare_resources(a, b, by, order, &rs));
            ids = keyed.into_iter().map(|(_, item)| item).collect();
        }
        let total = ids.len();
        let resources = ids
            .into_iter()
            .skip(q.offset)
            .take(limit)
            .filter_map(|(_, id, entry)| match entry {
                Some(e) => Some(self.view_entry(&key, id, e, q.with_members)),
                None => self.view(&key, id, q.with_members),
            })
            .collect();
        Ok(Page { total, resources })
    }
}
