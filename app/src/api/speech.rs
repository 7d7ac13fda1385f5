//! The speech API as server functions, like the rest: `POST /stt/transcribe`
//! (multipart, field `audio`), the voice stream `GET /stt/stream` (a
//! websocket: audio in while the learner speaks, phrases out as they are
//! transcribed) and the read-only `GET /stt/cuda`,
//! `/stt/models`, `/stt/languages`. The upload has its own body limit (the
//! server's body-limit layer gives this path `BABBLR_STT_MAX_UPLOAD_BYTES`).

use crate::perf::PerfClient;
use babblr::api::{
    ApiError, JsonOut, JsonOutEncoding, SttBackend, SttLanguage, SttModels, Transcription, VoiceIn,
    VoiceInEncoding, VoiceOut,
};
use leptos::prelude::*;
use server_fn::codec::{GetUrl, MultipartData, MultipartFormData};
use server_fn::{BoxedStream, Websocket};

#[cfg(feature = "ssr")]
use super::engine;

/// `POST /stt/transcribe?language=es&conversation_id=N`, multipart field
/// `audio` (WAV, MP3, FLAC or Ogg/Vorbis). `language` and `conversation_id`
/// may also come as form fields (the browser sends them so).
#[server(prefix = "", endpoint = "stt/transcribe", input = MultipartFormData, output = JsonOut, client = PerfClient)]
pub async fn transcribe(data: MultipartData) -> Result<Transcription, ApiError> {
    use babblr::api::codes;
    use babblr::engine::input;

    #[derive(serde::Deserialize)]
    struct Query {
        language: Option<String>,
        conversation_id: Option<String>,
    }
    let engine = engine()?;
    let query: Query = leptos_axum::extract::<axum::extract::Query<Query>>()
        .await
        .map(|q| q.0)
        .map_err(|_| ApiError::new(codes::INVALID_REQUEST, "the query string could not be read"))?;
    let (mut language, mut conversation_id) = (query.language, query.conversation_id);
    let mut audio = None;
    let mut form = data
        .into_inner()
        .ok_or_else(|| ApiError::new(codes::INTERNAL, "the upload is not a server-side form"))?;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("audio") => audio = Some(field.bytes().await.map_err(multipart_error)?.to_vec()),
            Some("language") => language = Some(field.text().await.map_err(multipart_error)?),
            Some("conversation_id") => {
                conversation_id = Some(field.text().await.map_err(multipart_error)?)
            }
            _ => {}
        }
    }
    let conversation_id = match conversation_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(input::id_text("conversation_id", raw)?),
    };
    let audio = audio.ok_or_else(|| {
        ApiError::new(
            codes::INVALID_REQUEST,
            "send the recording as a multipart/form-data field named 'audio'",
        )
    })?;
    let language = input::optional_language("language", language.as_deref())?;
    Ok(engine.transcribe(audio, language, conversation_id).await?)
}

/// `GET /stt/stream`, upgraded to a websocket: the first frame says how to
/// listen ([`babblr::api::VoiceStart`]), audio frames follow while the
/// learner speaks, and [`VoiceOut`] frames come back: each phrase as it is
/// transcribed, then the whole utterance when the learner pauses. Faults
/// come as an `error` frame, never as a failed upgrade.
#[server(prefix = "", endpoint = "stt/stream", protocol = Websocket<VoiceInEncoding, JsonOutEncoding>, client = PerfClient)]
pub async fn voice_stream(
    input: BoxedStream<VoiceIn, ApiError>,
) -> Result<BoxedStream<VoiceOut, ApiError>, ApiError> {
    use futures::StreamExt;
    let engine = engine()?;
    let frames = std::pin::Pin::<Box<dyn futures::Stream<Item = _> + Send>>::from(input)
        .map(|frame| frame.map_err(|e| babblr::error::Error::invalid("frame", e.message)));
    Ok(engine.listen(frames).map(Ok).into())
}

/// A broken or too-large multipart body, as our JSON error.
#[cfg(feature = "ssr")]
fn multipart_error(e: impl std::fmt::Display) -> ApiError {
    use babblr::api::codes;
    let text = e.to_string();
    if text.contains("limit") {
        ApiError::new(codes::PAYLOAD_TOO_LARGE, "The recording is too large.")
    } else {
        ApiError::new(
            codes::INVALID_REQUEST,
            "the multipart body could not be read (a missing or wrong boundary, or a cut-off upload)",
        )
    }
}

/// `GET /stt/cuda`: what whisper.cpp was built with and runs on.
#[server(prefix = "", endpoint = "stt/cuda", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_stt_backend() -> Result<SttBackend, ApiError> {
    Ok(babblr::stt::backend())
}

/// `GET /stt/models`: the known Whisper models, which are downloaded, which is in use.
#[server(prefix = "", endpoint = "stt/models", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_stt_models() -> Result<SttModels, ApiError> {
    use babblr::stt::models;
    let engine = engine()?;
    let c = &engine.config().stt;
    let current = models::resolve(&c.model, &c.model_dir).unwrap_or_default();
    Ok(SttModels {
        current: models::display_name(&c.model),
        models: models::list(&c.model_dir, &current),
    })
}

/// `GET /stt/languages`: the languages a learner can speak, with whisper's ids.
#[server(prefix = "", endpoint = "stt/languages", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_stt_languages() -> Result<Vec<SttLanguage>, ApiError> {
    Ok(babblr::stt::languages())
}
