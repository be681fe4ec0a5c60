//! Components mounted in a real browser (wasm-bindgen-test in headless Chromium).
#![cfg(target_arch = "wasm32")]

use deck_app::page::{read_talk, PageError};
use deck_app::Route;
use deck_core::{page, Block, Content, Deck, Meta, PanelKind, PanelSpec, Slide, Source};
use leptos::prelude::document;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn talk() -> Deck {
    let html = |step, html: &str| Block { step, content: Content::Html(html.into()) };
    let cost =
        PanelSpec::new(PanelKind::Cost, [("requests", "3000000"), ("server_monthly_usd", "40.5")]).unwrap();
    let invoke =
        PanelSpec::new(PanelKind::Invoke, [("name", "a & <b> é"), ("lambda", "https://x.on.aws/?a=1")])
            .unwrap();
    Deck {
        meta: Meta { title: "A talk".into(), ..Meta::default() },
        slides: vec![
            Slide {
                title: "First \"one\"".into(),
                source: Source { file: "slides/01 intro.md".into(), line: 4 },
                class: Some("title".into()),
                blocks: vec![
                    html(0, "<h1>First “one”</h1>"),
                    html(1, "<p>Then <code>&lt;this&gt;</code></p>"),
                ],
                notes: "<p>Say <em>hello</em>.</p>".into(),
                steps: 1,
            },
            Slide {
                title: "Panels".into(),
                source: Source { file: "slides/02.md".into(), line: 1 },
                class: None,
                blocks: vec![
                    Block { step: 0, content: Content::Panel(cost) },
                    Block { step: 0, content: Content::Panel(invoke) },
                ],
                notes: String::new(),
                steps: 0,
            },
        ],
        code_theme: Default::default(),
    }
}

fn page_holding(body: &str) -> web_sys::Element {
    let host = document().create_element("div").unwrap();
    host.set_inner_html(body);
    document().body().unwrap().append_child(&host).unwrap();
    host
}

#[wasm_bindgen_test]
fn the_deck_is_read_back_from_the_page_it_was_written_into() {
    let deck = talk();
    let host = page_holding(&page::body_html(&deck));
    let read = read_talk(&host, "A talk".into()).expect("the page holds a deck");
    host.remove();
    assert_eq!(read, deck);
}

#[wasm_bindgen_test]
fn a_damaged_page_is_named_not_a_panic() {
    let host = page_holding("<div class=\"stage\"></div>");
    assert_eq!(read_talk(&host, String::new()), Err(PageError::NoSlides));
    host.set_inner_html(&page::body_html(&talk()).replace("data-steps=\"1\"", "data-steps=\"many\""));
    let error = read_talk(&host, String::new()).unwrap_err().to_string();
    assert!(error.contains("slide 1") && error.contains("`data-steps` is `many`"), "{error}");
    host.set_inner_html(&page::body_html(&talk()).replace("requests=3000000", "requests=lots"));
    let error = read_talk(&host, String::new()).unwrap_err();
    assert!(
        matches!(&error, PageError::BadPanel { slide: 2, kind: PanelKind::Cost, errors } if errors.len() == 1)
    );
    let error = error.to_string();
    assert!(error.contains("slide 2") && error.contains("`requests` must be a number"), "{error}");
    host.set_inner_html(&page::body_html(&talk()).replace("data-panel=\"cost\"", "data-panel=\"costs\""));
    let error = read_talk(&host, String::new()).unwrap_err();
    assert!(
        matches!(&error, PageError::UnknownPanel { slide: 2, source } if source.name == "costs"),
        "{error}"
    );
    assert!(error.to_string().contains("unknown panel kind `costs`"), "{error}");
    host.remove();
}

#[wasm_bindgen_test]
fn routes_come_from_the_path() {
    assert_eq!(Route::from_path(""), Route::Deck);
    assert_eq!(Route::from_path("embed/cost"), Route::Embed(PanelKind::Cost));
    assert_eq!(Route::from_path("/embed/cold-start/"), Route::Embed(PanelKind::ColdStart));
    assert_eq!(Route::from_path("embed/nope"), Route::UnknownEmbed);
    assert_eq!(Route::from_path("follow"), Route::Follow);
    assert_eq!(Route::from_path("/follow/"), Route::Follow);
}

/// Shared state between windows, with the windows simulated by hubs on an in-memory bus that
/// delivers like a BroadcastChannel (to every other member, never back to the sender).
mod sync_between_windows {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use deck_app::sync::{Hub, Inbox, Message, Transport};
    use leptos::prelude::*;
    use wasm_bindgen_test::*;

    #[derive(Default)]
    struct Bus {
        inboxes: RefCell<Vec<Inbox>>,
    }

    struct Wire {
        bus: Rc<Bus>,
        me: usize,
        sent: Rc<Cell<usize>>,
    }

    impl Transport for Wire {
        fn send(&self, message: &Message) {
            self.sent.set(self.sent.get() + 1);
            // As text, the way a real transport carries it.
            let text = message.to_text();
            let inboxes = self.bus.inboxes.borrow().clone();
            for (index, inbox) in inboxes.iter().enumerate() {
                if index != self.me {
                    inbox.deliver(&text);
                }
            }
        }
    }

    /// Connects `hub` to the bus; returns how many messages it has sent so far.
    fn join(bus: &Rc<Bus>, hub: &Rc<Hub>) -> Rc<Cell<usize>> {
        let sent = Rc::new(Cell::new(0));
        let wire_sent = sent.clone();
        hub.connect(|inbox| {
            let me = bus.inboxes.borrow().len();
            bus.inboxes.borrow_mut().push(inbox);
            Ok(Wire { bus: bus.clone(), me, sent: wire_sent })
        })
        .expect("an in-memory bus always connects");
        sent
    }

    /// Effects need Leptos' task executor, which mounting a view starts (as the app does).
    fn start_leptos() {
        let host = document().create_element("div").unwrap();
        std::mem::forget(leptos::mount::mount_to(host.unchecked_into(), || ()));
    }

    /// Lets pending effects run.
    async fn settle() {
        leptos::task::tick().await;
    }

    use wasm_bindgen::JsCast;

    #[wasm_bindgen_test]
    async fn a_change_reaches_the_other_window_and_is_not_echoed() {
        start_leptos();
        let bus = Rc::new(Bus::default());
        let (audience, speaker) = (Hub::new(), Hub::new());
        let audience_sent = join(&bus, &audience);
        let speaker_sent = join(&bus, &speaker);
        let here = audience.signal("panel:3-1:name", String::from("world"));
        let there = speaker.signal("panel:3-1:name", String::from("world"));
        settle().await;
        let (audience_before, speaker_before) = (audience_sent.get(), speaker_sent.get());

        there.set("Ferris".into());
        settle().await;
        assert_eq!(here.get_untracked(), "Ferris");
        assert_eq!(speaker_sent.get(), speaker_before + 1, "one message for one change");
        settle().await;
        assert_eq!(audience_sent.get(), audience_before, "the audience applied it without sending it back");

        // Setting the value it already has sends nothing.
        there.set("Ferris".into());
        settle().await;
        assert_eq!(speaker_sent.get(), speaker_before + 1);
    }

    #[wasm_bindgen_test]
    async fn a_window_opened_later_catches_up_at_once() {
        start_leptos();
        let bus = Rc::new(Bus::default());
        let speaker = Hub::new();
        join(&bus, &speaker);
        let position = speaker.signal("deck:position", deck_core::Position::START);
        let result = speaker.signal("panel:5-1:history", Vec::<u32>::new());
        position.set(deck_core::Position { slide: 6, step: 1 });
        result.set(vec![42]);
        settle().await;

        let late = Hub::new();
        join(&bus, &late);
        // Asked for state on connecting and got it before any view asked for these keys.
        assert_eq!(
            late.signal("deck:position", deck_core::Position::START).get_untracked(),
            deck_core::Position { slide: 6, step: 1 }
        );
        assert_eq!(late.signal("panel:5-1:history", Vec::<u32>::new()).get_untracked(), vec![42]);
    }

    #[wasm_bindgen_test]
    fn one_key_is_one_signal_in_a_page() {
        start_leptos();
        let hub = Hub::new();
        let first = hub.signal("panel:1-1:busy", false);
        let second = hub.signal("panel:1-1:busy", false);
        first.set(true);
        assert!(second.get_untracked());
        // Asked for with another type, the key gets a signal of its own instead of a panic.
        let clash = hub.signal("panel:1-1:busy", String::from("no"));
        assert_eq!(clash.get_untracked(), "no");
    }

    #[wasm_bindgen_test]
    async fn garbage_and_wrongly_shaped_values_are_ignored() {
        start_leptos();
        let bus = Rc::new(Bus::default());
        let hub = Hub::new();
        join(&bus, &hub);
        let count = hub.signal("panel:2-1:count", 7_u32);
        let inbox = bus.inboxes.borrow()[0].clone();
        inbox.deliver("not json");
        inbox.deliver(r#"{"type":"state","values":[["panel:2-1:count","seven"]]}"#);
        settle().await;
        assert_eq!(count.get_untracked(), 7);
        inbox.deliver(&Message::State { values: vec![("panel:2-1:count".into(), 8.into())] }.to_text());
        assert_eq!(count.get_untracked(), 8);
    }
}

mod lazy {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use deck_app::lazy::{ChunkError, Lazy};
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::*;

    /// Calls so far: the first load fails (as a blocked chunk does), later ones succeed.
    static LOADS: AtomicUsize = AtomicUsize::new(0);

    async fn load_once_failing() -> Result<u32, ChunkError> {
        // A chunk arrives later than the part is drawn.
        leptos::task::tick().await;
        match LOADS.fetch_add(1, Ordering::SeqCst) {
            0 => Err(ChunkError),
            _ => Ok(42),
        }
    }

    async fn settled() {
        for _ in 0..4 {
            leptos::task::tick().await;
        }
    }

    #[wasm_bindgen_test]
    async fn a_part_that_cannot_load_says_so_and_retry_brings_it() {
        let host: web_sys::HtmlElement = document().create_element("div").unwrap().unchecked_into();
        document().body().unwrap().append_child(&host).unwrap();
        let handle = leptos::mount::mount_to(host.clone(), || {
            view! {
                <Lazy
                    what="the answer".to_owned()
                    load=|| Box::pin(load_once_failing())
                    show={|answer: u32| view! { <output>{answer}</output> }}
                    frame={|status: AnyView| view! { <section class="frame">{status}</section> }.into_any()}
                />
            }
        });
        assert_eq!(host.text_content().unwrap(), "Loading the answer…");
        assert!(host.query_selector("section.frame [role=status]").unwrap().is_some(), "in its frame");

        settled().await;
        let alert = host.query_selector("section.frame [role=alert]").unwrap().expect("the failure shows");
        assert!(
            alert.text_content().unwrap().starts_with("The answer could not load."),
            "{:?}",
            alert.text_content()
        );
        assert!(host.query_selector("output").unwrap().is_none());

        let retry: web_sys::HtmlElement = alert.query_selector("button").unwrap().unwrap().unchecked_into();
        assert_eq!(retry.text_content().unwrap(), "Retry");
        retry.click();
        leptos::task::tick().await;
        assert_eq!(host.text_content().unwrap(), "Loading the answer…", "a retry shows it is loading again");
        settled().await;
        assert_eq!(host.query_selector("output").unwrap().unwrap().text_content().unwrap(), "42");
        assert!(host.query_selector(".lazy-status").unwrap().is_none(), "the message is gone");
        assert_eq!(LOADS.load(Ordering::SeqCst), 2);
        drop(handle);
        host.remove();
    }
}
