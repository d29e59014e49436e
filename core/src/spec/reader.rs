//! Typed reads of the node tree that record an error, with its position and path, instead of
//! stopping. Every read returns `None` when the value is unusable (the error is already
//! recorded), so the compiler carries on and reports the next problem too.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;

use super::compile::ConfigError;
use super::interpolate::interpolate;
use super::node::{Key, Node, Pos, Value};
use super::raw::keys_of;
use super::suggest::closest;
use super::units::{DURATION_FORM, SIZE_FORM, parse_duration, parse_number, parse_size};

pub struct Reader<'e> {
    env: &'e dyn Fn(&str) -> Option<String>,
    pub errors: Vec<ConfigError>,
}

/// The keys of one YAML mapping, already checked against the raw type that describes it.
pub struct Fields<'n> {
    path: String,
    pos: Pos,
    entries: Vec<(&'n Key, &'n Node)>,
    /// Known keys that an unknown key was reported as a likely typo of.
    suggested: Vec<String>,
}

impl<'n> Fields<'n> {
    /// The value of `key`; `None` when absent or null, so a section whose keys are all
    /// commented out reads as its defaults.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entry(key)
            .map(|(_, node)| node)
            .filter(|node| node.value != Value::Null)
    }

    /// Where to report a problem with `key`: its value, or the mapping if it is absent.
    pub fn pos_of(&self, key: &str) -> Pos {
        self.entry(key).map_or(self.pos, |(_, node)| node.pos)
    }

    pub fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Whether `key` is written, even without a value.
    pub fn has(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    /// Whether an unknown key was already reported as a typo of `key`, so that its absence
    /// need not be reported too.
    pub fn misspelt(&self, key: &str) -> bool {
        self.suggested.iter().any(|s| s == key)
    }

    fn entry(&self, key: &str) -> Option<(&'n Key, &'n Node)> {
        self.entries.iter().find(|(k, _)| k.text == key).copied()
    }
}

impl<'e> Reader<'e> {
    pub fn new(env: &'e dyn Fn(&str) -> Option<String>) -> Self {
        Reader {
            env,
            errors: Vec::new(),
        }
    }

    pub fn error(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        let path = if path.is_empty() {
            "(root)".to_owned()
        } else {
            path.to_owned()
        };
        // One error per line of output: quoted values were escaped, this catches the rest.
        let message = message.into().replace(['\n', '\r'], " ");
        self.errors.push(ConfigError {
            line: pos.line,
            column: pos.column,
            path,
            message,
        });
    }

    /// A mapping whose keys are those of the raw type `T`; unknown and duplicate keys are
    /// reported, with a suggestion when one is close.
    pub fn fields<'n, T: JsonSchema>(&mut self, node: &'n Node, path: &str) -> Option<Fields<'n>> {
        let entries = self.entries(node, path)?;
        let known = keys_of::<T>();
        let mut fields = Fields {
            path: path.to_owned(),
            pos: node.pos,
            entries,
            suggested: Vec::new(),
        };
        for (key, _) in &fields.entries {
            if known.contains(&key.text) {
                continue;
            }
            let message = match closest(&key.text, known.iter().map(String::as_str)) {
                Some(suggestion) => {
                    fields.suggested.push(suggestion.to_owned());
                    format!("unknown key {}; did you mean `{suggestion}`?", quote(&key.text))
                }
                None => format!(
                    "unknown key {}; expected one of: {}",
                    quote(&key.text),
                    known.join(", ")
                ),
            };
            self.error(key.pos, &fields.path(&key.text), message);
        }
        Some(fields)
    }

    /// A mapping with keys of the user's choosing (pipeline names, Kafka properties).
    pub fn entries<'n>(&mut self, node: &'n Node, path: &str) -> Option<Vec<(&'n Key, &'n Node)>> {
        let Value::Map(entries) = &node.value else {
            self.error(
                node.pos,
                path,
                format!("expected a mapping of keys to values, found {}", found(node)),
            );
            return None;
        };
        let mut unique: Vec<(&Key, &Node)> = Vec::with_capacity(entries.len());
        let mut first_lines: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
        for (key, value) in entries {
            match first_lines.entry(&key.text) {
                Entry::Occupied(first) => {
                    let message = format!(
                        "duplicate key {} (first written at line {})",
                        quote(&key.text),
                        first.get()
                    );
                    let key_path = if path.is_empty() {
                        key.text.clone()
                    } else {
                        format!("{path}.{}", key.text)
                    };
                    self.error(key.pos, &key_path, message);
                }
                Entry::Vacant(slot) => {
                    slot.insert(key.pos.line);
                    unique.push((key, value));
                }
            }
        }
        Some(unique)
    }

    /// The value of a key the file must give.
    pub fn required<'n>(&mut self, fields: &Fields<'n>, key: &str) -> Option<&'n Node> {
        match fields.entry(key) {
            None if fields.misspelt(key) => {}
            None => self.error(fields.pos, &fields.path(key), format!("missing required key `{key}`")),
            // An empty value's position is wherever the parser found the next token, so
            // point at the key.
            Some((written, node)) if node.value == Value::Null => {
                self.error(written.pos, &fields.path(key), format!("`{key}` needs a value"));
            }
            Some((_, node)) => return Some(node),
        }
        None
    }

    /// The value of an optional key read with `read`, or `default` when it is absent.
    pub fn optional<'n, T>(
        &mut self,
        fields: &Fields<'n>,
        key: &str,
        default: T,
        read: impl FnOnce(&mut Self, &'n Node, &str) -> Option<T>,
    ) -> Option<T> {
        match fields.get(key) {
            None => Some(default),
            Some(node) => read(self, node, &fields.path(key)),
        }
    }

    pub fn list<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::List(items) => Some(items),
            _ => {
                self.error(node.pos, path, format!("expected a list, found {}", found(node)));
                None
            }
        }
    }

    /// A scalar's text after `${VAR}` interpolation.
    pub fn text(&mut self, node: &Node, path: &str) -> Option<Text> {
        let Value::Scalar { text, .. } = &node.value else {
            self.error(
                node.pos,
                path,
                format!("expected a single value, found {}", found(node)),
            );
            return None;
        };
        match interpolate(text, self.env) {
            Ok(done) => Some(Text {
                value: done.text,
                written: done.substituted.then(|| text.clone()),
            }),
            Err(messages) => {
                for message in messages {
                    self.error(node.pos, path, message);
                }
                None
            }
        }
    }

    /// Text that is not empty.
    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.text(node, path)?;
        if text.value.trim().is_empty() {
            self.error(node.pos, path, text.explain("must not be empty"));
            return None;
        }
        Some(text.value)
    }

    pub fn flag(&mut self, node: &Node, path: &str) -> Option<bool> {
        let text = self.text(node, path)?;
        match text.value.as_str() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => {
                self.error(
                    node.pos,
                    path,
                    text.explain(&format!("expected true or false, found {}", quote(&text.value))),
                );
                None
            }
        }
    }

    /// A whole number, at least 1.
    pub fn count(&mut self, node: &Node, path: &str) -> Option<u64> {
        self.count_from(node, path, 1)
    }

    /// A whole number, at least `min`.
    pub fn count_from(&mut self, node: &Node, path: &str, min: u64) -> Option<u64> {
        let text = self.text(node, path)?;
        let all_digits = !text.value.is_empty() && text.value.bytes().all(|b| b.is_ascii_digit());
        let message = match text.value.parse::<u64>() {
            _ if !all_digits => format!("expected a whole number, found {}", quote(&text.value)),
            Ok(count) if count < min => format!("must be at least {min}"),
            Ok(count) => return Some(count),
            Err(_) => format!("{} is too large", quote(&text.value)),
        };
        self.error(node.pos, path, text.explain(&message));
        None
    }

    /// A whole number of at least `min` that counts things held in memory (rows, bins).
    pub fn count_in_memory(&mut self, node: &Node, path: &str, min: u64) -> Option<usize> {
        let count = self.count_from(node, path, min)?;
        let fits = usize::try_from(count).ok();
        if fits.is_none() {
            self.error(node.pos, path, "too large for this machine");
        }
        fits
    }

    /// A finite number within `bounds`.
    pub fn number(&mut self, node: &Node, path: &str, bounds: Bounds) -> Option<f64> {
        let text = self.text(node, path)?;
        let message = match parse_number(&text.value) {
            Ok(number) if bounds.contains(number) => return Some(number),
            Ok(_) => format!("must be {bounds}, found {}", quote(&text.value)),
            Err(message) => message,
        };
        self.error(node.pos, path, text.explain(&message));
        None
    }

    /// A byte size, at least 1 byte.
    pub fn size(&mut self, node: &Node, path: &str) -> Option<u64> {
        let text = self.text(node, path)?;
        match parse_size(&text.value) {
            Ok(0) => self.error(
                node.pos,
                path,
                text.explain(&format!("must be more than 0 bytes; expected {SIZE_FORM}")),
            ),
            Ok(bytes) => return Some(bytes),
            Err(message) => self.error(node.pos, path, text.explain(&message)),
        }
        None
    }

    /// A duration; zero is allowed.
    pub fn duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        let text = self.text(node, path)?;
        match parse_duration(&text.value) {
            Ok(duration) => Some(duration),
            Err(message) => {
                self.error(node.pos, path, text.explain(&message));
                None
            }
        }
    }

    /// A duration longer than zero, for intervals and timeouts where zero would spin or
    /// close everything at once.
    pub fn positive_duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        match self.duration(node, path)? {
            Duration::ZERO => {
                self.error(
                    node.pos,
                    path,
                    format!("must be longer than 0; expected {DURATION_FORM}"),
                );
                None
            }
            duration => Some(duration),
        }
    }

    /// One of a fixed set of words, e.g. `earliest` / `latest`.
    pub fn choice<T: Copy>(&mut self, node: &Node, path: &str, choices: &[(&str, T)]) -> Option<T> {
        let text = self.text(node, path)?;
        if let Some((_, value)) = choices.iter().find(|(word, _)| *word == text.value) {
            return Some(*value);
        }
        let words: Vec<&str> = choices.iter().map(|(word, _)| *word).collect();
        let hint = match closest(&text.value, words.iter().copied()) {
            Some(suggestion) => format!("; did you mean `{suggestion}`?"),
            None => String::new(),
        };
        let message = format!(
            "expected one of {}, found {}{hint}",
            words.join(", "),
            quote(&text.value)
        );
        self.error(node.pos, path, text.explain(&message));
        None
    }
}

/// The numbers a setting accepts: each end open, closed or absent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    low: Bound,
    high: Bound,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    Unbounded,
    /// The end itself is excluded.
    Open(f64),
    /// The end itself is included.
    Closed(f64),
}

impl Bounds {
    /// `x > low`.
    pub const fn above(low: f64) -> Bounds {
        Bounds {
            low: Bound::Open(low),
            high: Bound::Unbounded,
        }
    }

    /// `x ≥ low`.
    pub const fn at_least(low: f64) -> Bounds {
        Bounds {
            low: Bound::Closed(low),
            high: Bound::Unbounded,
        }
    }

    /// `low < x < high`.
    pub const fn between(low: f64, high: f64) -> Bounds {
        Bounds {
            low: Bound::Open(low),
            high: Bound::Open(high),
        }
    }

    /// `low < x ≤ high`.
    pub const fn above_up_to(low: f64, high: f64) -> Bounds {
        Bounds {
            low: Bound::Open(low),
            high: Bound::Closed(high),
        }
    }

    pub fn contains(&self, x: f64) -> bool {
        let above_low = match self.low {
            Bound::Unbounded => true,
            Bound::Open(low) => x > low,
            Bound::Closed(low) => x >= low,
        };
        let below_high = match self.high {
            Bound::Unbounded => true,
            Bound::Open(high) => x < high,
            Bound::Closed(high) => x <= high,
        };
        above_low && below_high
    }
}

/// Reads after "must be": `greater than 0 and at most 1`, `between 0 and 1 (exclusive)`.
impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.low, self.high) {
            (Bound::Open(low), Bound::Open(high)) => write!(f, "between {low} and {high} (exclusive)"),
            (Bound::Closed(low), Bound::Closed(high)) => write!(f, "between {low} and {high}"),
            (Bound::Open(low), Bound::Closed(high)) => write!(f, "greater than {low} and at most {high}"),
            (Bound::Closed(low), Bound::Open(high)) => write!(f, "at least {low} and less than {high}"),
            (Bound::Open(low), Bound::Unbounded) => write!(f, "greater than {low}"),
            (Bound::Closed(low), Bound::Unbounded) => write!(f, "at least {low}"),
            (Bound::Unbounded, Bound::Open(high)) => write!(f, "less than {high}"),
            (Bound::Unbounded, Bound::Closed(high)) => write!(f, "at most {high}"),
            (Bound::Unbounded, Bound::Unbounded) => f.write_str("a number"),
        }
    }
}

/// A scalar after interpolation, remembering how it was written.
pub struct Text {
    pub value: String,
    /// The text as written, when `${…}` replaced part of it.
    written: Option<String>,
}

impl Text {
    /// A message about this value, saying where it came from if it was interpolated, since
    /// the value the user sees in the file is then not the one that was checked.
    pub fn explain(&self, message: &str) -> String {
        match &self.written {
            Some(written) => format!("{message} (interpolated from {})", quote(written)),
            None => message.to_owned(),
        }
    }
}

/// A value for a message: backquoted, control characters escaped, long values shortened.
pub fn quote(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    let escaped: String = text
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            }
        })
        .collect();
    if escaped.chars().count() > MAX_CHARS {
        format!("`{}…`", escaped.chars().take(MAX_CHARS).collect::<String>())
    } else {
        format!("`{escaped}`")
    }
}

/// What a node is, for "expected …, found …".
pub fn found(node: &Node) -> String {
    match &node.value {
        Value::Null => "nothing".to_owned(),
        Value::Scalar { text, .. } => quote(text),
        Value::List(_) => "a list".to_owned(),
        Value::Map(_) => "a mapping".to_owned(),
    }
}
