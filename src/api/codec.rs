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
