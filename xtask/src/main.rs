//! `cargo xtask`: the one entry point for build chores — install tools, build, serve, test.
mod bench;
mod cmd;
mod lambda;
mod pages;
mod pdf;
mod release;
mod site;
mod tools;
mod web;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use tools::ToolchainChoice;

#[derive(Parser)]
#[command(about = "Build, serve and test serverless-deck")]
struct Cli {
    /// How to get the wasm32 standard library: rustup's target, or Debian's rustc-web with
    /// build-std. `auto` tries what is installed, then rustup (bounded wait), then Debian.
    #[arg(long, global = true, env = "DECK_TOOLCHAIN", default_value = "auto")]
    toolchain: ToolchainChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build everything that is missing and serve the deck with the local Lambda platform.
    Serve {
        /// 0.0.0.0:8080 serves the room's network, with follow mode (devices open /follow).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Follow mode: auto (on beyond loopback), on, off.
        #[arg(long, default_value = "auto")]
        follow: String,
    },
    /// Hot-reloading development server (trunk serve); slides/ edits rebuild the deck.
    Dev {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
    },
    /// Build the deck as a static site into dist/.
    Dist {
        /// URL path the site is served under, e.g. /talk/.
        #[arg(long, default_value = "/")]
        public_url: String,
        /// A deployed Function URL (https://<id>.lambda-url.<region>.on.aws/) the panels call
        /// by default instead of the local platform, e.g. for GitHub Pages; `?lambda=` still wins.
        #[arg(long, value_name = "URL")]
        lambda: Option<String>,
        #[arg(long, default_value = "dist")]
        out: PathBuf,
    },
    /// Compile the slides and report every error as file:line.
    Check,
    /// Install every tool the build and tests need, and say which wasm toolchain is used.
    Setup,
    /// Measure load, navigation, overview, cost, cold start and warm calls against baselines
    /// (reveal.js, a static file, a bare spawn); prints a table and writes BENCHMARKS.md.
    Bench {
        /// Run this part alone and print its rows (BENCHMARKS.md is not written).
        #[arg(long, value_enum)]
        only: Option<bench::Part>,
    },
    /// Install what the tests need, then run all of them: native, wasm in Chromium, end-to-end.
    Test,
    /// Print the deck to a PDF with headless Chromium: one page per slide.
    Pdf {
        /// Follow each slide with a page of its speaker notes.
        #[arg(long)]
        notes: bool,
        #[arg(long, default_value = "target/deck.pdf")]
        out: PathBuf,
        /// Print this already built deck (from `cargo xtask dist`) instead of building one.
        #[arg(long)]
        dist: Option<PathBuf>,
    },
    /// Trunk's post-build hook (Trunk.toml): writes the talk into the built pages.
    #[command(hide = true)]
    Pages,
    /// The presenter's one file: a static `serverless-deck` per architecture with the deck and
    /// the demo functions inside, in target/release-bundle/ (with a .sha256 beside each).
    Release {
        /// One architecture; both when not given.
        #[arg(long, value_enum)]
        arch: Option<lambda::Arch>,
    },
    /// Build a demo function's deployable zip for AWS Lambda (provided.al2023).
    LambdaZip {
        #[arg(long, value_enum, default_value = "hello")]
        function: lambda::Function,
        #[arg(long, value_enum, default_value = "arm64")]
        arch: lambda::Arch,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = cmd::workspace_root();
    std::env::set_current_dir(&root)?;
    match cli.command {
        Command::Check => web::check_slides(),
        Command::Setup => tools::setup(cli.toolchain, tools::Needs::ALL).map(drop),
        Command::Dist { public_url, lambda, out } => {
            let tools = tools::setup(cli.toolchain, tools::Needs::BUILD)?;
            site::dist(&tools, &public_url, lambda.as_deref(), &out)
        }
        Command::Serve { addr, follow } => {
            let tools = tools::setup(cli.toolchain, tools::Needs::BUILD)?;
            web::serve(&tools, &addr, &follow)
        }
        Command::Dev { addr } => {
            let tools = tools::setup(cli.toolchain, tools::Needs::DEV)?;
            web::dev(&tools, &addr)
        }
        Command::Pages => pages::pages(),
        Command::Release { arch } => {
            let tools = tools::setup(cli.toolchain, tools::Needs::BUILD)?;
            let archs = arch.map_or(lambda::Arch::ALL.to_vec(), |arch| vec![arch]);
            release::release(&tools, &archs).map(drop)
        }
        Command::LambdaZip { function, arch } => lambda::lambda_zip(function, arch).map(drop),
        Command::Pdf { notes, out, dist } => {
            let tools = tools::setup(cli.toolchain, tools::Needs::TEST)?;
            pdf::pdf(&tools, &pdf::PdfOptions { notes, out, dist })
        }
        Command::Bench { only: Some(part) } => {
            let tools = tools::setup(cli.toolchain, tools::Needs::BUILD)?;
            bench::part(&tools, part)
        }
        Command::Bench { only: None } => {
            let tools = tools::setup(cli.toolchain, tools::Needs::TEST)?;
            bench::bench(&tools)
        }
        Command::Test => {
            let tools = tools::setup(cli.toolchain, tools::Needs::TEST)?;
            web::test(&tools)
        }
    }
}
