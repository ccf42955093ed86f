//! A dialect-neutral piece of SQL: trusted SQL text and bound parameters, in order.
//!
//! The translator writes its conditions here; each backend replays them into its own statement
//! builder (SQLite's with `?` placeholders, PostgreSQL's `sqlx::QueryBuilder` with `$n`), text
//! as text and parameters as bound parameters. Values never become SQL text.

/// A value bound to a query parameter.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Param {
    /// A text value.
    Text(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// The tenant the query runs for, bound when it runs (so a plan serves every tenant).
    Tenant,
}

/// One piece of a [`Fragment`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Piece {
    /// SQL text written by this crate (never derived from a request).
    Sql(String),
    /// A bound parameter.
    Bind(Param),
}

/// SQL text with bound parameters, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    pieces: Vec<Piece>,
}

impl Fragment {
    /// An empty fragment.
    pub fn new() -> Self {
        Fragment::default()
    }

    /// A fragment of SQL text alone.
    pub fn sql(text: &str) -> Self {
        let mut f = Fragment::new();
        f.push(text);
        f
    }

    /// Appends SQL text (written by this crate, never taken from input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        match self.pieces.last_mut() {
            Some(Piece::Sql(s)) => s.push_str(text),
            _ => self.pieces.push(Piece::Sql(text.to_owned())),
        }
        self
    }

    /// Appends a bound parameter.
    pub fn bind(&mut self, param: Param) -> &mut Self {
        self.pieces.push(Piece::Bind(param));
        self
    }

    /// Appends a bound text parameter.
    pub fn bind_text(&mut self, text: impl Into<String>) -> &mut Self {
        self.bind(Param::Text(text.into()))
    }

    /// Appends a bound integer parameter.
    pub fn bind_int(&mut self, n: i64) -> &mut Self {
        self.bind(Param::Int(n))
    }

    /// Appends another fragment.
    pub fn append(&mut self, other: Fragment) -> &mut Self {
        for piece in other.pieces {
            match piece {
                Piece::Sql(s) => {
                    self.push(&s);
                }
                Piece::Bind(p) => {
                    self.bind(p);
                }
            }
        }
        self
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Consumes the fragment into its pieces.
    pub fn into_pieces(self) -> Vec<Piece> {
        self.pieces
    }

    /// The SQL text with `?` for each parameter (for tests and diagnostics).
    pub fn to_sql_text(&self) -> String {
        let mut s = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Sql(t) => s.push_str(t),
                Piece::Bind(_) => s.push('?'),
            }
        }
        s
    }
}
