//! What the deck's windows tell each other, and what follow mode carries through the local
//! server: the wire format shared by the browser (`src/sync.rs`, `src/follow.rs`) and the server
//! (`server/src/follow.rs`). Shared state is JSON values by key, e.g. `deck:position` or
//! `panel:3-1:history`.
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The key of the deck's position, shared like any panel state.
pub const POSITION_KEY: &str = "deck:position";

/// Keys under this prefix stay among the windows of one browser: follow mode does not send them
/// to the room (e.g. the follow status the speaker view shows).
pub const WINDOWS_ONLY: &str = "windows:";

/// One message between windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// A window has just connected and asks for the current state.
    Hello,
    /// Values of shared state by key: one on each change, all of them in answer to `Hello`.
    State { values: Vec<(String, Value)> },
}

impl Message {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_text(text: &str) -> Result<Message, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The server's answer to the presenter's `POST /api/follow`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowReply {
    /// Devices following now.
    pub followers: usize,
    /// In answer to `Hello`: the state the followers have, so a presenter's reloaded page
    /// catches up; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<(String, Value)>,
}

/// How to join, as the server tells the deck's "follow along" dialog (`GET /api/follow/join`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Join {
    /// The follow address for the room, as devices there reach this server.
    pub url: String,
    /// Devices following now.
    pub followers: usize,
}

/// The latest value of each key, in the order keys were first set. A list, not a map: a deck
/// shares a few dozen keys, and in the browser every generic map costs download size.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharedState(Vec<(String, Value)>);

impl SharedState {
    /// Records `values` in order (a later value for a key wins) and returns those that changed
    /// something, each key once with its final value.
    pub fn update(&mut self, values: Vec<(String, Value)>) -> Vec<(String, Value)> {
        let mut before: Vec<(String, Option<Value>)> = Vec::new();
        for (key, value) in values {
            let old = self.set(key.clone(), value);
            if !before.iter().any(|(seen, _)| *seen == key) {
                before.push((key, old));
            }
        }
        // Compared with the value before the batch: a key set there and back is no change.
        before
            .into_iter()
            .filter_map(|(key, old)| {
                let now = self.get(&key)?;
                (old.as_ref() != Some(now)).then(|| (key, now.clone()))
            })
            .collect()
    }

    /// Puts `older` beneath what is here: a key keeps its value here if it has one.
    pub fn underlay(&mut self, older: Vec<(String, Value)>) {
        for (key, value) in older {
            if !self.contains_key(&key) {
                self.0.push((key, value));
            }
        }
    }

    /// Sets one value; what the key had before.
    pub fn set(&mut self, key: String, value: Value) -> Option<Value> {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(index).1)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, value)| value)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every value.
    pub fn snapshot(&self) -> Vec<(String, Value)> {
        self.0.clone()
    }

    /// Every value, leaving this empty.
    pub fn take(&mut self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.0)
    }
}

/// What a presenter's page has yet to send to the room: a hello, and the latest value of each
/// key changed since the last send. One request at a time takes it all, so changes made during a
/// slow request go out merged and in order, never overtaking each other.
#[derive(Debug, Default)]
pub struct Outbox {
    hello: bool,
    values: SharedState,
}

impl Outbox {
    /// Queues a message; values under [`WINDOWS_ONLY`] stay out.
    pub fn push(&mut self, message: &Message) {
        match message {
            Message::Hello => self.hello = true,
            Message::State { values } => {
                let for_the_room = values.iter().filter(|(key, _)| !key.starts_with(WINDOWS_ONLY));
                self.values.update(for_the_room.cloned().collect());
            }
        }
    }

    /// The next message to send: the hello first (its answer may change what is held), then
    /// every queued value in one message.
    pub fn take(&mut self) -> Option<Message> {
        if std::mem::take(&mut self.hello) {
            Some(Message::Hello)
        } else if !self.values.is_empty() {
            Some(Message::State { values: self.values.take() })
        } else {
            None
        }
    }

    /// A message that failed goes back, beneath anything queued since.
    pub fn put_back(&mut self, message: Message) {
        match message {
            Message::Hello => self.hello = true,
            Message::State { values } => self.values.underlay(values),
        }
    }

    pub fn clear(&mut self) {
        *self = Outbox::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(values: &[(&str, Value)]) -> Vec<(String, Value)> {
        values.iter().map(|(key, value)| (key.to_string(), value.clone())).collect()
    }

    #[test]
    fn messages_are_tagged_json() {
        assert_eq!(Message::Hello.to_text(), r#"{"type":"hello"}"#);
        let state = Message::State { values: pairs(&[(POSITION_KEY, json!({"slide": 3, "step": 1}))]) };
        assert_eq!(state.to_text(), r#"{"type":"state","values":[["deck:position",{"slide":3,"step":1}]]}"#);
        assert_eq!(Message::from_text(&state.to_text()).unwrap(), state);
        assert!(Message::from_text(r#"{"type":"drive"}"#).is_err());
        assert!(Message::from_text(r#"{"type":"state","values":{"a":1}}"#).is_err());
    }

    #[test]
    fn replies_leave_out_empty_values() {
        let reply = FollowReply { followers: 2, values: Vec::new() };
        assert_eq!(serde_json::to_string(&reply).unwrap(), r#"{"followers":2}"#);
        assert_eq!(serde_json::from_str::<FollowReply>(r#"{"followers":2}"#).unwrap(), reply);
    }

    #[test]
    fn the_join_answer_round_trips() {
        let join = Join { url: "http://192.168.1.20:8080/follow".into(), followers: 3 };
        let text = serde_json::to_string(&join).unwrap();
        assert_eq!(text, r#"{"url":"http://192.168.1.20:8080/follow","followers":3}"#);
        assert_eq!(serde_json::from_str::<Join>(&text).unwrap(), join);
    }

    #[test]
    fn update_returns_only_what_changed_with_the_last_value_of_each_key() {
        let mut state = SharedState::default();
        let first = state.update(pairs(&[("a", json!(1)), ("b", json!(2))]));
        assert_eq!(first, pairs(&[("a", json!(1)), ("b", json!(2))]));
        assert_eq!(state.update(pairs(&[("a", json!(1))])), Vec::new(), "the same value is no news");
        let batch = state.update(pairs(&[("b", json!(3)), ("c", json!(4)), ("b", json!(5))]));
        assert_eq!(batch, pairs(&[("b", json!(5)), ("c", json!(4))]));
        assert_eq!(state.update(pairs(&[("a", json!(9)), ("a", json!(1))])), Vec::new(), "there and back");
        assert_eq!(state.snapshot(), pairs(&[("a", json!(1)), ("b", json!(5)), ("c", json!(4))]));
    }

    #[test]
    fn the_outbox_merges_what_piles_up_and_sends_hello_first() {
        let mut outbox = Outbox::default();
        assert_eq!(outbox.take(), None);
        for slide in 1..=3 {
            outbox.push(&Message::State { values: pairs(&[(POSITION_KEY, json!(slide))]) });
        }
        outbox.push(&Message::State { values: pairs(&[("panel:2-1:name", json!("Ada"))]) });
        outbox.push(&Message::Hello);
        assert_eq!(outbox.take(), Some(Message::Hello));
        let batch =
            Message::State { values: pairs(&[(POSITION_KEY, json!(3)), ("panel:2-1:name", json!("Ada"))]) };
        assert_eq!(outbox.take(), Some(batch));
        assert_eq!(outbox.take(), None);
    }

    #[test]
    fn a_failed_send_goes_back_beneath_newer_changes() {
        let mut outbox = Outbox::default();
        outbox.push(&Message::State { values: pairs(&[(POSITION_KEY, json!(4)), ("panel:a", json!(1))]) });
        let failed = outbox.take().unwrap();
        outbox.push(&Message::State { values: pairs(&[(POSITION_KEY, json!(5))]) });
        outbox.put_back(failed);
        let retry = Message::State { values: pairs(&[(POSITION_KEY, json!(5)), ("panel:a", json!(1))]) };
        assert_eq!(outbox.take(), Some(retry), "the newer position wins, the older panel value is kept");
        outbox.put_back(Message::Hello);
        assert_eq!(outbox.take(), Some(Message::Hello));
    }

    #[test]
    fn windows_only_values_stay_out_of_the_room() {
        let mut outbox = Outbox::default();
        let lead = format!("{WINDOWS_ONLY}follow-lead");
        outbox.push(&Message::State { values: pairs(&[(&lead, json!("live")), (POSITION_KEY, json!(1))]) });
        assert_eq!(outbox.take(), Some(Message::State { values: pairs(&[(POSITION_KEY, json!(1))]) }));
        outbox.push(&Message::State { values: pairs(&[(&lead, json!("off"))]) });
        assert_eq!(outbox.take(), None);
        outbox.push(&Message::Hello);
        outbox.clear();
        assert_eq!(outbox.take(), None);
    }

    #[test]
    fn underlay_keeps_newer_values() {
        let mut newer = SharedState::default();
        newer.update(pairs(&[("a", json!("new"))]));
        newer.underlay(pairs(&[("a", json!("old")), ("b", json!("old"))]));
        assert_eq!(newer.take(), pairs(&[("a", json!("new")), ("b", json!("old"))]));
        assert!(newer.is_empty());
    }

    #[test]
    fn set_and_remove_say_what_was_there() {
        let mut state = SharedState::default();
        assert_eq!(state.set("a".into(), json!(1)), None);
        assert_eq!(state.set("a".into(), json!(2)), Some(json!(1)));
        assert_eq!(state.remove("a"), Some(json!(2)));
        assert_eq!(state.remove("a"), None);
        assert!(state.is_empty());
    }
}
