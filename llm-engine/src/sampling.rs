//! How a request picks its next token. Answers that must be JSON of a given
//! shape are greedy under the schema's grammar, checked lazily as
//! llama.cpp's own common sampler does: the most likely token is tried
//! against the grammar first, and only when the grammar rejects it is the
//! whole vocabulary masked. Masking every token at every step (Qwen's
//! vocabulary has 151,936) was most of a correction's decode time.
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
                let best = argmax(logits);
                let mut one = LlamaTokenDataArray::new(
                    vec![LlamaTokenData::new(
                        LlamaToken::new(best as i32),
                        logits[best],
                        0.0,
                    )],
                    false,
                );
                grammar.apply(&mut one);
                let token = if one.data[0].logit().is_finite() {
                    LlamaToken::new(best as i32)
                } else {
                    let mut all = ctx.token_data_array_ith(idx);
                    grammar.apply(&mut all);
                    all.sample_token_greedy()
                };
                grammar.accept(token);
                token
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::argmax;

    #[test]
    fn argmax_takes_the_first_largest() {
        assert_eq!(argmax(&[0.1, 3.0, -1.0, 3.0]), 1);
        assert_eq!(argmax(&[f32::NEG_INFINITY, -5.0]), 1);
        assert_eq!(argmax(&[2.0]), 0);
    }
}
