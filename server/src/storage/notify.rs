//! S3 event notifications: which of a bucket's changes reach which function (the rules
//! functions.toml declares, read as S3 reads a notification configuration), and the event JSON
//! the function receives, in S3's own shape.
use serde_json::{json, Value};

use crate::clock::UtcTime;
use crate::platform::config::NotificationConfig;

/// The event types a rule may name.
pub const EVENT_TYPES: &[&str] = &[
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
];

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Put,
    Copy,
    CompleteMultipartUpload,
    Delete,
}

impl Change {
    /// The record's `eventName`.
    pub fn event_name(self) -> &'static str {
        match self {
            Change::Put => "ObjectCreated:Put",
            Change::Copy => "ObjectCreated:Copy",
            Change::CompleteMultipartUpload => "ObjectCreated:CompleteMultipartUpload",
            Change::Delete => "ObjectRemoved:Delete",
        }
    }
}

/// Whether the event type `pattern` (`s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, …) covers `name`.
fn covers(pattern: &str, name: &str) -> bool {
    let pattern = pattern.strip_prefix("s3:").unwrap_or(pattern);
    match pattern.strip_suffix('*') {
        Some(family) => name.starts_with(family),
        None => pattern == name,
    }
}

impl NotificationConfig {
    pub fn matches(&self, change: Change, key: &str) -> bool {
        self.events.iter().any(|pattern| covers(pattern, change.event_name()))
            && key.starts_with(&self.prefix)
            && key.ends_with(&self.suffix)
    }
}

/// Whether one change could match both rules, which S3 refuses in one configuration.
pub fn overlap(a: &NotificationConfig, b: &NotificationConfig) -> bool {
    let names = |rule: &NotificationConfig| -> Vec<&'static str> {
        [Change::Put, Change::Copy, Change::CompleteMultipartUpload, Change::Delete]
            .into_iter()
            .map(Change::event_name)
            .chain(["ObjectCreated:Post"])
            .filter(|name| rule.events.iter().any(|pattern| covers(pattern, name)))
            .collect()
    };
    let shared_event = names(a).iter().any(|name| names(b).contains(name));
    let prefixes = a.prefix.starts_with(&b.prefix) || b.prefix.starts_with(&a.prefix);
    let suffixes = a.suffix.ends_with(&b.suffix) || b.suffix.ends_with(&a.suffix);
    shared_event && prefixes && suffixes
}

/// One change to one object, as the S3 API saw it.
#[derive(Debug, Clone)]
pub struct ObjectChange {
    pub bucket: String,
    pub key: String,
    pub change: Change,
    /// For created objects.
    pub size: Option<u64>,
    pub etag: Option<String>,
    /// Orders the changes to one key (S3's `sequencer`).
    pub sequencer: u64,
    pub time: UtcTime,
    pub source_ip: String,
    pub request_id: String,
}

/// The event S3 sends a function for `change` under `rule`: one record, the key URL-encoded as
/// S3 encodes it (a space is `+`).
pub fn event(change: &ObjectChange, rule: &NotificationConfig, region: &str) -> Value {
    let mut object = json!({
        "key": form_urlencoded::byte_serialize(change.key.as_bytes()).collect::<String>().replace("%2F", "/"),
        "sequencer": format!("{:016X}", change.sequencer),
    });
    if let Some(size) = change.size {
        object["size"] = json!(size);
    }
    if let Some(etag) = &change.etag {
        object["eTag"] = json!(etag.trim_matches('"'));
    }
    let t = change.time;
    json!({ "Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis),
        "eventName": change.change.event_name(),
        "userIdentity": { "principalId": "serverless-deck" },
        "requestParameters": { "sourceIPAddress": change.source_ip },
        "responseElements": { "x-amz-request-id": change.request_id, "x-amz-id-2": change.request_id },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": rule.id,
            "bucket": {
                "name": change.bucket,
                "ownerIdentity": { "principalId": "serverless-deck" },
                "arn": format!("arn:aws:s3:::{}", change.bucket),
            },
            "object": object,
        },
    }]})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(events: &[&str], prefix: &str, suffix: &str) -> NotificationConfig {
        NotificationConfig {
            events: events.iter().map(|e| e.to_string()).collect(),
            prefix: prefix.into(),
            suffix: suffix.into(),
            function: "thumbnail".into(),
            id: "photos-thumbnail-1".into(),
        }
    }

    #[test]
    fn rules_match_by_event_type_prefix_and_suffix() {
        let created = rule(&["s3:ObjectCreated:*"], "uploads/", ".jpg");
        assert!(created.matches(Change::Put, "uploads/a.jpg"));
        assert!(created.matches(Change::CompleteMultipartUpload, "uploads/big.jpg"));
        assert!(!created.matches(Change::Delete, "uploads/a.jpg"));
        assert!(!created.matches(Change::Put, "thumbnails/a.jpg"), "outside the prefix");
        assert!(!created.matches(Change::Put, "uploads/a.png"), "another suffix");
        let put_only = rule(&["s3:ObjectCreated:Put"], "", "");
        assert!(put_only.matches(Change::Put, "x") && !put_only.matches(Change::Copy, "x"));
        assert!(rule(&["s3:ObjectRemoved:*"], "", "").matches(Change::Delete, "x"));
    }

    #[test]
    fn overlapping_rules_are_those_one_change_could_match_twice() {
        let all = rule(&["s3:ObjectCreated:*"], "uploads/", "");
        assert!(overlap(&all, &rule(&["s3:ObjectCreated:Put"], "uploads/cats/", ".jpg")));
        assert!(overlap(&all, &rule(&["s3:ObjectCreated:*"], "", "")));
        assert!(!overlap(&all, &rule(&["s3:ObjectRemoved:*"], "uploads/", "")));
        assert!(!overlap(&all, &rule(&["s3:ObjectCreated:*"], "thumbnails/", "")));
        assert!(!overlap(
            &rule(&["s3:ObjectCreated:*"], "", ".jpg"),
            &rule(&["s3:ObjectCreated:*"], "", ".png")
        ));
    }

    #[test]
    fn the_event_has_s3s_shape_with_the_key_url_encoded() {
        let change = ObjectChange {
            bucket: "deck-photos".into(),
            key: "uploads/7f/My cat+1.jpg".into(),
            change: Change::Put,
            size: Some(1024),
            etag: Some("\"d41d8cd98f00b204e9800998ecf8427e\"".into()),
            sequencer: 0x5e,
            time: UtcTime { year: 2026, month: 12, day: 2, hour: 18, minute: 5, second: 9, millis: 7 },
            source_ip: "127.0.0.1".into(),
            request_id: "C3D13FE58DE4C810".into(),
        };
        let event = event(&change, &rule(&["s3:ObjectCreated:*"], "uploads/", ""), "us-east-1");
        let record = &event["Records"][0];
        assert_eq!(record["eventSource"], "aws:s3");
        assert_eq!(record["eventName"], "ObjectCreated:Put");
        assert_eq!(record["eventTime"], "2026-12-02T18:05:09.007Z");
        assert_eq!(record["s3"]["configurationId"], "photos-thumbnail-1");
        assert_eq!(record["s3"]["bucket"]["arn"], "arn:aws:s3:::deck-photos");
        let object = &record["s3"]["object"];
        assert_eq!(object["key"], "uploads/7f/My+cat%2B1.jpg");
        assert_eq!(object["size"], 1024);
        assert_eq!(object["eTag"], "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(object["sequencer"], "000000000000005E");
        let removed = ObjectChange { change: Change::Delete, size: None, etag: None, ..change };
        let event = super::event(&removed, &rule(&["s3:ObjectRemoved:*"], "", ""), "us-east-1");
        assert!(event["Records"][0]["s3"]["object"].get("size").is_none());
    }
}
