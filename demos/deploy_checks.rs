//! What the demo functions' deploy tests share (`tests/deploy.rs` of each, which include this
//! file as a module): the zip Lambda runs, `serverless package` without an AWS account, and
//! cfn-lint on the SAM template. `cargo xtask test` builds the zips, installs the tools and
//! passes their paths in the environment.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub fn env_path(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} is not set: run `cargo xtask test`"))
}

/// ELF machine numbers Lambda's two architectures need.
pub const EM_X86_64: u16 = 62;
pub const EM_AARCH64: u16 = 183;
const PT_INTERP: u32 = 3;

/// The zip holds one executable `bootstrap`: a 64-bit static ELF for `machine`.
pub fn check_zip(zip: &Path, machine: u16) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    assert_eq!(archive.len(), 1, "{}: exactly one file", zip.display());
    let mut entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "bootstrap");
    assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755), "bootstrap must be executable");
    let mut elf = Vec::new();
    entry.read_to_end(&mut elf).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "64-bit");
    assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), machine, "{}: ELF machine", zip.display());
    // Static: no program interpreter, so it runs on Amazon Linux 2023 whatever its glibc.
    let ph_offset = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let ph_size = u16::from_le_bytes([elf[0x36], elf[0x37]]) as usize;
    let ph_count = u16::from_le_bytes([elf[0x38], elf[0x39]]) as usize;
    let interp = (0..ph_count).any(|i| {
        let at = ph_offset + i * ph_size;
        u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) == PT_INTERP
    });
    assert!(!interp, "{}: bootstrap must be statically linked", zip.display());
}

/// `serverless package` of the service in `service_dir` with these `name=value` params;
/// returns the CloudFormation template.
pub fn serverless_package(service_dir: &str, params: &[&str]) -> Value {
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env_path("DECK_SERVERLESS"))
        .arg("package")
        .args(params.iter().map(|param| format!("--param={param}")))
        .arg("--package")
        .arg(out.path())
        .current_dir(service_dir)
        // No AWS account is needed to package; keep the tool's own files out of the real HOME.
        .env("HOME", home.path())
        .env("SLS_TELEMETRY_DISABLED", "1")
        .env("SLS_NOTIFICATIONS_MODE", "off")
        .status()
        .unwrap();
    assert!(status.success(), "serverless package {params:?} failed");
    let template =
        std::fs::read_to_string(out.path().join("cloudformation-template-update-stack.json")).unwrap();
    serde_json::from_str(&template).unwrap()
}

pub fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<&'a Value> {
    let resources = template["Resources"].as_object().expect("template has Resources");
    resources.values().filter(|r| r["Type"] == kind).collect()
}

/// cfn-lint passes the SAM template in `service_dir`, and the zips it names exist.
pub fn check_sam_template(service_dir: &str) {
    let output = Command::new(env_path("DECK_CFN_LINT"))
        .arg("template.yaml")
        .current_dir(service_dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // `sam deploy` uploads every local CodeUri, so each must be a zip `cargo xtask` builds.
    let template = std::fs::read_to_string(Path::new(service_dir).join("template.yaml")).unwrap();
    let code = template.lines().filter_map(|line| line.trim().strip_prefix("CodeUri:"));
    let mut zips = 0;
    for uri in code.map(str::trim) {
        assert!(uri.starts_with("../../target/lambda/") && uri.ends_with(".zip"), "CodeUri {uri}");
        assert!(Path::new(service_dir).join(uri).is_file(), "CodeUri {uri} does not exist");
        zips += 1;
    }
    assert_eq!(zips, 2, "one function per architecture");
}
