//! Paths into a provider's JSON, as the catalog writes them:
//! `properties.email` (object keys), `emailAddresses.0.value` (array index,
//! `-1` for the last), and `answers[type=email].email` (the first array
//! element whose sub-path has that value). Reading follows a path; writing
//! (the sandbox builds records with it) creates what is missing.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment<'a> {
    Key(&'a str),
    Index(i64),
    /// `name[sub.path=value]`
    Select {
        key: &'a str,
        path: &'a str,
        value: &'a str,
    },
}

fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'.' if depth == 0 => {
                out.push(segment(&path[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < path.len() {
        out.push(segment(&path[start..]));
    }
    out
}

fn segment(text: &str) -> Segment<'_> {
    if let (Some(open), true) = (text.find('['), text.ends_with(']')) {
        let inner = &text[open + 1..text.len() - 1];
        if let Some((path, value)) = inner.split_once('=') {
            return Segment::Select {
                key: &text[..open],
                path,
                value,
            };
        }
    }
    match text.parse::<i64>() {
        Ok(index) => Segment::Index(index),
        Err(_) => Segment::Key(text),
    }
}

fn index_in(len: usize, index: i64) -> Option<usize> {
    if index < 0 {
        len.checked_sub(index.unsigned_abs() as usize)
    } else {
        let index = index as usize;
        (index < len).then_some(index)
    }
}

/// The value at `path`, if there is one. An empty path is the value itself.
pub fn get<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    let mut current = value;
    for segment in segments(path) {
        current = match segment {
            Segment::Key(key) => current.get(key)?,
            Segment::Index(index) => {
                let items = current.as_array()?;
                &items[index_in(items.len(), index)?]
            }
            Segment::Select { key, path, value } => current
                .get(key)?
                .as_array()?
                .iter()
                .find(|item| get(item, path).and_then(text).as_deref() == Some(value))?,
        };
    }
    Some(current)
}

/// Takes the value at `path` out of `value`, leaving `null` in its place.
pub fn take(value: &mut Value, path: &str) -> Option<Value> {
    let mut current = value;
    for segment in segments(path) {
        current = match segment {
            Segment::Key(key) => current.get_mut(key)?,
            Segment::Index(index) => {
                let items = current.as_array_mut()?;
                let at = index_in(items.len(), index)?;
                &mut items[at]
            }
            Segment::Select { key, path, value } => current
                .get_mut(key)?
                .as_array_mut()?
                .iter_mut()
                .find(|item| get(item, path).and_then(text).as_deref() == Some(value))?,
        };
    }
    Some(current.take())
}

/// A scalar as text (strings as they are, numbers and booleans printed);
/// `None` for null, objects, arrays and empty strings.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The text at `path`.
pub fn get_text(value: &Value, path: &str) -> Option<String> {
    get(value, path).and_then(text)
}

/// Sets `path` to `new`, creating objects, arrays and selected elements on the way.
pub fn set(value: &mut Value, path: &str, new: Value) {
    let segments = segments(path);
    set_in(value, &segments, new);
}

fn set_in(current: &mut Value, segments: &[Segment<'_>], new: Value) {
    let Some((first, rest)) = segments.split_first() else {
        *current = new;
        return;
    };
    let child = match first {
        Segment::Key(key) => {
            if !current.is_object() {
                *current = Value::Object(Map::new());
            }
            let object = current.as_object_mut().expect("made an object");
            object
                .entry(key.to_string())
                .or_insert_with(|| empty_for(rest))
        }
        Segment::Index(index) => {
            if !current.is_array() {
                *current = Value::Array(Vec::new());
            }
            let items = current.as_array_mut().expect("made an array");
            let wanted = if *index < 0 {
                items.len().saturating_sub(1)
            } else {
                *index as usize
            };
            while items.len() <= wanted {
                items.push(empty_for(rest));
            }
            &mut items[wanted]
        }
        Segment::Select { key, path, value } => {
            if !current.is_object() {
                *current = Value::Object(Map::new());
            }
            let object = current.as_object_mut().expect("made an object");
            let list = object
                .entry(key.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            let items = list.as_array_mut().expect("made an array");
            let position = items
                .iter()
                .position(|item| get(item, path).and_then(text).as_deref() == Some(*value));
            let position = match position {
                Some(found) => found,
                None => {
                    let mut item = Value::Object(Map::new());
                    set(&mut item, path, Value::String(value.to_string()));
                    items.push(item);
                    items.len() - 1
                }
            };
            &mut items[position]
        }
    };
    set_in(child, rest, new);
}

fn empty_for(rest: &[Segment<'_>]) -> Value {
    match rest.first() {
        Some(Segment::Index(_)) => Value::Array(Vec::new()),
        Some(_) => Value::Object(Map::new()),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn takes_a_value_out_leaving_null() {
        let mut page = json!({"data": [{"id": 1}, {"id": 2}], "has_more": true});
        assert_eq!(take(&mut page, "data"), Some(json!([{"id": 1}, {"id": 2}])));
        assert_eq!(page, json!({"data": null, "has_more": true}));
        assert_eq!(take(&mut page, "missing.path"), None);
        let mut list = json!([{"id": 1}]);
        assert_eq!(take(&mut list, ""), Some(json!([{"id": 1}])));
        assert_eq!(list, Value::Null);
    }

    #[test]
    fn reads_keys_indexes_and_selections() {
        let record = json!({
            "properties": { "email": "ada@example.com" },
            "emailAddresses": [{ "value": "first@example.com" }, { "value": "last@example.com" }],
            "answers": [
                { "type": "text", "field": { "ref": "first_name" }, "text": "Ada" },
                { "type": "email", "email": "ada@forms.test" }
            ],
            "count": 3
        });
        assert_eq!(
            get_text(&record, "properties.email").unwrap(),
            "ada@example.com"
        );
        assert_eq!(
            get_text(&record, "emailAddresses.0.value").unwrap(),
            "first@example.com"
        );
        assert_eq!(
            get_text(&record, "emailAddresses.-1.value").unwrap(),
            "last@example.com"
        );
        assert_eq!(
            get_text(&record, "answers[type=email].email").unwrap(),
            "ada@forms.test"
        );
        assert_eq!(
            get_text(&record, "answers[field.ref=first_name].text").unwrap(),
            "Ada"
        );
        assert_eq!(get_text(&record, "count").unwrap(), "3");
        assert!(get(&record, "emailAddresses.5.value").is_none());
        assert!(get(&record, "properties.phone").is_none());
        assert!(
            get_text(&record, "properties").is_none(),
            "objects are not text"
        );
        assert_eq!(get(&record, ""), Some(&record));
    }

    #[test]
    fn writes_what_it_reads() {
        let mut record = json!({});
        for (path, value) in [
            ("properties.email", "ada@example.com"),
            ("emailAddresses.0.value", "ada@people.test"),
            ("answers[type=email].email", "ada@forms.test"),
            ("answers[field.ref=last_name].text", "Lovelace"),
            ("answers.first_name.textAnswers.answers.0.value", "ignored"),
        ] {
            let mut fresh = json!({});
            set(&mut fresh, path, json!(value));
            assert_eq!(get_text(&fresh, path).unwrap(), value, "{path}");
            if !path.starts_with("answers.") {
                set(&mut record, path, json!(value));
            }
        }
        assert_eq!(record["answers"].as_array().unwrap().len(), 2);
        assert_eq!(
            get_text(&record, "answers[field.ref=last_name].text").unwrap(),
            "Lovelace"
        );
    }
}
