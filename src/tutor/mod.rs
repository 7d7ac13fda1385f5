//! What the tutor says and how: prompts per level and topic, the handling
//! of corrections, and the scripted demo tutor.

pub mod corrections;
pub mod demo;
pub mod prompts;
pub mod scripted;
