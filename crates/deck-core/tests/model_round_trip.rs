use deck_core::{Block, CodeTheme, Content, Deck, Meta, PanelKind, PanelSpec, Slide, Source};

#[test]
fn deck_round_trips_through_json() {
    let deck = Deck {
        meta: Meta { title: "Going Serverless".into(), author: Some("A. Speaker".into()), ..Meta::default() },
        slides: vec![Slide {
            title: "Why".into(),
            source: Source { file: "slides/01.md".into(), line: 3 },
            class: Some("title".into()),
            blocks: vec![
                Block { step: 0, content: Content::Html("<h1>Why</h1>".into()) },
                Block {
                    step: 1,
                    content: Content::Panel(
                        PanelSpec::new(PanelKind::Cost, [("requests", "3000000")]).unwrap(),
                    ),
                },
            ],
            notes: "<p>Say hello.</p>".into(),
            steps: 1,
        }],
        code_theme: CodeTheme { light_css: ".a{}".into(), dark_css: ".b{}".into() },
    };
    let json = serde_json::to_string(&deck).unwrap();
    assert!(json.contains(r#""kind":"cost""#), "{json}");
    let back: Deck = serde_json::from_str(&json).unwrap();
    assert_eq!(back, deck);
}

#[test]
fn front_matter_rejects_unknown_keys() {
    let err = serde_json::from_str::<Meta>(r#"{"title":"x","colour":"red"}"#).unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
}
