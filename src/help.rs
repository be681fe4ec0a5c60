//! `?`: every shortcut of this view, straight from the table the key handler uses.
use deck_core::shortcuts::SHORTCUTS;
use leptos::prelude::*;

use crate::context::{DeckContext, Dialog};
use crate::modal::Modal;

#[component]
pub fn Help(ctx: DeckContext) -> impl IntoView {
    let rows = SHORTCUTS
        .iter()
        .filter(|s| s.scope.applies_in(ctx.view))
        .map(|shortcut| {
            let keys = shortcut
                .keys
                .iter()
                .enumerate()
                .map(|(i, key)| view! { {(i > 0).then_some(" or ")}<kbd>{key.label()}</kbd> })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{keys}</th>
                    <td>{shortcut.help}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Modal state=ctx.dialog kind=Dialog::Help label="Keyboard shortcuts" class="help">
            <h2 class="modal-title">"Keyboard shortcuts"</h2>
            <table class="shortcuts">
                <thead>
                    <tr>
                        <th scope="col">"Keys"</th>
                        <th scope="col">"Action"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="modal-hint">"Keys do nothing while you type in a field. Esc closes a dialog."</p>
        </Modal>
    }
}
