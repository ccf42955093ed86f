-- scimkit-sql SQLite schema, version 1.
-- Released migrations are never edited: change the schema with a new, higher-numbered file.
-- Times are INTEGER microseconds since the Unix epoch (UTC). `*_norm` columns hold
-- scimkit_filter::fold(value), computed in Rust (never COLLATE NOCASE or lower(), which fold
-- ASCII only). JSON columns hold compact JSON text.

-- Every SCIM resource of every type. `document` is the resource as validated (schema spelling
-- of every name), without `id`, `meta` and `members`: the store renders those from columns and
-- from `memberships`. `folded` mirrors the document's shape holding only its caseExact=false
-- strings, folded, so that SQL can compare them exactly (arrays keep their positions).
CREATE TABLE resources (
    pk                  INTEGER PRIMARY KEY,
    tenant              TEXT    NOT NULL,
    type                TEXT    NOT NULL,
    id                  TEXT    NOT NULL,
    version             INTEGER NOT NULL,
    created             INTEGER NOT NULL,
    last_modified       INTEGER NOT NULL,
    document            TEXT    NOT NULL,
    folded              TEXT    NOT NULL,
    user_name_norm      TEXT,
    external_id         TEXT,
    display_name_norm   TEXT,
    -- displayName folded, set only for types whose displayName is configured unique.
    display_name_key    TEXT,
    active              INTEGER
) STRICT;

CREATE UNIQUE INDEX resources_by_id ON resources (tenant, type, id);
CREATE UNIQUE INDEX resources_by_user_name
    ON resources (tenant, type, user_name_norm) WHERE user_name_norm IS NOT NULL;
CREATE UNIQUE INDEX resources_by_unique_display_name
    ON resources (tenant, type, display_name_key) WHERE display_name_key IS NOT NULL;
CREATE INDEX resources_by_display_name
    ON resources (tenant, type, display_name_norm) WHERE display_name_norm IS NOT NULL;
CREATE INDEX resources_by_external_id
    ON resources (tenant, type, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX resources_by_last_modified ON resources (tenant, type, last_modified);

-- One row per element of `emails`, so that `emails[type eq "work" and value eq "x"]` is one
-- indexed lookup on one element.
CREATE TABLE emails (
    resource_pk INTEGER NOT NULL REFERENCES resources (pk) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    value_norm  TEXT,
    type_norm   TEXT,
    is_primary  INTEGER,
    PRIMARY KEY (resource_pk, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX emails_by_value ON emails (value_norm, type_norm);

-- Membership: one row per member, so adding one member to a group of 100,000 is one INSERT.
CREATE TABLE memberships (
    tenant      TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    member_kind TEXT NOT NULL,
    display     TEXT,
    PRIMARY KEY (tenant, group_id, member_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX memberships_by_member ON memberships (tenant, member_id);

-- Trigram index for co/sw/ew on userName, displayName and emails (folded text; rowid =
-- resources.pk). Contentless: the text lives in `resources`/`emails`, candidates are
-- re-checked there.
CREATE VIRTUAL TABLE resource_text USING fts5 (
    user_name, display_name, emails,
    content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1'
);

-- Provisioning state (scimkit-provisioning's ProvisioningState), beside the resources so that
-- one write's resource, account effects and audit record commit in one transaction.

-- A tenant's record (settings, rule set, templates, verified domains: the policy `Tenant`,
-- written whole by `save_tenant`) as JSON, and its audit log's counters and bounds.
CREATE TABLE tenants (
    tenant              TEXT    NOT NULL PRIMARY KEY,
    record              TEXT    NOT NULL,
    last_modified       INTEGER NOT NULL,
    audit_next          INTEGER NOT NULL DEFAULT 1,   -- the next sequence number (never reused)
    audit_count         INTEGER NOT NULL DEFAULT 0,
    audit_bytes         INTEGER NOT NULL DEFAULT 0,
    audit_max_entries   INTEGER NOT NULL,
    audit_max_bytes     INTEGER NOT NULL
) STRICT;

-- Every token digest that leads to a tenant (its own, an operator's, the last one before
-- provisioning was disabled): digests only (their serialised form), never a token.
CREATE TABLE token_digests (
    digest  TEXT NOT NULL PRIMARY KEY,
    tenant  TEXT NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX token_digests_by_tenant ON token_digests (tenant);

-- Product accounts, keyed by the identifier key of their email (unique per tenant), linked to
-- at most one SCIM User (and a User to at most one account).
CREATE TABLE accounts (
    tenant      TEXT NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE,
    email_norm  TEXT NOT NULL,
    scim_id     TEXT,
    data        TEXT NOT NULL,   -- JSON: the policy `Account`
    PRIMARY KEY (tenant, email_norm)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX accounts_by_scim_id ON accounts (tenant, scim_id) WHERE scim_id IS NOT NULL;

-- Append-only: records are never changed; retention deletes a tenant's oldest.
CREATE TABLE audit (
    tenant  TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,   -- nanoseconds since the epoch (as the caller gave it)
    bytes   INTEGER NOT NULL,   -- the entry's compact JSON length, for the byte bound
    record  TEXT    NOT NULL,   -- JSON: the AuditRecord
    PRIMARY KEY (tenant, seq)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER audit_is_append_only BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;
