-- scimkit-sql PostgreSQL schema, version 1 (the SQLite schema's shape; docs/storage.md).
-- Released migrations are never edited: change the schema with a new, higher-numbered file.
-- sqlx's migrator holds a session advisory lock while it applies them, so several instances
-- starting at once migrate one after another.
-- Times are bigint microseconds since the Unix epoch (UTC), as in SQLite, so the shared filter
-- translator compares them the same way. `*_norm` columns hold scimkit_filter::fold(value),
-- computed in Rust (never lower(), which folds ASCII only under the C collation). Every text
-- column is COLLATE "C": comparisons and sw ranges are by code point, as the evaluator's.

-- co/ew (LIKE '%…%') on the *_norm columns through GIN trigram indexes. They are built with
-- fastupdate = off: each write updates the index at once, so a search never scans a pending
-- list (whose size the planner prices, to the point of preferring a scan).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Every SCIM resource of every type. `document` is the resource as validated, without `id`,
-- `meta` and `members`; `folded` mirrors its caseExact=false strings, folded.
CREATE TABLE resources (
    pk                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant              text COLLATE "C" NOT NULL,
    type                text COLLATE "C" NOT NULL,
    id                  text COLLATE "C" NOT NULL,
    version             bigint  NOT NULL,
    created             bigint  NOT NULL,
    last_modified       bigint  NOT NULL,
    document            jsonb   NOT NULL,
    folded              jsonb   NOT NULL,
    user_name_norm      text COLLATE "C",
    external_id         text COLLATE "C",
    display_name_norm   text COLLATE "C",
    -- displayName folded, set only for types whose displayName is configured unique.
    display_name_key    text COLLATE "C",
    active              boolean
);

-- (tenant, id, type): unique per type as in SQLite, and it serves lookups by id alone
-- (member references name an id without its type).
CREATE UNIQUE INDEX resources_by_id ON resources (tenant, id, type);
CREATE UNIQUE INDEX resources_by_user_name
    ON resources (tenant, type, user_name_norm) WHERE user_name_norm IS NOT NULL;
CREATE UNIQUE INDEX resources_by_unique_display_name
    ON resources (tenant, type, display_name_key) WHERE display_name_key IS NOT NULL;
CREATE INDEX resources_by_display_name
    ON resources (tenant, type, display_name_norm) WHERE display_name_norm IS NOT NULL;
CREATE INDEX resources_by_external_id
    ON resources (tenant, type, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX resources_by_last_modified ON resources (tenant, type, last_modified);
CREATE INDEX resources_user_name_trigrams
    ON resources USING gin (user_name_norm gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX resources_display_name_trigrams
    ON resources USING gin (display_name_norm gin_trgm_ops) WITH (fastupdate = off);

-- One row per element of `emails`, so that `emails[type eq "work" and value eq "x"]` is one
-- indexed lookup on one element.
CREATE TABLE emails (
    resource_pk bigint  NOT NULL REFERENCES resources (pk) ON DELETE CASCADE,
    position    bigint  NOT NULL,
    value_norm  text COLLATE "C",
    type_norm   text COLLATE "C",
    is_primary  boolean,
    PRIMARY KEY (resource_pk, position)
);

CREATE INDEX emails_by_value ON emails (value_norm, type_norm);
CREATE INDEX emails_value_trigrams ON emails USING gin (value_norm gin_trgm_ops)
    WITH (fastupdate = off);

-- Membership: one row per member, so adding one member to a group of 100,000 is one INSERT
-- (… ON CONFLICT DO NOTHING) and removing one is one DELETE.
CREATE TABLE memberships (
    tenant      text COLLATE "C" NOT NULL,
    group_id    text COLLATE "C" NOT NULL,
    member_id   text COLLATE "C" NOT NULL,
    member_kind text COLLATE "C" NOT NULL,
    display     text,
    PRIMARY KEY (tenant, group_id, member_id)
);

CREATE INDEX memberships_by_member ON memberships (tenant, member_id);

-- Provisioning state (scimkit-provisioning's ProvisioningState), beside the resources so that
-- one write's resource, account effects and audit record commit in one transaction.

CREATE TABLE tenants (
    tenant              text COLLATE "C" NOT NULL PRIMARY KEY,
    record              text    NOT NULL,   -- JSON: the policy Tenant and its token digests
    last_modified       bigint  NOT NULL,
    audit_next          bigint  NOT NULL DEFAULT 1,   -- the next sequence number (never reused)
    audit_count         bigint  NOT NULL DEFAULT 0,
    audit_bytes         bigint  NOT NULL DEFAULT 0,
    audit_max_entries   bigint  NOT NULL,
    audit_max_bytes     bigint  NOT NULL
);

-- Every token digest that leads to a tenant: digests only, never a token.
CREATE TABLE token_digests (
    digest  text COLLATE "C" NOT NULL PRIMARY KEY,
    tenant  text COLLATE "C" NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE
);

CREATE INDEX token_digests_by_tenant ON token_digests (tenant);

CREATE TABLE accounts (
    tenant      text COLLATE "C" NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    email_norm  text COLLATE "C" NOT NULL,
    scim_id     text COLLATE "C",
    data        text NOT NULL,   -- JSON: the policy Account
    PRIMARY KEY (tenant, email_norm)
);

CREATE UNIQUE INDEX accounts_by_scim_id ON accounts (tenant, scim_id) WHERE scim_id IS NOT NULL;

-- Append-only: records are never changed; retention deletes a tenant's oldest.
CREATE TABLE audit (
    tenant  text COLLATE "C" NOT NULL,
    seq     bigint  NOT NULL,
    at      bigint  NOT NULL,   -- nanoseconds since the epoch (as the caller gave it)
    bytes   bigint  NOT NULL,   -- the entry's compact JSON length, for the byte bound
    record  text    NOT NULL,   -- JSON: the AuditRecord
    PRIMARY KEY (tenant, seq)
);

CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END;
$$;

CREATE TRIGGER audit_is_append_only BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
