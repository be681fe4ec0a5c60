//! The deploy artifacts, checked offline: the zips Lambda runs, the CloudFormation template that
//! `serverless package` produces (the function, its bucket and the bucket's notification, the
//! role limited to that bucket, CORS, the ticket Function URL), and the SAM template.
//! `cargo xtask test` builds the zips, installs the tools and runs these (`--ignored`, since
//! they need all of that).
#[path = "../../deploy_checks.rs"]
mod deploy_checks;

use deploy_checks::{env_path, resources_of_type, EM_AARCH64, EM_X86_64};
use serde_json::{json, Value};

const SERVICE_DIR: &str = env!("CARGO_MANIFEST_DIR");
/// Without credentials Serverless cannot look up the account the default name carries.
const BUCKET: &str = "deck-photos-test";

#[test]
#[ignore = "needs the Lambda zips: run by `cargo xtask test`"]
fn zips_hold_a_static_bootstrap_of_the_right_architecture() {
    deploy_checks::check_zip(&env_path("DECK_LAMBDA_ZIP_ARM64"), EM_AARCH64);
    deploy_checks::check_zip(&env_path("DECK_LAMBDA_ZIP_X86_64"), EM_X86_64);
}

/// The one resource of `kind` for which `matches` holds.
fn only<'a>(template: &'a Value, kind: &str, matches: impl Fn(&Value) -> bool) -> &'a Value {
    let found: Vec<_> = resources_of_type(template, kind).into_iter().filter(|r| matches(r)).collect();
    assert_eq!(found.len(), 1, "one {kind}: {found:#?}");
    &found[0]["Properties"]
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(one) => vec![one],
        Value::Array(many) => many.iter().map(|v| v.as_str().expect("a string")).collect(),
        other => panic!("not a string or a list of them: {other}"),
    }
}

/// The S3 actions the function's role allows, each with the resources it allows them on.
fn s3_grants(template: &Value) -> Vec<(String, String)> {
    let role = only(template, "AWS::IAM::Role", |_| true);
    let mut grants = Vec::new();
    for policy in role["Policies"].as_array().unwrap() {
        for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            for action in strings(&statement["Action"]) {
                if action.starts_with("s3:") || action == "*" {
                    // Names, not references: a reference to the bucket would be a cycle.
                    for resource in strings(&statement["Resource"]) {
                        grants.push((action.to_owned(), resource.to_owned()));
                    }
                }
            }
        }
    }
    grants.sort();
    grants
}

#[test]
#[ignore = "needs npm serverless@3 and the zips: run by `cargo xtask test`"]
fn serverless_package_has_the_function_its_bucket_role_cors_and_url() {
    for (arch, origin) in [("arm64", "*"), ("x86_64", "https://deck.example")] {
        let mut params = vec![format!("arch={arch}"), format!("bucket={BUCKET}")];
        if origin != "*" {
            params.push(format!("deckOrigin={origin}"));
        }
        let params: Vec<&str> = params.iter().map(String::as_str).collect();
        let template = deploy_checks::serverless_package(SERVICE_DIR, &params);

        let function = only(&template, "AWS::Lambda::Function", |_| true);
        assert_eq!(function["Runtime"], "provided.al2023");
        assert_eq!(function["Handler"], "bootstrap");
        assert_eq!(function["Architectures"], json!([arch]));
        assert_eq!(function["MemorySize"], 512);
        assert_eq!(function["Timeout"], 30);
        let variables = &function["Environment"]["Variables"];
        assert_eq!(variables["UPLOAD_BUCKET"], BUCKET);
        assert_eq!(variables["UPLOAD_MAX_MB"], "20");
        let function_arn = json!({ "Fn::GetAtt": ["ThumbnailLambdaFunction", "Arn"] });
        let log_group = only(&template, "AWS::Logs::LogGroup", |_| true);
        assert_eq!(log_group["RetentionInDays"], 7);

        // The bucket, and what an upload under `uploads/` sets off.
        let bucket = only(&template, "AWS::S3::Bucket", |b| b["Properties"]["BucketName"] == BUCKET);
        let notifications = bucket["NotificationConfiguration"]["LambdaConfigurations"].as_array().unwrap();
        assert_eq!(
            notifications,
            &[json!({
                "Event": "s3:ObjectCreated:*",
                "Function": function_arn,
                "Filter": { "S3Key": { "Rules": [{ "Name": "prefix", "Value": "uploads/" }] } },
            })]
        );
        let invoke = only(&template, "AWS::Lambda::Permission", |p| {
            p["Properties"]["Principal"] == "s3.amazonaws.com"
        });
        assert_eq!(invoke["Action"], "lambda:InvokeFunction");
        let source = invoke["SourceArn"].to_string();
        assert!(source.contains(&format!(":s3:::{BUCKET}\"")), "{source}");

        // The browser PUTs with its ticket, then GETs the results: from the deck's origin.
        let cors = &bucket["CorsConfiguration"]["CorsRules"];
        assert_eq!(cors.as_array().unwrap().len(), 1, "{cors}");
        assert_eq!(cors[0]["AllowedOrigins"], json!([origin]));
        let mut methods = strings(&cors[0]["AllowedMethods"]);
        methods.sort();
        assert_eq!(methods, ["GET", "PUT"]);
        let headers = strings(&cors[0]["AllowedHeaders"]);
        assert!(headers.iter().any(|h| h.eq_ignore_ascii_case("content-type")), "{headers:?}");

        // The role reaches this bucket's two prefixes, and nothing else in S3.
        let at = |prefix: &str| format!("arn:aws:s3:::{BUCKET}/{prefix}/*");
        let grant = |action: &str, prefix: &str| (action.to_owned(), at(prefix));
        assert_eq!(
            s3_grants(&template),
            [
                grant("s3:GetObject", "thumbnails"),
                grant("s3:GetObject", "uploads"),
                grant("s3:PutObject", "thumbnails"),
                grant("s3:PutObject", "uploads"),
            ]
        );

        // The ticket Function URL: public, and callable from the deck's origin.
        let url = only(&template, "AWS::Lambda::Url", |_| true);
        assert_eq!(url["AuthType"], "NONE");
        assert_eq!(url["Cors"]["AllowOrigins"], json!([origin]));
        assert_eq!(url["Cors"]["AllowMethods"], json!(["POST"]));
        only(&template, "AWS::Lambda::Permission", |p| {
            p["Properties"]["Action"] == "lambda:InvokeFunction"
                && p["Properties"]["InvokedViaFunctionUrl"] == true
                && p["Properties"]["FunctionName"] == function_arn
        });
        let outputs = &template["Outputs"];
        assert_eq!(outputs["ThumbnailLambdaFunctionUrl"]["Value"]["Fn::GetAtt"][1], "FunctionUrl");
        assert_eq!(outputs["UploadBucket"]["Value"], BUCKET);
    }
}

#[test]
#[ignore = "needs cfn-lint from PyPI and the zips: run by `cargo xtask test`"]
fn sam_template_passes_cfn_lint() {
    deploy_checks::check_sam_template(SERVICE_DIR);
}
