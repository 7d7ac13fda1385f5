//! How a request picks its next token. Answers that must be JSON of a given
//! shape are greedy under the schema's grammar, checked lazily: the likeliest
//! tokens are tried against the grammar one by one, best first, and the
//! first it allows is taken, which is exactly the token greedy decoding over
//! the masked vocabulary would take. When none of the [`TRIES`] best is
//! allowed (the schema forces a key or a quote the model did not expect),
//! the grammar masks the [`SHORTLIST`] likeliest at once, and only when it
//! allows none of those the whole vocabulary. Masking every token at every
//! step (Qwen's vocabulary has 151,936; ~10 ms a time here) was most of a
//! correction's decode time; llama.cpp's common sampler tries only the best
//! token before masking all, which still masked the whole vocabulary about
//! one step in six of a correction.
//! Conversation is lightly randomised (top-k 40, top-p 0.9).

use crate::engine::Request;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;

/// A request's token picker.
pub enum Picker {
    /// Greedy under a grammar, the grammar applied only when needed.
    Grammar(LlamaSampler),
    /// A plain sampler chain (greedy, or top-k/top-p/temperature).
    Chain(LlamaSampler),
}

impl Picker {
    /// The picker `req` asks for.
    pub fn new(model: &LlamaModel, req: &Request) -> Result<Picker, String> {
        Ok(match &req.schema {
            Some(schema) => {
                let grammar = llama_cpp_2::json_schema_to_grammar(&schema.to_string())
                    .map_err(|e| format!("the answer's JSON schema cannot be enforced: {e}"))?;
                Picker::Grammar(
                    LlamaSampler::grammar(model, &grammar, "root")
                        .map_err(|e| format!("grammar: {e}"))?,
                )
            }
            None if req.temperature <= 0.0 => Picker::Chain(LlamaSampler::greedy()),
            None => Picker::Chain(LlamaSampler::chain_simple([
                LlamaSampler::top_k(40),
                LlamaSampler::top_p(0.9, 1),
                LlamaSampler::temp(req.temperature),
                LlamaSampler::dist(0x5eed),
            ])),
        })
    }

    /// The next token from the logits at batch index `idx`, accepted (the
    /// grammar advances past it).
    pub fn pick(&mut self, ctx: &LlamaContext<'_>, idx: i32) -> LlamaToken {
        match self {
            Picker::Chain(s) => s.sample(ctx, idx),
            Picker::Grammar(grammar) => {
                let logits = ctx.get_logits_ith(idx);
                let mut best_of = |ids: &[usize]| best_allowed(grammar, logits, ids);
                let i = first_allowed(logits, |i| best_of(&[i]).is_some())
                    .or_else(|| best_of(&shortlist(logits, SHORTLIST)))
                    .or_else(|| best_of(&(0..logits.len()).collect::<Vec<_>>()))
                    // A grammar that allows nothing: what greedy over a
                    // wholly masked vocabulary takes, the first token.
                    .unwrap_or(0);
                let token = LlamaToken::new(i as i32);
                grammar.accept(token);
                token
            }
        }
    }
}

/// The likeliest of `ids` (the first of equals) that the grammar allows in
/// its present state, or `None`: one mask over just those tokens.
fn best_allowed(grammar: &mut LlamaSampler, logits: &[f32], ids: &[usize]) -> Option<usize> {
    let tokens = ids
        .iter()
        .map(|&i| LlamaTokenData::new(LlamaToken::new(i as i32), logits[i], 0.0))
        .collect();
    let mut some = LlamaTokenDataArray::new(tokens, false);
    grammar.apply(&mut some);
    let masked: Vec<f32> = some.data.iter().map(|d| d.logit()).collect();
    let best = argmax(&masked);
    masked[best].is_finite().then(|| ids[best])
}

/// How many of the likeliest tokens are tried one by one before the whole
/// vocabulary is masked.
pub const TRIES: usize = 32;

/// How many of the likeliest tokens the grammar masks at once when none of
/// the [`TRIES`] best is allowed, before it masks the whole vocabulary (the
/// tokens a correction's schema forced ranked up to ~14,000th in the model's
/// own order).
pub const SHORTLIST: usize = 16_384;

/// The likeliest token `allows` accepts among the [`TRIES`] likeliest, the
/// first of equals; `None` when it accepts none of them. The best alone is
/// tried before the rest are ranked, as it is nearly always allowed.
fn first_allowed(logits: &[f32], mut allows: impl FnMut(usize) -> bool) -> Option<usize> {
    let best = argmax(logits);
    if allows(best) {
        return Some(best);
    }
    top(logits, TRIES).into_iter().skip(1).find(|&i| allows(i))
}

/// The index of the largest value (the first of equals).
fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// The indices of the `k` largest values, largest first, the first of
/// equals before the later ones. One pass, keeping a short sorted list.
fn top(values: &[f32], k: usize) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::with_capacity(k + 1);
    for (i, v) in values.iter().enumerate() {
        if kept.len() == k && *v <= values[kept[k - 1]] {
            continue;
        }
        let at = kept.partition_point(|&j| values[j] >= *v);
        kept.insert(at, i);
        kept.truncate(k);
    }
    kept
}

/// The indices, in order, of every value at least the `k`-th largest (all of
/// them when there are no more than `k`): the shortlist holds the first of
/// equals, so greedy over it picks what greedy over all would.
fn shortlist(values: &[f32], k: usize) -> Vec<usize> {
    if values.len() <= k {
        return (0..values.len()).collect();
    }
    let mut sorted = values.to_vec();
    let (_, kth, _) = sorted.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    let kth = *kth;
    (0..values.len()).filter(|&i| values[i] >= kth).collect()
}

#[cfg(test)]
mod tests {
    use super::{argmax, first_allowed, shortlist, top, TRIES};

    #[test]
    fn argmax_takes_the_first_largest() {
        assert_eq!(argmax(&[0.1, 3.0, -1.0, 3.0]), 1);
        assert_eq!(argmax(&[f32::NEG_INFINITY, -5.0]), 1);
        assert_eq!(argmax(&[2.0]), 0);
    }

    #[test]
    fn top_ranks_largest_first_and_equals_in_order() {
        assert_eq!(top(&[0.1, 3.0, -1.0, 3.0, 2.0], 3), vec![1, 3, 4]);
        assert_eq!(top(&[1.0, 1.0, 1.0], 2), vec![0, 1]);
        assert_eq!(top(&[5.0], 4), vec![0]);
    }

    #[test]
    fn the_shortlist_keeps_the_largest_and_their_equals_in_order() {
        assert_eq!(shortlist(&[0.1, 3.0, -1.0, 3.0, 2.0], 2), vec![1, 3]);
        assert_eq!(shortlist(&[0.1, 3.0, -1.0, 3.0, 2.0], 3), vec![1, 3, 4]);
        assert_eq!(shortlist(&[1.0, 2.0, 2.0, 0.0], 2), vec![1, 2]);
        // Ties at the cut are all kept.
        assert_eq!(shortlist(&[1.0, 2.0, 1.0, 0.0], 2), vec![0, 1, 2]);
        assert_eq!(shortlist(&[1.0, 2.0], 5), vec![0, 1]);
    }

    /// Trying the best tokens one by one picks what greedy decoding over the
    /// grammar-masked vocabulary picks, whenever one of them is allowed.
    #[test]
    fn the_first_allowed_is_the_masked_greedy_choice() {
        let mut seed = 0x2545_f491_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..500 {
            // Few distinct values, so equal logits are common.
            let logits: Vec<f32> = (0..300).map(|_| (next() % 40) as f32 / 4.0).collect();
            let allowed: Vec<bool> = (0..300).map(|_| next() % 5 == 0).collect();
            let masked_greedy =
                (0..logits.len())
                    .filter(|&i| allowed[i])
                    .fold(None, |best: Option<usize>, i| match best {
                        Some(b) if logits[b] >= logits[i] => Some(b),
                        _ => Some(i),
                    });
            let got = first_allowed(&logits, |i| allowed[i]);
            let rank = top(&logits, logits.len())
                .iter()
                .position(|&i| Some(i) == masked_greedy);
            match got {
                Some(i) => assert_eq!(Some(i), masked_greedy),
                // None only when the masked choice is not among the tries.
                None => assert!(rank.is_none_or(|r| r >= TRIES)),
            }
        }
    }
}
