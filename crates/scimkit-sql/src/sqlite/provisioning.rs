//! scimkit-provisioning's [`ProvisioningState`] on SQLite (feature `provisioning`): tenants,
//! token digests, accounts and audit logs in the tables beside the resources, written in the
//! store's transaction so that a SCIM write's resource, account effects and audit record
//! commit together.

use super::sql;
use super::store::{SqliteStore, SqliteTx};
use crate::error::SqlError;
use crate::incoming::now;
use crate::rows::micros;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row};
use scimkit_dispatch::StoreError;
use scimkit_policy::{
    identifier_key, Account, AuditEntry, AuditPage, AuditRecord, Tenant, TokenDigest,
    MAX_AUDIT_PAGE,
};
use scimkit_provisioning::{
    AccountPage, ProvisioningState, StoredAccount, TenantRecord, MAX_ACCOUNT_PAGE,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::backend(e)
}

/// A tenant record as stored (JSON).
#[derive(Serialize, Deserialize)]
struct RecordJson {
    tenant: Tenant,
    operator_token: Option<TokenDigest>,
    disabled_token: Option<TokenDigest>,
}

fn encode_record(record: &TenantRecord) -> Result<String, StoreError> {
    serde_json::to_string(&RecordJson {
        tenant: record.tenant.clone(),
        operator_token: record.operator_token,
        disabled_token: record.disabled_token,
    })
    .map_err(backend)
}

fn decode_record(text: &str) -> Result<Arc<TenantRecord>, StoreError> {
    let r: RecordJson = serde_json::from_str(text).map_err(backend)?;
    let mut record = TenantRecord::new(r.tenant);
    record.operator_token = r.operator_token;
    record.disabled_token = r.disabled_token;
    Ok(Arc::new(record))
}

fn digest_key(d: &TokenDigest) -> Result<String, StoreError> {
    serde_json::to_string(d).map_err(backend)
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn record_of(conn: &Connection, tenant: &str) -> Result<Option<Arc<TenantRecord>>, StoreError> {
    let text: Option<String> = sql::first(
        conn,
        "SELECT record FROM tenants WHERE tenant = ?",
        [tenant],
        |r| Ok(r.get(0)?),
    )
    .map_err(backend)?;
    text.as_deref().map(decode_record).transpose()
}

/// The account of a row whose columns are `data, scim_id`.
fn account_of_row(row: &Row<'_>) -> Result<StoredAccount, SqlError> {
    let data: String = row.get(0)?;
    let account: Account =
        serde_json::from_str(&data).map_err(|_| SqlError::Corrupt("an account is not JSON"))?;
    Ok(StoredAccount::new(account, row.get(1)?))
}

fn account_by(
    conn: &Connection,
    tenant: &str,
    column: &'static str,
    value: &str,
) -> Result<Option<StoredAccount>, StoreError> {
    let sql = if column == "scim_id" {
        "SELECT data, scim_id FROM accounts WHERE tenant = ? AND scim_id = ?"
    } else {
        "SELECT data, scim_id FROM accounts WHERE tenant = ? AND email_norm = ?"
    };
    sql::first(conn, sql, [tenant, value], account_of_row).map_err(backend)
}

/// Drops the tenant's oldest audit entries beyond its bounds (an entry larger than the whole
/// byte budget is kept alone), keeping the counters.
fn trim_audit(conn: &Connection, tenant: &str) -> Result<(), StoreError> {
    loop {
        let bounds: Option<(i64, i64, i64, i64)> = sql::first(
            conn,
            "SELECT audit_count, audit_bytes, audit_max_entries, audit_max_bytes \
             FROM tenants WHERE tenant = ?",
            [tenant],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map_err(backend)?;
        let Some((count, bytes, max_entries, max_bytes)) = bounds else {
            return Ok(());
        };
        if !(count > max_entries || (bytes > max_bytes && count > 1)) {
            return Ok(());
        }
        let freed: Option<i64> = sql::first(
            conn,
            "DELETE FROM audit WHERE tenant = ? AND seq = \
             (SELECT min(seq) FROM audit WHERE tenant = ?) RETURNING bytes",
            [tenant, tenant],
            |r| Ok(r.get(0)?),
        )
        .map_err(backend)?;
        let Some(freed) = freed else { return Ok(()) };
        sql::execute(
            conn,
            "UPDATE tenants SET audit_count = audit_count - 1, audit_bytes = audit_bytes - ? \
             WHERE tenant = ?",
            params![freed, tenant],
        )
        .map_err(backend)?;
    }
}

impl ProvisioningState for SqliteStore {
    async fn tenant_ids(&self) -> Result<Vec<String>, StoreError> {
        self.database()
            .read_with(|conn| {
                sql::all(
                    conn,
                    "SELECT tenant FROM tenants ORDER BY tenant",
                    [],
                    |r| Ok(r.get(0)?),
                )
            })
            .await
            .map_err(backend)
    }

    async fn load_tenant(&self, tenant: &str) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        let text: Option<String> = self
            .database()
            .read_with(|conn| {
                sql::first(
                    conn,
                    "SELECT record FROM tenants WHERE tenant = ?",
                    [tenant],
                    |r| Ok(r.get(0)?),
                )
            })
            .await
            .map_err(backend)?;
        text.as_deref().map(decode_record).transpose()
    }

    async fn tenant_by_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        let key = digest_key(digest)?;
        let text: Option<String> = self
            .database()
            .read_with(|conn| {
                sql::first(
                    conn,
                    "SELECT t.record FROM token_digests AS d \
                     JOIN tenants AS t ON t.tenant = d.tenant WHERE d.digest = ?",
                    [&key],
                    |r| Ok(r.get(0)?),
                )
            })
            .await
            .map_err(backend)?;
        text.as_deref().map(decode_record).transpose()
    }

    async fn tenant_for_update(
        &self,
        tx: &mut SqliteTx,
    ) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        record_of(tx.connection(), tx.tenant())
    }

    async fn save_tenant(&self, tx: &mut SqliteTx, record: TenantRecord) -> Result<(), StoreError> {
        let tenant = tx.tenant().to_owned();
        if record.id() != tenant {
            return Err(StoreError::InvalidValue(
                "a tenant's record is saved in its own transaction".into(),
            ));
        }
        let text = encode_record(&record)?;
        let limits = record.tenant.audit().limits();
        let digests = record
            .token_digests()
            .map(|d| digest_key(&d))
            .collect::<Result<Vec<_>, _>>()?;
        let conn = tx.connection();
        sql::execute(
            conn,
            "INSERT INTO tenants (tenant, record, last_modified, audit_max_entries, audit_max_bytes) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET record = excluded.record, \
             last_modified = excluded.last_modified, audit_max_entries = excluded.audit_max_entries, \
             audit_max_bytes = excluded.audit_max_bytes",
            params![
                &tenant,
                text,
                micros(now()),
                to_i64(limits.max_entries),
                to_i64(limits.max_bytes)
            ],
        )
        .map_err(backend)?;
        sql::execute(
            conn,
            "DELETE FROM token_digests WHERE tenant = ?",
            [&tenant],
        )
        .map_err(backend)?;
        for d in digests {
            // A digest another tenant held moves here (as the in-memory index does).
            sql::execute(
                conn,
                "INSERT INTO token_digests (digest, tenant) VALUES (?, ?) \
                 ON CONFLICT (digest) DO UPDATE SET tenant = excluded.tenant",
                [&d, &tenant],
            )
            .map_err(backend)?;
        }
        trim_audit(conn, &tenant)
    }

    async fn load_account(
        &self,
        tenant: &str,
        key: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        self.database()
            .read_with(|conn| {
                sql::first(
                    conn,
                    "SELECT data, scim_id FROM accounts WHERE tenant = ? AND email_norm = ?",
                    [tenant, key],
                    account_of_row,
                )
            })
            .await
            .map_err(backend)
    }

    async fn account_page(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
        q: Option<&str>,
    ) -> Result<AccountPage, StoreError> {
        let limit = limit.min(MAX_ACCOUNT_PAGE);
        let needle = q.map(str::to_lowercase).filter(|q| !q.is_empty());
        let mut cursor = after.map(str::to_owned);
        let mut accounts = Vec::new();
        let mut next = None;
        // Key order, in batches, filtered by `q` as the in-memory index filters.
        'scan: loop {
            let after = cursor.clone();
            let rows: Vec<(String, StoredAccount)> = self
                .database()
                .read_with(|conn| {
                    sql::all(
                        conn,
                        "SELECT data, scim_id, email_norm FROM accounts WHERE tenant = ? \
                         AND (?2 IS NULL OR email_norm > ?2) ORDER BY email_norm LIMIT 500",
                        params![tenant, after],
                        |r| Ok((r.get(2)?, account_of_row(r)?)),
                    )
                })
                .await
                .map_err(backend)?;
            if rows.is_empty() {
                break;
            }
            for (key, stored) in rows {
                cursor = Some(key);
                let wanted = needle.as_ref().is_none_or(|q| {
                    identifier_key(&stored.account.email).contains(q.as_str())
                        || stored
                            .account
                            .registered_name
                            .to_lowercase()
                            .contains(q.as_str())
                });
                if !wanted {
                    continue;
                }
                if accounts.len() == limit {
                    next = accounts
                        .last()
                        .map(|(a, _): &(Account, Option<String>)| identifier_key(&a.email));
                    break 'scan;
                }
                accounts.push((stored.account, stored.user_id));
            }
        }
        Ok(AccountPage::new(accounts, next))
    }

    async fn account_for_update(
        &self,
        tx: &mut SqliteTx,
        key: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        account_by(tx.connection(), tx.tenant(), "email_norm", key)
    }

    async fn account_of_user(
        &self,
        tx: &mut SqliteTx,
        user_id: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        account_by(tx.connection(), tx.tenant(), "scim_id", user_id)
    }

    async fn save_account(
        &self,
        tx: &mut SqliteTx,
        account: StoredAccount,
    ) -> Result<(), StoreError> {
        let tenant = tx.tenant().to_owned();
        let key = account.key();
        let data = serde_json::to_string(&account.account).map_err(backend)?;
        let conn = tx.connection();
        if let Some(user) = &account.user_id {
            // A User linked to another account before moves to this one.
            sql::execute(
                conn,
                "UPDATE accounts SET scim_id = NULL \
                 WHERE tenant = ? AND scim_id = ? AND email_norm <> ?",
                [&tenant, user, &key],
            )
            .map_err(backend)?;
        }
        sql::execute(
            conn,
            "INSERT INTO accounts (tenant, email_norm, scim_id, data) VALUES (?, ?, ?, ?) \
             ON CONFLICT (tenant, email_norm) DO UPDATE SET scim_id = excluded.scim_id, \
             data = excluded.data",
            params![&tenant, &key, &account.user_id, data],
        )
        .map_err(backend)?;
        Ok(())
    }

    async fn remove_account(&self, tx: &mut SqliteTx, key: &str) -> Result<(), StoreError> {
        sql::execute(
            tx.connection(),
            "DELETE FROM accounts WHERE tenant = ? AND email_norm = ?",
            [tx.tenant(), key],
        )
        .map_err(backend)?;
        Ok(())
    }

    async fn append_audit(
        &self,
        tx: &mut SqliteTx,
        record: AuditRecord,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tenant = tx.tenant().to_owned();
        let conn = tx.connection();
        // The tenant's next sequence number; no record, no log (as the in-memory backend).
        let seq: Option<i64> = sql::first(
            conn,
            "UPDATE tenants SET audit_next = audit_next + 1 WHERE tenant = ? \
             RETURNING audit_next - 1",
            [&tenant],
            |r| Ok(r.get(0)?),
        )
        .map_err(backend)?;
        let Some(seq) = seq else { return Ok(()) };
        let entry = AuditEntry {
            seq: u64::try_from(seq).unwrap_or_default(),
            at,
            record,
        };
        let bytes = serde_json::to_vec(&entry).map_err(backend)?.len();
        let record_text = serde_json::to_string(&entry.record).map_err(backend)?;
        sql::execute(
            conn,
            "INSERT INTO audit (tenant, seq, at, bytes, record) VALUES (?, ?, ?, ?, ?)",
            params![
                &tenant,
                seq,
                at.timestamp_nanos_opt().unwrap_or(i64::MAX),
                to_i64(bytes),
                record_text
            ],
        )
        .map_err(backend)?;
        sql::execute(
            conn,
            "UPDATE tenants SET audit_count = audit_count + 1, audit_bytes = audit_bytes + ? \
             WHERE tenant = ?",
            params![to_i64(bytes), &tenant],
        )
        .map_err(backend)?;
        trim_audit(conn, &tenant)
    }

    async fn audit_page(
        &self,
        tenant: &str,
        since: u64,
        limit: usize,
    ) -> Result<AuditPage, StoreError> {
        let limit = limit.min(MAX_AUDIT_PAGE);
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        type Bounds = (Option<i64>, Option<i64>);
        let (rows, bounds): (Vec<(i64, i64, String)>, Option<Bounds>) = self
            .database()
            .read_with(|conn| {
                let rows = sql::all(
                    conn,
                    "SELECT seq, at, record FROM audit WHERE tenant = ? AND seq > ? \
                     ORDER BY seq LIMIT ?",
                    params![tenant, since, to_i64(limit) + 1],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                let bounds = sql::first(
                    conn,
                    "SELECT MIN(seq), MAX(seq) FROM audit WHERE tenant = ?",
                    [tenant],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                Ok((rows, bounds))
            })
            .await
            .map_err(backend)?;
        let more = rows.len() > limit;
        let mut entries = Vec::with_capacity(limit.min(rows.len()));
        for (seq, at, text) in rows.into_iter().take(limit) {
            entries.push(AuditEntry {
                seq: u64::try_from(seq).unwrap_or_default(),
                at: DateTime::from_timestamp_nanos(at),
                record: serde_json::from_str(&text).map_err(backend)?,
            });
        }
        let next = more.then(|| entries.last().map(|e| e.seq)).flatten();
        let (low, high) = bounds.unwrap_or((None, None));
        let bound = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
        Ok(AuditPage::new(entries, next, bound(low), bound(high)))
    }

    async fn audit_bytes(&self, tenant: &str) -> Result<usize, StoreError> {
        let bytes: Option<i64> = self
            .database()
            .read_with(|conn| {
                sql::first(
                    conn,
                    "SELECT audit_bytes FROM tenants WHERE tenant = ?",
                    [tenant],
                    |r| Ok(r.get(0)?),
                )
            })
            .await
            .map_err(backend)?;
        Ok(bytes.map_or(0, |b| usize::try_from(b).unwrap_or(0)))
    }
}
