//! What the tutor says and how: prompts per level and topic, the handling
//! of corrections (the pipeline in `correct`, its checks in `checks` and
//! `weigh`), and the scripted demo tutor.

pub mod checks;
pub mod correct;
pub mod corrections;
pub mod demo;
pub mod prompts;
pub mod rewrite;
pub mod scripted;
pub mod weigh;
