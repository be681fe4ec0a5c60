//! The real AWS CLI against the Invoke API. The CLI comes from PATH, or is installed once with pip
//! into a virtualenv under `target/tools/awscli`; only if neither works is the test skipped, and it
//! says so.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use base64::Engine;
use serde_json::{json, Value};
use support::{aws_cli, binaries, function, Server};

struct Cli {
    aws: PathBuf,
    version_2: bool,
    endpoint: String,
    dir: tempfile::TempDir,
}

impl Cli {
    fn invoke(&self, function_name: &str, payload: &str, extra: &[&str]) -> (Output, Option<Value>) {
        let out = self.dir.path().join("out.json");
        let _ = std::fs::remove_file(&out);
        let mut command = Command::new(&self.aws);
        command
            .args(["lambda", "invoke", "--endpoint-url", &self.endpoint, "--function-name", function_name])
            .args(["--payload", payload])
            .args(extra)
            .arg(&out)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", self.dir.path().join("no-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.dir.path().join("no-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_PAGER", "");
        if self.version_2 {
            // Version 2 would otherwise expect the payload in base64.
            command.args(["--cli-binary-format", "raw-in-base64-out"]);
        }
        let output = command.output().expect("the aws CLI runs");
        let answer = std::fs::read(&out)
            .ok()
            .map(|bytes| serde_json::from_slice(&bytes).expect("JSON in the outfile"));
        (output, answer)
    }
}

#[test]
fn the_aws_cli_invokes_the_demo_function() {
    let Some(aws) = aws_cli() else {
        eprintln!("SKIPPED: the aws CLI is not installed and `pip install awscli` did not work here");
        return;
    };
    let version = Command::new(&aws).arg("--version").output().unwrap();
    let version =
        String::from_utf8_lossy(&version.stdout).to_string() + &String::from_utf8_lossy(&version.stderr);
    let server = Server::start(&function("hello", &binaries().hello, ""));
    let cli = Cli {
        aws,
        version_2: version.starts_with("aws-cli/2"),
        endpoint: server.base.clone(),
        dir: tempfile::tempdir().unwrap(),
    };

    // The demo is an HTTP function: a raw invoke sends it a Function URL (payload 2.0) event.
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "name=CLI",
        "headers": {"host": "localhost"},
        "requestContext": {
            "http": {"method": "GET", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "aws-cli"},
            "requestId": "cli", "routeKey": "$default", "stage": "$default", "timeEpoch": 0,
        },
        "isBase64Encoded": false,
    });
    let (output, answer) = cli.invoke("hello", &event.to_string(), &["--log-type", "Tail"]);
    assert!(output.status.success(), "{version}: {}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((&summary["StatusCode"], &summary["ExecutedVersion"]), (&json!(200), &json!("$LATEST")));
    let log =
        base64::engine::general_purpose::STANDARD.decode(summary["LogResult"].as_str().unwrap()).unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(log.contains("START RequestId: ") && log.contains("REPORT RequestId: "), "{log}");
    let answer = answer.expect("an answer");
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["greeting"], "Hello, CLI!");
    assert_eq!(body["cold_start"], true);

    // Any other JSON reaches the function as it is.
    let (output, answer) = cli.invoke("hello", "{}", &[]);
    assert!(output.status.success());
    assert_eq!(answer.expect("an answer")["greeting"], "Hello, world!");

    let (output, _) = cli.invoke("nope", "{}", &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ResourceNotFoundException") && stderr.contains("function:nope"), "{stderr}");
}
