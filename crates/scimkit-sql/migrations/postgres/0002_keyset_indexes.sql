-- scimkit-sql PostgreSQL schema, version 2: the indexes keyset pages read in order
-- (scimkit_sql::keyset; docs/paging.md "The store's side"). A cursor page, or the next page
-- of a remembered index walk (Okta's startIndex=1, 201, …), is one range of one of these
-- indexes, read in index order after the position: no OFFSET, no sort, at any depth.
--
-- (tenant, type, id): pages without sortBy are in id order (the unique (tenant, id, type)
-- index orders by id across every type of a tenant, so a walk of Groups among many Users
-- would skip the Users). Not partial: a segment `key IS NULL AND id > $n` of a sorted walk
-- uses the keyed ones below, which hold absent keys too.
-- Every text column here is COLLATE "C" (0001), so the order is by bytes, as the evaluator's.
CREATE INDEX resources_keyset_by_id ON resources (tenant, type, id);
CREATE INDEX resources_keyset_by_user_name ON resources (tenant, type, user_name_norm, id);
CREATE INDEX resources_keyset_by_display_name ON resources (tenant, type, display_name_norm, id);
CREATE INDEX resources_keyset_by_external_id ON resources (tenant, type, external_id, id);
