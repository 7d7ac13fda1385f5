//! The demo tutor's lines: deterministic replies with their English
//! translations, used by the scripted provider and the stand-in LLM.

use crate::domain::{topic, Language};

const ENGLISH: [&str; 4] = [
    "That's interesting! Tell me more.",
    "I see. And what do you think about it?",
    "Great! What else do you like?",
    "Really? Why is that?",
];

fn replies(language: Language) -> [&'static str; 4] {
    match language {
        Language::Spanish => [
            "¡Qué interesante! Cuéntame más.",
            "Ya veo. ¿Y qué piensas tú?",
            "¡Genial! ¿Qué más te gusta?",
            "¿De verdad? ¿Por qué?",
        ],
        Language::French => [
            "C'est intéressant ! Raconte-moi plus.",
            "Je vois. Et qu'en penses-tu ?",
            "Super ! Qu'est-ce que tu aimes d'autre ?",
            "Vraiment ? Pourquoi ?",
        ],
        Language::German => [
            "Das ist interessant! Erzähl mir mehr.",
            "Ich verstehe. Und was denkst du darüber?",
            "Toll! Was magst du noch?",
            "Wirklich? Warum?",
        ],
        Language::Italian => [
            "Che interessante! Raccontami di più.",
            "Capisco. E tu cosa ne pensi?",
            "Fantastico! Cos'altro ti piace?",
            "Davvero? Perché?",
        ],
        Language::Dutch => [
            "Wat interessant! Vertel me meer.",
            "Ik begrijp het. En wat vind jij ervan?",
            "Leuk! Wat vind je nog meer leuk?",
            "Echt waar? Waarom?",
        ],
        Language::Portuguese => [
            "Que interessante! Conte-me mais.",
            "Entendo. E o que você acha?",
            "Ótimo! Do que mais você gosta?",
            "Sério? Por quê?",
        ],
        Language::English => ENGLISH,
    }
}

/// A reply to `learner_text`, and its English translation.
pub fn reply(language: Language, learner_text: &str) -> (&'static str, &'static str) {
    let i = learner_text.chars().count() % 4;
    (replies(language)[i], ENGLISH[i])
}

/// The topic's first starter in `language`, and the English starter as its translation.
pub fn opening(language: Language, topic_id: &str) -> (String, String) {
    match topic(topic_id) {
        Some(t) => (
            t.text(language).starters[0].clone(),
            t.text(Language::English).starters[0].clone(),
        ),
        None => (replies(language)[0].to_string(), ENGLISH[0].to_string()),
    }
}

/// The translation of a line this module wrote, when it knows it.
/// The demo's transcript fix: what a model does to every transcript
/// (a capital first letter, a full stop at the end), and nothing more.
pub fn fix_transcript(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut fixed: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !fixed.ends_with(['.', '!', '?', '…']) {
        fixed.push('.');
    }
    fixed
}

pub fn translate(text: &str) -> Option<String> {
    for language in Language::ALL {
        if let Some(i) = replies(language).iter().position(|r| *r == text) {
            return Some(ENGLISH[i].to_string());
        }
    }
    crate::domain::topics().iter().find_map(|t| {
        Language::ALL.into_iter().find_map(|l| {
            let starters = &t.text(l).starters;
            starters
                .iter()
                .position(|s| s == text)
                .and_then(|i| t.text(Language::English).starters.get(i).cloned())
        })
    })
}

/// Finds the language a prompt asks for ("…a friendly Spanish tutor…").
pub fn language_in_prompt(prompt: &str) -> Language {
    Language::ALL
        .into_iter()
        .filter(|l| *l != Language::English)
        .find(|l| prompt.contains(l.english_name()))
        .unwrap_or(Language::English)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_and_openings_come_with_translations() {
        let (es, en) = reply(Language::Spanish, "hola");
        assert_eq!(translate(es).as_deref(), Some(en));
        let (es, en) = opening(Language::Spanish, "greetings");
        assert!(es.contains("Hola"));
        assert_eq!(translate(&es), Some(en));
        assert_eq!(
            language_in_prompt("You are a friendly German tutor"),
            Language::German
        );
    }
}
