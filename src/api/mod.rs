//! The JSON shapes of Babblr's API, shared by the server and the browser,
//! one file per concern:
//!
//! - [`account`]: who is signed in, accounts, invitations.
//! - [`chat`]: conversations, messages, corrections, the chat turn.
//! - [`error`]: the error body and its codes.
//! - [`codec`]: the server-function encodings.
//! - [`learn`]: lessons, the review deck, placement and progress.
//! - [`health`], [`speech`], [`perf`]: the answers of those routes.

pub mod account;
pub mod chat;
pub mod codec;
pub mod error;
pub mod health;
pub mod learn;
pub mod perf;
pub mod speech;

pub use account::*;
pub use chat::*;
pub use codec::{ApiJson, ApiJsonEncoding, JsonOut, JsonOutEncoding, VoiceInEncoding};
pub use error::*;
pub use health::*;
pub use learn::*;
pub use perf::*;
pub use speech::*;
