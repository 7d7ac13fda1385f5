//! Learning beyond chat: the lessons and placement tests ([`content`],
//! checked by [`validate`]),
//! answer grading ([`grade`]), review scheduling with FSRS ([`schedule`]) and
//! placement scoring ([`placement`]). Pure functions; the engine stores what
//! they decide.

pub mod content;
pub mod grade;
pub mod placement;
pub mod schedule;
pub mod validate;
