//! [`Sql`]: a statement's text and its bound parameters, built piece by piece (SQLite's `?`
//! placeholders, numbered by position), run on a rusqlite connection through its statement
//! cache. Values are always bound, never written into the text.

use crate::error::SqlError;
use crate::fragment::{Fragment, Param, Piece};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, Row};

/// A statement being built: SQL text with `?` for each parameter, and the parameters.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    params: Vec<Value>,
}

impl Sql {
    /// A statement starting with `text`.
    pub(crate) fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends SQL text (written by this crate, never taken from input).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a `?` bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.text.push('?');
        self.params.push(value.into());
        self
    }

    /// Appends `?, ?, …`, one bound parameter per value.
    pub(crate) fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
    }

    /// Appends another statement's text and parameters.
    pub(crate) fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.params.extend(other.params);
        self
    }

    /// Appends a translated fragment, its tenant parameter bound to `tenant`.
    pub(crate) fn fragment(&mut self, fragment: &Fragment, tenant: &str) -> &mut Self {
        for piece in fragment.pieces() {
            match piece {
                Piece::Sql(s) => {
                    self.push(s);
                }
                Piece::Bind(Param::Text(t)) => {
                    self.bind(t.clone());
                }
                Piece::Bind(Param::Int(i)) => {
                    self.bind(*i);
                }
                Piece::Bind(Param::Real(r)) => {
                    self.bind(*r);
                }
                Piece::Bind(Param::Tenant) => {
                    self.bind(tenant.to_owned());
                }
            }
        }
        self
    }

    /// Runs the statement; the number of rows it changed.
    pub(crate) fn execute(&self, conn: &Connection) -> Result<usize, SqlError> {
        let mut stmt = conn.prepare_cached(&self.text)?;
        Ok(stmt.execute(params_from_iter(self.params.iter()))?)
    }

    /// Runs the statement and maps every row.
    pub(crate) fn rows<T>(
        &self,
        conn: &Connection,
        map: impl FnMut(&Row<'_>) -> Result<T, SqlError>,
    ) -> Result<Vec<T>, SqlError> {
        let mut stmt = conn.prepare_cached(&self.text)?;
        collect(&mut stmt, params_from_iter(self.params.iter()), map)
    }

    /// [`Sql::rows`] on a statement prepared afresh, outside the cache (for `EXPLAIN`, whose
    /// answer a cached statement keeps from before a schema change).
    pub(crate) fn rows_uncached<T>(
        &self,
        conn: &Connection,
        map: impl FnMut(&Row<'_>) -> Result<T, SqlError>,
    ) -> Result<Vec<T>, SqlError> {
        let mut stmt = conn.prepare(&self.text)?;
        collect(&mut stmt, params_from_iter(self.params.iter()), map)
    }

    /// Runs the statement and maps its first row, if any.
    pub(crate) fn first<T>(
        &self,
        conn: &Connection,
        map: impl FnOnce(&Row<'_>) -> Result<T, SqlError>,
    ) -> Result<Option<T>, SqlError> {
        let mut stmt = conn.prepare_cached(&self.text)?;
        let mut rows = stmt.query(params_from_iter(self.params.iter()))?;
        rows.next()?.map(map).transpose()
    }
}

/// Runs `sql` with `params` and maps its first row, if any (a fixed statement).
pub(crate) fn first<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    map: impl FnOnce(&Row<'_>) -> Result<T, SqlError>,
) -> Result<Option<T>, SqlError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    rows.next()?.map(map).transpose()
}

/// Runs `sql` with `params` and maps every row (a fixed statement).
pub(crate) fn all<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    map: impl FnMut(&Row<'_>) -> Result<T, SqlError>,
) -> Result<Vec<T>, SqlError> {
    let mut stmt = conn.prepare_cached(sql)?;
    collect(&mut stmt, params, map)
}

/// Runs a prepared statement and maps every row.
fn collect<T, P: rusqlite::Params>(
    stmt: &mut rusqlite::Statement<'_>,
    params: P,
    mut map: impl FnMut(&Row<'_>) -> Result<T, SqlError>,
) -> Result<Vec<T>, SqlError> {
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// Runs `sql` with `params` (a fixed statement); the number of rows it changed.
pub(crate) fn execute<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> Result<usize, SqlError> {
    let mut stmt = conn.prepare_cached(sql)?;
    Ok(stmt.execute(params)?)
}
