-- scimkit-sql SQLite schema, version 3: how many resources of each type a tenant holds, kept
-- by triggers in the writing transaction, so that a list's `totalResults` without a filter
-- (Okta pages through every user) is one row instead of a count over the whole type.
CREATE TABLE resource_counts (
    tenant  TEXT    NOT NULL,
    type    TEXT    NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (tenant, type)
) STRICT, WITHOUT ROWID;

INSERT INTO resource_counts (tenant, type, n)
SELECT tenant, type, count(*) FROM resources GROUP BY tenant, type;

CREATE TRIGGER resources_counted_in AFTER INSERT ON resources
BEGIN
    INSERT INTO resource_counts (tenant, type, n) VALUES (new.tenant, new.type, 1)
    ON CONFLICT (tenant, type) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER resources_counted_out AFTER DELETE ON resources
BEGIN
    UPDATE resource_counts SET n = n - 1 WHERE tenant = old.tenant AND type = old.type;
END;
