//! The review deck: the cards due now, one at a time (front → reveal →
//! Again/Hard/Good/Easy), each rating scheduled on the server by FSRS.

use super::vocab::RatingButtons;
use super::{due_label, query_language, LanguagePicker};
use crate::api::learn::{get_due_cards, rate_card};
use crate::pages::ErrorNote;
use babblr::api::{CardKind, DueCards, Rating, ReviewCard};
use leptos::prelude::*;

#[component]
pub fn ReviewPage() -> impl IntoView {
    let language = query_language();
    let reload = RwSignal::new(0u32);
    let due = Resource::new(
        move || (language.get(), reload.get()),
        |(l, _)| get_due_cards(l.id().into(), Some(100)),
    );
    view! {
        <section class="card review">
            <p class="crumbs"><a href=move || format!("/learn?language={}", language.get().id())>"Learn"</a>" · review"</p>
            <h1>"Review"</h1>
            <LanguagePicker language path="/review" />
            <Suspense fallback=|| view! { <p class="muted">"Loading your cards…"</p> }>
                {move || due.get().map(|r| match r {
                    Ok(d) => view! { <Session due=d reload /> }.into_any(),
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// One sitting through the cards loaded.
#[component]
fn Session(due: DueCards, reload: RwSignal<u32>) -> impl IntoView {
    let language = due.language;
    let cards = StoredValue::new(due.cards);
    let total = due.due_count;
    let index = RwSignal::new(0usize);
    let revealed = RwSignal::new(false);
    let rated = RwSignal::new(0i64);
    let rate = Action::new(move |(id, r): &(i64, Rating)| {
        let (id, r) = (*id, *r);
        async move { rate_card(id, serde_json::Value::String(r.id().into())).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = rate.value().get() {
            rated.update(|n| *n += 1);
            revealed.set(false);
            index.update(|i| *i += 1);
        }
    });
    let current = move || cards.with_value(|c| c.get(index.get()).cloned());
    let on_rate = move |r: Rating| {
        if let Some(c) = cards.with_value(|c| c.get(index.get_untracked()).cloned()) {
            rate.dispatch((c.id, r));
        }
    };
    view! {
        <p class="due-count" role="status">{move || due_label(total - rated.get())}</p>
        {move || match current() {
            None => view! {
                <div class="review-done">
                    {if total == 0 {
                        view! { <p>"Nothing to review. Finish a lesson or chat with the tutor: its corrections become cards."</p> }.into_any()
                    } else {
                        view! { <p>{move || format!("Done: {} cards reviewed.", rated.get())}</p>
                                <button type="button" on:click=move |_| reload.update(|n| *n += 1)>"Check for more"</button> }.into_any()
                    }}
                    <p><a href=format!("/progress?language={}", language.id())>"See your progress"</a></p>
                </div>
            }.into_any(),
            Some(card) => view! { <CardView card revealed on_rate language /> }.into_any(),
        }}
        {move || rate.value().get().and_then(Result::err).map(|e| view! { <ErrorNote error=e /> })}
    }
}

#[component]
fn CardView(
    card: ReviewCard,
    revealed: RwSignal<bool>,
    on_rate: impl Fn(Rating) + Copy + Send + Sync + 'static,
    language: babblr::domain::Language,
) -> impl IntoView {
    let (kind, ask) = match card.kind {
        CardKind::Vocabulary => ("Word", "What is the word?"),
        CardKind::Grammar => ("Grammar", "What goes here?"),
        CardKind::Mistake => ("Your mistake", "You wrote this. How is it said correctly?"),
    };
    // A vocabulary card's front is the learner's language; the others' the target's.
    let front_lang = (card.kind != CardKind::Vocabulary).then_some(language.iso());
    view! {
        <div class="flashcard" data-card-id=card.id data-kind=card.kind.id()
            data-state=move || if revealed.get() { "revealed" } else { "hidden" }>
            <p class="kind chip">{kind}</p>
            <p class="ask muted">{ask}</p>
            <p class="front" lang=front_lang>{card.front.clone()}</p>
            {move || revealed.get().then(|| view! {
                <p class="back" lang=language.iso()>{card.back.clone()}</p>
                <p class="note muted">{card.note.clone()}</p>
            })}
        </div>
        {move || if revealed.get() {
            view! { <RatingButtons on_rate /> }.into_any()
        } else {
            view! { <button type="button" class="primary reveal" on:click=move |_| revealed.set(true)>"Show the answer"</button> }.into_any()
        }}
    }
}
