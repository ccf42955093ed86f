-- scimkit-sql SQLite schema, version 2: the trigram index keeps no positions.
--
-- Version 1's index kept each trigram's column and position (FTS5 `detail=full`), which made
-- it about half of the cost of an insert. co/ew on userName, displayName and emails only
-- need candidates: a row holding every trigram of the needle, in any column and order, is
-- a candidate, and the candidates are re-checked on `resources`/`emails` (instr/substr).
-- `detail=none` keeps only which rows hold a trigram.
DROP TABLE resource_text;

CREATE VIRTUAL TABLE resource_text USING fts5 (
    user_name, display_name, emails,
    content = '', contentless_delete = 1, detail = none,
    tokenize = 'trigram case_sensitive 1'
);

INSERT INTO resource_text (rowid, user_name, display_name, emails)
SELECT r.pk, r.user_name_norm, r.display_name_norm,
       (SELECT group_concat(e.value_norm, char(10) ORDER BY e.position)
          FROM emails AS e WHERE e.resource_pk = r.pk)
  FROM resources AS r;
