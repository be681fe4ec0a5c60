//! The compiler against fixture decks (tests/fixtures) and against bad input, where every error
//! must name its file and line.
use std::path::{Path, PathBuf};

use deck_compiler::{compile_dir, Compiler, Errors, SourceFile};
use deck_core::{Content, PanelKind};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn compile(files: &[(&str, &str)]) -> Result<deck_core::Deck, Errors> {
    let dir = fixtures().join("basic/slides");
    let files: Vec<_> = files
        .iter()
        .map(|(name, text)| SourceFile { path: dir.join(name), text: text.to_string() })
        .collect();
    Compiler::new(&fixtures().join("basic/assets")).compile(&files)
}

/// The error messages with the fixture folder stripped, e.g. `a.md:3: …`.
fn errors(files: &[(&str, &str)]) -> Vec<String> {
    let dir = format!("{}/", fixtures().join("basic/slides").display());
    let errors = compile(files).expect_err("compile should fail");
    errors.0.iter().map(|e| e.to_string().replace(&dir, "")).collect()
}

#[test]
fn fixture_deck_compiles() {
    let deck = compile_dir(&fixtures().join("basic/slides"), &fixtures().join("basic/assets")).unwrap();
    assert_eq!(deck.meta.title, "Fixture Deck");
    assert_eq!(deck.meta.author.as_deref(), Some("Test Author"));
    let titles: Vec<_> = deck.slides.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Hello deck", "Code", "Steps", "Cost", "Diagram"]);

    let first = &deck.slides[0];
    assert_eq!(first.class.as_deref(), Some("title"));
    assert_eq!(first.source.line, 6, "the first slide starts after the front matter");
    assert!(first.notes.contains("<strong>Bold</strong>"), "{}", first.notes);

    let code = &deck.slides[1];
    assert_eq!(code.source.line, 18);
    let Content::Html(html) = &code.blocks[1].content else { panic!("html expected") };
    assert!(html.contains("<pre class=\"code\" data-lang=\"rust\">") && html.contains("hl-"), "{html}");
    assert!(!html.contains("```"));

    let steps = &deck.slides[2];
    assert_eq!(steps.steps, 2);
    let shown: Vec<_> = steps.blocks.iter().map(|b| b.step).collect();
    assert_eq!(shown, [0, 0, 1, 2], "title block, then one block per step");
    assert_eq!(steps.notes.trim(), "<p>Reveal one by one.</p>");

    let Content::Panel(panel) = &deck.slides[3].blocks[1].content else { panic!("panel expected") };
    assert_eq!(panel.kind, PanelKind::Cost);
    assert_eq!(panel.get("pricing"), Some("2016"));
    assert_eq!(panel.get("requests"), Some("3000000"));

    let Content::Html(img) = &deck.slides[4].blocks[1].content else { panic!("html expected") };
    assert!(
        img.contains(r#"src="assets/diagram.svg""#) && img.contains(r#"alt="A box with an arrow""#),
        "{img}"
    );
    assert!(!deck.code_theme.light_css.is_empty() && !deck.code_theme.dark_css.is_empty());
}

#[test]
fn every_slide_keeps_its_notes_out_of_the_body() {
    let deck =
        compile(&[("a.md", "# A\n\n<!-- secret note -->\n\ntext <!-- inline note --> more\n")]).unwrap();
    let slide = &deck.slides[0];
    let body: String = slide
        .blocks
        .iter()
        .filter_map(|b| match &b.content {
            Content::Html(h) => Some(h.as_str()),
            _ => None,
        })
        .collect();
    assert!(!body.contains("note"), "{body}");
    assert!(slide.notes.contains("secret note") && slide.notes.contains("inline note"), "{}", slide.notes);
}

#[test]
fn title_falls_back_to_first_slide_and_files_split_slides() {
    let deck = compile(&[("a.md", "# First\n"), ("b.md", "---\n# Second\n---\n# Third\n")]).unwrap();
    assert_eq!(deck.meta.title, "First");
    assert_eq!(deck.slides.len(), 3);
    assert_eq!(deck.slides[2].source.line, 4);
}

#[test]
fn toml_front_matter_is_read() {
    let deck = compile(&[("a.md", "+++\ntitle = \"T\"\nevent = \"E\"\n+++\n# One\n")]).unwrap();
    assert_eq!((deck.meta.title.as_str(), deck.meta.event.as_deref()), ("T", Some("E")));
}

#[test]
fn bad_front_matter_names_its_line() {
    assert_eq!(
        errors(&[("a.md", "---\ntitle: T\ncolour: red\n---\n# One\n")]),
        ["a.md:3: front matter: unknown field `colour`, expected one of `title`, `subtitle`, `author`, `date`, `event`, `lambda` at line 2 column 1"]
    );
    let toml = errors(&[("a.md", "+++\ntitle = \"T\"\nnope = 1\n+++\n# One\n")]);
    assert_eq!(toml.len(), 1);
    assert!(toml[0].starts_with("a.md:3: front matter: unknown field `nope`"), "{toml:?}");
}

#[test]
fn a_default_function_url_is_checked_by_the_panels_rule() {
    let url = "https://abc123.lambda-url.eu-west-1.on.aws/";
    let deck = compile(&[("a.md", &format!("---\ntitle: T\nlambda: {url}\n---\n# One\n"))]).unwrap();
    assert_eq!(deck.meta.lambda.as_deref(), Some(url));
    let bad = errors(&[("a.md", "---\ntitle: T\n\nlambda: javascript:alert(1)\n---\n# One\n")]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].starts_with("a.md:4: front matter: `lambda` must be an absolute http(s) URL"), "{bad:?}");
}

#[test]
fn unclosed_fence_names_the_opening_line() {
    assert_eq!(
        errors(&[("a.md", "# A\n---\n# B\n\n```rust\nfn x() {}\n---\n# C\n")]),
        ["a.md:5: code fence opened here is never closed"]
    );
}

#[test]
fn panel_errors_name_the_parameter_line() {
    let got = errors(&[(
        "a.md",
        "# Intro\n---\n# P\n\n```panel cost\nrequests = 10\nmemory_mb = 64\nthis is wrong\narch = sparc\n```\n",
    )]);
    assert_eq!(
        got,
        [
            "a.md:7: panel parameter `memory_mb` must be between 128 and 10240",
            "a.md:8: panel line must be `key = value`, found `this is wrong`",
            "a.md:9: panel parameter `arch` must be one of: x86_64, arm64",
        ]
    );
}

#[test]
fn unknown_panel_kind_is_a_build_error() {
    assert_eq!(
        errors(&[("a.md", "# A\n\n```panel chart\nx = 1\n```\n"), ("b.md", "# B\n\n```panel\n```\n")]),
        [
            "a.md:3: unknown panel kind `chart` (known: invoke, cold-start, cost, thumbnails)",
            "b.md:3: a panel block needs a kind: ```panel invoke|cold-start|cost|thumbnails",
        ]
    );
}

#[test]
fn image_errors() {
    let got = errors(&[(
        "a.md",
        "# A\n\n![](../assets/diagram.svg)\n\n![x](../assets/missing.svg)\n\n![y](https://example.com/a.png)\n\n![z](01-intro.md)\n",
    )]);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[0].starts_with("a.md:3: image `../assets/diagram.svg` has no alt text"), "{got:?}");
    assert!(got[1].starts_with("a.md:5: image `../assets/missing.svg`: cannot be read"), "{got:?}");
    assert!(
        got[2].starts_with("a.md:7: image `https://example.com/a.png`: must be a file under assets/"),
        "{got:?}"
    );
    assert!(got[3].starts_with("a.md:9: image `01-intro.md`: must live under assets/"), "{got:?}");
}

#[test]
fn unknown_code_language_is_an_error_and_all_errors_are_reported() {
    let got = errors(&[("a.md", "# A\n\n```rsut\nx\n```\n"), ("b.md", "# B\n\n```panel nope\n```\n")]);
    assert_eq!(got.len(), 2, "both files' errors are reported: {got:?}");
    assert!(got[0].starts_with("a.md:3: unknown language `rsut`"));
}

#[test]
fn empty_input_is_an_error() {
    let got = errors(&[("a.md", "\n\n---\n\n")]);
    assert_eq!(got, ["a.md: no slides: the folder has no .md files"]);
    let dir = tempfile::tempdir().unwrap();
    let err = compile_dir(dir.path(), dir.path()).unwrap_err();
    assert!(err.to_string().contains("no slides"), "{err}");
}
