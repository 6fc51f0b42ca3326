//! A Fenwick (binary indexed) tree over 0/1 flags: which positions of a record table hold a
//! record, with rank and select in O(log n), for default-order pages.

#[derive(Debug, Default)]
pub(super) struct Fenwick {
    tree: Vec<u32>,
}

impl Fenwick {
    /// Sum of flags at positions `0..i`.
    pub fn prefix(&self, mut i: usize) -> u32 {
        let mut s = 0;
        while i > 0 {
            s += self.tree[i - 1];
            i &= i - 1;
        }
        s
    }

    /// Appends a flag at position `len()`.
    pub fn push(&mut self, v: u32) {
        let i = self.tree.len() + 1; // 1-based index of the new cell
        let low = i & i.wrapping_neg();
        let covered = self.prefix(i - 1) - self.prefix(i - low);
        self.tree.push(v + covered);
    }

    /// Clears the flag at position `pos`, which is set.
    pub fn clear(&mut self, pos: usize) {
        let mut i = pos + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] -= 1;
            i += i & i.wrapping_neg();
        }
    }

    /// The position of the `k`-th set flag (0-based `k`), if there are more than `k`.
    pub fn select(&self, k: usize) -> Option<usize> {
        let mut remaining = u32::try_from(k).ok()? + 1;
        let mut pos = 0usize;
        let mut step = self.tree.len().checked_next_power_of_two().unwrap_or(0);
        if step > self.tree.len() {
            step /= 2;
        }
        while step > 0 {
            let next = pos + step;
            if next <= self.tree.len() && self.tree[next - 1] < remaining {
                pos = next;
                remaining -= self.tree[next - 1];
            }
            step /= 2;
        }
        (pos < self.tree.len()).then_some(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::Fenwick;

    #[test]
    fn fenwick_select_matches_a_scan() {
        let mut f = Fenwick::default();
        let mut flags: Vec<bool> = Vec::new();
        for i in 0..1000usize {
            f.push(1);
            flags.push(true);
            let victim = (i * 7919) % flags.len();
            if i % 3 == 0 && flags[victim] {
                f.clear(victim);
                flags[victim] = false;
            }
            let set: Vec<usize> = flags
                .iter()
                .enumerate()
                .filter(|(_, &b)| b)
                .map(|(i, _)| i)
                .collect();
            for (k, &pos) in set.iter().enumerate() {
                assert_eq!(f.select(k), Some(pos), "k={k} after {i}");
            }
            assert_eq!(f.select(set.len()), None);
            assert_eq!(f.prefix(flags.len()) as usize, set.len());
        }
    }
}
