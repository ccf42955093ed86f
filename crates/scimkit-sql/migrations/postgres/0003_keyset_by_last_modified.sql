-- scimkit-sql PostgreSQL schema, version 3: pages sorted by meta.lastModified (an incremental
-- sync: "what changed since", oldest first) read one range of this index in order, as 0002's
-- keyset pages do; a `meta.lastModified gt` filter reads the same range. It replaces 0001's
-- (tenant, type, last_modified) index, which serves every query that one served.
DROP INDEX resources_by_last_modified;
CREATE INDEX resources_keyset_by_last_modified ON resources (tenant, type, last_modified, id);
