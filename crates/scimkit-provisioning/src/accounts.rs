//! A tenant's accounts, indexed by identifier key and by SCIM User id: [`AccountIndex`].

use crate::state::StoredAccount;
use scimkit_policy::{identifier_key, Account};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

/// The most accounts one page of [`AccountIndex::page`] holds.
pub const MAX_ACCOUNT_PAGE: usize = 1000;

/// One page of a tenant's accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountPage {
    /// The accounts in identifier-key order, each with the SCIM User id linked to it.
    pub accounts: Vec<(Account, Option<String>)>,
    /// When more accounts follow: the cursor that asks for the next page.
    pub next: Option<String>,
}

impl AccountPage {
    /// A page: accounts with their User ids, and the cursor of the next page.
    pub fn new(accounts: Vec<(Account, Option<String>)>, next: Option<String>) -> Self {
        AccountPage { accounts, next }
    }
}

/// Accounts by [`identifier_key`] (ordered, for paging) and the links between SCIM User ids and
/// accounts, both ways: every lookup is a map access, never a scan. The in-memory store of
/// [`MemoryBackend`](crate::MemoryBackend).
#[derive(Debug, Default)]
pub(crate) struct AccountIndex {
    by_key: BTreeMap<String, Account>,
    key_of_user: HashMap<String, String>,
    user_of_key: HashMap<String, String>,
}

impl AccountIndex {
    /// The account with this key, with its link.
    pub(crate) fn get(&self, key: &str) -> Option<StoredAccount> {
        let account = self.by_key.get(key)?.clone();
        Some(StoredAccount::new(
            account,
            self.user_of_key.get(key).cloned(),
        ))
    }

    /// The key of the account linked to a SCIM User id.
    pub(crate) fn key_of_user(&self, id: &str) -> Option<&String> {
        self.key_of_user.get(id)
    }

    /// Adds or replaces an account under its key, with its link (replacing either side's
    /// previous link).
    pub(crate) fn put(&mut self, stored: StoredAccount) {
        let key = stored.key();
        if let Some(old) = self.user_of_key.remove(&key) {
            self.key_of_user.remove(&old);
        }
        if let Some(id) = stored.user_id {
            if let Some(old_key) = self.key_of_user.insert(id.clone(), key.clone()) {
                self.user_of_key.remove(&old_key);
            }
            self.user_of_key.insert(key.clone(), id);
        }
        self.by_key.insert(key, stored.account);
    }

    /// Removes an account and its link.
    pub(crate) fn remove(&mut self, key: &str) {
        if let Some(id) = self.user_of_key.remove(key) {
            self.key_of_user.remove(&id);
        }
        self.by_key.remove(key);
    }

    /// Up to `limit` (at most [`MAX_ACCOUNT_PAGE`]) accounts after the cursor `after` (a key
    /// from a previous page's `next`), in key order, optionally only those whose email or
    /// registered name contains `q` (ignoring case). Costs `O(log n + limit)` without `q`, and
    /// at most one pass over the accounts with it.
    pub(crate) fn page(&self, after: Option<&str>, limit: usize, q: Option<&str>) -> AccountPage {
        let limit = limit.min(MAX_ACCOUNT_PAGE);
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let needle = q.map(str::to_lowercase).filter(|q| !q.is_empty());
        let wanted = |a: &Account| {
            needle.as_ref().map_or(true, |q| {
                identifier_key(&a.email).contains(q.as_str())
                    || a.registered_name.to_lowercase().contains(q.as_str())
            })
        };
        let mut matching = self
            .by_key
            .range::<str, _>((start, Bound::Unbounded))
            .filter(|(_, a)| wanted(a));
        let mut accounts = Vec::new();
        let mut last_key = None;
        for (key, account) in matching.by_ref().take(limit) {
            accounts.push((account.clone(), self.user_of_key.get(key).cloned()));
            last_key = Some(key.clone());
        }
        let next = if matching.next().is_some() {
            last_key
        } else {
            None
        };
        AccountPage { accounts, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scimkit_policy::{JoinedVia, TemplateId};

    fn account(email: &str) -> StoredAccount {
        StoredAccount::new(
            Account::new(email, "N", TemplateId(1), JoinedVia::Scim),
            None,
        )
    }

    #[test]
    fn links_follow_put_and_remove() {
        let mut ix = AccountIndex::default();
        let mut ada = account("Ada@Example.com");
        ada.user_id = Some("u1".into());
        ix.put(ada.clone());
        assert_eq!(
            ix.key_of_user("u1").map(String::as_str),
            Some("ada@example.com")
        );
        // The link moves with the user id to another account.
        let mut grace = account("grace@example.com");
        grace.user_id = Some("u1".into());
        ix.put(grace);
        assert_eq!(
            ix.key_of_user("u1").map(String::as_str),
            Some("grace@example.com")
        );
        assert_eq!(ix.get("ada@example.com").unwrap().user_id, None);
        ix.remove("grace@example.com");
        assert!(ix.key_of_user("u1").is_none());
        assert!(ix.get("ada@example.com").is_some());
    }

    #[test]
    fn pages_walk_every_account_once() {
        let mut ix = AccountIndex::default();
        for i in 0..25 {
            ix.put(account(&format!("u{i:02}@example.com")));
        }
        let (mut seen, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let page = ix.page(cursor.as_deref(), 10, None);
            seen.extend(page.accounts.into_iter().map(|(a, _)| a.email));
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len(), 25);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ix.page(None, 10, Some("U1")).accounts.len(), 10);
    }
}
