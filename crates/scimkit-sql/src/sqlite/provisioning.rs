//! scimkit-provisioning's [`ProvisioningState`] on SQLite (feature `provisioning`): tenants,
//! token digests, accounts and audit logs in the tables beside the resources, written in the
//! store's transaction so that a SCIM write's resource, account effects and audit record
//! commit together.

use super::store::{SqliteStore, SqliteTx};
use crate::incoming::now;
use crate::rows::micros;
use chrono::{DateTime, Utc};
use scimkit_dispatch::StoreError;
use scimkit_policy::{
    identifier_key, Account, AuditEntry, AuditPage, AuditRecord, Tenant, TokenDigest,
    MAX_AUDIT_PAGE,
};
use scimkit_provisioning::{
    AccountPage, ProvisioningState, StoredAccount, TenantRecord, MAX_ACCOUNT_PAGE,
};
use serde::{Deserialize, Serialize};
use sqlx::{Row, SqliteConnection};
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

async fn record_of(
    conn: &mut SqliteConnection,
    tenant: &str,
) -> Result<Option<Arc<TenantRecord>>, StoreError> {
    let text: Option<String> = sqlx::query_scalar("SELECT record FROM tenants WHERE tenant = ?")
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    text.as_deref().map(decode_record).transpose()
}

fn account_of_row(row: &sqlx::sqlite::SqliteRow) -> Result<StoredAccount, StoreError> {
    let data: String = row.try_get("data").map_err(backend)?;
    let account: Account = serde_json::from_str(&data).map_err(backend)?;
    let user: Option<String> = row.try_get("scim_id").map_err(backend)?;
    Ok(StoredAccount::new(account, user))
}

async fn account_by(
    conn: &mut SqliteConnection,
    tenant: &str,
    column: &'static str,
    value: &str,
) -> Result<Option<StoredAccount>, StoreError> {
    let sql = if column == "scim_id" {
        "SELECT data, scim_id FROM accounts WHERE tenant = ? AND scim_id = ?"
    } else {
        "SELECT data, scim_id FROM accounts WHERE tenant = ? AND email_norm = ?"
    };
    let row = sqlx::query(sql)
        .bind(tenant)
        .bind(value)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    row.as_ref().map(account_of_row).transpose()
}

/// Drops the tenant's oldest audit entries beyond its bounds (an entry larger than the whole
/// byte budget is kept alone), keeping the counters.
async fn trim_audit(conn: &mut SqliteConnection, tenant: &str) -> Result<(), StoreError> {
    loop {
        let row = sqlx::query(
            "SELECT audit_count, audit_bytes, audit_max_entries, audit_max_bytes \
             FROM tenants WHERE tenant = ?",
        )
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(()) };
        let get = |i: usize| row.try_get::<i64, _>(i).map_err(backend);
        let (count, bytes, max_entries, max_bytes) = (get(0)?, get(1)?, get(2)?, get(3)?);
        if !(count > max_entries || (bytes > max_bytes && count > 1)) {
            return Ok(());
        }
        let oldest = sqlx::query(
            "DELETE FROM audit WHERE tenant = ? AND seq = \
             (SELECT min(seq) FROM audit WHERE tenant = ?) RETURNING bytes",
        )
        .bind(tenant)
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
        let Some(oldest) = oldest else { return Ok(()) };
        let freed: i64 = oldest.try_get(0).map_err(backend)?;
        sqlx::query(
            "UPDATE tenants SET audit_count = audit_count - 1, audit_bytes = audit_bytes - ? \
             WHERE tenant = ?",
        )
        .bind(freed)
        .bind(tenant)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
}

impl ProvisioningState for SqliteStore {
    async fn tenant_ids(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT tenant FROM tenants ORDER BY tenant")
            .fetch_all(&mut *self.database().read().await)
            .await
            .map_err(backend)
    }

    async fn load_tenant(&self, tenant: &str) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        let mut conn = self.database().read().await;
        record_of(&mut conn, tenant).await
    }

    async fn tenant_by_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        let key = digest_key(digest)?;
        let text: Option<String> = sqlx::query_scalar(
            "SELECT t.record FROM token_digests AS d JOIN tenants AS t ON t.tenant = d.tenant \
             WHERE d.digest = ?",
        )
        .bind(key)
        .fetch_optional(&mut *self.database().read().await)
        .await
        .map_err(backend)?;
        text.as_deref().map(decode_record).transpose()
    }

    async fn tenant_for_update(
        &self,
        tx: &mut SqliteTx,
    ) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        let tenant = tx.tenant().to_owned();
        record_of(tx.connection(), &tenant).await
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
        sqlx::query(
            "INSERT INTO tenants (tenant, record, last_modified, audit_max_entries, audit_max_bytes) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET record = excluded.record, \
             last_modified = excluded.last_modified, audit_max_entries = excluded.audit_max_entries, \
             audit_max_bytes = excluded.audit_max_bytes",
        )
        .bind(&tenant)
        .bind(text)
        .bind(micros(now()))
        .bind(to_i64(limits.max_entries))
        .bind(to_i64(limits.max_bytes))
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        sqlx::query("DELETE FROM token_digests WHERE tenant = ?")
            .bind(&tenant)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        for d in digests {
            // A digest another tenant held moves here (as the in-memory index does).
            sqlx::query(
                "INSERT INTO token_digests (digest, tenant) VALUES (?, ?) \
                 ON CONFLICT (digest) DO UPDATE SET tenant = excluded.tenant",
            )
            .bind(d)
            .bind(&tenant)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
        trim_audit(conn, &tenant).await
    }

    async fn load_account(
        &self,
        tenant: &str,
        key: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        let mut conn = self.database().read().await;
        account_by(&mut conn, tenant, "email_norm", key).await
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
        let mut conn = self.database().read().await;
        let mut cursor = after.map(str::to_owned);
        let mut accounts = Vec::new();
        let mut next = None;
        // Key order, in batches, filtered by `q` as the in-memory index filters.
        'scan: loop {
            let rows = sqlx::query(
                "SELECT email_norm, data, scim_id FROM accounts WHERE tenant = ? \
                 AND (? IS NULL OR email_norm > ?) ORDER BY email_norm LIMIT 500",
            )
            .bind(tenant)
            .bind(cursor.as_deref())
            .bind(cursor.as_deref())
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let key: String = row.try_get("email_norm").map_err(backend)?;
                let stored = account_of_row(row)?;
                cursor = Some(key.clone());
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
        let tenant = tx.tenant().to_owned();
        account_by(tx.connection(), &tenant, "email_norm", key).await
    }

    async fn account_of_user(
        &self,
        tx: &mut SqliteTx,
        user_id: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        let tenant = tx.tenant().to_owned();
        account_by(tx.connection(), &tenant, "scim_id", user_id).await
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
            sqlx::query("UPDATE accounts SET scim_id = NULL WHERE tenant = ? AND scim_id = ? AND email_norm <> ?")
                .bind(&tenant)
                .bind(user)
                .bind(&key)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
        }
        sqlx::query(
            "INSERT INTO accounts (tenant, email_norm, scim_id, data) VALUES (?, ?, ?, ?) \
             ON CONFLICT (tenant, email_norm) DO UPDATE SET scim_id = excluded.scim_id, \
             data = excluded.data",
        )
        .bind(&tenant)
        .bind(&key)
        .bind(&account.user_id)
        .bind(data)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn remove_account(&self, tx: &mut SqliteTx, key: &str) -> Result<(), StoreError> {
        let tenant = tx.tenant().to_owned();
        sqlx::query("DELETE FROM accounts WHERE tenant = ? AND email_norm = ?")
            .bind(&tenant)
            .bind(key)
            .execute(tx.connection())
            .await
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
        let seq: Option<i64> = sqlx::query_scalar(
            "UPDATE tenants SET audit_next = audit_next + 1 WHERE tenant = ? RETURNING audit_next - 1",
        )
        .bind(&tenant)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
        let Some(seq) = seq else { return Ok(()) };
        let entry = AuditEntry {
            seq: u64::try_from(seq).unwrap_or_default(),
            at,
            record,
        };
        let bytes = serde_json::to_vec(&entry).map_err(backend)?.len();
        let record_text = serde_json::to_string(&entry.record).map_err(backend)?;
        sqlx::query("INSERT INTO audit (tenant, seq, at, bytes, record) VALUES (?, ?, ?, ?, ?)")
            .bind(&tenant)
            .bind(seq)
            .bind(at.timestamp_nanos_opt().unwrap_or(i64::MAX))
            .bind(to_i64(bytes))
            .bind(record_text)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        sqlx::query(
            "UPDATE tenants SET audit_count = audit_count + 1, audit_bytes = audit_bytes + ? \
             WHERE tenant = ?",
        )
        .bind(to_i64(bytes))
        .bind(&tenant)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        trim_audit(conn, &tenant).await
    }

    async fn audit_page(
        &self,
        tenant: &str,
        since: u64,
        limit: usize,
    ) -> Result<AuditPage, StoreError> {
        let limit = limit.min(MAX_AUDIT_PAGE);
        let rows = sqlx::query(
            "SELECT seq, at, record FROM audit WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(tenant)
        .bind(i64::try_from(since).unwrap_or(i64::MAX))
        .bind(to_i64(limit) + 1)
        .fetch_all(&mut *self.database().read().await)
        .await
        .map_err(backend)?;
        let more = rows.len() > limit;
        let mut entries = Vec::with_capacity(limit.min(rows.len()));
        for row in rows.iter().take(limit) {
            let seq: i64 = row.try_get(0).map_err(backend)?;
            let at: i64 = row.try_get(1).map_err(backend)?;
            let text: String = row.try_get(2).map_err(backend)?;
            entries.push(AuditEntry {
                seq: u64::try_from(seq).unwrap_or_default(),
                at: DateTime::from_timestamp_nanos(at),
                record: serde_json::from_str(&text).map_err(backend)?,
            });
        }
        let next = more.then(|| entries.last().map(|e| e.seq)).flatten();
        let bounds = sqlx::query("SELECT MIN(seq), MAX(seq) FROM audit WHERE tenant = ?")
            .bind(tenant)
            .fetch_one(&mut *self.database().read().await)
            .await
            .map_err(backend)?;
        let bound = |i: usize| -> Result<Option<u64>, StoreError> {
            let v: Option<i64> = bounds.try_get(i).map_err(backend)?;
            Ok(v.and_then(|v| u64::try_from(v).ok()))
        };
        Ok(AuditPage::new(entries, next, bound(0)?, bound(1)?))
    }

    async fn audit_bytes(&self, tenant: &str) -> Result<usize, StoreError> {
        let bytes: Option<i64> =
            sqlx::query_scalar("SELECT audit_bytes FROM tenants WHERE tenant = ?")
                .bind(tenant)
                .fetch_optional(&mut *self.database().read().await)
                .await
                .map_err(backend)?;
        Ok(bytes.map_or(0, |b| usize::try_from(b).unwrap_or(0)))
    }
}
