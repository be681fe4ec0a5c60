//! A modal `<dialog>` for one of a view's [`Dialog`]s. `showModal` gives the browser's own focus
//! handling: focus moves into the dialog, stays there, Esc closes it, and focus returns to where
//! it was. A click on the backdrop closes it too.
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::context::Dialog;

#[component]
pub fn Modal(
    /// The view's open dialog; this one shows while it is `kind`.
    state: RwSignal<Option<Dialog>>,
    kind: Dialog,
    /// The dialog's accessible name.
    label: &'static str,
    /// Extra class for the dialog's own layout.
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let open = state.get() == Some(kind);
        let Some(element) = dialog.get() else { return };
        if open && !element.open() {
            if let Err(error) = element.show_modal() {
                leptos::logging::warn!("cannot open the {label} dialog: {error:?}");
                state.set(None);
            }
        } else if !open && element.open() {
            element.close();
        }
    });
    // However it closed (Esc, the close button, the backdrop, a choice made), the state follows.
    let on_close = move |_| {
        if state.get_untracked() == Some(kind) {
            state.set(None);
        }
    };
    let on_backdrop = move |e: leptos::ev::MouseEvent| {
        let on_dialog_itself = e.target().zip(dialog.get_untracked()).is_some_and(|(target, element)| {
            target
                .dyn_ref::<web_sys::Element>()
                .is_some_and(|t| t == element.unchecked_ref::<web_sys::Element>())
        });
        if on_dialog_itself {
            state.set(None);
        }
    };
    view! {
        <dialog node_ref=dialog class=format!("modal {class}") aria-label=label on:close=on_close on:click=on_backdrop>
            <div class="modal-body">
                <button type="button" class="modal-close" aria-label="Close" on:click=move |_| state.set(None)>
                    "×"
                </button>
                {children()}
            </div>
        </dialog>
    }
}
