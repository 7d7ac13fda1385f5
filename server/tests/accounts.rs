//! Accounts (`BABBLR_AUTH=on`) as learners meet them: two learners share a
//! server and each sees only their own data on every route; sign-in fails
//! alike whatever the reason and is rate limited; sessions are rotated,
//! expire and end; the first account keeps the local learner's data; admins
//! alone see `/perf`'s data, the users and `/metrics` (or a bearer token).
//! SQLite by default, PostgreSQL with `BABBLR_TEST_DATABASE=postgres`.

use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use testkit::json_http::{session_cookie, session_set_cookie};
use testkit::standin::StandinConfig;
use testkit::{api_error, spawn_app, TestApp};

const ON: [(&str, &str); 2] = [("BABBLR_AUTH", "on"), ("BABBLR_SIGNUP", "open")];

/// A browser: the server's session cookie, once it has one.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Browser::at(&app.base)
    }

    /// A browser for the server at `base` (`http://127.0.0.1:PORT`).
    fn at(base: &str) -> Self {
        Browser {
            http: reqwest::Client::new(),
            base: base.to_string(),
            cookie: None,
        }
    }

    async fn send(&mut self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        if let Some(set) = session_cookie(&res) {
            self.cookie = (!set.ends_with('=')).then_some(set);
        }
        res
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        self.send(Method::GET, path, None).await
    }

    async fn post(&mut self, path: &str, body: Value) -> reqwest::Response {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn json(&mut self, method: Method, path: &str, body: Option<Value>) -> Value {
        let res = self.send(method.clone(), path, body).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {body}");
        body
    }

    /// Uploads a (tiny, never decoded here) clip to `/stt/transcribe?{query}`.
    async fn transcribe(&mut self, query: &str) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(vec![0u8; 64])
            .file_name("clip.wav")
            .mime_str("audio/wav")
            .unwrap();
        let mut req = self
            .http
            .post(format!("{}/stt/transcribe?{query}", self.base))
            .multipart(reqwest::multipart::Form::new().part("audio", part));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        req.send().await.expect("request sent")
    }

    async fn sign_up(&mut self, name: &str) -> Value {
        self.json(
            Method::POST,
            "/auth/signup",
            Some(json!({"username": name, "password": password(name)})),
        )
        .await
    }
}

fn password(name: &str) -> String {
    format!("{name} likes tortilla")
}

/// What learner B must get from a route when it names learner A's things.
#[derive(Clone, Copy)]
enum Other {
    /// This status (404 for another learner's id, 403 for an admin's page).
    Status(u16),
    /// Success, and the body names none of A's things (their marker word,
    /// conversation or card).
    Clean,
}

/// Each route: method, path, body, what nobody (no session) gets, and what
/// another learner gets. Paths name learner A's ids ({C} conversation, {M}
/// tutor message, {K} review card). Every server function must be here.
fn routes() -> Vec<(Method, &'static str, Value, u16, Other)> {
    use Other::*;
    let conv = json!({"conversation_id": "{C}", "language": "spanish", "difficulty_level": "A1", "topic_id": "greetings", "user_message": "hola"});
    vec![
        // Content and the server's own state: anyone.
        (Method::GET, "/health", Value::Null, 200, Clean),
        (
            Method::GET,
            "/topics?language=spanish",
            Value::Null,
            200,
            Clean,
        ),
        (Method::GET, "/api/tutor", Value::Null, 200, Clean),
        (
            Method::GET,
            "/assessments?language=spanish",
            Value::Null,
            200,
            Clean,
        ),
        (
            Method::GET,
            "/assessments/placement-spanish",
            Value::Null,
            200,
            Clean,
        ),
        (
            Method::GET,
            "/api/assessment?id=placement-spanish",
            Value::Null,
            200,
            Clean,
        ),
        (
            Method::GET,
            "/vocabulary/lessons/es-a1-greetings",
            Value::Null,
            200,
            Clean,
        ),
        (
            Method::GET,
            "/api/vocabulary/lesson?id=es-a1-greetings",
            Value::Null,
            200,
            Clean,
        ),
        (
            Method::GET,
            "/grammar/lessons/es-gender-articles",
            Value::Null,
            200,
            Clean,
        ),
        (
            Method::GET,
            "/api/grammar/lesson?id=es-gender-articles",
            Value::Null,
            200,
            Clean,
        ),
        (Method::GET, "/stt/cuda", Value::Null, 200, Clean),
        (Method::GET, "/stt/models", Value::Null, 200, Clean),
        (Method::GET, "/stt/languages", Value::Null, 200, Clean),
        (Method::GET, "/auth/me", Value::Null, 200, Clean),
        // A's things by id: another learner gets 404, as if they did not exist.
        (
            Method::GET,
            "/conversations/{C}",
            Value::Null,
            401,
            Status(404),
        ),
        (
            Method::GET,
            "/conversations/{C}/messages",
            Value::Null,
            401,
            Status(404),
        ),
        (
            Method::GET,
            "/api/conversation?id={C}",
            Value::Null,
            401,
            Status(404),
        ),
        (
            Method::POST,
            "/chat/initial-message",
            conv.clone(),
            401,
            Status(404),
        ),
        (Method::POST, "/chat", conv.clone(), 401, Status(404)),
        (Method::POST, "/chat/stream", conv.clone(), 401, Status(404)),
        (
            Method::POST,
            "/api/translate",
            json!({"message_id": "{M}"}),
            401,
            Status(404),
        ),
        (
            Method::POST,
            "/review/cards/{K}/rate",
            json!({"rating": "good"}),
            401,
            Status(404),
        ),
        (
            Method::POST,
            "/api/review/rate",
            json!({"card_id": "{K}", "rating": "good"}),
            401,
            Status(404),
        ),
        (
            Method::DELETE,
            "/conversations/{C}",
            Value::Null,
            401,
            Status(404),
        ),
        (
            Method::POST,
            "/api/conversation/delete",
            json!({"id": "{C}"}),
            401,
            Status(404),
        ),
        // Lists and one's own writes: another learner sees only their own.
        (Method::GET, "/conversations", Value::Null, 401, Clean),
        (
            Method::GET,
            "/review/due?language=spanish",
            Value::Null,
            401,
            Clean,
        ),
        (Method::GET, "/api/review/counts", Value::Null, 401, Clean),
        (Method::GET, "/api/user-levels", Value::Null, 401, Clean),
        (Method::GET, "/user-levels/spanish", Value::Null, 401, Clean),
        (
            Method::GET,
            "/progress/summary?language=spanish",
            Value::Null,
            401,
            Clean,
        ),
        (
            Method::GET,
            "/vocabulary/lessons?language=spanish",
            Value::Null,
            401,
            Clean,
        ),
        (
            Method::GET,
            "/grammar/lessons?language=spanish",
            Value::Null,
            401,
            Clean,
        ),
        (Method::GET, "/account/export", Value::Null, 401, Clean),
        (
            Method::PUT,
            "/user-levels/spanish",
            json!({"level": "B2"}),
            401,
            Clean,
        ),
        (
            Method::POST,
            "/conversations",
            json!({"language": "french", "difficulty_level": "A1", "topic_id": "greetings"}),
            401,
            Clean,
        ),
        (
            Method::POST,
            "/api/grammar/submit",
            json!({"exercise_id": "es-gender-articles-1", "answer": "zzz"}),
            401,
            Clean,
        ),
        (
            Method::POST,
            "/grammar/exercises/es-gender-articles-1/submit",
            json!({"answer": "zzz"}),
            401,
            Clean,
        ),
        (
            Method::POST,
            "/api/grammar/lesson/complete",
            json!({"id": "es-gender-articles", "correct": 1}),
            401,
            Clean,
        ),
        (
            Method::POST,
            "/api/vocabulary/lesson/complete",
            json!({"id": "es-a1-greetings", "quiz_correct": 1}),
            401,
            Clean,
        ),
        // (An empty attempt: another learner gets past the learner check to the answers check.)
        (
            Method::POST,
            "/api/assessment/attempt",
            json!({"id": "placement-spanish", "answers": {}}),
            401,
            Status(422),
        ),
        (
            Method::POST,
            "/assessments/placement-spanish/attempts",
            json!({"answers": {}}),
            401,
            Status(422),
        ),
        // Admins only.
        (
            Method::GET,
            "/api/perf/requests",
            Value::Null,
            401,
            Status(403),
        ),
        (
            Method::GET,
            "/api/perf/summary",
            Value::Null,
            401,
            Status(403),
        ),
        (Method::GET, "/admin/users", Value::Null, 401, Status(403)),
        (Method::POST, "/admin/invites", json!({}), 401, Status(403)),
        (
            Method::POST,
            "/admin/users/disable",
            json!({"id": 1, "disabled": true}),
            401,
            Status(403),
        ),
        (Method::GET, "/metrics", Value::Null, 401, Status(403)),
    ]
}

/// Server functions that are about the session itself, tested on their own.
const SESSION_ROUTES: [&str; 7] = [
    "/auth/signup",
    "/auth/signin",
    "/auth/signout",
    "/auth/password",
    "/account/delete",
    "/stt/transcribe",
    // The voice stream: tests/voice.rs (its own learner and conversation checks).
    "/stt/stream",
];

fn fill(text: &str, c: i64, m: i64, k: i64) -> String {
    text.replace("\"{C}\"", &c.to_string())
        .replace("\"{M}\"", &m.to_string())
        .replace("\"{K}\"", &k.to_string())
        .replace("{C}", &c.to_string())
        .replace("{M}", &m.to_string())
        .replace("{K}", &k.to_string())
}

#[tokio::test]
async fn each_learner_sees_only_their_own_data_on_every_route() {
    let app = spawn_app(StandinConfig::default(), &ON).await;

    // A new server function must join the table (or the session list).
    let table = routes();
    let covered: BTreeSet<String> = table
        .iter()
        .map(|(_, p, ..)| p.split('?').next().unwrap().to_string())
        .chain(SESSION_ROUTES.iter().map(|p| p.to_string()))
        .collect();
    for (path, _) in server_fn::axum::server_fn_paths() {
        assert!(
            covered.contains(path),
            "server function {path} is not in the scoping table: add it"
        );
    }

    // Ana writes a little of everything.
    let mut ana = Browser::new(&app);
    let me = ana.sign_up("ana").await;
    assert_eq!(me["admin"], true, "the first account is the admin");
    let c = ana
        .json(
            Method::POST,
            "/conversations",
            Some(json!({"language": "spanish", "difficulty_level": "A1", "topic_id": "greetings"})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let opening = json!({"conversation_id": c, "language": "spanish", "difficulty_level": "A1", "topic_id": "greetings"});
    ana.json(Method::POST, "/chat/initial-message", Some(opening))
        .await;
    let turn = json!({"conversation_id": c, "user_message": "yo es Zorrilla"});
    ana.json(Method::POST, "/chat", Some(turn)).await;
    let messages = ana
        .json(Method::GET, &format!("/conversations/{c}/messages"), None)
        .await;
    let m = messages[0]["id"].as_i64().unwrap();
    let wrong = json!({"answer": "zzz"});
    let k = ana
        .json(
            Method::POST,
            "/grammar/exercises/es-gender-articles-1/submit",
            Some(wrong),
        )
        .await["card_id"]
        .as_i64()
        .expect("a wrong answer makes a card");
    ana.json(
        Method::PUT,
        "/user-levels/spanish",
        Some(json!({"level": "A2"})),
    )
    .await;
    let before = ana.json(Method::GET, "/account/export", None).await;
    assert!(before.to_string().contains("Zorrilla"), "{before}");

    let mut bo = Browser::new(&app);
    assert_eq!(bo.sign_up("bo").await["admin"], false);
    let mut nobody = Browser::new(&app);

    for (method, path, body, anonymous, other) in &table {
        let path = fill(path, c, m, k);
        let body = (!body.is_null())
            .then(|| serde_json::from_str(&fill(&body.to_string(), c, m, k)).unwrap());
        let res = nobody.send(method.clone(), &path, body.clone()).await;
        assert_eq!(res.status(), *anonymous, "no session: {method} {path}");
        if *anonymous == 401 {
            api_error(res, 401, "unauthorized").await;
        }
        let res = bo.send(method.clone(), &path, body).await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        match other {
            Other::Status(want) => assert_eq!(status, *want, "bo: {method} {path}: {text}"),
            Other::Clean => {
                assert!(
                    (200..300).contains(&status),
                    "bo: {method} {path}: {status} {text}"
                );
                assert!(
                    !text.contains("Zorrilla"),
                    "bo sees ana's words: {path}: {text}"
                );
                let ids: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                for list in [&ids, &ids["cards"]] {
                    if let Some(items) = list.as_array() {
                        assert!(
                            !items
                                .iter()
                                .any(|i| i["id"] == c && i.get("topic_id").is_some()
                                    || i["id"] == k && i.get("front").is_some()),
                            "bo's {path} lists ana's things: {text}"
                        );
                    }
                }
            }
        }
    }

    // Speech too: nobody may transcribe, and another learner's conversation
    // is as absent there as anywhere.
    let query = format!("language=es&conversation_id={c}");
    api_error(nobody.transcribe(&query).await, 401, "unauthorized").await;
    api_error(bo.transcribe(&query).await, 404, "not_found").await;

    // Ana's data is untouched by all of that, and still hers.
    let after = ana.json(Method::GET, "/account/export", None).await;
    assert_eq!(before["data"]["messages"], after["data"]["messages"]);
    assert_eq!(
        before["data"]["conversations"],
        after["data"]["conversations"]
    );
    let level = ana.json(Method::GET, "/user-levels/spanish", None).await;
    assert_eq!(level["level"], "A2", "bo's B2 was bo's own");
    assert!(
        ana.json(Method::GET, "/api/perf/summary", None)
            .await
            .is_object(),
        "the admin sees /perf's data"
    );
    let users = ana.json(Method::GET, "/admin/users", None).await;
    assert_eq!(users.as_array().unwrap().len(), 2, "{users}");
    let bo_export = bo.json(Method::GET, "/account/export", None).await;
    assert_eq!(bo_export["account"]["username"], "bo");
    assert!(!bo_export.to_string().contains("Zorrilla"));
}

#[tokio::test]
async fn failed_sign_ins_look_alike_and_are_limited() {
    let app = spawn_app(StandinConfig::default(), &ON).await;
    let mut ana = Browser::new(&app);
    ana.sign_up("ana").await;
    let mut cy = Browser::new(&app);
    let cy_id = cy.sign_up("cy").await["id"].as_i64().unwrap();
    ana.json(
        Method::POST,
        "/admin/users/disable",
        Some(json!({"id": cy_id, "disabled": true})),
    )
    .await;
    // The disabled learner's session ended with it.
    api_error(cy.get("/conversations").await, 401, "unauthorized").await;

    let mut answers = Vec::new();
    for (name, pass) in [
        ("ana", "not her password".to_string()),
        ("nobody-here", "whatever it is".to_string()),
        ("cy", password("cy")),
    ] {
        let mut b = Browser::new(&app);
        let res = b
            .post("/auth/signin", json!({"username": name, "password": pass}))
            .await;
        assert!(session_cookie(&res).is_none(), "no session for {name}");
        answers.push(api_error(res, 401, "unauthorized").await);
    }
    assert_eq!(
        answers[0], answers[1],
        "unknown user reads like a wrong password"
    );
    assert_eq!(
        answers[0], answers[2],
        "disabled user reads like a wrong password"
    );

    // Five failures for one name, then 429 even with the right password.
    for _ in 0..4 {
        let res = app
            .post(
                "/auth/signin",
                json!({"username": "ana", "password": "guess guess"}),
            )
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = app
        .post(
            "/auth/signin",
            json!({"username": "ana", "password": password("ana")}),
        )
        .await;
    api_error(res, 429, "too_many_requests").await;

    // Her open session still works; the right password signs in elsewhere once the window passes (not waited for here).
    assert_eq!(ana.get("/conversations").await.status(), 200);
}

#[tokio::test]
async fn sessions_rotate_at_sign_in_end_at_sign_out_and_stale_cookies_are_cleared() {
    let app = spawn_app(StandinConfig::default(), &ON).await;
    let mut ana = Browser::new(&app);
    ana.sign_up("ana").await;
    let first = ana.cookie.clone().unwrap();

    // Signing in again with a cookie already set gives a new id.
    let res = ana
        .post(
            "/auth/signin",
            json!({"username": "ana", "password": password("ana")}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let second = ana.cookie.clone().unwrap();
    assert_ne!(first, second, "the session id rotates at sign-in");
    let header = session_set_cookie(&res).unwrap_or_default();
    assert!(header.contains("HttpOnly"), "{header}");
    assert!(header.contains("SameSite=Lax"), "{header}");
    assert!(
        !header.contains("Secure"),
        "plain HTTP test server: {header}"
    );

    // The old id is dead: 401, and the cookie is cleared.
    let mut thief = Browser::new(&app);
    thief.cookie = Some(first);
    let res = thief.get("/conversations").await;
    let cleared = session_set_cookie(&res).unwrap_or_default();
    assert!(
        cleared.contains("Max-Age=0") || cleared.contains("Expires=Thu, 01 Jan 1970"),
        "{cleared}"
    );
    api_error(res, 401, "unauthorized").await;

    // Made-up ids fare the same.
    thief.cookie = Some("babblr_session=AAAAAAAAAAAAAAAAAAAAAA".into());
    api_error(thief.get("/conversations").await, 401, "unauthorized").await;

    // Sign-out ends the session on the server, not only in this browser.
    let kept = ana.cookie.clone();
    ana.json(Method::POST, "/auth/signout", Some(json!({})))
        .await;
    let mut copy = Browser::new(&app);
    copy.cookie = kept;
    api_error(copy.get("/conversations").await, 401, "unauthorized").await;
}

#[tokio::test]
async fn passwords_must_be_strong_and_changing_one_ends_other_sessions() {
    let app = spawn_app(StandinConfig::default(), &ON).await;
    for (pass, why) in [("short", "too short"), ("password123", "common")] {
        let res = app
            .post("/auth/signup", json!({"username": "ana", "password": pass}))
            .await;
        let body = api_error(res, 422, "validation_error").await;
        assert_eq!(body["field"], "password");
        assert!(body["message"].as_str().unwrap().contains(why), "{body}");
    }
    let mut laptop = Browser::new(&app);
    laptop.sign_up("ana").await;
    let mut phone = Browser::new(&app);
    phone
        .json(
            Method::POST,
            "/auth/signin",
            Some(json!({"username": "ana", "password": password("ana")})),
        )
        .await;
    let wrong = json!({"current_password": "not it at all", "new_password": "a brand new secret"});
    api_error(
        laptop.post("/auth/password", wrong).await,
        401,
        "unauthorized",
    )
    .await;
    let right = json!({"current_password": password("ana"), "new_password": "a brand new secret"});
    laptop
        .json(Method::POST, "/auth/password", Some(right))
        .await;
    assert_eq!(
        laptop.get("/conversations").await.status(),
        200,
        "this session stays"
    );
    api_error(phone.get("/conversations").await, 401, "unauthorized").await;
    let old = json!({"username": "ana", "password": password("ana")});
    api_error(app.post("/auth/signin", old).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn sign_up_is_by_invitation_unless_open_and_floods_are_refused() {
    let app = spawn_app(StandinConfig::default(), &[("BABBLR_AUTH", "on")]).await;
    let mut ana = Browser::new(&app);
    ana.sign_up("ana").await;
    let res = app
        .post(
            "/auth/signup",
            json!({"username": "bo", "password": password("bo")}),
        )
        .await;
    api_error(res, 403, "forbidden").await;

    let invite = ana
        .json(Method::POST, "/admin/invites", Some(json!({})))
        .await;
    let token = invite["token"].as_str().unwrap().to_string();
    assert!(invite["path"].as_str().unwrap().ends_with(&token));
    let mut bo = Browser::new(&app);
    let body = json!({"username": "bo", "password": password("bo"), "invite": token});
    assert_eq!(bo.post("/auth/signup", body.clone()).await.status(), 200);
    // Once only.
    let again = json!({"username": "bo2", "password": password("bo2"), "invite": token});
    api_error(
        app.post("/auth/signup", again).await,
        422,
        "validation_error",
    )
    .await;

    // Five sign-ups an hour from one address; the rest wait (this address
    // has used three above).
    let mut last = 0;
    for i in 0..3 {
        let res = app
            .post(
                "/auth/signup",
                json!({"username": format!("x{i}"), "password": "x"}),
            )
            .await;
        last = res.status().as_u16();
    }
    assert_eq!(last, 429, "a sign-up flood from one address is refused");
}

#[tokio::test]
async fn the_first_account_keeps_what_the_local_learner_wrote() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let c = app.conversation("german", "A2", "greetings").await;
    // Without accounts: one local learner, and nothing to sign up to.
    let me: Value = app.get("/auth/me").await.json().await.unwrap();
    assert_eq!(
        (me["accounts"].as_bool(), me["account"]["username"].as_str()),
        (Some(false), Some("local"))
    );
    let res = app
        .post(
            "/auth/signup",
            json!({"username": "ana", "password": password("ana")}),
        )
        .await;
    api_error(res, 409, "conflict").await;
    // The same database, now with accounts.
    let mut vars = app.vars.clone();
    vars.insert("BABBLR_AUTH".into(), "on".into());
    let (_engine, base) = testkit::serve(&vars).await;
    let mut ana = Browser::at(&base);
    ana.sign_up("ana").await;
    let list = ana.json(Method::GET, "/conversations", None).await;
    assert_eq!(list[0]["id"], c, "{list}");

    // Deleting the account deletes its data too.
    let confirm = json!({"password": password("ana")});
    ana.json(Method::POST, "/account/delete", Some(confirm))
        .await;
    let mut again = Browser::at(&base);
    again.sign_up("ana").await;
    let list = again.json(Method::GET, "/conversations", None).await;
    assert_eq!(list, json!([]), "nothing of the deleted account is left");
}

#[tokio::test]
async fn metrics_answer_admins_and_the_token_holder() {
    let vars = [
        ("BABBLR_AUTH", "on"),
        ("BABBLR_SIGNUP", "open"),
        ("BABBLR_METRICS_TOKEN", "s3cret-token"),
    ];
    let app = spawn_app(StandinConfig::default(), &vars).await;
    api_error(app.get("/metrics").await, 401, "unauthorized").await;
    let res = app
        .http
        .get(app.url("/metrics"))
        .header("authorization", "Bearer s3cret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("babblr_"));
    let res = app
        .http
        .get(app.url("/metrics"))
        .header("authorization", "Bearer wrong-token!")
        .send()
        .await
        .unwrap();
    api_error(res, 401, "unauthorized").await;
    let mut ana = Browser::new(&app);
    ana.sign_up("ana").await;
    assert_eq!(ana.get("/metrics").await.status(), 200);
}
