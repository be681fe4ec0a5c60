//! The live panels mounted in a real browser (wasm-bindgen-test in headless Chromium): their pure
//! helpers, the cost panel end to end, failures of calls (the test server has no Lambda, so
//! `/fn/…` answers 404 there), and data shown as text only.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use deck_app::panels::cold_start::{cold_penalty_ms, measured_init_ms, Burst, Sample, PUBLISHED_INIT_MS};
use deck_app::panels::cost::{compact_count, embed_link, Estimate};
use deck_app::panels::endpoint::{aws_region, check_url, host, set_choice, Endpoint};
use deck_app::panels::http::error_message;
use deck_app::panels::invoke::{json_tokens, json_view};
use deck_app::panels::{builder, format_ms, Panel};
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
fn a_function_url_names_its_region() {
    let url = "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/";
    assert_eq!(aws_region(url), Some("eu-west-1"));
    assert_eq!(Endpoint::Remote { url: url.into() }.label(), "AWS eu-west-1");
    assert_eq!(Endpoint::Local { function: "hello".into() }.label(), "local");
    assert_eq!(Endpoint::Local { function: "hello".into() }.invoke_url(), "/fn/hello/");
    assert_eq!(Endpoint::Remote { url: "http://127.0.0.1:9/x?y".into() }.label(), "127.0.0.1");
    // Look-alikes are not AWS.
    assert_eq!(aws_region("https://lambda-url.eu-west-1.on.aws.evil.example/"), None);
    assert_eq!(aws_region("https://x.lambda-url..on.aws/"), None);
    assert_eq!(host("https://user@[::1]:8080/path"), Some("[::1]"));
    assert_eq!(host("ftp://example.com/"), None);
}

#[wasm_bindgen_test]
fn only_http_urls_can_be_chosen() {
    assert_eq!(check_url("  https://example.com/fn/ "), Ok("https://example.com/fn/".into()));
    let refused = check_url("javascript:alert(1)").unwrap_err();
    assert!(refused.contains("http(s) URL"), "{refused}");
}

// ---------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn durations_and_counts_read_well() {
    assert_eq!(format_ms(0.4231), "0.42 ms");
    assert_eq!(format_ms(15.54), "15.5 ms");
    assert_eq!(format_ms(137.1), "137 ms");
    assert_eq!(format_ms(12_500.0), "12.5 s");
    assert_eq!(format_ms(f64::NAN), "—");
    assert_eq!(compact_count(3_000_000.0), "3 M");
    assert_eq!(compact_count(2_640_000.0), "2.6 M");
    assert_eq!(compact_count(450_000.0), "450 k");
    assert_eq!(compact_count(12.0), "12");
}

#[wasm_bindgen_test]
fn error_bodies_become_their_message() {
    let lambda = r#"{"errorType":"RequestedFailure","errorMessage":"failure requested with ?fail=1"}"#;
    assert_eq!(error_message(lambda), "RequestedFailure: failure requested with ?fail=1");
    assert_eq!(error_message(r#"{"Type":"User","message":"Rate Exceeded."}"#), "Rate Exceeded.");
    assert_eq!(
        error_message(r#"{"error":"`sleep_ms` is too large","parameter":"sleep_ms"}"#),
        "`sleep_ms` is too large"
    );
    assert_eq!(error_message("  "), "(empty body)");
    let long = "x".repeat(500);
    assert_eq!(error_message(&long).chars().count(), 161, "cut to 160 characters and an ellipsis");
}

fn sample(latency_ms: f64, cold: bool, instance: &str) -> Sample {
    Sample { latency_ms, cold, instance_id: instance.into(), init_ms: cold.then_some(0.2) }
}

#[wasm_bindgen_test]
fn a_cold_start_costs_the_difference_between_cold_and_warm_calls() {
    let samples =
        [sample(21.0, true, "a"), sample(2.0, false, "a"), sample(3.0, false, "a"), sample(1.0, false, "a")];
    assert_eq!(cold_penalty_ms(&samples), Some(19.0));
    assert_eq!(measured_init_ms(&samples), Some(0.2));
    assert_eq!(cold_penalty_ms(&samples[..1]), None, "no warm call to compare with");
    let burst = Burst { endpoint: "local".into(), calls: 4, samples: samples.to_vec(), failures: Vec::new() };
    assert_eq!(burst.distinct_instances(), 1);
    let burst = Burst {
        samples: vec![sample(1.0, true, "a"), sample(1.0, true, "b"), sample(1.0, false, "a")],
        ..burst
    };
    assert_eq!(burst.distinct_instances(), 2);
    assert!(
        PUBLISHED_INIT_MS.windows(2).all(|pair| pair[0].1 <= pair[1].1),
        "ours is placed into an ordered list"
    );
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

#[wasm_bindgen_test]
fn huge_responses_are_cut_short() {
    let big = serde_json::Value::Array((0..5000).map(|i| json!(i)).collect());
    let tokens = json_tokens(&big, 400);
    assert_eq!(tokens.len(), 401);
    assert_eq!(tokens.last().unwrap().1, " …");
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
