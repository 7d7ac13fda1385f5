//! What the tutor says and how: prompts per level and topic, and the
//! handling of corrections.

pub mod corrections;
pub mod demo;
pub mod prompts;
