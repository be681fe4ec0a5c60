//! Compiles the slides into the deck model at build time, so the browser gets finished HTML and
//! never parses markdown or highlights code. `DECK_SLIDES` points at another slides folder
//! (test fixtures, benchmark decks).
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let slides = std::env::var_os("DECK_SLIDES").map_or_else(|| root.join("slides"), PathBuf::from);
    let assets = root.join("assets");
    println!("cargo::rerun-if-env-changed=DECK_SLIDES");
    println!("cargo::rerun-if-changed={}", slides.display());
    println!("cargo::rerun-if-changed={}", assets.display());

    let deck = match deck_compiler::compile_dir(&slides, &assets) {
        Ok(deck) => deck,
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("{error}");
            }
            eprintln!("the slides have {} error(s); fix them and build again", errors.0.len());
            std::process::exit(1);
        }
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("deck.json");
    let json = serde_json::to_string(&deck).expect("the deck model always serialises");
    std::fs::write(&out, json).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
