//! Real `babblr` processes: two servers on one database carry one
//! conversation between them (nothing lives in a process), and SIGTERM lets
//! a request in flight finish. SQLite by default, PostgreSQL when
//! `BABBLR_TEST_DATABASE=postgres` (see `common::postgres_url`).

use testkit as common;

use common::json_http::{get_json, post_json};
use serde_json::json;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use testkit::standin::{self, StandinConfig};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(vars: &HashMap<String, String>) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_babblr"))
        .arg("serve")
        .envs(vars)
        .env("BABBLR_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("babblr starts");
    // Owned by `Server` at once, so it is killed and reaped on every path.
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("{}/health", server.base))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("babblr did not come up on {}", server.base);
}

#[tokio::test]
async fn two_processes_carry_one_conversation() {
    let standin = standin::spawn(StandinConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, _schema) = common::database(&dir).await;
    let vars = common::settings(standin, &db);
    let (a, b) = (start(&vars).await, start(&vars).await);
    let http = reqwest::Client::new();

    let c = post_json(
        &http,
        &format!("{}/conversations", a.base),
        &json!({"language": "french", "difficulty_level": "A1", "topic_id": "greetings"}),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let opening = http
        .post(format!("{}/chat/initial-message", b.base))
        .json(&json!({"conversation_id": id, "language": "french", "difficulty_level": "A1", "topic_id": "greetings"}))
        .send()
        .await
        .unwrap();
    assert_eq!(opening.status(), 200);
    let reply = http
        .post(format!("{}/chat", a.base))
        .json(&json!({"conversation_id": id, "user_message": "je va bien"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let messages = get_json(&http, &format!("{}/conversations/{id}/messages", b.base)).await;
    let messages = messages.as_array().expect("a list of messages");
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["assistant", "user", "assistant"]);
    assert_eq!(messages[1]["corrected_text"], "Je vais bien.");
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish() {
    let standin = standin::spawn(StandinConfig {
        first_token_delay: Duration::from_millis(800),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, _schema) = common::database(&dir).await;
    let mut vars = common::settings(standin, &db);
    vars.insert("BABBLR_CORRECTION_MAX_LEVEL".into(), "0".into());
    let server = start(&vars).await;
    let http = reqwest::Client::new();
    let c = post_json(
        &http,
        &format!("{}/conversations", server.base),
        &json!({"language": "dutch", "difficulty_level": "A1", "topic_id": "weather"}),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let url = format!("{}/chat", server.base);
    let in_flight = tokio::spawn(async move {
        reqwest::Client::new()
            .post(url)
            .json(&json!({"conversation_id": id, "user_message": "het regent"}))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert_eq!(in_flight.await.unwrap().expect("the request finishes"), 200);
    let mut server = server;
    let status = tokio::task::spawn_blocking(move || {
        let s = server.child.wait();
        (s, server)
    })
    .await
    .unwrap()
    .0
    .unwrap();
    assert!(status.success(), "clean exit after draining: {status:?}");
}

#[tokio::test]
async fn a_session_begun_on_one_process_is_known_to_the_other() {
    let standin = standin::spawn(StandinConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, _schema) = common::database(&dir).await;
    let mut vars = common::settings(standin, &db);
    vars.insert("BABBLR_AUTH".into(), "on".into());
    let (a, b) = (start(&vars).await, start(&vars).await);
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/auth/signup", a.base))
        .json(&json!({"username": "ana", "password": "ana likes tortilla"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = common::json_http::session_cookie(&res).expect("a session cookie");
    let me: serde_json::Value = http
        .get(format!("{}/auth/me", b.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["account"]["username"], "ana", "{me}");
    // Signed out on B: A no longer knows the session either.
    let out = http
        .post(format!("{}/auth/signout", b.base))
        .header("cookie", &cookie)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let res = http
        .get(format!("{}/conversations", a.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Failed sign-ins count on every process: three on A and two on B use
    // up the name's five, and the right password then waits on A too.
    for (base, n) in [(&a.base, 3), (&b.base, 2)] {
        for _ in 0..n {
            let res = http
                .post(format!("{base}/auth/signin"))
                .json(&json!({"username": "ana", "password": "not her password"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401);
        }
    }
    let res = http
        .post(format!("{}/auth/signin", a.base))
        .json(&json!({"username": "ana", "password": "ana likes tortilla"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "the limit is shared by the processes");
}

#[test]
fn a_server_others_can_reach_will_not_start_without_an_accounts_choice() {
    let out = Command::new(env!("CARGO_BIN_EXE_babblr"))
        .arg("serve")
        .env("BABBLR_ADDR", "0.0.0.0:0")
        .env_remove("BABBLR_AUTH")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("BABBLR_LLM_PROVIDER", "scripted")
        .output()
        .expect("babblr runs");
    assert!(!out.status.success(), "it must refuse to start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BABBLR_AUTH=on"), "says what to set: {err}");
}
