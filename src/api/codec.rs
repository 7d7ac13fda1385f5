//! Server-function encodings: JSON bodies whose decoding errors name the
//! field at fault, and responses decoded from text.

use super::{codes, ApiError};
use server_fn::codec::Post;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use server_fn::{ContentType, Decodes, Encodes, Format, FormatType};

/// JSON like server_fn's own, but a decoding error says which field
/// failed (`conversation_id: invalid type: string "x", expected an integer`).
pub struct ApiJsonEncoding;

/// A `POST` with a JSON body, decoded by [`ApiJsonEncoding`].
pub type ApiJson = Post<ApiJsonEncoding>;

/// JSON responses, decoded from text as Leptos decodes resources:
/// server_fn's own `Json` decodes bytes, which would put a second JSON
/// deserializer for every response type into the browser bundle.
pub struct JsonOutEncoding;

/// The output encoding of every server function.
pub type JsonOut = Post<JsonOutEncoding>;

/// What the two encodings share: JSON text, encoded by serde_json. Only
/// their decoding differs.
macro_rules! json_text_encoding {
    ($($name:ty),*) => {$(
        impl ContentType for $name {
            const CONTENT_TYPE: &'static str = "application/json";
        }

        impl FormatType for $name {
            const FORMAT_TYPE: Format = Format::Text;
        }

        impl<T: serde::Serialize> Encodes<T> for $name {
            type Error = serde_json::Error;

            fn encode(output: &T) -> Result<bytes::Bytes, Self::Error> {
                serde_json::to_vec(output).map(bytes::Bytes::from)
            }
        }
    )*};
}

json_text_encoding!(ApiJsonEncoding, JsonOutEncoding);

impl<T: serde::de::DeserializeOwned> Decodes<T> for ApiJsonEncoding {
    type Error = serde_path_to_error::Error<serde_json::Error>;

    fn decode(data: bytes::Bytes) -> Result<T, Self::Error> {
        // No body at all (`curl -X POST /auth/signout`) is an empty object.
        let data: &[u8] = if data.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &data
        };
        let mut de = serde_json::Deserializer::from_slice(data);
        serde_path_to_error::deserialize(&mut de)
    }
}

impl<T: serde::de::DeserializeOwned> Decodes<T> for JsonOutEncoding {
    type Error = serde_json::Error;

    fn decode(data: bytes::Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&data).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// Lets server functions return [`ApiError`] as their error type.
impl FromServerFnError for ApiError {
    type Encoder = JsonOutEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                ApiError::invalid_request(&m)
            }
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => {
                ApiError::new(codes::NETWORK, m)
            }
            ServerFnErrorErr::MissingArg(m) => {
                let mut e = ApiError::invalid_request(&format!("{m}: missing field"));
                e.field = Some(m);
                e
            }
            other => ApiError::new(codes::INTERNAL, other.to_string()),
        }
    }
}

/// The browser's side of a voice stream, one binary websocket frame each:
/// a tag byte, then `Start` as JSON, or `Audio` as little-endian `i16`
/// samples (a quarter of a second is 8 KB, a third of it as JSON numbers).
pub struct VoiceInEncoding;

impl ContentType for VoiceInEncoding {
    const CONTENT_TYPE: &'static str = "application/octet-stream";
}

impl FormatType for VoiceInEncoding {
    const FORMAT_TYPE: Format = Format::Binary;
}

const VOICE_START: u8 = b'S';
const VOICE_AUDIO: u8 = b'A';
const VOICE_STOP: u8 = b'E';

impl Encodes<super::VoiceIn> for VoiceInEncoding {
    type Error = serde_json::Error;

    fn encode(frame: &super::VoiceIn) -> Result<bytes::Bytes, Self::Error> {
        use super::VoiceIn;
        Ok(match frame {
            VoiceIn::Start(start) => {
                let mut out = vec![VOICE_START];
                serde_json::to_writer(&mut out, start)?;
                out.into()
            }
            VoiceIn::Audio(samples) => {
                let mut out = Vec::with_capacity(1 + samples.len() * 2);
                out.push(VOICE_AUDIO);
                samples
                    .iter()
                    .for_each(|s| out.extend_from_slice(&s.to_le_bytes()));
                out.into()
            }
            VoiceIn::Stop => bytes::Bytes::from_static(&[VOICE_STOP]),
        })
    }
}

impl Decodes<super::VoiceIn> for VoiceInEncoding {
    type Error = String;

    fn decode(data: bytes::Bytes) -> Result<super::VoiceIn, Self::Error> {
        use super::VoiceIn;
        match data.split_first() {
            Some((&VOICE_START, json)) => serde_json::from_slice(json)
                .map(VoiceIn::Start)
                .map_err(|e| format!("the start frame is not valid: {e}")),
            Some((&VOICE_AUDIO, pcm)) if pcm.len() % 2 == 0 => Ok(VoiceIn::Audio(
                pcm.chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect(),
            )),
            Some((&VOICE_AUDIO, _)) => Err(
                "an audio frame must hold whole 16-bit samples (an even number of bytes)".into(),
            ),
            Some((&VOICE_STOP, [])) => Ok(VoiceIn::Stop),
            _ => Err("unknown frame: expected start (S), audio (A) or stop (E)".into()),
        }
    }
}
