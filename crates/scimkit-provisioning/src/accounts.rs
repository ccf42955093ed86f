//! A tenant's accounts, indexed by identifier key and by SCIM User id: [`AccountIndex`].

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

/// Accounts by [`identifier_key`] (ordered, for paging) and the links between SCIM User ids and
/// accounts, both ways: every lookup is a map access, never a scan.
#[derive(Debug, Default)]
pub(crate) struct AccountIndex {
    by_key: BTreeMap<String, Account>,
    key_of_user: HashMap<String, String>,
    user_of_key: HashMap<String, String>,
}

impl AccountIndex {
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Account> {
        self.by_key.get(key)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Account> {
        self.by_key.get_mut(key)
    }

    /// Adds or replaces the account under its own key; returns that key.
    pub(crate) fn insert(&mut self, account: Account) -> String {
        let key = identifier_key(&account.email);
        self.by_key.insert(key.clone(), account);
        key
    }

    /// Removes an account and its link.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Account> {
        if let Some(id) = self.user_of_key.remove(key) {
            self.key_of_user.remove(&id);
        }
        self.by_key.remove(key)
    }

    /// The key of the account linked to a SCIM User id.
    pub(crate) fn key_of_user(&self, id: &str) -> Option<&String> {
        self.key_of_user.get(id)
    }

    /// The SCIM User id linked to an account.
    pub(crate) fn user_of_key(&self, key: &str) -> Option<&String> {
        self.user_of_key.get(key)
    }

    /// Links a SCIM User id to an account (replacing either side's previous link).
    pub(crate) fn link(&mut self, id: &str, key: &str) {
        self.unlink_user(id);
        if let Some(old) = self.user_of_key.remove(key) {
            self.key_of_user.remove(&old);
        }
        self.key_of_user.insert(id.to_owned(), key.to_owned());
        self.user_of_key.insert(key.to_owned(), id.to_owned());
    }

    /// Removes the link of a SCIM User id.
    pub(crate) fn unlink_user(&mut self, id: &str) {
        if let Some(key) = self.key_of_user.remove(id) {
            self.user_of_key.remove(&key);
        }
    }

    /// Moves an account whose email changed to its new key, keeping its link. Returns the key
    /// it is under afterwards (the old one if the new key is taken).
    pub(crate) fn rekey(&mut self, key: &str) -> String {
        let Some(new_key) = self.by_key.get(key).map(|a| identifier_key(&a.email)) else {
            return key.to_owned();
        };
        if new_key == key || self.by_key.contains_key(&new_key) {
            return key.to_owned();
        }
        if let Some(account) = self.by_key.remove(key) {
            self.by_key.insert(new_key.clone(), account);
        }
        if let Some(id) = self.user_of_key.remove(key) {
            self.key_of_user.insert(id.clone(), new_key.clone());
            self.user_of_key.insert(new_key.clone(), id);
        }
        new_key
    }

    /// Every account, in key order.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Account> {
        self.by_key.values()
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

    fn account(email: &str) -> Account {
        Account::new(email, "N", TemplateId(1), JoinedVia::Scim)
    }

    #[test]
    fn links_follow_rekey_and_remove() {
        let mut ix = AccountIndex::default();
        let k = ix.insert(account("Ada@Example.com"));
        ix.link("u1", &k);
        ix.get_mut(&k).unwrap().email = "augusta@example.com".into();
        let k2 = ix.rekey(&k);
        assert_eq!(k2, "augusta@example.com");
        assert_eq!(ix.key_of_user("u1"), Some(&k2));
        assert_eq!(ix.user_of_key(&k2).map(String::as_str), Some("u1"));
        ix.remove(&k2);
        assert!(ix.key_of_user("u1").is_none());
    }

    #[test]
    fn pages_walk_every_account_once() {
        let mut ix = AccountIndex::default();
        for i in 0..25 {
            ix.insert(account(&format!("u{i:02}@example.com")));
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
