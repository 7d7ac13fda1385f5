//! A vocabulary lesson: each word as a card (the translation → recall the
//! word → reveal it with an example → rate how well you knew it), then a
//! short quiz; finishing puts the words in the review deck, scheduled by
//! those ratings.

use crate::api::learn::{complete_vocabulary_lesson, vocabulary_lesson};
use crate::pages::ErrorNote;
use babblr::api::{Rating, VocabLesson};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use std::collections::BTreeMap;

#[component]
pub fn VocabLessonPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let lesson = Resource::new(id, vocabulary_lesson);
    view! {
        <Suspense fallback=|| view! { <section class="card"><p class="muted">"Loading the lesson…"</p></section> }>
            {move || lesson.get().map(|r| match r {
                Ok(l) => view! { <Lesson lesson=l /> }.into_any(),
                Err(e) => view! { <section class="card"><ErrorNote error=e /><p><a href="/learn">"Back to lessons"</a></p></section> }.into_any(),
            })}
        </Suspense>
    }
}

/// Where the learner is in the lesson.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Card { index: usize, revealed: bool },
    Quiz { index: usize },
    Done,
}

#[component]
fn Lesson(lesson: VocabLesson) -> impl IntoView {
    let lesson = StoredValue::new(lesson);
    let step = RwSignal::new(Step::Card {
        index: 0,
        revealed: false,
    });
    let ratings = RwSignal::new(BTreeMap::<String, Rating>::new());
    let quiz_picked = RwSignal::new(None::<usize>);
    let quiz_correct = RwSignal::new(0u32);
    let finish = Action::new(move |_: &()| {
        let (id, r) = (lesson.with_value(|l| l.id.clone()), ratings.get_untracked());
        let value = serde_json::to_value(&r).ok();
        async move { complete_vocabulary_lesson(id, value, quiz_correct.get_untracked()).await }
    });
    let (n_items, n_quiz) = lesson.with_value(|l| (l.items.len(), l.quiz.len()));
    let language = lesson.with_value(|l| l.language);

    let rate = move |r: Rating| {
        if let Step::Card { index, .. } = step.get_untracked() {
            let word = lesson.with_value(|l| l.items[index].word.clone());
            ratings.update(|m| {
                m.insert(word, r);
            });
            step.set(if index + 1 < n_items {
                Step::Card {
                    index: index + 1,
                    revealed: false,
                }
            } else {
                Step::Quiz { index: 0 }
            });
        }
    };
    let next_question = move |_| {
        if let Step::Quiz { index } = step.get_untracked() {
            quiz_picked.set(None);
            if index + 1 < n_quiz {
                step.set(Step::Quiz { index: index + 1 });
            } else {
                step.set(Step::Done);
                finish.dispatch(());
            }
        }
    };

    view! {
        <section class="card lesson vocab-lesson" aria-live="polite">
            <p class="crumbs"><a href=format!("/learn?language={}", language.id())>"Learn"</a>" · vocabulary"</p>
            <h1>{lesson.with_value(|l| format!("{} · {}", l.title, l.level.id()))}</h1>
            {move || match step.get() {
                Step::Card { index, revealed } => lesson.with_value(|l| {
                    let item = l.items[index].clone();
                    view! {
                        <p class="progress-note muted">{format!("Word {} of {n_items}", index + 1)}</p>
                        <div class="flashcard" data-state=if revealed { "revealed" } else { "hidden" }>
                            <p class="front">{item.translation.clone()}</p>
                            {if revealed {
                                view! {
                                    <p class="back" lang=language.iso()>{item.with_article()}</p>
                                    <p class="meta muted">{item.part_of_speech.clone()}{item.gender.clone().map(|g| format!(" · {g}"))}</p>
                                    <p class="example" lang=language.iso()>{item.example.clone()}</p>
                                    <p class="example-translation muted">{item.example_translation.clone()}</p>
                                }.into_any()
                            } else {
                                view! { <p class="muted">"Say or think the word, then reveal it."</p> }.into_any()
                            }}
                        </div>
                        {if revealed {
                            view! { <RatingButtons on_rate=rate /> }.into_any()
                        } else {
                            view! {
                                <button type="button" class="primary reveal"
                                    on:click=move |_| step.set(Step::Card { index, revealed: true })>"Show the word"</button>
                            }.into_any()
                        }}
                    }.into_any()
                }),
                Step::Quiz { index } => lesson.with_value(|l| {
                    let q = l.quiz[index].clone();
                    let answer = q.answer;
                    view! {
                        <p class="progress-note muted">{format!("Quiz {} of {n_quiz}", index + 1)}</p>
                        <fieldset class="quiz">
                            <legend>"Which word means “"{q.prompt.clone()}"”?"</legend>
                            {q.choices.into_iter().enumerate().map(|(i, c)| {
                                let class = move || match quiz_picked.get() {
                                    Some(_) if i == answer => "choice right",
                                    Some(p) if p == i => "choice wrong",
                                    _ => "choice",
                                };
                                view! {
                                    <button type="button" class=class lang=language.iso()
                                        disabled=move || quiz_picked.get().is_some()
                                        on:click=move |_| {
                                            quiz_picked.set(Some(i));
                                            if i == answer { quiz_correct.update(|n| *n += 1); }
                                        }>{c}</button>
                                }
                            }).collect_view()}
                        </fieldset>
                        {move || quiz_picked.get().map(|p| view! {
                            <p class=if p == answer { "verdict ok" } else { "verdict bad" } role="status">
                                {if p == answer { "Right!" } else { "Not quite." }}
                            </p>
                            <button type="button" class="primary next" on:click=next_question>"Next"</button>
                        })}
                    }.into_any()
                }),
                Step::Done => view! {
                    <div class="lesson-done">
                        <p class="score">{move || format!("Quiz: {} of {n_quiz} right", quiz_correct.get())}</p>
                        {move || match finish.value().get() {
                            None => view! { <p class="muted">"Saving…"</p> }.into_any(),
                            Some(Ok(_)) => view! {
                                <p role="status">{format!("Lesson complete: its {n_items} words are in your review deck.")}</p>
                                <p><a class="button primary" href=format!("/review?language={}", language.id())>"Review now"</a>
                                   " " <a href=format!("/learn?language={}", language.id())>"More lessons"</a></p>
                            }.into_any(),
                            Some(Err(e)) => view! { <ErrorNote error=e /> }.into_any(),
                        }}
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// Again / Hard / Good / Easy.
#[component]
pub fn RatingButtons(on_rate: impl Fn(Rating) + Copy + Send + Sync + 'static) -> impl IntoView {
    view! {
        <div class="ratings" role="group" aria-label="How well did you know it?">
            {Rating::ALL.into_iter().map(|r| {
                let label = match r {
                    Rating::Again => "Again",
                    Rating::Hard => "Hard",
                    Rating::Good => "Good",
                    Rating::Easy => "Easy",
                };
                view! { <button type="button" class=format!("rate {}", r.id()) data-rating=r.id() on:click=move |_| on_rate(r)>{label}</button> }
            }).collect_view()}
        </div>
    }
}
