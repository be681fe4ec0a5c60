//! The demo functions packaged for AWS Lambda (provided.al2023): a static musl `bootstrap` in a
//! zip, cross-linked with rust-lld so no C cross toolchain is needed. The thumbnail function's
//! TLS (rustls with ring) has C and assembly, which clang compiles for either target.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::cmd::{run, step, target_dir};
use crate::tools;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Arch {
    Arm64,
    #[value(name = "x86_64")]
    X86_64,
}

impl Arch {
    pub const ALL: [Arch; 2] = [Arch::Arm64, Arch::X86_64];

    /// This machine's, for what runs here (the release binary in the tests).
    pub fn host() -> Arch {
        if cfg!(target_arch = "aarch64") {
            Arch::Arm64
        } else {
            Arch::X86_64
        }
    }

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

/// The functions with deploy files (`demos/<package>/serverless.yml` and `template.yaml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Function {
    /// The HTTP demo (`demos/hello-lambda`).
    Hello,
    /// The S3-triggered thumbnail demo and its upload tickets (`demos/thumbnail-lambda`).
    Thumbnail,
}

impl Function {
    pub const ALL: [Function; 2] = [Function::Hello, Function::Thumbnail];

    pub fn package(self) -> &'static str {
        match self {
            Function::Hello => "hello-lambda",
            Function::Thumbnail => "thumbnail-lambda",
        }
    }

    /// The binary cargo builds, which the zip holds as `bootstrap`.
    pub fn binary(self) -> &'static str {
        match self {
            Function::Hello => "bootstrap",
            Function::Thumbnail => "thumbnail-lambda",
        }
    }

    /// The zip's name before `-<arch>.zip`, as the function's deploy files spell it.
    fn zip_stem(self) -> &'static str {
        match self {
            Function::Hello => "bootstrap",
            Function::Thumbnail => "thumbnail",
        }
    }

    /// Whether its dependencies compile C: ring (rustls' cryptography) does.
    pub fn needs_c_compiler(self) -> bool {
        self == Function::Thumbnail
    }
}

/// Where `lambda_zip` writes, and where the function's serverless.yml and template.yaml look.
pub fn zip_path(function: Function, arch: Arch) -> PathBuf {
    target_dir().join("lambda").join(format!("{}-{}.zip", function.zip_stem(), arch.name()))
}

pub fn lambda_zip(function: Function, arch: Arch) -> Result<PathBuf> {
    let binary = static_binary(function.package(), function.binary(), arch, function.needs_c_compiler())?;
    let zip = zip_path(function, arch);
    write_zip(&binary, &zip)?;
    eprintln!("    {} ({} KB)", zip.display(), std::fs::metadata(&zip)?.len() / 1024);
    Ok(zip)
}

/// The server and the demo functions as this machine's ordinary release builds: what `serve`,
/// `dev`, the bench and the end-to-end tests run.
pub fn build_native() -> Result<()> {
    step("building the server and the demo functions (release)");
    run(Command::new("cargo").args([
        "build",
        "--release",
        "-p",
        "serverless-deck",
        "-p",
        "hello-lambda",
        "-p",
        "thumbnail-lambda",
    ]))
}

/// Builds `binary` of `package` as a static, stripped musl executable for `arch` (a Lambda
/// `bootstrap`, or the release server) and returns its path. `c_code`: its dependencies compile
/// C, which clang does for either target.
pub fn static_binary(package: &str, binary: &str, arch: Arch, c_code: bool) -> Result<PathBuf> {
    let target = arch.target();
    ensure_target(target)?;
    step(&format!("building {package} as a static {} binary ({target})", arch.name()));
    let var = target.to_uppercase().replace('-', "_");
    let mut build = Command::new("cargo");
    build
        .args(["build", "--release", "-p", package, "--bin", binary, "--target", target])
        .env(format!("CARGO_TARGET_{var}_LINKER"), "rust-lld")
        .env(format!("CARGO_TARGET_{var}_RUSTFLAGS"), "-Cstrip=symbols");
    if c_code {
        // One compiler for both targets: cc-rs passes clang `--target=<target>`, and ring's
        // C and assembly need no C library headers, so no musl or cross sysroot either.
        tools::ensure_clang()?;
        build.env(format!("CC_{}", target.replace('-', "_")), "clang");
    }
    run(&mut build)?;
    Ok(target_dir().join(target).join("release").join(binary))
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

/// Whether static binaries for `arch` can be built here (its musl standard library is, or can
/// be, installed).
pub fn can_build_static(arch: Arch) -> bool {
    ensure_target(arch.target()).is_ok()
}

fn ensure_target(target: &str) -> Result<()> {
    if tools::has_std("rustc", target) || tools::rustup_target_add(target) {
        return Ok(());
    }
    bail!("the {target} standard library is missing and `rustup target add {target}` did not work; install it and retry")
}

/// Builds both functions' zips and checks them, `serverless package` and the SAM templates
/// offline.
pub fn test_deploy() -> Result<()> {
    // The musl standard libraries come only from rustup's servers, which a machine may not
    // reach; then these checks cannot run here, and say so loudly instead of failing the rest.
    if let Some(target) = Arch::ALL.map(Arch::target).into_iter().find(|t| ensure_target(t).is_err()) {
        step(&format!("SKIPPED the deploy checks: the {target} standard library cannot be installed here"));
        return Ok(());
    }
    let serverless = tools::ensure_npm_tool("serverless", "3", "serverless")?;
    let cfn_lint = tools::ensure_pip_tool("cfn-lint", "1.58.0")?;
    for function in Function::ALL {
        let mut zips = Vec::new();
        for arch in Arch::ALL {
            zips.push(std::path::absolute(lambda_zip(function, arch)?)?);
        }
        let package = function.package();
        step(&format!("deploy checks of {package}: zips, `serverless package`, `cfn-lint`"));
        run(Command::new("cargo")
            .args(["test", "-p", package, "--test", "deploy", "--", "--ignored"])
            .env("DECK_LAMBDA_ZIP_ARM64", &zips[0])
            .env("DECK_LAMBDA_ZIP_X86_64", &zips[1])
            .env("DECK_SERVERLESS", &serverless)
            .env("DECK_CFN_LINT", &cfn_lint))?;
    }
    Ok(())
}
