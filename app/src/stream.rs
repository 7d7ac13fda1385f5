//! The streamed chat turn in the browser: `POST /chat/stream`, read piece by
//! piece with `fetch` and a stream reader, timed like every other API call.

use babblr::api::{ApiError, ChatStreamEvent};

/// Parses complete SSE events from `buf`, leaving an unfinished one in it.
pub fn drain_events(buf: &mut String) -> Vec<ChatStreamEvent> {
    let mut out = Vec::new();
    while let Some(end) = buf.find("\n\n") {
        let block: String = buf.drain(..end + 2).collect();
        let data: String = block
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim_start)
            .collect::<Vec<_>>()
            .join("\n");
        if let Ok(ev) = serde_json::from_str::<ChatStreamEvent>(&data) {
            out.push(ev);
        }
    }
    out
}

/// Sends one learner message and calls `on_event` for each event as it
/// arrives. An error before the stream starts (a 4xx, the network) is returned.
#[cfg(feature = "hydrate")]
pub async fn stream_chat(
    conversation_id: i64,
    user_message: &str,
    prefs: &babblr::api::LearnerPrefs,
    mut on_event: impl FnMut(ChatStreamEvent),
) -> Result<(), ApiError> {
    use js_sys::{Reflect, Uint8Array};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let network =
        |e: wasm_bindgen::JsValue| ApiError::new(babblr::api::codes::NETWORK, format!("{e:?}"));
    let window =
        web_sys::window().ok_or_else(|| ApiError::new(babblr::api::codes::NETWORK, "no window"))?;
    let url = "/chat/stream";
    let body = serde_json::to_string(&babblr::api::ChatStreamRequest {
        conversation_id,
        user_message: user_message.to_string(),
        prefs: prefs.clone(),
    })
    .map_err(|e| ApiError::new(babblr::api::codes::NETWORK, e.to_string()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.into());
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(network)?;
    request
        .headers()
        .set("content-type", "application/json")
        .map_err(network)?;
    request
        .headers()
        .set("accept", "text/event-stream")
        .map_err(network)?;

    let timer = crate::perf::ApiTimer::start("POST", url);
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(network)?
        .unchecked_into();
    let headers = headers_of(&response);
    if !response.ok() {
        let text = JsFuture::from(response.text().map_err(network)?)
            .await
            .map_err(network)?;
        timer.finish(Some(headers));
        let text = text.as_string().unwrap_or_default();
        return Err(ApiError::from_body(text));
    }
    let reader: web_sys::ReadableStreamDefaultReader = response
        .body()
        .ok_or_else(|| ApiError::new(babblr::api::codes::NETWORK, "empty response"))?
        .get_reader()
        .unchecked_into();
    let decoder = web_sys::TextDecoder::new().map_err(network)?;
    let opts = web_sys::TextDecodeOptions::new();
    opts.set_stream(true);
    let mut buf = String::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(network)?;
        if Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        let bytes: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(network)?
            .unchecked_into();
        let text = decoder
            .decode_with_js_u8_array_and_options(&bytes, &opts)
            .map_err(network)?;
        buf.push_str(&text);
        for ev in drain_events(&mut buf) {
            on_event(ev);
        }
    }
    timer.finish(Some(headers));
    Ok(())
}

/// In the browser, [`stream_chat`]. Elsewhere (server rendering never sends)
/// the plain `POST /chat`, reported as the same events.
pub async fn stream_chat_or_plain(
    conversation_id: i64,
    user_message: &str,
    prefs: &babblr::api::LearnerPrefs,
    #[allow(unused_mut)] mut on_event: impl FnMut(ChatStreamEvent),
) -> Result<(), ApiError> {
    #[cfg(feature = "hydrate")]
    {
        stream_chat(conversation_id, user_message, prefs, on_event).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let p = prefs.clone();
        let r = crate::api::chat(
            conversation_id,
            user_message.to_string(),
            None,
            None,
            p.native_language,
            p.correction_max_level,
        )
        .await?;
        on_event(ChatStreamEvent::Saved {
            user_message_id: r.user_message_id,
        });
        on_event(ChatStreamEvent::Corrections {
            corrected_text: r.corrected_text,
            corrections: r.corrections,
        });
        on_event(ChatStreamEvent::Done {
            assistant_message_id: r.assistant_message_id,
            assistant_message: r.assistant_message,
        });
        Ok(())
    }
}

/// The timing headers of a response, for [`crate::perf::ApiTimer::finish`].
#[cfg(feature = "hydrate")]
pub(crate) fn headers_of(response: &web_sys::Response) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for name in ["x-response-time", "server-timing", "x-request-id"] {
        if let Ok(Some(v)) = response.headers().get(name) {
            if let (Ok(k), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(&v),
            ) {
                map.insert(k, v);
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_parsed_as_they_complete() {
        let mut buf = String::from(
            "event: token\ndata: {\"event\":\"token\",\"text\":\"Hola\"}\n\nevent: tok",
        );
        let evs = drain_events(&mut buf);
        assert_eq!(
            evs,
            vec![ChatStreamEvent::Token {
                text: "Hola".into()
            }]
        );
        assert_eq!(buf, "event: tok");
        buf.push_str("en\ndata: {\"event\":\"token\",\"text\":\" amigo\"}\n\n");
        assert_eq!(
            drain_events(&mut buf),
            vec![ChatStreamEvent::Token {
                text: " amigo".into()
            }]
        );
        assert!(buf.is_empty());
    }
}
