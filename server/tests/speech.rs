//! Speech in, end to end: espeak-ng speech uploaded to `/stt/transcribe`,
//! transcribed by real whisper.cpp with the real multilingual base model
//! (plumbing with the tiny random-weight model), and every bad upload.

use testkit as common;

use common::{
    api_error, convert_wav, encode_wav, model_path, spawn_app, speech_wav, words, TestApp,
};
use serde_json::Value;
use testkit::standin::StandinConfig;

const SPANISH: &str = "Hola, me llamo Juan. Quiero una mesa para dos personas, por favor.";
const ENGLISH: &str = "Good morning. I would like a cup of coffee, please.";

async fn base_app() -> TestApp {
    spawn_app(
        StandinConfig::default(),
        &[("BABBLR_WHISPER_MODEL", &model_path("ggml-base.bin"))],
    )
    .await
}

async fn transcribed(app: &TestApp, query: &str, wav: Vec<u8>) -> Value {
    let res = app.transcribe(query, wav).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn spanish_and_english_speech_come_back_as_text() {
    let app = base_app().await;
    let es = transcribed(&app, "language=es", speech_wav("es", SPANISH, 16_000, 1)).await;
    let text = words(es["text"].as_str().unwrap());
    for key in ["mesa", "personas", "favor"] {
        assert!(text.iter().any(|w| w == key), "'{key}' in {es}");
    }
    assert_eq!(es["language"], "es");
    assert!(es["duration"].as_f64().unwrap() > 3.0, "{es}");
    assert_eq!(es["corrected_text"], es["text"], "no conversation, no fix");

    let en = transcribed(
        &app,
        "language=english",
        speech_wav("en", ENGLISH, 22_050, 1),
    )
    .await;
    let text = words(en["text"].as_str().unwrap());
    for key in ["morning", "coffee"] {
        assert!(text.iter().any(|w| w == key), "'{key}' in {en}");
    }
    assert_eq!(en["language"], "en");
}

/// Whisper must hear the same words whatever rate and channel layout the
/// same sound arrives in: our resampling and down-mixing change nothing it
/// cares about. An 8 kHz clip carries less of the sound (telephone band), so
/// it is compared with the same band-limited sound at the other rates.
#[tokio::test]
async fn the_same_clip_at_any_rate_and_layout_gives_the_same_transcript() {
    let app = base_app().await;
    let text = |v: Value| words(v["text"].as_str().unwrap());
    let full = speech_wav("en", ENGLISH, 48_000, 1);
    let reference = text(transcribed(&app, "language=en", convert_wav(&full, 16_000, 1)).await);
    assert!(reference.contains(&"coffee".to_string()), "{reference:?}");
    for (rate, channels) in [(44_100, 1), (48_000, 1), (48_000, 2)] {
        let got = text(transcribed(&app, "language=en", convert_wav(&full, rate, channels)).await);
        assert_eq!(got, reference, "{rate} Hz, {channels} channel(s)");
    }

    let phone = speech_wav("en", ENGLISH, 8_000, 1);
    let reference = text(transcribed(&app, "language=en", phone.clone()).await);
    assert!(reference.contains(&"coffee".to_string()), "{reference:?}");
    for (rate, channels) in [(8_000, 2), (16_000, 1), (44_100, 2)] {
        let got = text(transcribed(&app, "language=en", convert_wav(&phone, rate, channels)).await);
        assert_eq!(
            got, reference,
            "8 kHz sound at {rate} Hz, {channels} channel(s)"
        );
    }
}

#[tokio::test]
async fn mp3_flac_and_ogg_vorbis_are_heard_like_wav() {
    let app = base_app().await;
    let wav = speech_wav("es", SPANISH, 44_100, 2);
    for format in ["mp3", "flac", "ogg"] {
        let body = transcribed(&app, "language=es", encode_wav(&wav, format)).await;
        let text = words(body["text"].as_str().unwrap());
        for key in ["mesa", "personas"] {
            assert!(text.iter().any(|w| w == key), "{format}: '{key}' in {body}");
        }
        let duration = body["duration"].as_f64().unwrap();
        assert!((5.0..7.5).contains(&duration), "{format}: {body}");
    }
    // Cut short, a compressed file still gives what it holds or a clear 422.
    let mp3 = encode_wav(&wav, "mp3");
    let res = app
        .transcribe("language=es", mp3[..mp3.len() / 2].to_vec())
        .await;
    assert!(
        res.status() == 200 || res.status() == 422,
        "{}",
        res.status()
    );
}

#[tokio::test]
async fn in_a_conversation_the_tutor_fixes_the_transcript_and_every_step_is_timed() {
    let app = base_app().await;
    let id = app.conversation("spanish", "A1", "restaurant").await;
    let res = app
        .post(
            "/chat/initial-message",
            serde_json::json!({"conversation_id": id, "language": "spanish", "difficulty_level": "A1", "topic_id": "restaurant"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let res = app
        .transcribe(
            &format!("conversation_id={id}"),
            speech_wav("es", SPANISH, 16_000, 1),
        )
        .await;
    assert_eq!(res.status(), 200);
    let timing = res.headers()["server-timing"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    for span in [
        "stt.decode_audio",
        "stt.transcribe_whisper",
        "stt.correction_llm",
    ] {
        assert!(timing.contains(span), "{span} in {timing}");
    }
    // The conversation gave the language; the stand-in's fix capitalises and
    // ends the sentence, and the change is listed.
    assert_eq!(body["language"], "es");
    let fixed = body["corrected_text"].as_str().unwrap();
    assert!(fixed.ends_with(['.', '!', '?']), "{body}");
    assert!(fixed.chars().next().unwrap().is_uppercase(), "{body}");
    if body["text"] != body["corrected_text"] {
        assert!(
            !body["corrections"].as_array().unwrap().is_empty(),
            "{body}"
        );
    }
    // Transcribing stores nothing: the learner sends the text as a message.
    assert_eq!(app.messages(id).await.len(), 1);
}

#[tokio::test]
async fn plumbing_status_routes_answer() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let cuda: Value = app.get("/stt/cuda").await.json().await.unwrap();
    assert_eq!(cuda["cuda_available"], false);
    assert_eq!(cuda["backend"], "cpu");
    assert!(
        cuda["system_info"].as_str().unwrap().contains("CPU"),
        "{cuda}"
    );
    let langs: Vec<Value> = app.get("/stt/languages").await.json().await.unwrap();
    assert_eq!(langs.len(), 7);
    assert!(langs
        .iter()
        .any(|l| l["code"] == "nl" && l["whisper_id"].as_i64() >= Some(0)));
    let models: Value = app.get("/stt/models").await.json().await.unwrap();
    let list = models["models"].as_array().unwrap();
    assert!(list.iter().any(|m| m["name"] == "large-v3-turbo"));
    assert_eq!(
        list.iter().filter(|m| m["current"] == true).count(),
        1,
        "{models}"
    );
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["speech"]["status"], "ok", "{health}");
}

#[tokio::test]
async fn a_missing_model_is_a_503_that_names_the_pull_command() {
    let app = spawn_app(
        StandinConfig::default(),
        &[
            ("BABBLR_WHISPER_MODEL", "base"),
            ("BABBLR_MODEL_DIR", "/nonexistent/models"),
        ],
    )
    .await;
    let res = app
        .transcribe("language=en", speech_wav("en", "hello", 16_000, 1))
        .await;
    let err = api_error(res, 503, "stt_unavailable").await;
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("babblr models pull base"),
        "{err}"
    );
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["speech"]["status"], "unavailable");
}

#[tokio::test]
async fn past_the_queue_a_transcription_gets_stt_busy_not_a_long_wait() {
    let app = spawn_app(
        StandinConfig::default(),
        &[
            ("BABBLR_STT_MAX_CONCURRENT", "1"),
            ("BABBLR_STT_MAX_QUEUE", "0"),
        ],
    )
    .await;
    let clip = speech_wav("en", ENGLISH, 16_000, 1);
    let results =
        futures::future::join_all((0..4).map(|_| app.transcribe("language=en", clip.clone())))
            .await;
    let mut busy = 0;
    for res in results {
        if res.status() == 503 {
            let err: Value = res.json().await.unwrap();
            assert_eq!(err["error"], "stt_busy");
            busy += 1;
        } else {
            // The random-weight model may hear nothing (422); never a 5xx.
            assert!(
                res.status() == 200 || res.status() == 422,
                "{}",
                res.status()
            );
        }
    }
    assert!((1..4).contains(&busy), "{busy} of 4 were turned away");
}

#[tokio::test]
async fn bad_uploads_get_a_clear_4xx_and_the_server_stays_up() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let good = speech_wav("en", "hello there", 16_000, 1);
    let silent = babblr::stt::audio::wav_bytes(&[0.0; 16_000], 16_000);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("0-byte upload", Vec::new(), 422, "validation_error"),
        (
            "truncated WAV",
            good[..good.len() / 3].to_vec(),
            422,
            "validation_error",
        ),
        ("header only", good[..44].to_vec(), 422, "validation_error"),
        (
            "text, not audio",
            b"just some text, not audio".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "a PNG",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "WebM from MediaRecorder",
            vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81],
            415,
            "unsupported_media_type",
        ),
        ("silence", silent, 422, "validation_error"),
        (
            "26 MB of zeros",
            vec![0u8; 26 * 1024 * 1024],
            413,
            "payload_too_large",
        ),
        (
            "50 MB upload",
            vec![7u8; 50 * 1024 * 1024],
            413,
            "payload_too_large",
        ),
    ];
    for (what, bytes, status, code) in cases {
        let err = api_error(app.transcribe("language=en", bytes).await, status, code).await;
        assert!(
            !err["message"].to_string().contains("panicked"),
            "{what}: {err}"
        );
    }
    for (query, status, field) in [
        ("language=klingon", 422, "language"),
        ("conversation_id=-1", 422, "conversation_id"),
        (
            "conversation_id=99999999999999999999",
            422,
            "conversation_id",
        ),
    ] {
        let err = api_error(
            app.transcribe(query, good.clone()).await,
            status,
            "validation_error",
        )
        .await;
        assert_eq!(err["field"], field, "{query}");
    }
    api_error(
        app.transcribe("conversation_id=4242", good.clone()).await,
        404,
        "not_found",
    )
    .await;
    // Not multipart, or multipart without the `audio` field.
    let res = app
        .http
        .post(app.url("/stt/transcribe"))
        .header("content-type", "audio/wav")
        .body(good.clone())
        .send()
        .await
        .unwrap();
    api_error(res, 415, "unsupported_media_type").await;
    let form = reqwest::multipart::Form::new().text("sound", "nope");
    let res = app
        .http
        .post(app.url("/stt/transcribe"))
        .multipart(form)
        .send();
    api_error(res.await.unwrap(), 400, "invalid_request").await;
    assert_eq!(
        app.get("/health").await.status(),
        200,
        "the server stays up"
    );
}
