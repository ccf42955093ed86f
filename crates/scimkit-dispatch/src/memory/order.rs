//! Creation order with O(log n) access by rank (a Fenwick tree over live slots).

use super::ids::Id;

/// Ids in creation order with O(log n) access by rank (a Fenwick tree over live slots), so
/// that a page deep into a list (`startIndex=90001`) costs no more than the first one.
#[derive(Debug, Default)]
pub(super) struct Order {
    /// Ids by slot; `None` where a resource was deleted.
    pub(super) slots: Vec<Option<Id>>,
    /// Fenwick tree of live counts: `tree[i - 1]` covers slots `(i - lowbit(i), i]` (1-based).
    pub(super) tree: Vec<u32>,
    pub(super) live: usize,
}

impl Order {
    pub(super) fn lowbit(i: usize) -> usize {
        i & i.wrapping_neg()
    }

    /// Live slots among the first `i`.
    pub(super) fn prefix(&self, mut i: usize) -> u32 {
        let mut sum = 0;
        while i > 0 {
            sum += self.tree[i - 1];
            i -= Self::lowbit(i);
        }
        sum
    }

    /// Appends an id; returns its slot.
    pub(super) fn push(&mut self, id: Id) -> u64 {
        let i = self.slots.len() + 1;
        let covered = self.prefix(i - 1) - self.prefix(i - Self::lowbit(i));
        self.slots.push(Some(id));
        self.tree.push(covered + 1);
        self.live += 1;
        (i - 1) as u64
    }

    pub(super) fn remove(&mut self, slot: u64) {
        let Ok(slot) = usize::try_from(slot) else {
            return;
        };
        if self.slots.get_mut(slot).and_then(Option::take).is_none() {
            return;
        }
        self.live -= 1;
        let mut i = slot + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] -= 1;
            i += Self::lowbit(i);
        }
    }

    /// Puts an id back into a slot [`Order::remove`] emptied (a rolled-back delete), so it
    /// keeps its place in creation order.
    pub(super) fn restore(&mut self, slot: u64, id: Id) {
        let Ok(slot) = usize::try_from(slot) else {
            return;
        };
        match self.slots.get_mut(slot) {
            Some(s @ None) => *s = Some(id),
            _ => return,
        }
        self.live += 1;
        let mut i = slot + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] += 1;
            i += Self::lowbit(i);
        }
    }

    /// The slot of the live id of rank `k` (0-based), if there are more than `k`.
    pub(super) fn nth(&self, k: usize) -> Option<usize> {
        if k >= self.live {
            return None;
        }
        let n = self.tree.len();
        let mut pos = 0;
        let mut rem = u32::try_from(k + 1).ok()?;
        let mut step = n.checked_next_power_of_two().unwrap_or(n);
        while step > 0 {
            if pos + step <= n && self.tree[pos + step - 1] < rem {
                pos += step;
                rem -= self.tree[pos - 1];
            }
            step /= 2;
        }
        Some(pos)
    }

    /// Live ids from rank `offset` on.
    pub(super) fn iter_from(&self, offset: usize) -> impl Iterator<Item = &Id> {
        let start = self.nth(offset).unwrap_or(self.slots.len());
        self.slots[start..].iter().flatten()
    }

    /// Live (slot, id) pairs in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, &Id)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|id| (i as u64, id)))
    }

    /// Drops deleted slots once they outnumber live ones; returns the new slot of every id.
    pub(super) fn compact_if_sparse(&mut self) -> Option<Vec<(Id, u64)>> {
        if self.slots.len() < 64 || self.live * 2 >= self.slots.len() {
            return None;
        }
        let ids: Vec<Id> = self.slots.drain(..).flatten().collect();
        self.tree.clear();
        self.live = 0;
        Some(
            ids.into_iter()
                .map(|id| (id.clone(), self.push(id)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Arc;

    #[test]
    fn order_ranks_survive_deletes_and_compaction() {
        let mut o = Order::default();
        let mut model: Vec<String> = Vec::new();
        let mut slots: HashMap<String, u64> = HashMap::new();
        for round in 0..5u64 {
            for i in 0..300 {
                let id = format!("{round}-{i}");
                slots.insert(id.clone(), o.push(Arc::from(id.as_str())));
                model.push(id);
            }
            // Delete a pseudo-random two thirds.
            let doomed: Vec<String> = model
                .iter()
                .filter(|id| {
                    (id.len() as u64 * 7 + round + id.as_bytes()[id.len() - 1] as u64) % 3 != 0
                })
                .cloned()
                .collect();
            for id in &doomed {
                o.remove(slots[id]);
                model.retain(|m| m != id);
                if let Some(moved) = o.compact_if_sparse() {
                    for (id, s) in moved {
                        slots.insert(id.to_string(), s);
                    }
                }
            }
            for k in [
                0,
                1,
                model.len() / 2,
                model.len().saturating_sub(1),
                model.len(),
            ] {
                let got: Vec<&str> = o.iter_from(k).map(|s| &**s).collect();
                let want: Vec<&str> = model.iter().skip(k).map(String::as_str).collect();
                assert_eq!(got, want, "rank {k} after round {round}");
            }
            assert_eq!(o.iter().count(), model.len());
        }
    }
}
