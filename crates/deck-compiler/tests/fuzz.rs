//! Property test: thousands of generated decks, built from the fragments authors (and typos)
//! produce — separators, fences, panel blocks, comments, front matter, images, odd bytes — glued
//! at random. The compiler must never panic, and every error must say `file:line:` with a line
//! inside that file (only whole-file errors, NoSlides and Unreadable, may omit the line).
//!
//! The generator is a seeded xorshift, so a failure prints the seed and case that reproduce it:
//! `FUZZ_SEED=<seed> cargo test -p deck-compiler --test fuzz`.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use deck_compiler::{Compiler, ErrorKind, SourceFile};

const CASES: usize = 5_000;

/// Pieces of markdown that compile on their own.
const VALID: &[&str] = &[
    "# Title\n",
    "## Subtitle\n",
    "###### deep heading\n",
    "Some text with **bold**, _em_ and `code`.\n",
    "- item\n- item\n",
    "1. one\n2. two\n",
    "> a quote\n",
    "\n",
    "---\n",
    "```rust\nfn main() {}\n```\n",
    "```toml\nkey = 1\n```\n",
    "~~~\ntilde fence\n~~~\n",
    "    indented code\n",
    "```panel cost\nrequests = 3000000\npricing = 2016\n```\n",
    "<!-- speaker notes with *markdown* -->\n",
    "<!--\nmulti-line\nnotes\n-->\n",
    "<!-- step -->\n",
    "<!-- _class: title -->\n",
    "![a diagram](../assets/diagram.svg)\n",
    "<div>raw html</div>\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "[link](https://example.com)\n",
    "\r\n",
    "\t\ttabs\n",
    "ünïcödé ✓ 日本語 🚀\n",
];

/// Pieces that are wrong, or odd enough that they may be.
const SUSPECT: &[&str] = &[
    "#\n",
    "---",
    "----\n",
    "+++\n",
    "```\n",
    "```rust\nfn unclosed() {\n",
    "```nosuchlanguage\nx\n```\n",
    "```panel cost\nrequests = -1\nmemory_mb = lots\n```\n",
    "```panel invoke\nfunction = hello\nsleep_ms = 99999999\n```\n",
    "```panel cold-start\ncalls = 0\nforce_cold = maybe\n```\n",
    "```panel\n```\n",
    "```panel nosuchkind\n```\n",
    "```panel cost\nthis line has no equals sign\n```\n",
    "```panel cost\nrequests = 1\nrequests = 2\n```\n",
    "```panel invoke\nlambda = javascript:alert(1)\n```\n",
    "<!-- unclosed comment\n",
    "-->\n",
    "<!-- _class: no-such-class -->\n",
    "![](../assets/diagram.svg)\n",
    "![missing](../assets/does-not-exist.svg)\n",
    "![outside](../../etc/passwd)\n",
    "![remote](https://example.com/x.png)\n",
    "<script>alert(1)</script>\n",
    "\u{0}\u{1}\u{7f}\n",
    "\u{feff}BOM-prefixed\n",
];

/// Front matter blocks for the top of the first file.
const FRONT_MATTER: &[&str] = &[
    "",
    "---\ntitle: \"T\"\nauthor: A\n---\n",
    "---\ntitle: [unclosed\n---\n",
    "---\nunknown_key: 1\n---\n",
    "---\ntitle: never closed\n",
    "+++\ntitle = \"T\"\n+++\n",
    "+++\ntitle = \n+++\n",
    "+++\nnope = 1\n+++\n",
    "---\n---\n",
];

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// One generated file: fragments, sometimes cut at a random byte (on a char boundary).
fn generate_text(rng: &mut XorShift, first: bool) -> String {
    let mut text = String::new();
    if first {
        text.push_str(rng.pick(FRONT_MATTER));
    }
    for _ in 0..rng.below(24) {
        // Mostly valid pieces, so that whole decks compile often enough to be tested too.
        let fragments = if rng.below(16) == 0 { SUSPECT } else { VALID };
        text.push_str(rng.pick(fragments));
    }
    if rng.below(8) == 0 && !text.is_empty() {
        let mut cut = rng.below(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

fn slides_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/basic/slides")
}

#[test]
fn generated_decks_never_panic_and_every_error_has_its_place() {
    let seed = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_dec4_u64);
    let mut rng = XorShift(seed);
    let compiler = Compiler::new(&slides_dir().join("../assets"));
    let mut outcomes = (0, 0);
    for case in 0..CASES {
        let files: Vec<SourceFile> = (0..1 + rng.below(3))
            .map(|index| SourceFile {
                path: slides_dir().join(format!("{index:02}-generated.md")),
                text: generate_text(&mut rng, index == 0),
            })
            .collect();
        let shown =
            || files.iter().map(|f| format!("--- {} ---\n{}", f.path.display(), f.text)).collect::<String>();
        let result = catch_unwind(AssertUnwindSafe(|| compiler.compile(&files)))
            .unwrap_or_else(|_| panic!("case {case} (FUZZ_SEED={seed}) panicked on:\n{}", shown()));
        let errors = match result {
            Ok(deck) => {
                assert!(!deck.slides.is_empty(), "case {case}: a deck without slides compiled:\n{}", shown());
                outcomes.0 += 1;
                continue;
            }
            Err(errors) => errors,
        };
        outcomes.1 += 1;
        assert!(!errors.0.is_empty(), "case {case}: an empty error list");
        for error in &errors.0 {
            let message = error.to_string();
            let file = files
                .iter()
                .find(|f| f.path == error.file)
                .unwrap_or_else(|| panic!("case {case}: `{message}` names a file that was not compiled"));
            if matches!(error.kind, ErrorKind::NoSlides | ErrorKind::Unreadable(_)) {
                assert!(
                    message.starts_with(&format!("{}: ", file.path.display())),
                    "case {case}: `{message}`"
                );
                continue;
            }
            let lines = file.text.lines().count().max(1) as u32;
            assert!(
                (1..=lines).contains(&error.line),
                "case {case} (FUZZ_SEED={seed}): line {} outside 1..={lines} in `{message}` for:\n{}",
                error.line,
                shown()
            );
            let place = format!("{}:{}: ", file.path.display(), error.line);
            assert!(message.starts_with(&place), "case {case}: `{message}` does not start with `{place}`");
        }
    }
    // The generator must exercise both outcomes, or the property says little.
    assert!(outcomes.0 > CASES / 20 && outcomes.1 > CASES / 20, "compiled / failed: {outcomes:?}");
}
