//! JSON over HTTP for the tests and benches that talk to a server by URL:
//! the JSON answer of a successful request, or a panic saying what failed;
//! and the session cookie a response sets.

use serde_json::Value;

/// `POST url` with a JSON body; the JSON of a 2xx answer.
pub async fn post_json(http: &reqwest::Client, url: &str, body: &Value) -> Value {
    answer(http.post(url).json(body).send().await, url).await
}

/// `GET url`; the JSON of a 2xx answer.
pub async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    answer(http.get(url).send().await, url).await
}

async fn answer(res: reqwest::Result<reqwest::Response>, url: &str) -> Value {
    let res = res.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = res.status();
    assert!(status.is_success(), "{url} answered {status}");
    res.json()
        .await
        .unwrap_or_else(|e| panic!("{url}: not JSON: {e}"))
}

/// The `Set-Cookie` header that sets (or clears) the session cookie, whole.
pub fn session_set_cookie(res: &reqwest::Response) -> Option<String> {
    let prefix = format!("{}=", server::auth::COOKIE);
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&prefix))
        .map(str::to_string)
}

/// The session cookie a response sets, as a `Cookie` header holds it
/// (`babblr_session=…`; `babblr_session=` when the server clears it).
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    session_set_cookie(res).map(|v| v.split(';').next().unwrap_or_default().to_string())
}
