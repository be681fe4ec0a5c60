//! The deploy artifacts, checked offline: the zips Lambda runs, the CloudFormation template that
//! `serverless package` produces, and the SAM template. `cargo xtask test` builds the zips,
//! installs the tools and runs these (`--ignored`, since they need all of that).
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn env_path(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} is not set: run `cargo xtask test`"))
}

const SERVICE_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// ELF machine numbers Lambda's two architectures need.
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const PT_INTERP: u32 = 3;

fn check_zip(zip: &Path, machine: u16) {
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

#[test]
#[ignore = "needs the Lambda zips: run by `cargo xtask test`"]
fn zips_hold_a_static_bootstrap_of_the_right_architecture() {
    check_zip(&env_path("DECK_LAMBDA_ZIP_ARM64"), EM_AARCH64);
    check_zip(&env_path("DECK_LAMBDA_ZIP_X86_64"), EM_X86_64);
}

/// `serverless package` for one architecture; returns the CloudFormation template.
fn serverless_package(arch: &str) -> Value {
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env_path("DECK_SERVERLESS"))
        .args(["package", &format!("--param=arch={arch}"), "--package"])
        .arg(out.path())
        .current_dir(SERVICE_DIR)
        // No AWS account is needed to package; keep the tool's own files out of the real HOME.
        .env("HOME", home.path())
        .env("SLS_TELEMETRY_DISABLED", "1")
        .env("SLS_NOTIFICATIONS_MODE", "off")
        .status()
        .unwrap();
    assert!(status.success(), "serverless package --param=arch={arch} failed");
    let template =
        std::fs::read_to_string(out.path().join("cloudformation-template-update-stack.json")).unwrap();
    serde_json::from_str(&template).unwrap()
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<&'a Value> {
    let resources = template["Resources"].as_object().expect("template has Resources");
    resources.values().filter(|r| r["Type"] == kind).collect()
}

#[test]
#[ignore = "needs npm serverless@3 and the zips: run by `cargo xtask test`"]
fn serverless_package_has_the_function_with_its_url_and_cors() {
    for arch in ["arm64", "x86_64"] {
        let template = serverless_package(arch);
        let functions = resources_of_type(&template, "AWS::Lambda::Function");
        assert_eq!(functions.len(), 1);
        let props = &functions[0]["Properties"];
        assert_eq!(props["Runtime"], "provided.al2023");
        assert_eq!(props["Handler"], "bootstrap");
        assert_eq!(props["Architectures"], serde_json::json!([arch]));

        let urls = resources_of_type(&template, "AWS::Lambda::Url");
        assert_eq!(urls.len(), 1, "a Function URL");
        let url = &urls[0]["Properties"];
        assert_eq!(url["AuthType"], "NONE");
        assert_eq!(url["Cors"]["AllowOrigins"], serde_json::json!(["*"]));
        let methods = url["Cors"]["AllowMethods"].as_array().unwrap();
        assert!(methods.iter().any(|m| m == "GET"), "{methods:?}");
    }
}

#[test]
#[ignore = "needs cfn-lint from PyPI and the zips: run by `cargo xtask test`"]
fn sam_template_passes_cfn_lint() {
    let output = Command::new(env_path("DECK_CFN_LINT"))
        .arg("template.yaml")
        .current_dir(SERVICE_DIR)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
