//! The SQLite backend (feature `sqlite`): opening and migrating a database, and the read and
//! write functions beneath the Store.

mod open;
#[cfg(feature = "provisioning")]
mod provisioning;
mod read;
mod rows;
mod store;
mod write;

pub use open::{newest_known_version, Durability, SqliteDatabase, SqliteOptions, MIGRATOR};
pub use read::{count, explain, get, groups_of, kind_of, kinds_of, members, query, Page, Query};
pub use rows::{DocumentWrite, Member, MemberChange, StoredRow, Target};
pub use store::{SqliteStore, SqliteTx};
pub use write::{delete, insert, update};
