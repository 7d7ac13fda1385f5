//! Whether running requests share decoding steps. A step that carries two
//! sequences reads the weights once for both: where decoding is bound by
//! memory (more cores than threads, a GPU) two answers decode nearly as fast
//! as one, and every running request advances at every step. Where it is
//! bound by arithmetic (2 threads on 2 cores here: llama.cpp's own
//! `llama-batched-bench` puts a two-sequence step at 1.8–2.2× a one-sequence
//! step) sharing only slows each answer down. Then a free-text answer (a
//! chat reply, which the learner watches stream) goes ahead and a
//! schema-bound one (its correction) waits, at most [`MAX_WAIT`] steps: the
//! turn takes as long either way, and the reply arrives in about half the
//! time.

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;
use std::time::Instant;

/// How requests share steps (`babblr-llm --share-steps`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareSteps {
    /// Time a step with one sequence and with two at start, and share only
    /// when sharing pays.
    Auto,
    /// Every running request advances at every step.
    Always,
    /// Free-text answers go ahead of schema-bound ones.
    Never,
}

/// A two-sequence step must cost less than this many one-sequence steps
/// for sharing to pay: sharing slows the reply by that factor while the two
/// overlap, to save `2 - cost` steps of the turn's work in two. Below 1.35
/// the reply is at most a third slower and the turn a third shorter. Here
/// (2 cores) the cost is 1.6–1.9; where weights' memory traffic dominates,
/// 1.0–1.2.
const PAYS_BELOW: f64 = 1.35;

/// The most steps a schema-bound request waits for free-text ones, so that
/// a stream of replies never starves a correction.
pub const MAX_WAIT: usize = 64;

/// Steps timed per batch size, one- and two-sequence steps taking turns
/// (after a warm-up of each), so that the machine's drift hits both alike.
const ROUNDS: usize = 7;

/// Whether requests share steps under `policy`; `Auto` times the loaded
/// model and says what it found on stderr.
pub fn decide(policy: ShareSteps, ctx: &mut LlamaContext<'_>) -> bool {
    match policy {
        ShareSteps::Always => true,
        ShareSteps::Never => false,
        ShareSteps::Auto => match two_step_cost(ctx) {
            Ok(cost) => {
                let share = cost < PAYS_BELOW;
                eprintln!(
                    "babblr-llm: a step with two sequences costs {cost:.2}x one: {}",
                    if share {
                        "running requests share steps"
                    } else {
                        "a free-text answer goes ahead of a schema-bound one"
                    }
                );
                share
            }
            Err(e) => {
                eprintln!("babblr-llm: could not time a step ({e}); running requests share steps");
                true
            }
        },
    }
}

/// What a step with two sequences costs against a step with one (medians
/// of [`ROUNDS`]), in sequences 0 and 1 of an empty cache, cleared after.
fn two_step_cost(ctx: &mut LlamaContext<'_>) -> Result<f64, String> {
    let mut pos = [0i32; 2];
    let mut time = |ctx: &mut LlamaContext<'_>, seqs: usize| -> Result<f64, String> {
        let mut batch = LlamaBatch::new(2, 1);
        for (seq, p) in pos.iter_mut().enumerate().take(seqs) {
            batch
                .add(LlamaToken::new(0), *p, &[seq as i32], true)
                .map_err(|e| format!("batch: {e}"))?;
            *p += 1;
        }
        let started = Instant::now();
        ctx.decode(&mut batch).map_err(|e| format!("decode: {e}"))?;
        Ok(started.elapsed().as_secs_f64())
    };
    let mut medians = |ctx: &mut LlamaContext<'_>| -> Result<(f64, f64), String> {
        time(ctx, 1)?;
        time(ctx, 2)?;
        let (mut ones, mut twos) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            ones.push(time(ctx, 1)?);
            twos.push(time(ctx, 2)?);
        }
        Ok((median(ones), median(twos)))
    };
    let timed = medians(ctx);
    for seq in 0..2 {
        ctx.clear_kv_cache_seq(Some(seq), None, None)
            .map_err(|e| format!("KV cache: {e}"))?;
    }
    let (one, two) = timed?;
    Ok(two / one.max(f64::MIN_POSITIVE))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Whether a running request advances at the next step: always when steps
/// are shared or no free-text request runs (`any_free`); otherwise a
/// schema-bound one waits until it has waited [`MAX_WAIT`] steps. `waited`
/// counts the request's steps spent waiting so far and is updated.
pub fn moves(share: bool, any_free: bool, schema_bound: bool, waited: &mut usize) -> bool {
    let waits = !share && any_free && schema_bound && *waited < MAX_WAIT;
    if waits {
        *waited += 1;
    }
    !waits
}

#[cfg(test)]
mod tests {
    use super::{moves, MAX_WAIT};

    /// One step for a correction and a reply running together.
    fn step(share: bool, waited: &mut [usize; 2]) -> [bool; 2] {
        let [correction, reply] = waited;
        [
            moves(share, true, true, correction),
            moves(share, true, false, reply),
        ]
    }

    #[test]
    fn shared_steps_move_everyone() {
        let mut waited = [0, 0];
        assert_eq!(step(true, &mut waited), [true, true]);
        assert_eq!(waited, [0, 0]);
    }

    #[test]
    fn a_correction_waits_for_a_reply_but_not_for_ever() {
        let mut waited = [0, 0];
        for _ in 0..MAX_WAIT {
            assert_eq!(step(false, &mut waited), [false, true]);
        }
        // Waited long enough: it moves from now on.
        assert_eq!(step(false, &mut waited), [true, true]);
        assert_eq!(step(false, &mut waited), [true, true]);
    }

    #[test]
    fn alone_or_among_their_kind_everyone_moves() {
        let mut waited = 0;
        // Two corrections (no free text running), then two replies.
        assert!(moves(false, false, true, &mut waited));
        assert!(moves(false, true, false, &mut waited));
        assert_eq!(waited, 0);
    }
}
