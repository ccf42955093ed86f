-- scimkit-sql SQLite schema, version 4: the indexes keyset pages read in order
-- (scimkit_sql::keyset; docs/paging.md "The store's side"). A cursor page, or the next page of
-- a remembered index walk (Okta's startIndex=1, 201, …), is one range of one of these indexes
-- (or of resources_by_id for pages without sortBy), read in index order after the position: no
-- OFFSET, no sort, at any depth.
--
-- The keyed ones replace 0001's partial (tenant, type, key) indexes, which serve equality
-- lookups as well with the id appended; userName keeps its unique index (the uniqueness rule)
-- beside its keyset index. Absent keys are read through resources_by_id.
DROP INDEX resources_by_display_name;
DROP INDEX resources_by_external_id;
CREATE INDEX resources_keyset_by_display_name
    ON resources (tenant, type, display_name_norm, id) WHERE display_name_norm IS NOT NULL;
CREATE INDEX resources_keyset_by_external_id
    ON resources (tenant, type, external_id, id) WHERE external_id IS NOT NULL;
CREATE INDEX resources_keyset_by_user_name
    ON resources (tenant, type, user_name_norm, id) WHERE user_name_norm IS NOT NULL;
-- A resource by id whatever its type (member references name ids only): resolving members,
-- and bumping the version of every group a deleted resource was a member of. Without it
-- those read every resource of the tenant (resources_by_id leads with the type). The type is
-- included so that it covers the member lookup as resources_by_id does: without statistics
-- SQLite prefers a covering index.
CREATE INDEX resources_by_tenant_and_id ON resources (tenant, id, type);
