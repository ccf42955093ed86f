//! The PostgreSQL backend (feature `postgres`): connecting a pool (size, statement and acquire
//! timeouts from [`PostgresOptions`]), migrating under sqlx's advisory lock, and the read and
//! write functions beneath [`PostgresStore`], scimkit-dispatch's `Store` (and, with the feature
//! `provisioning`, scimkit-provisioning's `ProvisioningState`). The schema has the SQLite
//! schema's shape (docs/storage.md); filters are translated by the shared translator with
//! [`PostgresDialect`](crate::dialect::PostgresDialect).

mod failure;
mod keyset_page;
mod open;
#[cfg(feature = "provisioning")]
mod provisioning;
mod read;
mod render;
mod store;
mod write;

pub use crate::rows::{DocumentWrite, Member, MemberChange, StoredRow, Target};
pub use failure::unavailable;
pub use open::{newest_known_version, PostgresDatabase, PostgresOptions, MIGRATOR};
pub use read::{
    count, explain, explain_keyset_page, get, groups_of, groups_of_members, keyset_query, kinds_of,
    members, members_of_groups, query, sendable, Page, Query,
};
pub use store::{PostgresStore, PostgresTx};
pub use write::{delete, insert, update};
