//! A JSON value as pieces of text to highlight, the way the panels show a response: every piece
//! becomes a text node, so whatever an answer holds, it cannot become markup.
use serde_json::Value;

/// `value` pretty-printed as `(class, text)` pieces for highlighting: keys, strings, numbers and
/// literals get their own class, punctuation and layout are `json-punct`. The text is shown as
/// text nodes, so whatever a response contains, it cannot become markup.
pub fn json_tokens(value: &Value, max_tokens: usize) -> Vec<(&'static str, String)> {
    let mut tokens = Tokens { list: Vec::new(), max: max_tokens };
    tokens.value(value, 0);
    if tokens.full() {
        tokens.list.truncate(max_tokens);
        tokens.list.push(("json-punct", " …".to_owned()));
    }
    tokens.list
}

struct Tokens {
    list: Vec<(&'static str, String)>,
    max: usize,
}

impl Tokens {
    fn full(&self) -> bool {
        self.list.len() > self.max
    }

    fn push(&mut self, class: &'static str, text: String) {
        self.list.push((class, text));
    }

    /// Punctuation joins the piece before it when that is punctuation too.
    fn punct(&mut self, text: &str) {
        match self.list.last_mut() {
            Some(("json-punct", last)) => last.push_str(text),
            _ => self.push("json-punct", text.to_owned()),
        }
    }

    fn value(&mut self, value: &Value, depth: usize) {
        if self.full() {
            return;
        }
        match value {
            Value::Null => self.push("json-literal", "null".to_owned()),
            Value::Bool(b) => self.push("json-literal", b.to_string()),
            Value::Number(n) => self.push("json-number", n.to_string()),
            Value::String(s) => self.push("json-string", quoted(s)),
            Value::Array(items) if items.is_empty() => self.punct("[]"),
            Value::Object(fields) if fields.is_empty() => self.punct("{}"),
            Value::Array(items) => {
                self.punct("[");
                for (i, item) in items.iter().enumerate() {
                    self.item_start(i, depth + 1);
                    self.value(item, depth + 1);
                }
                self.close("]", depth);
            }
            Value::Object(fields) => {
                self.punct("{");
                for (i, (key, item)) in fields.iter().enumerate() {
                    self.item_start(i, depth + 1);
                    self.push("json-key", quoted(key));
                    self.punct(": ");
                    self.value(item, depth + 1);
                }
                self.close("}", depth);
            }
        }
    }

    fn item_start(&mut self, index: usize, depth: usize) {
        if index > 0 {
            self.punct(",");
        }
        self.punct("\n");
        self.punct(&"  ".repeat(depth));
    }

    fn close(&mut self, bracket: &str, depth: usize) {
        self.punct("\n");
        self.punct(&"  ".repeat(depth));
        self.punct(bracket);
    }
}

/// A JSON string literal, escaped as JSON escapes it.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_value_is_pretty_printed_in_classed_pieces() {
        let value =
            json!({"greeting": "<b>hi</b> \"you\"", "n": 3, "ok": true, "none": null, "list": [], "o": {}});
        let tokens = json_tokens(&value, 400);
        let text: String = tokens.iter().map(|(_, text)| text.as_str()).collect();
        assert_eq!(text, serde_json::to_string_pretty(&value).unwrap());
        assert!(tokens.contains(&("json-key", "\"greeting\"".to_owned())));
        assert!(tokens.contains(&("json-string", r#""<b>hi</b> \"you\"""#.to_owned())));
        assert!(tokens.contains(&("json-number", "3".to_owned())));
        assert!(tokens.contains(&("json-literal", "null".to_owned())));
        assert!(
            tokens.windows(2).all(|pair| pair[0].0 != "json-punct" || pair[1].0 != "json-punct"),
            "punctuation is merged into one piece"
        );
    }

    #[test]
    fn huge_values_are_cut_short() {
        let big = Value::Array((0..5000).map(|i| json!(i)).collect());
        let tokens = json_tokens(&big, 400);
        assert_eq!(tokens.len(), 401);
        assert_eq!(tokens.last().unwrap().1, " …");
    }
}
