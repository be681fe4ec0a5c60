//! Tool set-up, idempotent: each tool is checked at its exact version and installed only when
//! missing. The wasm32 standard library comes from rustup when it can, else from Debian's
//! rustc-web with build-std (the machines here reach package registries, not always rustup's).
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::cmd::{output_line, run, step};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const BINARYEN_VERSION: &str = "132";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const RUSTUP_WAIT: Duration = Duration::from_secs(90);
const DEBIAN_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-22"];
const DEBIAN_LLD: &str = "/usr/lib/llvm-22/bin/lld";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ToolchainChoice {
    Auto,
    Rustup,
    Debian,
}

/// Which wasm toolchain the build uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmToolchain {
    /// The active rustc with its wasm32 target installed.
    Rustup,
    /// Debian's rustc-web in /usr/bin, building std from source (`-Zbuild-std`).
    Debian,
}

#[derive(Clone, Copy)]
pub struct Needs {
    browser: bool,
    /// Only `cargo xtask dev` runs trunk (for its hot reload); `dist` builds without it.
    trunk: bool,
}

impl Needs {
    pub const BUILD: Needs = Needs { browser: false, trunk: false };
    pub const DEV: Needs = Needs { browser: false, trunk: true };
    pub const TEST: Needs = Needs { browser: true, trunk: false };
    pub const ALL: Needs = Needs { browser: true, trunk: true };
}

pub struct Tools {
    pub wasm: WasmToolchain,
    path: OsString,
    pub chromedriver: PathBuf,
}

impl Tools {
    /// A command that builds for the browser: the toolchain's PATH and flags, trunk offline.
    pub fn wasm_command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("PATH", &self.path).env("TRUNK_OFFLINE", "true");
        if self.wasm == WasmToolchain::Debian {
            // Cargo and rustup export these to child processes; they would pull the build back
            // onto the rustup toolchain.
            for var in ["CARGO", "RUSTC", "RUSTDOC", "RUSTUP_TOOLCHAIN", "RUSTC_WRAPPER"] {
                command.env_remove(var);
            }
            command.env("RUSTC_BOOTSTRAP", "1").env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort");
            // Artefacts of another compiler in a folder of their own: switching back and forth
            // between toolchains then costs no rebuilds.
            if std::env::var_os("CARGO_TARGET_DIR").is_none() {
                command.env("CARGO_TARGET_DIR", "target/debian-toolchain");
            }
        }
        command
    }
}

pub fn setup(choice: ToolchainChoice, needs: Needs) -> Result<Tools> {
    let wasm = wasm_toolchain(choice)?;
    if needs.trunk {
        ensure_cargo_tool(
            "trunk",
            TRUNK_VERSION,
            &[
                "trunk",
                "--version",
                TRUNK_VERSION,
                "--locked",
                "--no-default-features",
                "--features",
                "rustls",
            ],
            "≈ 12 min",
        )?;
    }
    let bindgen = wasm_bindgen_version()?;
    ensure_cargo_tool("wasm-bindgen", &bindgen, &["wasm-bindgen-cli", "--version", &bindgen], "≈ 8 min")?;
    let wasm_opt_dir = ensure_wasm_opt()?;

    let mut dirs = vec![wasm_opt_dir];
    if wasm == WasmToolchain::Debian {
        dirs.push(debian_rust_lld()?);
        dirs.push(PathBuf::from("/usr/bin"));
    }
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    let path = std::env::join_paths(dirs)?;

    let chromedriver = if needs.browser { ensure_browser()? } else { PathBuf::new() };
    Ok(Tools { wasm, path, chromedriver })
}

fn wasm_toolchain(choice: ToolchainChoice) -> Result<WasmToolchain> {
    if choice != ToolchainChoice::Debian {
        if has_std("rustc", WASM_TARGET) {
            step("wasm toolchain: rustup's rustc with the wasm32 target (installed)");
            return Ok(WasmToolchain::Rustup);
        }
        if rustup_target_add(WASM_TARGET) && has_std("rustc", WASM_TARGET) {
            step("wasm toolchain: rustup's rustc with the wasm32 target (just added)");
            return Ok(WasmToolchain::Rustup);
        }
        if choice == ToolchainChoice::Rustup {
            bail!("`rustup target add {WASM_TARGET}` did not work; try `--toolchain debian`");
        }
    }
    step("wasm toolchain: Debian's rustc-web with build-std (RUSTC_BOOTSTRAP=1)");
    if !Path::new("/usr/bin/rustc").exists()
        || !Path::new("/usr/lib/rustlib/src/rust/library").exists()
        || !Path::new(DEBIAN_LLD).exists()
    {
        apt_install(DEBIAN_PACKAGES)?;
    }
    let version = output_line("/usr/bin/rustc", &["--version"]).context("/usr/bin/rustc does not run")?;
    eprintln!("    {version}");
    Ok(WasmToolchain::Debian)
}

/// rustc links wasm with `rust-lld -flavor wasm`; Debian's lld-22 ships that linker as `lld`.
/// Returns a folder holding a `rust-lld` link to it.
fn debian_rust_lld() -> Result<PathBuf> {
    let dir = cache_dir().join("debian-bin");
    let link = dir.join("rust-lld");
    if !link.exists() {
        std::fs::create_dir_all(&dir)?;
        std::os::unix::fs::symlink(DEBIAN_LLD, &link)
            .with_context(|| format!("linking {}", link.display()))?;
    }
    Ok(dir)
}

/// Whether `rustc` has the standard library for `target` installed.
pub fn has_std(rustc: &str, target: &str) -> bool {
    output_line(rustc, &["--print", "target-libdir", "--target", target]).is_some_and(|dir| {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
        })
    })
}

/// `rustup target add`, given a bounded wait: the dist server may be unreachable here.
pub fn rustup_target_add(target: &str) -> bool {
    step(&format!("adding the {target} target with rustup (at most {} s)", RUSTUP_WAIT.as_secs()));
    let Ok(mut child) = Command::new("rustup").args(["target", "add", target]).spawn() else {
        eprintln!("    rustup is not installed");
        return false;
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if started.elapsed() < RUSTUP_WAIT => std::thread::sleep(Duration::from_millis(200)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                eprintln!("    rustup did not finish in time");
                return false;
            }
        }
    }
}

/// Installs `crate_args` with `cargo install` unless `binary --version` already reports `version`.
fn ensure_cargo_tool(binary: &str, version: &str, crate_args: &[&str], duration: &str) -> Result<()> {
    let found = output_line(binary, &["--version"]);
    if found.as_deref().is_some_and(|line| line.split_whitespace().nth(1) == Some(version)) {
        return Ok(());
    }
    let had = found.map_or_else(|| "not installed".to_string(), |line| format!("found `{line}`"));
    step(&format!("installing {binary} {version} ({had}); first time only, {duration} on 2 cores"));
    run(Command::new("cargo").arg("install").args(crate_args))
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string("Cargo.lock").context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_string());
            }
        }
    }
    bail!("Cargo.lock names no wasm-bindgen; run `cargo generate-lockfile`")
}

/// wasm-opt from npm's binaryen package.
fn ensure_wasm_opt() -> Result<PathBuf> {
    let wasm_opt = ensure_npm_tool("binaryen", BINARYEN_VERSION, "wasm-opt")?;
    Ok(wasm_opt.parent().context("wasm-opt has a folder")?.to_path_buf())
}

/// An npm package's binary at an exact major version, kept in a cache folder shared by
/// checkouts (so CI's fresh clones reuse it). Returns the binary's path.
pub fn ensure_npm_tool(package: &str, version: &str, binary: &str) -> Result<PathBuf> {
    let prefix = cache_dir().join(format!("{package}-{version}"));
    let path = prefix.join("node_modules/.bin").join(binary);
    let reported = output_line(&path.to_string_lossy(), &["--version"]);
    if reported.is_some_and(|v| v.split(|c: char| !c.is_ascii_digit()).any(|n| n == version)) {
        return Ok(path);
    }
    npm_install(&prefix, package, version)?;
    Ok(path)
}

/// `npm install package@version` into `prefix`, with one clear message when npm is missing.
pub fn npm_install(prefix: &Path, package: &str, version: &str) -> Result<()> {
    if output_line("npm", &["--version"]).is_none() {
        bail!("{package} needs npm: install Node.js and npm (Debian: `apt-get install npm`)");
    }
    step(&format!("installing {package}@{version} (npm) into {}", prefix.display()));
    std::fs::create_dir_all(prefix)?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(prefix)
        .arg(format!("{package}@{version}")))
}

/// A Python command-line tool at an exact version, in its own virtualenv under the cache folder.
pub fn ensure_pip_tool(package: &str, version: &str) -> Result<PathBuf> {
    let venv = cache_dir().join("venv");
    let path = venv.join("bin").join(package);
    if output_line(&path.to_string_lossy(), &["--version"]).is_some_and(|v| v.ends_with(version)) {
        return Ok(path);
    }
    step(&format!("installing {package} {version} (PyPI) into {}", venv.display()));
    if !venv.join("bin/pip").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("needs Python 3 with venv (Debian: `apt-get install python3-venv`)")?;
    }
    run(Command::new(venv.join("bin/pip")).args(["install", "--quiet", &format!("{package}=={version}")]))?;
    Ok(path)
}

/// clang, the C compiler for the Lambda builds' C code (ring's): one compiler for every target
/// (`--target=…`), so neither a musl nor a cross gcc is needed. From Debian's packages.
pub fn ensure_clang() -> Result<()> {
    if output_line("clang", &["--version"]).is_none() {
        apt_install(&["clang"])?;
    }
    Ok(())
}

/// Chromium and its WebDriver for the browser tests, from Debian's packages.
fn ensure_browser() -> Result<PathBuf> {
    let driver = PathBuf::from("/usr/bin/chromedriver");
    if !driver.exists() || !Path::new("/usr/bin/chromium").exists() {
        apt_install(&["chromium", "chromium-driver"])?;
    }
    Ok(driver)
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let command = format!("apt-get install -y {}", packages.join(" "));
    if output_line("apt-get", &["--version"]).is_none() {
        bail!(
            "missing {}: install them with your package manager (Debian: `{command}`)",
            packages.join(", ")
        );
    }
    static UPDATE: Once = Once::new();
    let mut updated = Ok(());
    UPDATE.call_once(|| {
        step("apt-get update");
        updated = run(Command::new("apt-get").arg("update").stdout(Stdio::null()));
    });
    updated.with_context(|| format!("needed for: {command} (run as root)"))?;
    step(&command);
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .with_context(|| format!("installing {} failed; run `{command}` as root", packages.join(", ")))
}

/// A cache outside the checkout, so fresh clones (CI) reuse installed tools.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("serverless-deck")
}
