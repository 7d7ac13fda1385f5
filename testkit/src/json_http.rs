//! JSON over HTTP for the tests and benches that talk to a server by URL:
//! the JSON answer of a successful request, or a panic saying what failed.

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
