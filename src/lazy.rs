//! Parts of the deck that arrive in wasm chunks of their own, after the first slide: the live
//! panels, the speaker view, the overview and search.
//!
//! `cargo xtask dist` builds with the `split` feature and runs wasm-split on the deck's wasm: each
//! [`split_point!`] becomes a chunk fetched on its first call, so the deck's first download holds
//! navigation and little else. Without the feature (`cargo xtask dev`, the wasm tests, the embed
//! pages) a split point is a plain call. A chunk that cannot load (offline, blocked, a broken
//! file) is a [`ChunkError`]: [`Lazy`] says so in the part's place with a Retry, and a retry
//! fetches it again (wasm-split caches only successful loads).
use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;

/// A chunk of the app could not be fetched or started; the browser's console has the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("could not load")]
pub struct ChunkError;

impl From<leptos::wasm_split::SplitLoaderError> for ChunkError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        ChunkError
    }
}

/// `split_point!(chunk, fn name() -> T { body })` defines `async fn name() -> Result<T, ChunkError>`
/// whose body, and all the code only it reaches, is in the wasm chunk `chunk` when built with the
/// `split` feature. The body returns something small (a function pointer) that the caller keeps.
#[macro_export]
macro_rules! split_point {
    ($chunk:ident, $(#[$attr:meta])* $vis:vis fn $name:ident() -> $ret:ty $body:block) => {
        $(#[$attr])*
        #[cfg(feature = "split")]
        #[::leptos::wasm_split::wasm_split($chunk, wasm_split_path = ::leptos::wasm_split, fallible)]
        $vis fn $name() -> ::core::result::Result<$ret, $crate::lazy::ChunkError> {
            let part: $ret = $body;
            Ok(part)
        }
        $(#[$attr])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name() -> ::core::result::Result<$ret, $crate::lazy::ChunkError> {
            let part: $ret = $body;
            Ok(part)
        }
    };
}

/// What fetches a part: a [`split_point!`] boxed, e.g. `|| Box::pin(overview_chunk())`.
pub type Load<T> = fn() -> Pin<Box<dyn Future<Output = Result<T, ChunkError>>>>;

/// A part's view, made in its chunk: what a split point hands back for a component.
pub type ViewOf<Props> = fn(Props) -> AnyView;

/// Where a lazily loaded part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loading<T> {
    Pending,
    Ready(T),
    Failed,
}

/// What `load` gives, shown by `show`, once its chunk has arrived. Until then `Loading {what}…`;
/// if the chunk cannot load, `{What} could not load` and a Retry that fetches it again. `frame`
/// puts those two messages where the part would be (e.g. inside its dialog).
#[component]
pub fn Lazy<T, S, V>(
    /// What arrives, as a reader would name it: "the cost calculator".
    what: String,
    load: Load<T>,
    show: S,
    #[prop(optional, into)] frame: Option<Callback<AnyView, AnyView>>,
) -> impl IntoView
where
    T: Copy + Send + Sync + 'static,
    S: Fn(T) -> V + Send + 'static,
    V: IntoView + 'static,
{
    let state = RwSignal::new(Loading::Pending);
    let fetch = move || {
        state.set(Loading::Pending);
        leptos::task::spawn_local(async move {
            state.set(match load().await {
                Ok(part) => Loading::Ready(part),
                Err(ChunkError) => Loading::Failed,
            });
        });
    };
    fetch();
    let frame = move |message: AnyView| match frame {
        Some(frame) => frame.run(message),
        None => message,
    };
    move || {
        match state.get() {
        Loading::Ready(part) => show(part).into_any(),
        Loading::Pending => frame(
            view! { <p class="lazy-status" role="status">{format!("Loading {what}…")}</p> }.into_any(),
        ),
        Loading::Failed => frame(
            view! {
                <div class="lazy-status call-failure" role="alert">
                    <p>{format!("{} could not load. Check the connection, then try again.", capitalised(&what))}</p>
                    <button type="button" on:click=move |_| fetch()>"Retry"</button>
                </div>
            }
            .into_any(),
        ),
    }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
