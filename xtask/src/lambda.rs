//! The demo function packaged for AWS Lambda (provided.al2023): a static musl `bootstrap` in a
//! zip, cross-linked with rust-lld so no C cross toolchain is needed.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::cmd::{run, step};
use crate::tools;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Arch {
    Arm64,
    #[value(name = "x86_64")]
    X86_64,
}

impl Arch {
    pub const ALL: [Arch; 2] = [Arch::Arm64, Arch::X86_64];

    pub fn name(self) -> &'static str {
        match self {
            Arch::Arm64 => "arm64",
            Arch::X86_64 => "x86_64",
        }
    }

    fn target(self) -> &'static str {
        match self {
            Arch::Arm64 => "aarch64-unknown-linux-musl",
            Arch::X86_64 => "x86_64-unknown-linux-musl",
        }
    }
}

/// Where `lambda_zip` writes, and where serverless.yml and template.yaml look.
pub fn zip_path(arch: Arch) -> PathBuf {
    crate::web::target_dir().join("lambda").join(format!("bootstrap-{}.zip", arch.name()))
}

pub fn lambda_zip(arch: Arch) -> Result<PathBuf> {
    let target = arch.target();
    ensure_target(target)?;
    step(&format!("building the demo function for Lambda {} ({target})", arch.name()));
    let var = target.to_uppercase().replace('-', "_");
    run(Command::new("cargo")
        .args(["build", "--release", "-p", "hello-lambda", "--target", target])
        .env(format!("CARGO_TARGET_{var}_LINKER"), "rust-lld")
        .env(format!("CARGO_TARGET_{var}_RUSTFLAGS"), "-Cstrip=symbols"))?;
    let binary = crate::web::target_dir().join(target).join("release/bootstrap");
    let zip = zip_path(arch);
    write_zip(&binary, &zip)?;
    eprintln!("    {} ({} KB)", zip.display(), std::fs::metadata(&zip)?.len() / 1024);
    Ok(zip)
}

/// The zip Lambda expects: one executable `bootstrap` at the root.
fn write_zip(binary: &Path, zip: &Path) -> Result<()> {
    let bytes = std::fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    std::fs::create_dir_all(zip.parent().context("zip path has a folder")?)?;
    let mut writer = zip::ZipWriter::new(std::fs::File::create(zip)?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    writer.start_file("bootstrap", options)?;
    writer.write_all(&bytes)?;
    writer.finish()?;
    Ok(())
}

fn ensure_target(target: &str) -> Result<()> {
    if tools::has_std("rustc", target) || tools::rustup_target_add(target) {
        return Ok(());
    }
    bail!("the {target} standard library is missing and `rustup target add {target}` did not work; install it and retry")
}

/// Builds both zips and checks them, `serverless package` and the SAM template offline.
pub fn test_deploy() -> Result<()> {
    // The musl standard libraries come only from rustup's servers, which a machine may not
    // reach; then these checks cannot run here, and say so loudly instead of failing the rest.
    if let Some(target) = Arch::ALL.map(Arch::target).into_iter().find(|t| ensure_target(t).is_err()) {
        step(&format!("SKIPPED the deploy checks: the {target} standard library cannot be installed here"));
        return Ok(());
    }
    let zips: Vec<PathBuf> = Arch::ALL.into_iter().map(lambda_zip).collect::<Result<_>>()?;
    let serverless = tools::ensure_npm_tool("serverless", "3", "serverless")?;
    let cfn_lint = tools::ensure_pip_tool("cfn-lint", "1.58.0")?;
    step("deploy checks: zips, `serverless package`, `cfn-lint`");
    run(Command::new("cargo")
        .args(["test", "-p", "hello-lambda", "--test", "deploy", "--", "--ignored"])
        .env("DECK_LAMBDA_ZIP_ARM64", std::path::absolute(&zips[0])?)
        .env("DECK_LAMBDA_ZIP_X86_64", std::path::absolute(&zips[1])?)
        .env("DECK_SERVERLESS", serverless)
        .env("DECK_CFN_LINT", cfn_lint))
}
