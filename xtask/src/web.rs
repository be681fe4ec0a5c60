//! Building, serving and testing the deck.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::cmd::{run, step, target_dir};
use crate::lambda::build_native;
use crate::site::dist;
use crate::tools::Tools;

pub fn check_slides() -> Result<()> {
    let slides = std::env::var_os("DECK_SLIDES").map_or_else(|| PathBuf::from("slides"), PathBuf::from);
    match deck_compiler::compile_dir(&slides, Path::new("assets")) {
        Ok(deck) => {
            let panels = deck
                .slides
                .iter()
                .flat_map(|s| &s.blocks)
                .filter(|b| matches!(b.content, deck_core::Content::Panel(_)))
                .count();
            eprintln!("{}: {} slides, {panels} live panels, no errors", slides.display(), deck.slides.len());
            Ok(())
        }
        Err(errors) => {
            eprintln!("{errors}");
            bail!("the slides have errors")
        }
    }
}

/// Trunk, with its post-build hook pointed at this xtask (see Trunk.toml).
fn trunk(tools: &Tools) -> Result<Command> {
    let mut trunk = tools.wasm_command("trunk");
    trunk.env("DECK_PAGES", std::env::current_exe().context("finding the xtask binary")?);
    Ok(trunk)
}

pub(crate) fn server_command(addr: &str, dist: &Path) -> Command {
    let mut command = Command::new(target_dir().join("release/serverless-deck"));
    command.args(["--addr", addr, "--dist"]).arg(dist).args(["--functions", "demos/functions.toml"]);
    command
}

pub fn serve(tools: &Tools, addr: &str, follow: &str) -> Result<()> {
    let out = PathBuf::from("dist");
    dist(tools, "/", None, &out)?;
    build_native()?;
    step(&format!("serving the deck with the local Lambda platform on http://{addr}/ (Ctrl-C stops)"));
    run(server_command(addr, &out).args(["--follow", follow]))
}

/// `trunk serve` with hot reload; the local Lambda platform runs beside it on the next port and
/// trunk proxies the Lambda routes to it (see Trunk.toml).
pub fn dev(tools: &Tools, addr: &str) -> Result<()> {
    if tools.wasm == crate::tools::WasmToolchain::Debian {
        // Trunk runs cargo offline; with build-std, std's own dependencies must be fetched first.
        run(tools.wasm_command("cargo").args(["fetch", "--target", "wasm32-unknown-unknown"]))?;
    }
    let (host, port) = addr.rsplit_once(':').context("--addr must be HOST:PORT")?;
    build_native()?;
    // The platform's port is fixed because Trunk.toml's proxy entries name it. Trunk's pages are
    // of another origin: the platform answers them as the presenter's own.
    let mut platform = server_command("127.0.0.1:8081", Path::new("dist"))
        .args(["--cors-origin", &format!("http://{addr}")])
        .args(["--cors-origin", &format!("http://localhost:{port}")])
        .spawn()?;
    step(&format!("dev server on http://{addr}/ — edits to src/, slides/ and assets/ rebuild and reload"));
    let served = run(trunk(tools)?.args(["serve", "--address", host, "--port", port]));
    let _ = platform.kill();
    served
}

pub fn test(tools: &Tools) -> Result<()> {
    step("native tests: slide compiler, model, pricing, server and local Lambda platform, demo function");
    run(Command::new("cargo").args([
        "test",
        "--workspace",
        "--exclude",
        "deck-app",
        "--exclude",
        "deck-e2e",
    ]))?;

    step("wasm tests in headless Chromium (wasm-bindgen-test)");
    run(tools
        .wasm_command("cargo")
        .args(["test", "-p", "deck-app", "--target", "wasm32-unknown-unknown"])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
        .env("CHROMEDRIVER", &tools.chromedriver)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))?;

    let out = target_dir().join("e2e-dist");
    dist(tools, "/", None, &out)?;
    let sub_path = target_dir().join("e2e-dist-talk");
    dist(tools, "/talk/", None, &sub_path)?;
    build_native()?;
    // The deploy checks build the functions' static binaries, which the release binary carries.
    crate::lambda::test_deploy()?;
    let release = crate::release::for_this_machine(&out)?;
    step("end-to-end tests: the served deck in headless Chromium");
    let output = std::env::current_dir()?.join(target_dir()).join("test-output");
    run(Command::new("cargo")
        .args(["test", "-p", "deck-e2e", "--", "--test-threads", "2"])
        .env("DECK_DIST", std::path::absolute(&out)?)
        .env("DECK_DIST_SUBPATH", std::path::absolute(&sub_path)?)
        .env("DECK_SERVER", std::path::absolute(target_dir().join("release/serverless-deck"))?)
        .env("DECK_FUNCTIONS", std::path::absolute("demos/functions.toml")?)
        .env("DECK_RELEASE_BINARY", std::path::absolute(release)?)
        .env("CHROMEDRIVER", &tools.chromedriver)
        .env("DECK_TEST_OUTPUT", &output))?;
    eprintln!("screenshots: {}", output.join("screenshots").display());
    Ok(())
}
