//! Go to a slide (`g`, then its number and Enter). A number that is not a slide says so instead
//! of jumping somewhere else.
use deck_core::nav::parse_slide_number;
use leptos::prelude::*;

use crate::context::{DeckContext, Dialog};
use crate::modal::Modal;

#[component]
pub fn GoTo(ctx: DeckContext) -> impl IntoView {
    let state = ctx.dialog;
    let total = ctx.total();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // A fresh field each time the dialog opens.
    Effect::new(move |_| {
        if state.get() == Some(Dialog::GoTo) {
            text.set(String::new());
            error.set(None);
        }
    });
    let on_submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        match parse_slide_number(&text.get_untracked(), total) {
            Ok(index) => {
                ctx.go_to_slide(index);
                state.set(None);
            }
            Err(problem) => error.set(Some(problem.to_string())),
        }
    };
    view! {
        <Modal state kind=Dialog::GoTo label="Go to slide" class="goto">
            <form on:submit=on_submit>
                <label for="goto-number" class="modal-title">{format!("Go to slide (1–{total})")}</label>
                <input
                    id="goto-number"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    autofocus
                    aria-describedby="goto-error"
                    aria-invalid=move || error.with(Option::is_some).then_some("true")
                    prop:value=text
                    on:input=move |e| {
                        text.set(event_target_value(&e));
                        error.set(None);
                    }
                />
                <button type="submit">"Go"</button>
                <p id="goto-error" class="form-error" role="alert">{move || error.get()}</p>
            </form>
        </Modal>
    }
}
