//! The voice stream (`/stt/stream`), end to end: espeak-ng Spanish with
//! pauses streamed in chunks to the real server, cut by the real Silero VAD
//! and transcribed phrase by phrase by real whisper.cpp (the multilingual
//! base model); and every bad stream.

use testkit as common;

use babblr::api::{VoiceIn, VoiceOut, VoiceStart};
use common::voice::{self, pcm, speak, trimmed};
use common::{model_path, spawn_app, speech_wav, vad_model_path, words, TestApp};
use futures::{SinkExt, StreamExt};
use testkit::standin::StandinConfig;

const SENTENCES: [&str; 3] = [
    "Hola, me llamo Juan.",
    "Quiero una mesa para dos personas.",
    "¿Tiene usted una carta en inglés?",
];
/// The pause between sentences: longer than a phrase gap (250 ms), shorter
/// than the end of an utterance (700 ms).
const PAUSE_MS: usize = 450;

async fn base_app() -> TestApp {
    spawn_app(
        StandinConfig::default(),
        &[("BABBLR_WHISPER_MODEL", &model_path("ggml-base.bin"))],
    )
    .await
}

/// The three sentences with pauses between them and 1.2 s of quiet after;
/// also where each pause lies, in ms.
fn recording() -> (Vec<i16>, Vec<(u64, u64)>) {
    let mut samples = vec![0i16; 16 * 300];
    let mut pauses = Vec::new();
    for (i, s) in SENTENCES.iter().enumerate() {
        samples.extend(trimmed(pcm(&speech_wav("es", s, 16_000, 1))));
        let quiet = if i + 1 == SENTENCES.len() {
            1_200
        } else {
            PAUSE_MS
        };
        let from = samples.len() as u64 / 16;
        samples.extend(std::iter::repeat_n(0, 16 * quiet));
        pauses.push((from, samples.len() as u64 / 16));
    }
    (samples, pauses)
}

fn start(language: &str) -> VoiceStart {
    VoiceStart {
        sample_rate: 16_000,
        language: Some(language.into()),
        conversation_id: None,
        end_silence_ms: None,
    }
}

#[tokio::test]
async fn streamed_speech_is_cut_at_the_pauses_and_heard_as_whisper_hears_each_phrase() {
    let app = base_app().await;
    let (samples, pauses) = recording();
    let heard = speak(&app.base, &[], start("es"), &samples, 250, false).await;
    assert!(heard.error().is_none(), "{:?}", heard.frames);
    assert!(
        matches!(heard.frames[0].1, VoiceOut::Listening),
        "{:?}",
        heard.frames
    );
    assert!(
        heard.frames.iter().any(
            |(_, f)| matches!(f, VoiceOut::SpeechStart { at_ms } if (250..700).contains(at_ms))
        ),
        "speech starts after the 300 ms lead-in: {:?}",
        heard.frames
    );

    // One phrase a sentence, each cut inside the pause after it.
    let phrases = heard.phrases();
    assert_eq!(phrases.len(), SENTENCES.len(), "{phrases:?}");
    for ((_, _, end), (quiet_from, quiet_to)) in phrases.iter().zip(&pauses) {
        assert!(
            *quiet_from <= *end && *end <= *quiet_to,
            "phrase ends at {end} ms, inside the pause {quiet_from}..{quiet_to}: {phrases:?}"
        );
    }

    // Each phrase's text is exactly what whisper.cpp gives on that audio.
    let whisper = babblr::stt::Whisper::load(model_path("ggml-base.bin").into(), 2).unwrap();
    let floats: Vec<f32> = samples.iter().map(|&s| s as f32 / 32768.0).collect();
    let mut before: Vec<String> = Vec::new();
    for (text, start_ms, end_ms) in &phrases {
        let clip = &floats[(*start_ms as usize * 16)..(*end_ms as usize * 16).min(floats.len())];
        let alone = whisper.transcribe_phrase(clip, Some("es")).unwrap();
        assert_eq!(text, &alone.text);
        before.push(alone.text);
    }

    // The utterance is every phrase, and close to the full-clip transcript.
    let Some((
        _,
        VoiceOut::Utterance {
            text,
            complete,
            speech_end_ms,
            ..
        },
    )) = heard.utterance()
    else {
        panic!("no utterance: {:?}", heard.frames)
    };
    assert!(*complete);
    assert_eq!(*text, before.join(" "));
    let last_pause = pauses.last().unwrap();
    assert!(
        (last_pause.0.saturating_sub(150)..=last_pause.0 + 100).contains(speech_end_ms),
        "speech ends near {} ms, not {speech_end_ms}",
        last_pause.0
    );
    let full = whisper.transcribe(&floats, Some("es")).unwrap();
    let (streamed, whole) = (words(text), words(&full.text));
    let same = streamed.iter().filter(|w| whole.contains(w)).count();
    // Phrases heard alone through a short encoder window differ from the
    // clip heard whole (the base model hears espeak's "Juan" as "Fulán" or
    // "Fuán" either way); the bench reports how much. Many words agree.
    assert!(
        same * 10 >= whole.len() * 4,
        "streamed {streamed:?} vs full clip {whole:?}"
    );
    for key in ["llamo", "mesa", "carta"] {
        assert!(streamed.iter().any(|w| w == key), "'{key}' in {streamed:?}");
    }
}

#[tokio::test]
async fn the_utterance_ends_after_the_learners_own_silence_setting() {
    let app = base_app().await;
    let mut samples = pcm(&speech_wav("es", SENTENCES[1], 16_000, 1));
    samples.extend(std::iter::repeat_n(0, 16 * 3_000));
    let mut s = start("es");
    s.end_silence_ms = Some(2_000);
    let heard = speak(&app.base, &[], s, &samples, 200, false).await;
    let Some((_, VoiceOut::Utterance { speech_end_ms, .. })) = heard.utterance() else {
        panic!("{:?}", heard.frames)
    };
    // The server stops listening at the end of the utterance, before all
    // 3 s of quiet: no later frames were needed.
    assert!(*speech_end_ms > 1_000, "{:?}", heard.frames);
    assert!(words(&format!("{:?}", heard.phrases())).contains(&"mesa".to_string()));
}

#[tokio::test]
async fn bad_streams_get_an_error_frame_and_are_closed() {
    let app = spawn_app(StandinConfig::default(), &[]).await;

    // Audio at another rate.
    let mut s = start("es");
    s.sample_rate = 44_100;
    let heard = speak(&app.base, &[], s, &[0; 1600], 100, false).await;
    let (code, message) = heard.error().expect("an error frame");
    assert_eq!(code, "validation_error", "{message}");
    assert!(message.contains("16000"), "{message}");

    // An unknown language.
    let heard = speak(&app.base, &[], start("klingon"), &[0; 1600], 100, false).await;
    assert_eq!(heard.error().unwrap().0, "validation_error");

    // Raw frames: audio before the start frame; a torn sample; garbage.
    for (first, second) in [
        (voice::frame(&VoiceIn::Audio(vec![0; 160])), None),
        (
            voice::frame(&VoiceIn::Start(start("es"))),
            Some(voice::tungstenite::Message::Binary(
                vec![0, b'A', 1, 2, 3].into(),
            )),
        ),
        (
            voice::tungstenite::Message::Binary(vec![0, b'Z', 9].into()),
            None,
        ),
    ] {
        let mut ws = voice::connect(&app.base, &[]).await.unwrap();
        ws.send(first).await.unwrap();
        if let Some(second) = second {
            ws.send(second).await.unwrap();
        }
        let mut last = None;
        while let Some(Ok(m)) = ws.next().await {
            if let Some(f) = voice::decode(&m) {
                last = Some(f);
            }
        }
        assert!(
            matches!(&last, Some(VoiceOut::Error { .. })),
            "an error frame, then the close: {last:?}"
        );
    }

    // A page on another site may not open a learner's microphone stream.
    let refused = voice::connect(&app.base, &[("origin", "http://evil.example")]).await;
    match refused {
        Err(voice::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 403)
        }
        other => panic!("a cross-site websocket must be refused: {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_vad_model_is_a_clear_error_naming_the_pull_command() {
    let app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_VAD_MODEL", "/nowhere/ggml-silero.bin")],
    )
    .await;
    let heard = speak(&app.base, &[], start("es"), &[0; 1600], 100, false).await;
    let (code, message) = heard.error().expect("an error frame");
    assert_eq!(code, "stt_unavailable");
    assert!(
        message.contains("babblr models pull silero-vad"),
        "{message}"
    );
    assert!(!message.contains("/nowhere"), "no server paths: {message}");
    assert!(
        std::path::Path::new(&vad_model_path()).is_file(),
        "the test VAD model (scripts/setup.sh --test)"
    );
}

#[tokio::test]
async fn with_accounts_the_stream_needs_a_learner_and_hears_only_their_conversations() {
    let app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_AUTH", "on"), ("BABBLR_SIGNUP", "open")],
    )
    .await;
    let heard = speak(&app.base, &[], start("es"), &[0; 1600], 100, false).await;
    assert_eq!(heard.error().expect("an error frame").0, "unauthorized");

    let http = reqwest::Client::new();
    let mut cookies = Vec::new();
    for name in ["ana", "bob"] {
        let res = http
            .post(app.url("/auth/signup"))
            .json(&serde_json::json!({"username": name, "password": "a long pass phrase 42"}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        cookies.push(common::json_http::session_cookie(&res).unwrap());
    }
    let conversation = http
        .post(app.url("/conversations"))
        .header("cookie", &cookies[0])
        .json(&serde_json::json!({"language": "spanish", "difficulty_level": "A1", "topic_id": "greetings"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let mut s = start("es");
    s.conversation_id = Some(conversation);
    let heard = speak(
        &app.base,
        &[("cookie", &cookies[1])],
        s,
        &[0; 1600],
        100,
        false,
    )
    .await;
    assert_eq!(
        heard.error().expect("an error frame").0,
        "not_found",
        "bob cannot use ana's conversation"
    );
}

#[tokio::test]
async fn with_every_transcription_slot_busy_the_learner_is_told_at_once() {
    let app = spawn_app(
        StandinConfig::default(),
        &[
            ("BABBLR_WHISPER_MODEL", &model_path("ggml-base.bin")),
            ("BABBLR_STT_MAX_CONCURRENT", "1"),
            ("BABBLR_STT_MAX_QUEUE", "0"),
        ],
    )
    .await;
    // A long upload takes the only slot for seconds.
    let long = speech_wav("es", &SENTENCES.join(" ").repeat(3), 16_000, 1);
    let upload = app.transcribe("language=es", long);
    let stream = async {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let started = std::time::Instant::now();
        let heard = speak(&app.base, &[], start("es"), &[0; 1600], 100, false).await;
        (heard, started.elapsed())
    };
    let (res, (heard, waited)) = tokio::join!(upload, stream);
    assert_eq!(res.status(), 200, "the upload is served");
    assert_eq!(heard.error().expect("an error frame").0, "stt_busy");
    assert!(
        waited.as_secs_f64() < 1.0,
        "told at once, not after the upload: {waited:?}"
    );
}
