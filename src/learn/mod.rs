//! Learning beyond chat: the lessons and placement tests ([`content`]),
//! answer grading ([`grade`]), review scheduling with FSRS ([`schedule`]) and
//! placement scoring ([`placement`]). Pure functions; the engine stores what
//! they decide.

pub mod content;
pub mod grade;
pub mod placement;
pub mod schedule;
