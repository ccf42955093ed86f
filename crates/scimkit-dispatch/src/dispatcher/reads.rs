//! Reads: how a stored resource is served (the read hook, projection, links).

use super::writes::served;
use super::{Ctx, Dispatcher};
use crate::auth::Authenticator;
use crate::hooks::Hooks;
use crate::http_util::{json_bytes_response, set_etag};
use crate::render::{Refs, Rendered};
use crate::store::{Resource, Store, Stored};
use bytes::Bytes;
use http::{Response, StatusCode};
use scimkit_schema::{Projection, ResourceSchema};
use serde_json::Value;

impl<S: Store, A: Authenticator, H: Hooks<S>> Dispatcher<S, A, H> {
    pub(crate) fn location(&self, ctx: &Ctx, rs: ResourceSchema<'_>, id: &str) -> String {
        format!(
            "{}/{}/{}",
            ctx.base_url,
            rs.resource_type().endpoint.trim_matches('/'),
            id
        )
    }

    pub(crate) fn resource_response(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        stored: Stored,
        proj: &Projection,
        status: StatusCode,
    ) -> Response<Bytes> {
        let version = stored.version;
        let body = self.render(ctx, rs, &stored, proj).to_json();
        let mut resp = json_bytes_response(status, body);
        set_etag(&mut resp, version);
        resp
    }

    /// A stored resource as served: `id` and `meta` from the store's fields, the read hook,
    /// the projection, `meta.location` and the `$ref` of members and groups. With the default
    /// projection and no rewrite by the hook, the stored copy is serialised as it is, without a
    /// copy, `id` and `meta` written on the way.
    pub(crate) fn render<'a>(
        &'a self,
        ctx: &'a Ctx,
        rs: ResourceSchema<'a>,
        stored: &'a Stored,
        proj: &Projection,
    ) -> Rendered<'a> {
        let hooks = &self.inner.hooks;
        if hooks.rewrites_reads() {
            let resource = served(rs, stored.clone()).resource;
            if let Some(replaced) = hooks.on_read(&ctx.principal, rs.name(), &resource) {
                return Rendered::Owned(self.render_owned(ctx, rs, &replaced, proj));
            }
        }
        let plan = self
            .inner
            .plans
            .iter()
            .find(|(n, _)| n == rs.name())
            .and_then(|(_, p)| p.as_ref());
        let endpoint = |name: &str| {
            self.inner
                .registry
                .resource_type(name)
                .map(|t| t.resource_type().endpoint.trim_matches('/'))
        };
        match (plan, endpoint(rs.name())) {
            (Some(plan), Some(own)) if proj.is_default() => Rendered::Stored {
                stored,
                resource_type: rs.name(),
                plan,
                endpoint: own,
                refs: Refs {
                    base: &ctx.base_url,
                    users: endpoint("User"),
                    groups: endpoint("Group"),
                },
            },
            _ => {
                let resource = served(rs, stored.clone()).resource;
                Rendered::Owned(self.render_owned(ctx, rs, &resource, proj))
            }
        }
    }

    /// The projection, then `meta.location` and the `$ref` of members and groups on what the
    /// projection kept.
    pub(crate) fn render_owned(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        resource: &Value,
        proj: &Projection,
    ) -> Value {
        let mut out = rs.project(resource, proj);
        self.add_links(ctx, rs, &mut out);
        out
    }

    /// Adds what a read shows beyond the stored document: `meta.location` and the `$ref` of
    /// members and groups.
    pub(crate) fn add_links(&self, ctx: &Ctx, rs: ResourceSchema<'_>, out: &mut Value) {
        let Value::Object(obj) = out else {
            return;
        };
        let location = obj
            .get("id")
            .and_then(Value::as_str)
            .map(|id| self.location(ctx, rs, id));
        if let (Some(location), Some(Value::Object(meta))) = (location, obj.get_mut("meta")) {
            meta.insert("location".into(), Value::String(location));
        }
        for (attr, default_type) in [("members", "User"), ("groups", "Group")] {
            if let Some(Value::Array(items)) = obj.get_mut(attr) {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    let Some(value) = item.get("value").and_then(Value::as_str) else {
                        continue;
                    };
                    let ty = match attr {
                        "members" => item
                            .get("type")
                            .and_then(Value::as_str)
                            .unwrap_or(default_type),
                        _ => default_type,
                    };
                    if let Some(t) = self.inner.registry.resource_type(ty) {
                        let r = self.location(ctx, t, value);
                        item.insert("$ref".into(), Value::String(r));
                    }
                }
            }
        }
    }

    /// A stored resource as a read shows it (the read hook, the links), for filters that name
    /// what only a read adds.
    pub(crate) fn read_view(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        resource: &Resource,
    ) -> Value {
        let hooks = &self.inner.hooks;
        let mut view = match hooks.rewrites_reads() {
            true => hooks
                .on_read(&ctx.principal, rs.name(), resource)
                .unwrap_or_else(|| resource.value().clone()),
            false => resource.value().clone(),
        };
        self.add_links(ctx, rs, &mut view);
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Rendered;
    use crate::Principal;
    use crate::{AllowAll, MemoryStore, TenantId};
    use futures_executor::block_on;
    use scimkit_schema::{Profile, Projection, Registry};
    use serde_json::json;
    use serde_json::Value;

    #[test]
    fn the_copy_free_rendering_equals_the_projection() {
        let d = Dispatcher::new(MemoryStore::new(), AllowAll(TenantId::new("t")));
        let ctx = Ctx {
            principal: Principal::new(TenantId::new("t")),
            profile: Profile::default(),
            base_url: "https://x.example/scim".into(),
        };
        let reg = Registry::standard();
        let users = reg.resource_type("User").unwrap();
        let groups = reg.resource_type("Group").unwrap();
        let u = block_on(d.create(
            &ctx,
            users,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                   "userName": "r", "password": "secret", "x-unknown": 1,
                   "emails": [{"value": "r@x", "type": "work"}],
                   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                       {"department": "D", "manager": {"value": "m"}}}),
            false,
        ))
        .unwrap();
        let g = block_on(d.create(
            &ctx,
            groups,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                   "displayName": "G", "members": [{"value": u.id}]}),
            false,
        ))
        .unwrap();
        let u = block_on(d.store().get(&ctx.principal.tenant, "User", &u.id))
            .unwrap()
            .unwrap();
        for (rs, stored) in [(users, &u), (groups, &g)] {
            let fast = d.render(&ctx, rs, stored, &Projection::default());
            assert!(matches!(fast, Rendered::Stored { .. }));
            let with_fields = super::super::writes::served(rs, stored.clone());
            let slow = d.render_owned(&ctx, rs, &with_fields.resource, &Projection::default());
            assert_eq!(fast.to_value(), slow);
            let bytes = fast.to_json();
            assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), slow);
        }
        let fast = d.render(&ctx, users, &u, &Projection::default()).to_value();
        assert!(fast.get("password").is_none());
        assert_eq!(
            fast["groups"][0]["$ref"],
            format!("https://x.example/scim/Groups/{}", g.id).as_str()
        );
        assert_eq!(
            fast["meta"]["location"],
            format!("https://x.example/scim/Users/{}", u.id).as_str()
        );
    }
}
