//! Which conversations' prompts the KV cache holds: one token sequence per
//! slot, the longest shared prefix picked for a new request, the least
//! recently used slot given up first.

use llama_cpp_2::token::LlamaToken;

/// The token sequences held in the KV cache, one per slot.
pub struct Cache {
    pub slots: Vec<Vec<LlamaToken>>,
    pub last_used: Vec<u64>,
    clock: u64,
    pub n_ctx: usize,
}

impl Cache {
    pub fn new(slots: usize, n_ctx: usize) -> Cache {
        Cache {
            slots: vec![Vec::new(); slots.max(1)],
            last_used: vec![0; slots.max(1)],
            clock: 0,
            n_ctx,
        }
    }

    /// The slot sharing the longest prefix with `tokens` (the least recently
    /// used when none does), among those not `busy`, and the length of that
    /// prefix. There must be a free slot.
    pub fn pick(&mut self, tokens: &[LlamaToken], busy: &[usize]) -> (usize, usize) {
        let common =
            |held: &Vec<LlamaToken>| held.iter().zip(tokens).take_while(|(a, b)| a == b).count();
        let free = || (0..self.slots.len()).filter(|i| !busy.contains(i));
        let best = free()
            .max_by_key(|&i| (common(&self.slots[i]), u64::MAX - self.last_used[i]))
            .unwrap_or(0);
        let shared = common(&self.slots[best]);
        let slot = if shared == 0 {
            free().min_by_key(|&i| self.last_used[i]).unwrap_or(0)
        } else {
            best
        };
        self.clock += 1;
        self.last_used[slot] = self.clock;
        (slot, if slot == best { shared } else { 0 })
    }

    pub fn used(&self) -> usize {
        self.slots.iter().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_with_the_longest_shared_prefix_is_taken() {
        let t = |v: &[i32]| v.iter().map(|&x| LlamaToken(x)).collect::<Vec<_>>();
        let mut c = Cache::new(3, 100);
        c.slots[0] = t(&[1, 2, 3]);
        c.slots[1] = t(&[1, 2, 3, 4, 5]);
        assert_eq!(c.pick(&t(&[1, 2, 3, 4, 9]), &[]), (1, 4));
        // Nothing shared: a least recently used slot (not 1, just used), nothing reused.
        let (slot, shared) = c.pick(&t(&[7, 7]), &[]);
        assert_eq!((slot, shared), (0, 0));
        // A slot in use by a running request is never taken: the next best.
        assert_eq!(c.pick(&t(&[1, 2, 3, 4, 9]), &[1]), (0, 3));
        assert_eq!(c.pick(&t(&[1, 2, 3, 4, 9]), &[0, 1]), (2, 0));
    }
}
