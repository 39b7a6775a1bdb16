//! Batching of state-changing calls, and the bisect planner that isolates the instance that
//! makes a batch fail (EC2 fails a whole StopInstances call when one id in it is bad).

/// Splits `items` into batches of at most `size` (a size of 0 is treated as 1).
pub fn batches<T: Clone>(items: &[T], size: usize) -> Vec<Vec<T>> {
    items.chunks(size.max(1)).map(<[T]>::to_vec).collect()
}

/// Plans the calls for one batch: try it whole; when a call fails, split it in halves and try
/// each; a single item that fails is isolated. Pure: the caller makes the calls and reports
/// each result back.
///
/// For a batch of n items with k bad ones the plan makes at most about 2·k·log2(n) + 1 calls;
/// with no bad item it makes exactly one.
#[derive(Debug, Clone)]
pub struct Bisector<T> {
    stack: Vec<Vec<T>>,
}

impl<T> Bisector<T> {
    pub fn new(batch: Vec<T>) -> Self {
        let stack = if batch.is_empty() {
            Vec::new()
        } else {
            vec![batch]
        };
        Self { stack }
    }

    /// The next group to try, or `None` when the plan is done.
    pub fn next_group(&mut self) -> Option<Vec<T>> {
        self.stack.pop()
    }

    /// Reports that `group` (as returned by [`next_group`](Self::next_group)) failed.
    /// Returns the item when the group was a single item: that one is isolated as failed.
    pub fn failed(&mut self, mut group: Vec<T>) -> Option<T> {
        if group.len() <= 1 {
            return group.pop();
        }
        let right = group.split_off(group.len() / 2);
        // Push right first so the left half is tried first (stable, readable logs).
        self.stack.push(right);
        self.stack.push(group);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_the_size() {
        let b = batches(&(0..120).collect::<Vec<_>>(), 50);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![50, 50, 20]);
        assert!(batches::<u8>(&[], 50).is_empty());
        assert_eq!(batches(&[1, 2], 0).len(), 2);
    }

    /// Drives a bisector against a predicate "a group fails if it holds a bad item".
    fn run(items: Vec<u32>, bad: &[u32]) -> (Vec<u32>, Vec<u32>, usize) {
        let mut b = Bisector::new(items);
        let (mut ok, mut failed, mut calls) = (Vec::new(), Vec::new(), 0);
        while let Some(g) = b.next_group() {
            calls += 1;
            if g.iter().any(|i| bad.contains(i)) {
                failed.extend(b.failed(g));
            } else {
                ok.extend(g);
            }
        }
        ok.sort();
        failed.sort();
        (ok, failed, calls)
    }

    #[test]
    fn a_clean_batch_takes_one_call() {
        let (ok, failed, calls) = run((0..50).collect(), &[]);
        assert_eq!((ok.len(), failed.len(), calls), (50, 0, 1));
    }

    #[test]
    fn one_bad_item_is_isolated_and_the_rest_succeed() {
        let (ok, failed, calls) = run((0..50).collect(), &[17]);
        assert_eq!(failed, vec![17]);
        assert_eq!(ok.len(), 49);
        assert!(calls <= 2 * 6 + 1, "{calls} calls");
    }

    #[test]
    fn several_bad_items_are_all_isolated() {
        let (ok, failed, _) = run((0..50).collect(), &[0, 25, 49]);
        assert_eq!(failed, vec![0, 25, 49]);
        assert_eq!(ok.len(), 47);
    }

    #[test]
    fn an_all_bad_batch_fails_every_item_individually() {
        let (ok, failed, _) = run((0..8).collect(), &[0, 1, 2, 3, 4, 5, 6, 7]);
        assert!(ok.is_empty());
        assert_eq!(failed.len(), 8);
    }

    #[test]
    fn an_empty_batch_plans_nothing() {
        assert_eq!(run(vec![], &[]).2, 0);
    }
}
