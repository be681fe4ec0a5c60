//! The deploy artifacts, checked offline: the zips Lambda runs, the CloudFormation template that
//! `serverless package` produces, and the SAM template. `cargo xtask test` builds the zips,
//! installs the tools and runs these (`--ignored`, since they need all of that).
#[path = "../../deploy_checks.rs"]
mod deploy_checks;

use deploy_checks::{env_path, resources_of_type, EM_AARCH64, EM_X86_64};

const SERVICE_DIR: &str = env!("CARGO_MANIFEST_DIR");

#[test]
#[ignore = "needs the Lambda zips: run by `cargo xtask test`"]
fn zips_hold_a_static_bootstrap_of_the_right_architecture() {
    deploy_checks::check_zip(&env_path("DECK_LAMBDA_ZIP_ARM64"), EM_AARCH64);
    deploy_checks::check_zip(&env_path("DECK_LAMBDA_ZIP_X86_64"), EM_X86_64);
}

#[test]
#[ignore = "needs npm serverless@3 and the zips: run by `cargo xtask test`"]
fn serverless_package_has_the_function_with_its_url_and_cors() {
    for arch in ["arm64", "x86_64"] {
        let template = deploy_checks::serverless_package(SERVICE_DIR, &[&format!("arch={arch}")]);
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
    deploy_checks::check_sam_template(SERVICE_DIR);
}
