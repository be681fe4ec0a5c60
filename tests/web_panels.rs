//! The live panels mounted in a real browser (wasm-bindgen-test in headless Chromium): the
//! choice of Lambda, the cost panel end to end, failures of calls (the test server has no Lambda, so
//! `/fn/…` answers 404 there), and data shown as text only.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use deck_app::panels::cost::{embed_link, Estimate};
use deck_app::panels::endpoint::{check_url, set_choice};
use deck_app::panels::invoke::json_view;
use deck_app::panels::{builder, Panel};
use deck_core::pricing::CostInputs;
use deck_core::{PanelKind, PanelSpec};
use leptos::prelude::*;
use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

// ---------------------------------------------------------------------------------------------
// Which Lambda
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn only_http_urls_can_be_chosen() {
    assert_eq!(check_url("  https://example.com/fn/ "), Ok("https://example.com/fn/".into()));
    let refused = check_url("javascript:alert(1)").unwrap_err().to_string();
    assert!(refused.starts_with("The URL must be") && refused.contains("http(s) URL"), "{refused}");
}

// ---------------------------------------------------------------------------------------------
// Responses are text
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn responses_are_shown_as_text_never_as_markup() {
    let hostile = json!({"greeting": "<img src=x onerror=alert(1)>", "n": 3, "ok": true, "list": [null]});
    let pre = json_view(&hostile);
    let host = mounted_div();
    host.append_child(pre.element()).unwrap();
    assert_eq!(host.query_selector_all("img").unwrap().length(), 0);
    let text = host.text_content().unwrap();
    assert!(text.contains(r#""greeting": "<img src=x onerror=alert(1)>""#), "{text}");
    assert_eq!(text, serde_json::to_string_pretty(&hostile).unwrap());
    let classes: Vec<String> = (0..host.query_selector_all("span").unwrap().length())
        .filter_map(|i| host.query_selector_all("span").unwrap().item(i))
        .map(|node| node.unchecked_into::<Element>().class_name())
        .collect();
    for class in ["json-key", "json-string", "json-number", "json-literal", "json-punct"] {
        assert!(classes.iter().any(|c| c == class), "{class} missing from {classes:?}");
    }
    host.remove();
}

// ---------------------------------------------------------------------------------------------
// Panels, mounted
// ---------------------------------------------------------------------------------------------

fn mounted_div() -> HtmlElement {
    let div: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&div).unwrap();
    div
}

/// Mounts a panel in its own element; the handle unmounts it when dropped.
fn mount(kind: PanelKind, params: &[(&str, &str)], id: &str) -> (HtmlElement, impl Drop) {
    let spec = PanelSpec::new(kind, params.iter().copied()).expect("valid test parameters");
    let host = mounted_div();
    let id = id.to_owned();
    let handle = leptos::mount::mount_to(host.clone(), move || view! { <Panel spec id make=builder(kind)/> });
    (host, handle)
}

async fn sleep(duration: Duration) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, duration.as_millis() as i32);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Waits (up to 10 s) until `ready` holds.
async fn until(what: &str, ready: impl Fn() -> bool) {
    for _ in 0..500 {
        if ready() {
            return;
        }
        sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

fn text(host: &HtmlElement, css: &str) -> Option<String> {
    host.query_selector(css).ok().flatten().and_then(|e| e.text_content())
}

fn click(host: &HtmlElement, css: &str) {
    host.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("no {css}"))
        .unchecked_into::<HtmlElement>()
        .click();
}

/// Types `value` into the input as a user would: the value, then a bubbling `input` event.
fn type_into(host: &HtmlElement, css: &str, value: &str) {
    let input: HtmlInputElement =
        host.query_selector(css).unwrap().unwrap_or_else(|| panic!("no {css}")).unchecked_into();
    input.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input.dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn the_cost_panel_shows_the_2016_example_and_marks_bad_fields() {
    let example =
        [("requests", "3000000"), ("duration_ms", "1000"), ("memory_mb", "512"), ("pricing", "2016")];
    let (host, _panel) = mount(PanelKind::Cost, &example, "t-cost");
    until("the costs are shown", || text(&host, "[data-testid=total-cost]").as_deref() == Some("$18.74"))
        .await;
    assert_eq!(text(&host, "[data-testid=compute-cost]").as_deref(), Some("$18.34"));
    assert_eq!(text(&host, "[data-testid=request-cost]").as_deref(), Some("$0.40"));
    assert_eq!(host.query_selector_all("[data-testid=cost-by-memory] rect").unwrap().length(), 5);
    let page = window().location().href().unwrap();

    type_into(&host, "input[name=duration_ms]", "-5");
    until("the field shows its error", || {
        text(&host, "[data-testid=error-duration_ms]").is_some_and(|t| !t.is_empty())
    })
    .await;
    assert_eq!(
        text(&host, "[data-testid=error-duration_ms]").as_deref(),
        Some("must be between 1 and 900000")
    );
    let field = host.query_selector("input[name=duration_ms]").unwrap().unwrap();
    assert_eq!(field.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(text(&host, "[data-testid=total-cost]").as_deref(), Some("—"));
    assert!(!host.text_content().unwrap().contains("NaN"));
    assert_eq!(
        host.query_selector_all("[data-testid=cost-by-requests]").unwrap().length(),
        0,
        "no chart of nothing"
    );
    assert!(host.query_selector("[data-testid=copy-link]").unwrap().unwrap().has_attribute("disabled"));

    type_into(&host, "input[name=duration_ms]", "200");
    type_into(&host, "input[name=requests]", "30000000");
    type_into(&host, "input[name=memory_mb]", "128");
    until("the second example is shown", || {
        text(&host, "[data-testid=total-cost]").as_deref() == Some("$11.63")
    })
    .await;
    assert_eq!(text(&host, "[data-testid=error-duration_ms]").as_deref(), Some(""));
    assert_eq!(window().location().href().unwrap(), page, "only the embed page rewrites its address");
    host.remove();
}

#[wasm_bindgen_test]
fn the_embed_link_carries_every_input() {
    let inputs = CostInputs { requests: 3e6, duration_ms: 1000.0, ..CostInputs::default() };
    let link = embed_link(&inputs);
    let (_, query) = link.split_once("embed/cost/?").expect("an embed/cost/ address");
    let pairs: Vec<(String, String)> = url_pairs(query);
    let params = pairs.into_iter().collect();
    assert_eq!(CostInputs::from_params(&params), Ok(inputs.clone()));
    assert_eq!(
        Estimate::of(inputs).comparison.lambda.total,
        Estimate::of(CostInputs::from_params(&params).unwrap()).comparison.lambda.total
    );
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    let params = web_sys::UrlSearchParams::new_with_str(query).unwrap();
    let mut pairs = Vec::new();
    for entry in js_sys::try_iter(&params.entries()).unwrap().unwrap() {
        let pair: js_sys::Array = entry.unwrap().unchecked_into();
        pairs.push((pair.get(0).as_string().unwrap(), pair.get(1).as_string().unwrap()));
    }
    pairs
}

#[wasm_bindgen_test]
async fn a_refused_call_shows_its_status_and_a_retry_that_calls_again() {
    set_choice(None);
    let (host, _panel) = mount(PanelKind::Invoke, &[("function", "nope")], "t-refused");
    until("the panel is built", || host.query_selector("[data-testid=invoke]").unwrap().is_some()).await;
    assert_eq!(text(&host, "[data-testid=endpoint]").as_deref(), Some("local"));
    click(&host, "[data-testid=invoke]");
    until("the failure is shown", || host.query_selector(".call-failure").unwrap().is_some()).await;
    let message = text(&host, ".call-failure p").unwrap();
    assert!(message.starts_with("/fn/nope/ answered HTTP 404"), "{message}");

    // Retry calls again: the failure goes while calling, and comes back, once.
    click(&host, ".call-failure [data-action=retry]");
    until("the retry has failed too", || {
        host.query_selector_all(".call-failure").unwrap().length() == 1
            && !host.query_selector("[data-testid=invoke]").unwrap().unwrap().has_attribute("disabled")
    })
    .await;
    assert!(host.query_selector("[data-testid=history]").unwrap().is_none());
    host.remove();
}

#[wasm_bindgen_test]
async fn an_unreachable_lambda_is_named_and_the_page_choice_overrides_the_panel() {
    set_choice(None);
    let (host, _panel) = mount(PanelKind::Invoke, &[("lambda", "http://127.0.0.1:9/")], "t-unreachable");
    until("the panel is built", || text(&host, "[data-testid=endpoint]").as_deref() == Some("127.0.0.1"))
        .await;
    click(&host, "[data-testid=invoke]");
    until("the failure is shown", || host.query_selector(".call-failure").unwrap().is_some()).await;
    let message = text(&host, ".call-failure p").unwrap();
    assert!(message.starts_with("Could not reach http://127.0.0.1:9/"), "{message}");

    // The settings form: a bad URL is refused on the spot; "Use local" applies to every panel.
    click(&host, "[data-action=endpoint-toggle]");
    type_into(&host, "input[name=endpoint-url]", "ftp://example.com/");
    let form: web_sys::HtmlFormElement =
        host.query_selector("form.endpoint-form").unwrap().unwrap().unchecked_into();
    form.request_submit().unwrap();
    until("the URL is refused", || {
        text(&host, ".endpoint-form .field-error").is_some_and(|t| t.contains("http(s) URL"))
    })
    .await;
    click(&host, "[data-action=endpoint-local]");
    until("the panel calls the local platform", || {
        text(&host, "[data-testid=endpoint]").as_deref() == Some("local")
    })
    .await;
    assert!(host.query_selector("form.endpoint-form").unwrap().unwrap().has_attribute("hidden"));
    assert_eq!(
        window().local_storage().unwrap().unwrap().get_item("serverless-deck.lambda").unwrap().as_deref(),
        Some("local")
    );
    set_choice(None);
    until("the panel's own Lambda is back", || {
        text(&host, "[data-testid=endpoint]").as_deref() == Some("127.0.0.1")
    })
    .await;
    host.remove();
}

#[wasm_bindgen_test]
async fn a_site_built_with_a_function_url_calls_it_unless_the_panel_or_the_page_says_otherwise() {
    set_choice(None);
    let document = window().document().unwrap();
    let meta = document.create_element("meta").unwrap();
    meta.set_attribute("name", deck_core::page::LAMBDA_META).unwrap();
    meta.set_attribute("content", "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/").unwrap();
    document.head().unwrap().append_child(&meta).unwrap();
    let endpoint = |host: &HtmlElement| text(host, "[data-testid=endpoint]");

    let (baked, _panel) = mount(PanelKind::Invoke, &[], "t-baked");
    until("the site's function is named", || endpoint(&baked).as_deref() == Some("AWS eu-west-1")).await;
    let (own, _panel) = mount(PanelKind::Invoke, &[("lambda", "http://127.0.0.1:9/")], "t-own");
    until("the panel's own wins", || endpoint(&own).as_deref() == Some("127.0.0.1")).await;
    set_choice(Some(deck_app::panels::endpoint::Choice::Local));
    until("the page's choice wins", || endpoint(&baked).as_deref() == Some("local")).await;
    set_choice(None);

    // Page data is checked as any URL: a bad one is ignored.
    meta.set_attribute("content", "javascript:alert(1)").unwrap();
    let (bad, _panel) = mount(PanelKind::Invoke, &[], "t-bad-baked");
    until("the panel is built", || endpoint(&bad).is_some()).await;
    assert_eq!(endpoint(&bad).as_deref(), Some("local"));
    meta.remove();
    for host in [baked, own, bad] {
        host.remove();
    }
}

#[wasm_bindgen_test]
async fn the_cold_start_panel_explains_that_aws_cannot_be_forced_cold() {
    set_choice(None);
    let url = "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/";
    let (host, _panel) = mount(PanelKind::ColdStart, &[("lambda", url), ("force_cold", "true")], "t-aws");
    until("the panel is built", || text(&host, "[data-testid=endpoint]").as_deref() == Some("AWS eu-west-1"))
        .await;
    let note = host.query_selector("[data-testid=aws-cold-note]").unwrap().unwrap();
    until("the note is shown", || !note.has_attribute("hidden")).await;
    assert!(note.text_content().unwrap().contains("environment variable"));
    assert!(host.query_selector("[data-testid=timeline]").unwrap().is_none(), "no event stream from AWS");
    assert_eq!(host.query_selector_all(".runtimes li").unwrap().length(), 7, "nothing measured yet");

    type_into(&host, "input[name=calls]", "0");
    until("the form refuses zero calls", || {
        host.query_selector("[data-testid=run-series]").unwrap().unwrap().has_attribute("disabled")
    })
    .await;
    assert!(text(&host, ".panel-form .field-error").unwrap().contains("between 1 and 100"));
    host.remove();
}
