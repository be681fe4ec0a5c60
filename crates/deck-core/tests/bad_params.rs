//! Bad panel parameters (a slide's `panel` block and an embed page's URL go through the same
//! rules), bad cost inputs, and bad URL fragments / typed slide numbers. Each must be refused with
//! a message naming the parameter — or, for navigation, land somewhere sensible — never panic.
//! docs/bad-inputs.md lists these cases.
use std::collections::BTreeMap;

use deck_core::nav::{parse_slide_number, SlideNumberError};
use deck_core::pricing::CostInputs;
use deck_core::{PanelKind, PanelSpec, Position};

/// (kind, key, value, part of the expected message)
const BAD_PARAMS: &[(PanelKind, &str, &str, &str)] = &[
    (PanelKind::Cost, "requests", "-1", "must be between 0 and"),
    (PanelKind::Cost, "requests", "1e13", "must be between 0 and"),
    (PanelKind::Cost, "requests", "NaN", "must be between"),
    (PanelKind::Cost, "requests", "inf", "must be between"),
    (PanelKind::Cost, "requests", "", "must be a number"),
    (PanelKind::Cost, "requests", "ten", "must be a number"),
    (PanelKind::Cost, "memory_mb", "127", "must be between 128 and 10240"),
    (PanelKind::Cost, "memory_mb", "512.5", "must be a whole number"),
    (PanelKind::Cost, "memory_mb", "99999999999999999999999", "must be a whole number"),
    (PanelKind::Cost, "arch", "ARM64", "must be one of: x86_64, arm64"),
    (PanelKind::Cost, "free_tier", "yes", "must be `true` or `false`"),
    (PanelKind::Cost, "free_tier", "1", "must be `true` or `false`"),
    (PanelKind::Cost, "pricing", "2015", "must be one of: current, 2016"),
    (PanelKind::Cost, "name", "x", "is not a parameter of `cost` panels"),
    (PanelKind::Invoke, "lambda", "javascript:alert(1)", "must be an absolute http(s) URL"),
    (PanelKind::Invoke, "lambda", "//example.com/fn", "must be an absolute http(s) URL"),
    (PanelKind::Invoke, "lambda", "https://exa mple.com/", "must be an absolute http(s) URL"),
    (PanelKind::Invoke, "function", "../etc/passwd", "must be 1–64 letters"),
    (PanelKind::Invoke, "function", "", "must be 1–64 letters"),
    (PanelKind::Invoke, "function", "<script>", "must be 1–64 letters"),
    (PanelKind::Invoke, "sleep_ms", "10001", "must be between 0 and 10000"),
    (PanelKind::Invoke, "sleep_ms", "-5", "must be between 0 and 10000"),
    (PanelKind::Invoke, "calls", "3", "is not a parameter of `invoke` panels"),
    (PanelKind::ColdStart, "calls", "0", "must be between 1 and 100"),
    (PanelKind::ColdStart, "calls", "101", "must be between 1 and 100"),
    (PanelKind::ColdStart, "burst", "51", "must be between 1 and 50"),
    (PanelKind::ColdStart, "force_cold", "TRUE", "must be `true` or `false`"),
    (PanelKind::Thumbnails, "uploads", "javascript:alert(1)", "must be an absolute http(s) URL"),
    (
        PanelKind::Thumbnails,
        "bucket",
        "../other",
        "must be an S3 bucket name: a bucket name has only lowercase",
    ),
    (PanelKind::Thumbnails, "function", "thumbnail", "is not a parameter of `thumbnails` panels"),
];

#[test]
fn every_bad_parameter_is_refused_with_its_name_and_rule() {
    for &(kind, key, value, expected) in BAD_PARAMS {
        let errors =
            PanelSpec::new(kind, [(key, value)]).expect_err(&format!("{kind} {key}={value:?} accepted"));
        assert_eq!(errors.len(), 1, "{kind} {key}={value:?}: {errors:?}");
        let message = errors[0].to_string();
        assert!(message.starts_with(&format!("`{key}` ")), "{message}");
        assert!(message.contains(expected), "{kind} {key}={value:?}: `{message}` lacks `{expected}`");
    }
}

#[test]
fn oversized_text_and_urls_are_refused() {
    let long_name = "x".repeat(201);
    let errors = PanelSpec::new(PanelKind::Invoke, [("name", long_name.as_str())]).unwrap_err();
    assert_eq!(errors[0].to_string(), "`name` must be at most 200 characters");
    let long_url = format!("https://example.com/{}", "a".repeat(2048));
    let errors = PanelSpec::new(PanelKind::Invoke, [("lambda", long_url.as_str())]).unwrap_err();
    assert_eq!(errors[0].key, "lambda");
    let long_function = "f".repeat(65);
    assert!(PanelSpec::new(PanelKind::Invoke, [("function", long_function.as_str())]).is_err());
}

#[test]
fn markup_in_free_text_is_kept_verbatim_for_display_as_text() {
    let spec = PanelSpec::new(PanelKind::Invoke, [("name", "<img src=x onerror=alert(1)>")]).unwrap();
    assert_eq!(
        spec.get("name"),
        Some("<img src=x onerror=alert(1)>"),
        "kept as typed; the view shows it as text"
    );
}

#[test]
fn several_bad_parameters_are_all_reported_and_duplicates_named() {
    let pairs =
        [("requests", "-1"), ("arch", "sparc"), ("memory_mb", "64"), ("arch", "arm64"), ("arch", "arm64")];
    let errors = PanelSpec::new(PanelKind::Cost, pairs).unwrap_err();
    let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["requests", "arch", "memory_mb", "arch"]);
    assert_eq!(errors[3].message, "is given twice");
}

#[test]
fn cost_inputs_report_each_bad_field_once_including_era_rules() {
    let params: BTreeMap<String, String> =
        [("memory_mb", "4096"), ("arch", "arm64"), ("pricing", "2016"), ("requests", "x")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    let errors = CostInputs::from_params(&params).unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(fields.len(), 3, "{errors:?}");
    for field in ["requests", "memory_mb", "arch"] {
        assert_eq!(fields.iter().filter(|f| **f == field).count(), 1, "{field} in {errors:?}");
    }
    let arch = errors.iter().find(|e| e.key == "arch").unwrap();
    assert!(arch.to_string().contains("arm64 arrived in 2021"), "{arch}");
}

#[test]
fn malformed_slide_fragments_are_ignored_and_out_of_range_ones_clamped() {
    let steps = [0, 2, 0];
    for hash in [
        "",
        "#",
        "#/",
        "#/x",
        "#/-1",
        "#/1.5",
        "#//2",
        "#/2/x",
        "#3",
        "#/99999999999999999999999",
        "#/1/99999",
    ] {
        let position = Position::from_hash(hash, &steps);
        if let Some(position) = position {
            assert!(
                position.slide < steps.len() && position.step <= steps[position.slide],
                "{hash} → {position:?}"
            );
        }
    }
    assert_eq!(Position::from_hash("#/x", &steps), None, "not a slide number: the deck stays where it is");
    assert_eq!(Position::from_hash("#/0", &steps), Some(Position { slide: 0, step: 0 }));
    assert_eq!(Position::from_hash("#/9", &steps), Some(Position { slide: 2, step: 0 }));
    assert_eq!(Position::from_hash("#/2/9", &steps), Some(Position { slide: 1, step: 2 }));
    assert_eq!(Position::from_hash("#/1", &[]), None, "an empty deck has nowhere to go");
}

#[test]
fn typed_slide_numbers_say_what_is_wrong() {
    assert_eq!(parse_slide_number("  ", 10), Err(SlideNumberError::Empty));
    assert_eq!(parse_slide_number("1e3", 10), Err(SlideNumberError::NotANumber("1e3".into())));
    assert_eq!(parse_slide_number("-3", 10), Err(SlideNumberError::NotANumber("-3".into())));
    assert_eq!(parse_slide_number("0", 10), Err(SlideNumberError::OutOfRange { number: 0, total: 10 }));
    assert_eq!(
        parse_slide_number("11", 10).unwrap_err().to_string(),
        "there is no slide 11: the deck has slides 1 to 10"
    );
    assert_eq!(parse_slide_number(" 4 ", 10), Ok(3));
}
