//! How likely the model finds each of a few candidate answers to one
//! prompt: the sum of the log-probabilities of the answer's tokens, the
//! turn's end included. The tutor asks this of a proposed correction (the
//! learner's sentence against the sentence with one edit applied): a small
//! model that "corrects" a right word into a wrong one still finds the
//! right one likelier when it reads both.
//!
//! The prompt is read once into a sequence no request holds; each candidate
//! then reuses it from the KV cache and only its own tokens are evaluated.

use super::{chat_tokens, Scheduler, BATCH};
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

/// A prompt and the answers to weigh.
#[derive(Debug, Deserialize)]
pub struct Candidates {
    /// The turns before the answer, as in Ollama's `/api/chat`.
    pub messages: Vec<Message>,
    pub answers: Vec<String>,
}

/// One turn of the prompt.
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// One answer's weight.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Scored {
    /// Sum of its tokens' log-probabilities (natural log).
    pub logprob: f64,
    /// Tokens scored.
    pub tokens: usize,
}

/// Where a score job's answer goes.
pub type Reply = tokio::sync::oneshot::Sender<Result<Vec<Scored>, String>>;

impl Scheduler {
    /// Scores each answer (see the module docs). Runs between decoding
    /// steps, in a sequence no running request holds.
    pub(super) fn score(&mut self, c: &Candidates) -> Result<Vec<Scored>, String> {
        let prompt: Vec<(String, String)> = c
            .messages
            .iter()
            .map(|m| (m.role.clone(), m.content.clone()))
            .collect();
        let prefix = chat_tokens(self.model, &prompt, true)?;
        let mut out = Vec::with_capacity(c.answers.len());
        for answer in &c.answers {
            let mut turns = prompt.clone();
            turns.push(("assistant".into(), answer.clone()));
            let tokens = chat_tokens(self.model, &turns, false)?;
            // The answer starts where the prompt's own tokens stop.
            let start = prefix
                .iter()
                .zip(&tokens)
                .take_while(|(a, b)| a == b)
                .count();
            if start == 0 || start >= tokens.len() {
                return Err("the chat template leaves no answer to score".into());
            }
            out.push(self.logprob(&tokens, start)?);
        }
        Ok(out)
    }

    /// The log-probability of `tokens[start..]` after `tokens[..start]`.
    fn logprob(&mut self, tokens: &[LlamaToken], start: usize) -> Result<Scored, String> {
        let (busy, reserved) = self.busy();
        let (slot, shared) = self.cache.pick(tokens, &busy);
        // The token before the answer is evaluated again, for its logits.
        let reuse = shared.min(start - 1);
        let rest = &tokens[reuse..];
        if rest.len() > BATCH {
            return Err(format!(
                "an answer of {} tokens is too long to score",
                rest.len()
            ));
        }
        self.keep_only(slot, reuse)?;
        self.make_room(slot, rest.len() + reserved, &busy)?;
        let mut batch = LlamaBatch::new(BATCH, 1);
        for (i, t) in rest.iter().enumerate() {
            let pos = reuse + i;
            let wanted = pos + 1 >= start && pos + 1 < tokens.len();
            batch
                .add(*t, pos as i32, &[slot as i32], wanted)
                .map_err(|e| format!("batch: {e}"))?;
        }
        self.ctx
            .decode(&mut batch)
            .map_err(|e| format!("scoring failed: {e}"))?;
        self.cache.slots[slot].extend_from_slice(rest);
        let mut logprob = 0.0;
        for pos in start - 1..tokens.len() - 1 {
            let logits = self.ctx.get_logits_ith((pos - reuse) as i32);
            logprob += log_softmax_at(logits, tokens[pos + 1].0 as usize);
        }
        Ok(Scored {
            logprob,
            tokens: tokens.len() - start,
        })
    }
}

/// `log(softmax(logits)[i])`, computed stably.
fn log_softmax_at(logits: &[f32], i: usize) -> f64 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = logits.iter().map(|&l| (l as f64 - max).exp()).sum();
    logits
        .get(i)
        .map_or(f64::NEG_INFINITY, |&l| l as f64 - max - sum.ln())
}

#[cfg(test)]
mod tests {
    use super::log_softmax_at;

    #[test]
    fn log_softmax_is_a_log_probability() {
        let logits = [1.0, 2.0, 3.0];
        let total: f64 = (0..3).map(|i| log_softmax_at(&logits, i).exp()).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(log_softmax_at(&logits, 2) > log_softmax_at(&logits, 0));
        // Large logits do not overflow.
        assert!(log_softmax_at(&[1000.0, 1000.0], 0).is_finite());
        assert_eq!(log_softmax_at(&[0.0], 5), f64::NEG_INFINITY);
    }
}
