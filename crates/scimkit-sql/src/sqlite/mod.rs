//! The SQLite backend (feature `sqlite`): opening and migrating a database, and the read and
//! write functions beneath the Store. SQLite is called in the caller's thread (rusqlite);
//! sqlx only applies the embedded migrations.

mod connections;
mod keyset_page;
mod open;
#[cfg(feature = "provisioning")]
mod provisioning;
mod read;
mod render;
mod sql;
mod store;
mod write;
mod writer;

pub use crate::rows::{DocumentWrite, Member, MemberChange, Relation, StoredRow, Target};
pub use connections::ReadConnection;
pub use open::{newest_known_version, Durability, SqliteDatabase, SqliteOptions, MIGRATOR};
pub use read::{
    count, explain, explain_kinds_of, explain_with, get, get_with, groups_of, keyset_query,
    kind_of, kinds_of, members, query, query_with, Page, Query,
};
pub use rusqlite::Connection;
pub use store::{SqliteStore, SqliteTx};
pub use write::{delete, insert, update};
pub use writer::WriteTransaction;
