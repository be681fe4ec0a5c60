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
    fn command(&self) -> Command {
        let mut command = Command::new(&self.aws);
        command
            .args(["--endpoint-url", &self.endpoint])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", self.dir.path().join("no-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.dir.path().join("no-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_PAGER", "");
        command
    }

    /// `aws lambda <args>`, its JSON answer or its error text.
    fn lambda(&self, args: &[&str]) -> Result<Value, String> {
        let output = self.command().arg("lambda").args(args).output().expect("the aws CLI runs");
        if output.status.success() {
            Ok(serde_json::from_slice(&output.stdout).expect("JSON from the CLI"))
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    fn invoke(&self, function_name: &str, payload: &str, extra: &[&str]) -> (Output, Option<Value>) {
        let out = self.dir.path().join("out.json");
        let _ = std::fs::remove_file(&out);
        let mut command = self.command();
        command
            .args(["lambda", "invoke", "--function-name", function_name])
            .args(["--payload", payload])
            .args(extra)
            .arg(&out);
        if self.version_2 {
            // Version 2 would otherwise expect the payload in base64.
            command.args(["--cli-binary-format", "raw-in-base64-out"]);
        }
        let output = command.output().expect("the aws CLI runs");
        let answer = std::fs::read(&out)
            .ok()
            .filter(|bytes| !bytes.is_empty())
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
    // A bucket beside it, as in the demos: signed requests for `lambda` must not be taken for S3's.
    let server =
        Server::start(&(function("hello", &binaries().hello, "") + "\n[[bucket]]\nname = \"deck-photos\"\n"));
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

    // Event: queued (202), no answer; DryRun: checked only (204).
    let (output, answer) = cli.invoke("hello", "{}", &["--invocation-type", "Event"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["StatusCode"], 202);
    assert_eq!(answer, None, "an Event invocation answers with no payload");
    let (output, _) = cli.invoke("hello", "{}", &["--invocation-type", "DryRun"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&output.stdout).unwrap()["StatusCode"], 204);

    // What runs, as list-functions and get-function describe it.
    let listed = cli.lambda(&["list-functions"]).unwrap();
    let functions = listed["Functions"].as_array().unwrap();
    assert_eq!(functions.len(), 1, "{listed}");
    let hello = &functions[0];
    assert_eq!(hello["FunctionName"], "hello");
    assert_eq!(hello["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:hello");
    assert_eq!(
        (&hello["Runtime"], &hello["MemorySize"], &hello["Timeout"]),
        (&json!("provided.al2023"), &json!(128), &json!(3))
    );
    assert!(hello["CodeSize"].as_u64().unwrap() > 100_000, "{hello}");
    let environment = &hello["Environment"]["Variables"];
    assert!(
        environment.get("AWS_SECRET_ACCESS_KEY").is_none(),
        "the role's credentials are no setting: {environment}"
    );
    let got = cli.lambda(&["get-function", "--function-name", "hello"]).unwrap();
    assert_eq!(got["Configuration"], *hello);
    assert!(got["Code"]["Location"].as_str().unwrap().starts_with("file:///"), "{got}");
    let by_arn = cli.lambda(&[
        "get-function",
        "--function-name",
        "arn:aws:lambda:us-east-1:000000000000:function:hello",
    ]);
    assert_eq!(by_arn.unwrap()["Configuration"]["FunctionName"], "hello");
    let missing = cli.lambda(&["get-function", "--function-name", "nope"]).unwrap_err();
    assert!(missing.contains("ResourceNotFoundException") && missing.contains("function:nope"), "{missing}");
    let version = cli.lambda(&["get-function", "--function-name", "hello", "--qualifier", "7"]).unwrap_err();
    assert!(version.contains("ResourceNotFoundException"), "{version}");
}

#[test]
fn the_credentials_command_points_the_aws_cli_at_both_apis() {
    let Some(aws) = aws_cli() else {
        eprintln!("SKIPPED: the aws CLI is not installed and `pip install awscli` did not work here");
        return;
    };
    let server =
        Server::start(&(function("hello", &binaries().hello, "") + "\n[[bucket]]\nname = \"deck-photos\"\n"));
    let address = server.base.trim_start_matches("http://");
    let printed = Command::new(env!("CARGO_BIN_EXE_serverless-deck"))
        .args(["credentials", "--addr", address, "--data"])
        .arg(server.dir.path().join("data"))
        .output()
        .unwrap();
    let printed = String::from_utf8(printed.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // As `eval "$(serverless-deck credentials)"` would set them.
    let exports: Vec<(&str, &str)> =
        printed.lines().filter_map(|line| line.strip_prefix("export ")?.split_once('=')).collect();
    assert_eq!(exports.len(), 4, "{printed}");
    let run = |args: &[&str]| {
        Command::new(&aws)
            .args(args)
            .envs(exports.iter().copied())
            .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("no-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .output()
            .unwrap()
    };
    let file = dir.path().join("note.txt");
    std::fs::write(&file, "hello").unwrap();
    let copied = run(&["s3", "cp", file.to_str().unwrap(), "s3://deck-photos/note.txt"]);
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    let listed = run(&["s3", "ls", "s3://deck-photos/"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("note.txt"));
    let functions = run(&["lambda", "list-functions"]);
    assert!(functions.status.success(), "{}", String::from_utf8_lossy(&functions.stderr));
    assert!(String::from_utf8_lossy(&functions.stdout).contains("\"FunctionName\": \"hello\""));
}
