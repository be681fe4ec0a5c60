//! `cargo xtask release`: the presenter's one file per architecture. A static (musl)
//! `serverless-deck` with the built deck and the demo functions' static binaries appended as its
//! bundle (`deck_bundle`), and a SHA-256 file beside it. Run it anywhere: it unpacks what it
//! carries into a cache folder and serves the talk with its functions.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::cmd::step;
use crate::cmd::target_dir;
use crate::lambda::{self, Arch, Function};
use crate::tools::Tools;

/// Where the release binaries go.
pub fn out_dir() -> PathBuf {
    target_dir().join("release-bundle")
}

/// The binary for `arch` in `out`.
pub fn binary_path(out: &Path, arch: Arch) -> PathBuf {
    out.join(format!("serverless-deck-{}", arch.name()))
}

/// Builds the deck once, then one release binary per architecture.
pub fn release(tools: &Tools, archs: &[Arch]) -> Result<Vec<PathBuf>> {
    let dist = out_dir().join("dist");
    crate::site::dist(tools, "/", None, &dist)?;
    archs.iter().map(|&arch| bundle(&dist, Link::Static(arch), &out_dir())).collect()
}

/// How the binaries in a release are linked.
#[derive(Clone, Copy)]
pub enum Link {
    /// Static (musl), for `arch`: what a release ships.
    Static(Arch),
    /// This machine's ordinary release builds (glibc), for the tests where no musl standard
    /// library can be installed: the bundle itself is the same.
    Host,
}

impl Link {
    fn arch(self) -> Arch {
        match self {
            Link::Static(arch) => arch,
            Link::Host => Arch::host(),
        }
    }

    /// `binary` of `package`, built as this link says.
    fn binary(self, package: &str, binary: &str, c_code: bool) -> Result<PathBuf> {
        match self {
            Link::Static(arch) => lambda::static_binary(package, binary, arch, c_code),
            // `lambda::build_native` has built them all.
            Link::Host => Ok(target_dir().join("release").join(binary)),
        }
    }
}

/// The release binary for this machine (the tests and the bench run it): static when this
/// machine can build that.
pub fn for_this_machine(dist: &Path) -> Result<PathBuf> {
    let arch = Arch::host();
    if lambda::can_build_static(arch) {
        return bundle(dist, Link::Static(arch), &out_dir());
    }
    step("the musl standard library cannot be installed here: the tests' release binary links to glibc");
    bundle(dist, Link::Host, &out_dir())
}

/// The release binary: the server with `dist` and the functions appended.
pub fn bundle(dist: &Path, link: Link, out: &Path) -> Result<PathBuf> {
    if let Link::Host = link {
        lambda::build_native()?;
    }
    let arch = link.arch();
    let server = link.binary("serverless-deck", "serverless-deck", false)?;
    step(&format!("bundling the deck and the demo functions into serverless-deck-{}", arch.name()));
    let mut files = Vec::new();
    for path in crate::site::files_in(dist)? {
        let inside = path.strip_prefix(dist)?.to_string_lossy().replace('\\', "/");
        files.push((format!("{}/{inside}", deck_bundle::DIST_DIR), std::fs::read(&path)?, false));
    }
    if !files.iter().any(|(path, ..)| path == "dist/index.html") {
        bail!("{} holds no index.html: not a built deck", dist.display());
    }
    let mut binaries = Vec::new();
    for function in Function::ALL {
        let binary = link.binary(function.package(), function.binary(), function.needs_c_compiler())?;
        binaries.push(function.binary());
        files.push((format!("functions/{}", function.binary()), std::fs::read(binary)?, true));
    }
    let functions = bundled_functions(&std::fs::read_to_string("demos/functions.toml")?, &binaries)?;
    files.push((deck_bundle::FUNCTIONS_FILE.to_owned(), functions.into_bytes(), false));
    let archive = deck_bundle::write_archive(env!("CARGO_PKG_VERSION"), &files)?;

    std::fs::create_dir_all(out)?;
    let path = binary_path(out, arch);
    let partial = path.with_extension("partial");
    std::fs::copy(&server, &partial).with_context(|| format!("copying {}", server.display()))?;
    let mut file = std::fs::OpenOptions::new().append(true).open(&partial)?;
    deck_bundle::append(&mut file, &archive)?;
    drop(file);
    std::fs::rename(&partial, &path)?;
    let bytes = std::fs::read(&path)?;
    let name = path.file_name().context("a file name")?.to_string_lossy();
    let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(path.with_extension("sha256"), format!("{digest}  {name}\n"))?;
    eprintln!(
        "    {} ({:.1} MB: server {:.1} MB, bundle {:.1} MB)",
        path.display(),
        bytes.len() as f64 / 1e6,
        std::fs::metadata(&server)?.len() as f64 / 1e6,
        archive.len() as f64 / 1e6
    );
    Ok(path)
}

/// `demos/functions.toml` for the bundle: each `binary` names its file beside the functions file,
/// where the bundle puts it. Comments and everything else stay as they are.
fn bundled_functions(toml: &str, binaries: &[&str]) -> Result<String> {
    let mut out = String::new();
    for (number, line) in toml.lines().enumerate() {
        match line.trim_start().strip_prefix("binary") {
            Some(rest) if rest.trim_start().starts_with('=') => {
                let value = rest.trim_start()[1..].trim();
                let path = value.trim_matches('"');
                let name = Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned());
                match name {
                    Some(name) if binaries.contains(&name.as_str()) => {
                        out.push_str(&format!("binary = \"{name}\""))
                    }
                    _ => bail!(
                        "demos/functions.toml:{}: the bundle has no function binary {value} (it has {})",
                        number + 1,
                        binaries.join(", ")
                    ),
                }
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_functions_name_their_binaries_beside_them() {
        let toml = "# comment\n[[function]]\nname = \"hello\"\nbinary = \"../target/release/bootstrap\"\nmemory_mb = 128\n";
        let bundled = bundled_functions(toml, &["bootstrap", "thumbnail-lambda"]).unwrap();
        assert_eq!(
            bundled,
            "# comment\n[[function]]\nname = \"hello\"\nbinary = \"bootstrap\"\nmemory_mb = 128\n"
        );
        let unknown = bundled_functions("binary = \"/usr/bin/other\"\n", &["bootstrap"]).unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "demos/functions.toml:1: the bundle has no function binary \"/usr/bin/other\" (it has bootstrap)"
        );
    }

    #[test]
    fn the_demo_functions_file_is_bundled_whole() {
        let root = crate::cmd::workspace_root();
        let toml = std::fs::read_to_string(root.join("demos/functions.toml")).unwrap();
        let binaries: Vec<&str> = Function::ALL.iter().map(|f| f.binary()).collect();
        let bundled = bundled_functions(&toml, &binaries).unwrap();
        assert_eq!(bundled.matches("binary = \"").count(), toml.matches("binary = \"").count());
    }
}
