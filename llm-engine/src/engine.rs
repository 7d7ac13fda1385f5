//! The model, on a thread of its own (llama.cpp's context is not `Send`):
//! requests come in over a channel and are answered piece by piece through a
//! channel per request. Requests that arrive together are decoded together:
//! each step puts one token of every running request into one batch, so a
//! chat turn's correction and reply share the weights' trip through memory
//! where that trip is what a step costs ([`share`] decides).
//!
//! Between turns a conversation's prompt prefix (system prompt and history)
//! stays in the KV cache: each of `slots` sequences keeps the tokens it
//! holds, a request takes the sequence sharing the longest prefix with its
//! prompt and evaluates only the rest. The least recently used sequence is
//! dropped when the context runs out of room. A request whose receiver is
//! gone (the client disconnected) stops at once.

use crate::cache::Cache;
use crate::sampling::Picker;
use crate::Args;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use std::time::Instant;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

mod model;
pub mod score;
mod share;
mod utf8;

pub use share::ShareSteps;

use model::{chat_tokens, load, prompt_tokens};
use utf8::take_utf8;

/// Tokens evaluated per batch while reading a prompt.
const BATCH: usize = 512;

/// What to generate.
#[derive(Debug)]
pub struct Request {
    /// `(role, content)` turns, the system prompt first when there is one.
    pub messages: Vec<(String, String)>,
    /// A JSON schema the answer must follow (decoding is constrained to it).
    pub schema: Option<serde_json::Value>,
    pub max_tokens: usize,
    pub temperature: f32,
}

/// What a request gets back.
#[derive(Debug)]
pub enum Event {
    Piece(String),
    Done(Stats),
    Error(String),
}

/// How a request went, reported as Ollama reports it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Tokens of the prompt evaluated now.
    pub prompt_tokens: usize,
    /// Tokens of the prompt found in the KV cache from an earlier turn.
    pub cached_tokens: usize,
    pub prompt_ms: f64,
    pub generated_tokens: usize,
    pub decode_ms: f64,
    pub total_ms: f64,
}

/// What was loaded.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    pub size_bytes: u64,
    pub n_params: u64,
}

/// The running model.
pub struct Engine {
    jobs: std::sync::mpsc::Sender<Job>,
    pub info: ModelInfo,
}

impl Engine {
    /// Loads the model and starts its thread; fails with a message that
    /// names the file when it cannot be read or is not a model llama.cpp knows.
    pub fn start(args: &Args) -> Result<Engine, String> {
        if !args.model.is_file() {
            return Err(format!("no model file at {}", args.model.display()));
        }
        let (jobs, rx) = std::sync::mpsc::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (path, threads, ctx, slots) = (args.model.clone(), args.threads, args.ctx, args.slots);
        let policy = args.share_steps;
        std::thread::Builder::new()
            .name("babblr-llm".into())
            .spawn(move || {
                let started = Instant::now();
                let loaded = load(&path, threads, ctx, slots);
                match loaded {
                    Ok((model, mut context)) => {
                        let info = ModelInfo {
                            size_bytes: model.size(),
                            n_params: model.n_params(),
                        };
                        eprintln!(
                            "babblr-llm: loaded in {:.0} ms",
                            started.elapsed().as_secs_f64() * 1000.0
                        );
                        let share = share::decide(policy, &mut context);
                        let _ = ready_tx.send(Ok(info));
                        let cache = Cache::new(slots as usize, context.n_ctx() as usize);
                        Scheduler {
                            model,
                            share,
                            ctx: context,
                            cache,
                            running: Vec::new(),
                            waiting: std::collections::VecDeque::new(),
                        }
                        .serve(rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| format!("cannot start the model thread: {e}"))?;
        let info = ready_rx
            .recv()
            .map_err(|_| "the model thread ended while loading".to_string())??;
        Ok(Engine { jobs, info })
    }

    /// Queues a request; its events arrive on the returned channel.
    pub fn submit(&self, req: Request) -> UnboundedReceiver<Event> {
        let (tx, rx) = unbounded_channel();
        if let Err(e) = self.jobs.send(Job::Generate(req, tx)) {
            if let Job::Generate(_, tx) = e.0 {
                let _ = tx.send(Event::Error("the model thread has stopped".into()));
            }
        }
        rx
    }

    /// How likely the model finds each candidate answer to a prompt: the
    /// sum of its tokens' log-probabilities (natural log), one per candidate.
    pub async fn score(&self, candidates: score::Candidates) -> Result<Vec<score::Scored>, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job::Score(candidates, tx))
            .map_err(|_| "the model thread has stopped".to_string())?;
        rx.await
            .map_err(|_| "the model thread has stopped".to_string())?
    }
}

/// What the model thread is asked to do.
enum Job {
    /// Generate an answer, piece by piece.
    Generate(Request, UnboundedSender<Event>),
    /// Score candidate answers ([`score`]).
    Score(score::Candidates, score::Reply),
}

/// A request being answered.
struct Running {
    tx: UnboundedSender<Event>,
    picker: Picker,
    /// Whether its answer follows a JSON schema (a correction, not a reply).
    schema_bound: bool,
    /// Steps it has waited for free-text answers ([`share::moves`]).
    waited: usize,
    /// Its KV cache sequence.
    slot: usize,
    /// The token to feed at the next step, at position `pos`.
    next: LlamaToken,
    pos: usize,
    generated: usize,
    max_tokens: usize,
    /// Bytes of a character split across tokens.
    pending: Vec<u8>,
    stats: Stats,
    started: Instant,
    decode_started: Instant,
}

/// What becomes of a request after a sampled token.
enum Next {
    Continue(LlamaToken),
    Finished,
}

/// The model thread's state: the context, which sequences hold what, the
/// requests running and those waiting for a free sequence.
struct Scheduler {
    model: &'static LlamaModel,
    /// Whether running requests share steps ([`share`]).
    share: bool,
    ctx: LlamaContext<'static>,
    cache: Cache,
    running: Vec<Running>,
    waiting: std::collections::VecDeque<Job>,
}

impl Scheduler {
    /// Answers jobs until the channel closes: new ones join at the next
    /// step, every running one advances by a token per step.
    fn serve(mut self, jobs: std::sync::mpsc::Receiver<Job>) {
        loop {
            if self.running.is_empty() && self.waiting.is_empty() {
                match jobs.recv() {
                    Ok(job) => self.waiting.push_back(job),
                    Err(_) => return,
                }
            }
            while let Ok(job) = jobs.try_recv() {
                self.waiting.push_back(job);
            }
            while self.running.len() < self.cache.slots.len() {
                match self.waiting.pop_front() {
                    None => break,
                    Some(Job::Generate(req, tx)) => match self.begin(req, &tx) {
                        Ok(Some(r)) => self.running.push(r),
                        Ok(None) => {}
                        Err(e) => {
                            let _ = tx.send(Event::Error(e));
                        }
                    },
                    // Between two steps, in a sequence no request holds.
                    Some(Job::Score(candidates, reply)) => {
                        let _ = reply.send(self.score(&candidates));
                    }
                }
            }
            if !self.running.is_empty() {
                self.step();
            }
        }
    }

    /// Reads a request's prompt (what the KV cache does not already hold)
    /// and samples its first token; `None` when it is already finished.
    fn begin(
        &mut self,
        req: Request,
        tx: &UnboundedSender<Event>,
    ) -> Result<Option<Running>, String> {
        let started = Instant::now();
        let (busy, reserved) = self.busy();
        let (model, cache) = (self.model, &mut self.cache);
        let max_tokens = req.max_tokens.clamp(1, cache.n_ctx / 2);
        let budget = cache.n_ctx.saturating_sub(max_tokens + reserved).max(1);
        let tokens = prompt_tokens(model, &req.messages, budget)?;
        let (slot, shared) = cache.pick(&tokens, &busy);
        // At least the last prompt token is evaluated, for its logits.
        let reuse = shared.min(tokens.len() - 1);
        self.keep_only(slot, reuse)?;
        self.make_room(slot, tokens.len() - reuse + max_tokens + reserved, &busy)?;
        let cache = &mut self.cache;

        let mut batch = LlamaBatch::new(BATCH, 1);
        let rest = &tokens[reuse..];
        for (n, chunk) in rest.chunks(BATCH).enumerate() {
            if tx.is_closed() {
                return Ok(None); // the client left
            }
            batch.clear();
            for (i, t) in chunk.iter().enumerate() {
                let pos = reuse + n * BATCH + i;
                batch
                    .add(*t, pos as i32, &[slot as i32], pos == tokens.len() - 1)
                    .map_err(|e| format!("batch: {e}"))?;
            }
            self.ctx
                .decode(&mut batch)
                .map_err(|e| format!("prompt evaluation failed: {e}"))?;
            cache.slots[slot].extend_from_slice(chunk);
        }
        let mut running = Running {
            tx: tx.clone(),
            picker: Picker::new(model, &req)?,
            schema_bound: req.schema.is_some(),
            waited: 0,
            slot,
            next: LlamaToken(0),
            pos: tokens.len(),
            generated: 0,
            max_tokens,
            pending: Vec::new(),
            stats: Stats {
                prompt_tokens: tokens.len() - reuse,
                cached_tokens: reuse,
                prompt_ms: started.elapsed().as_secs_f64() * 1000.0,
                ..Stats::default()
            },
            started,
            decode_started: Instant::now(),
        };
        let idx = batch.n_tokens() - 1;
        match self.advance(&mut running, idx) {
            Next::Continue(token) => {
                running.next = token;
                Ok(Some(running))
            }
            Next::Finished => {
                finish(running);
                Ok(None)
            }
        }
    }

    /// Keeps the first `len` tokens of `slot`'s sequence, in the KV cache and
    /// in the book of what it holds.
    fn keep_only(&mut self, slot: usize, len: usize) -> Result<(), String> {
        self.ctx
            .clear_kv_cache_seq(Some(slot as u32), Some(len as u32), None)
            .map_err(|e| format!("KV cache: {e}"))?;
        self.cache.slots[slot].truncate(len);
        Ok(())
    }

    /// Drops the least recently used idle sequences (never `slot` nor the
    /// `busy` ones) until `need` more tokens fit in the context.
    fn make_room(&mut self, slot: usize, need: usize, busy: &[usize]) -> Result<(), String> {
        let cache = &mut self.cache;
        while cache.used() + need > cache.n_ctx {
            let Some(victim) = (0..cache.slots.len())
                .filter(|&i| i != slot && !busy.contains(&i) && !cache.slots[i].is_empty())
                .min_by_key(|&i| cache.last_used[i])
            else {
                break;
            };
            self.ctx
                .clear_kv_cache_seq(Some(victim as u32), None, None)
                .map_err(|e| format!("KV cache: {e}"))?;
            cache.slots[victim].clear();
        }
        Ok(())
    }

    /// The running requests' sequences, and the room their answers may still take.
    fn busy(&self) -> (Vec<usize>, usize) {
        let busy = self.running.iter().map(|r| r.slot).collect();
        let reserved = self
            .running
            .iter()
            .map(|r| r.max_tokens.saturating_sub(r.generated))
            .sum();
        (busy, reserved)
    }

    /// One token for every running request that moves at this step
    /// ([`share::moves`]), in one batch. Requests whose client has left
    /// end first, whether or not they would have moved.
    fn step(&mut self) {
        let (gone, running) = std::mem::take(&mut self.running)
            .into_iter()
            .partition(|r| r.tx.is_closed());
        self.running = running;
        gone.into_iter().for_each(finish);
        if self.running.is_empty() {
            return;
        }
        let any_free = self.running.iter().any(|r| !r.schema_bound);
        let moving: Vec<bool> = (self.running.iter_mut())
            .map(|r| share::moves(self.share, any_free, r.schema_bound, &mut r.waited))
            .collect();
        let mut batch = LlamaBatch::new(self.running.len(), 1);
        for (r, _) in self.running.iter().zip(&moving).filter(|(_, m)| **m) {
            if let Err(e) = batch.add(r.next, r.pos as i32, &[r.slot as i32], true) {
                return self.fail_all(format!("batch: {e}"));
            }
        }
        if let Err(e) = self.ctx.decode(&mut batch) {
            return self.fail_all(format!("decoding failed: {e}"));
        }
        let running = std::mem::take(&mut self.running);
        let mut idx = 0; // in the batch
        for (mut r, moves) in running.into_iter().zip(moving) {
            if !moves {
                self.running.push(r);
                continue;
            }
            self.cache.slots[r.slot].push(r.next);
            r.pos += 1;
            let next = self.advance(&mut r, idx);
            idx += 1;
            match next {
                Next::Continue(token) => {
                    r.next = token;
                    self.running.push(r);
                }
                Next::Finished => finish(r),
            }
        }
    }

    /// Samples `r`'s next token from the logits at batch index `idx` and
    /// sends its text.
    fn advance(&mut self, r: &mut Running, idx: i32) -> Next {
        let token = r.picker.pick(&self.ctx, idx);
        let vocab = self.model.vocab();
        if vocab.is_eog(token) {
            return Next::Finished;
        }
        r.generated += 1;
        r.pending.extend(vocab.token_to_piece(token, false, None));
        let text = take_utf8(&mut r.pending);
        if !text.is_empty() && r.tx.send(Event::Piece(text)).is_err() {
            return Next::Finished; // the client left: its sequence is free now
        }
        if r.generated >= r.max_tokens || r.pos + 1 >= self.cache.n_ctx {
            return Next::Finished;
        }
        Next::Continue(token)
    }

    fn fail_all(&mut self, e: String) {
        for r in self.running.drain(..) {
            let _ = r.tx.send(Event::Error(e.clone()));
        }
    }
}

/// Sends what is left of a request's text and its statistics.
fn finish(mut r: Running) {
    if !r.pending.is_empty() {
        let _ = r.tx.send(Event::Piece(
            String::from_utf8_lossy(&r.pending).into_owned(),
        ));
    }
    r.stats.generated_tokens = r.generated;
    r.stats.decode_ms = r.decode_started.elapsed().as_secs_f64() * 1000.0;
    r.stats.total_ms = r.started.elapsed().as_secs_f64() * 1000.0;
    let _ = r.tx.send(Event::Done(r.stats));
}
