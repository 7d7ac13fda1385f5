//! A grammar lesson: the explanation and worked examples, then exercises
//! (multiple choice, fill in the blank, word order), each graded on the
//! server with why. Wrong answers go to the review deck.

use crate::api::learn::{complete_grammar_lesson, get_grammar_lesson, submit_exercise};
use crate::pages::ErrorNote;
use babblr::api::{Exercise, ExerciseKind, ExerciseResult, GrammarLesson};
use babblr::domain::Language;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn GrammarLessonPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let lesson = Resource::new(id, get_grammar_lesson);
    view! {
        <Suspense fallback=|| view! { <section class="card"><p class="muted">"Loading the lesson…"</p></section> }>
            {move || lesson.get().map(|r| match r {
                Ok(l) => view! { <Lesson lesson=l /> }.into_any(),
                Err(e) => view! { <section class="card"><ErrorNote error=e /><p><a href="/learn">"Back to lessons"</a></p></section> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Lesson(lesson: GrammarLesson) -> impl IntoView {
    let language = lesson.language;
    let total = lesson.exercises.len();
    let results = RwSignal::new(Vec::<ExerciseResult>::new());
    let id = StoredValue::new(lesson.id.clone());
    let finish = Action::new(move |correct: &u32| {
        let (id, correct) = (id.get_value(), *correct);
        async move { complete_grammar_lesson(id, correct).await }
    });
    let correct = move || results.with(|r| r.iter().filter(|x| x.correct).count() as u32);
    view! {
        <section class="card lesson grammar-lesson">
            <p class="crumbs"><a href=format!("/learn?language={}", language.id())>"Learn"</a>" · grammar"</p>
            <h1>{format!("{} · {}", lesson.title, lesson.level.id())}</h1>
            {lesson.explanation.into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
            <h2>"Examples"</h2>
            <ul class="examples">
                {lesson.examples.into_iter().map(|e| view! {
                    <li><span lang=language.iso()>{e.text}</span><span class="muted">{format!(" — {}", e.translation)}</span></li>
                }).collect_view()}
            </ul>
        </section>
        <section class="card exercises">
            <h2>"Practice"</h2>
            <ol class="exercise-list">
                {lesson.exercises.into_iter().map(|e| view! { <li><ExerciseView exercise=e language results /></li> }).collect_view()}
            </ol>
            {move || (results.with(Vec::len) == total).then(|| view! {
                <div class="lesson-done" role="status">
                    <p class="score">{format!("{} of {total} right", correct())}</p>
                    {move || match finish.value().get() {
                        None => view! {
                            <button type="button" class="primary finish" disabled=move || finish.pending().get()
                                on:click=move |_| { finish.dispatch(correct()); }>"Finish the lesson"</button>
                        }.into_any(),
                        Some(Ok(_)) => view! {
                            <p>"Lesson complete. Exercises you missed are in your review deck."</p>
                            <p><a href=format!("/review?language={}", language.id())>"Review"</a>" · "
                               <a href=format!("/learn?language={}", language.id())>"More lessons"</a></p>
                        }.into_any(),
                        Some(Err(e)) => view! { <ErrorNote error=e /> }.into_any(),
                    }}
                </div>
            })}
        </section>
    }
}

/// One exercise: its input, its check button and the server's verdict.
#[component]
fn ExerciseView(
    exercise: Exercise,
    language: Language,
    results: RwSignal<Vec<ExerciseResult>>,
) -> impl IntoView {
    let answer = RwSignal::new(String::new());
    let id = exercise.id.clone();
    let check = Action::new(move |a: &String| {
        let (id, a) = (id.clone(), a.clone());
        async move { submit_exercise(id, serde_json::Value::String(a)).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(r)) = check.value().get() {
            results.update(|all| {
                if !all.iter().any(|x| x.exercise_id == r.exercise_id) {
                    all.push(r);
                }
            });
        }
    });
    let done = move || matches!(check.value().get(), Some(Ok(_)));
    let input_id = format!("answer-{}", exercise.id);
    let input = match exercise.kind {
        ExerciseKind::MultipleChoice => view! {
            <p class="prompt" lang=language.iso()>{exercise.prompt.clone()}</p>
            <div class="choices" role="group" aria-label="Choices">
                {exercise.choices.iter().cloned().map(|c| {
                    let value = c.clone();
                    view! {
                        <button type="button" class=move || if answer.get() == value { "choice picked" } else { "choice" }
                            lang=language.iso() disabled=done
                            on:click=move |_| answer.set(c.clone())>{c.clone()}</button>
                    }
                }).collect_view()}
            </div>
        }.into_any(),
        ExerciseKind::FillBlank => view! {
            <label for=input_id.clone() class="prompt" lang=language.iso()>{exercise.prompt.clone()}</label>
            <input id=input_id type="text" autocomplete="off" autocapitalize="off" spellcheck="false" lang=language.iso()
                prop:value=move || answer.get() disabled=done
                on:input=move |ev| answer.set(event_target_value(&ev)) />
        }.into_any(),
        ExerciseKind::WordOrder => {
            let words = exercise.words.clone();
            view! {
                <p class="prompt">"Put the words in order:"</p>
                <div class="word-bank" role="group" aria-label="Words">
                    {words.into_iter().map(|w| view! {
                        <button type="button" class="word" lang=language.iso() disabled=done
                            on:click={let w = w.clone(); move |_| answer.update(|a| { if !a.is_empty() { a.push(' '); } a.push_str(&w); })}>{w.clone()}</button>
                    }).collect_view()}
                </div>
                <label for=input_id.clone() class="visually-hidden">"Your sentence"</label>
                <input id=input_id type="text" class="built" lang=language.iso() autocomplete="off" prop:value=move || answer.get() disabled=done
                    on:input=move |ev| answer.set(event_target_value(&ev)) />
                <button type="button" class="link" disabled=done on:click=move |_| answer.set(String::new())>"Clear"</button>
            }.into_any()
        }
    };
    view! {
        <div class="exercise" data-id=exercise.id.clone() data-kind=format!("{:?}", exercise.kind)>
            {input}
            <button type="button" class="check" disabled=move || done() || check.pending().get() || answer.with(|a| a.trim().is_empty())
                on:click=move |_| { check.dispatch(answer.get_untracked()); }>"Check"</button>
            {move || check.value().get().map(|r| match r {
                Ok(r) => view! {
                    <p class=if r.correct { "verdict ok" } else { "verdict bad" } role="status">
                        <strong>{if r.correct { "Correct. " } else { "Not quite. " }}</strong>
                        {(!r.correct).then(|| format!("Answer: {}. ", r.expected))}
                        {r.note.clone().map(|n| format!("{n}. "))}
                        <span class="muted">{r.explanation.clone()}</span>
                    </p>
                }.into_any(),
                Err(e) => view! { <ErrorNote error=e /> }.into_any(),
            })}
        </div>
    }
}
