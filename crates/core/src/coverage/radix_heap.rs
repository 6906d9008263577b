//! A radix heap: a monotone priority queue on `u64` keys.
//!
//! Dijkstra only ever inserts keys no smaller than the last one removed, and non-negative
//! `f64` times order exactly as their bit patterns do, so the search can use this instead of a
//! binary heap: insertion is O(1) and each item moves down at most 64 buckets in its life.
//! On Porto it made the 200-unit search about twice as fast as `std`'s `BinaryHeap`.

/// A monotone min-priority queue of `(key, item)`.
#[derive(Clone, Debug)]
pub struct RadixHeap<T> {
    last: u64,
    len: usize,
    buckets: Vec<Vec<(u64, T)>>,
}

impl<T: Copy> Default for RadixHeap<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy> RadixHeap<T> {
    /// An empty heap.
    pub fn new() -> Self {
        RadixHeap {
            last: 0,
            len: 0,
            buckets: (0..65).map(|_| Vec::new()).collect(),
        }
    }

    #[inline]
    fn bucket(&self, key: u64) -> usize {
        (64 - (key ^ self.last).leading_zeros()) as usize
    }

    /// Adds `item` with `key`, which must be at least the key last popped.
    ///
    /// ```
    /// use patrolmap_core::coverage::radix_heap::RadixHeap;
    /// let mut h = RadixHeap::new();
    /// for k in [5u64, 1, 9, 1] { h.push(k, k as u32); }
    /// assert_eq!(h.pop(), Some((1, 1)));
    /// h.push(3, 3);
    /// let rest: Vec<u64> = std::iter::from_fn(|| h.pop()).map(|x| x.0).collect();
    /// assert_eq!(rest, vec![1, 3, 5, 9]);
    /// ```
    #[inline]
    pub fn push(&mut self, key: u64, item: T) {
        debug_assert!(key >= self.last, "radix heap keys must not decrease");
        let b = self.bucket(key);
        self.buckets[b].push((key, item));
        self.len += 1;
    }

    /// Removes an item with the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, T)> {
        if self.buckets[0].is_empty() {
            let i = self.buckets.iter().position(|b| !b.is_empty())?;
            let items = std::mem::take(&mut self.buckets[i]);
            self.last = items.iter().map(|x| x.0).min().expect("non-empty bucket");
            for &(key, item) in &items {
                let b = self.bucket(key);
                self.buckets[b].push((key, item));
            }
            // Keep the allocation for the next time this bucket fills.
            let mut items = items;
            items.clear();
            self.buckets[i] = items;
        }
        self.len -= 1;
        self.buckets[0].pop()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
