//! The model and its prompts: loading the GGUF file with one context, and
//! writing a conversation in the model's own chat template.

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::token::LlamaToken;
use std::num::NonZeroU32;

use super::BATCH;

/// Loads the backend, the model (memory-mapped) and one context; both live
/// as long as the process, so they are leaked into `'static`.
pub(super) fn load(
    path: &std::path::Path,
    threads: i32,
    ctx: u32,
    slots: u32,
) -> Result<(&'static LlamaModel, LlamaContext<'static>), String> {
    // llama.cpp's own log is long (every tensor at load): off. This
    // program's errors say what went wrong instead.
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default().with_logs_enabled(false));
    let backend: &'static LlamaBackend = Box::leak(Box::new(
        LlamaBackend::init().map_err(|e| format!("llama.cpp did not start: {e}"))?,
    ));
    let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default()).map_err(
        |e| {
            format!(
                "{} is not a model llama.cpp can load ({e}): damaged, cut short, or an unsupported architecture",
                path.display()
            )
        },
    )?;
    let model: &'static LlamaModel = Box::leak(Box::new(model));
    let ctx = ctx.min(model.n_ctx_train().max(512));
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(ctx))
        .with_n_batch(BATCH as u32)
        .with_n_seq_max(slots.max(1))
        .with_kv_unified(true)
        .with_n_threads(threads.max(1))
        .with_n_threads_batch(threads.max(1));
    let context = model
        .new_context(backend, params)
        .map_err(|e| format!("no room for a {ctx}-token context ({e})"))?;
    Ok((model, context))
}

/// The prompt as the model's chat template writes it, with the oldest
/// history left out until it fits `budget` tokens (the system prompt and
/// the last message always stay).
pub(super) fn prompt_tokens(
    model: &LlamaModel,
    messages: &[(String, String)],
    budget: usize,
) -> Result<Vec<LlamaToken>, String> {
    let mut turns: Vec<(String, String)> = messages.to_vec();
    loop {
        let tokens = chat_tokens(model, &turns, true)?;
        let first_history = usize::from(turns.first().is_some_and(|(r, _)| r == "system"));
        if tokens.len() <= budget || turns.len() <= first_history + 1 {
            if tokens.len() > budget {
                return Err(format!(
                    "the message is {} tokens long; the model's context holds {budget}",
                    tokens.len()
                ));
            }
            return Ok(tokens);
        }
        turns.remove(first_history);
    }
}

/// `turns` as the model's chat template writes them, in tokens; with the
/// header of the assistant's answer after them when `answer_next`.
pub(super) fn chat_tokens(
    model: &LlamaModel,
    turns: &[(String, String)],
    answer_next: bool,
) -> Result<Vec<LlamaToken>, String> {
    let template = model
        .chat_template(None)
        .or_else(|_| LlamaChatTemplate::new("chatml"))
        .map_err(|e| format!("no chat template: {e}"))?;
    let chat: Vec<LlamaChatMessage> = turns
        .iter()
        .map(|(r, c)| LlamaChatMessage::new(r.clone(), c.clone()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("a message holds a NUL byte: {e}"))?;
    let text = model
        .apply_chat_template(&template, &chat, answer_next)
        .map_err(|e| format!("the chat template failed: {e}"))?;
    Ok(model.vocab().tokenize(text.as_bytes(), true, true))
}
