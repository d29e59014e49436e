//! YAML text → a tree of nodes that remember where they were written.
//!
//! serde stops at the first error, but `convolens validate` must list every problem at once,
//! each with its line. So the compiler walks this tree itself, and every node carries its
//! position. Scalars keep their text as written (after YAML escapes): the key that reads a
//! scalar decides its type, after `${VAR}` interpolation.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

use super::compile::ConfigError;

/// A 1-based line and column in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn of(span: &Span) -> Pos {
        // The parser counts columns from 0; editors and compilers from 1.
        Pos {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing at all.
    Null,
    /// Any other scalar, as text (quoted `"null"` is text too).
    Scalar {
        text: String,
    },
    List(Vec<Node>),
    /// Entries in file order; duplicates are kept so the compiler can report them.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub text: String,
    pub pos: Pos,
}

impl Node {
    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Null | Value::Scalar { .. } => 0,
            Value::List(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|(_, value)| 1 + value.size()).sum(),
        }
    }
}

/// Aliases copy their anchored node, so a few lines can expand to billions of nodes
/// ("billion laughs"). No sane pipeline file comes near this.
const MAX_NODES: usize = 100_000;

/// Parses a single YAML document. A syntax error ends parsing, so it is reported alone.
pub fn parse(yaml: &str) -> Result<Node, ConfigError> {
    let mut builder = TreeBuilder {
        open: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        documents: 0,
    };
    for next in Parser::new_from_str(yaml) {
        let (event, span) = next.map_err(|e| {
            let pos = Pos {
                line: e.marker().line(),
                column: e.marker().col() + 1,
            };
            syntax_error(pos, &format!("invalid YAML: {}", e.info()))
        })?;
        builder.event(event, &span)?;
    }
    Ok(builder.root.unwrap_or(Node {
        pos: Pos { line: 1, column: 1 },
        value: Value::Null,
    }))
}

fn syntax_error(pos: Pos, message: &str) -> ConfigError {
    ConfigError {
        line: pos.line,
        column: pos.column,
        path: "(yaml)".to_owned(),
        message: message.replace('\n', " "),
    }
}

/// A collection whose end event has not arrived yet.
struct Open {
    node: Node,
    anchor: usize,
    /// For a mapping: the key read, waiting for its value.
    pending_key: Option<Key>,
}

struct TreeBuilder {
    open: Vec<Open>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
}

impl TreeBuilder {
    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), ConfigError> {
        let pos = Pos::of(span);
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(syntax_error(
                        pos,
                        "only one YAML document is allowed; remove the second `---`",
                    ));
                }
            }
            Event::Scalar(text, style, anchor, _tag) => {
                self.count(1, pos)?;
                // Tags are ignored: the key decides how a value is read.
                let value = if style == ScalarStyle::Plain && matches!(&*text, "" | "~" | "null" | "Null" | "NULL") {
                    Value::Null
                } else {
                    Value::Scalar {
                        text: text.into_owned(),
                    }
                };
                self.complete(Node { pos, value }, anchor)?;
            }
            Event::SequenceStart(_, anchor, _tag) => {
                self.count(1, pos)?;
                self.open.push(Open {
                    node: Node {
                        pos,
                        value: Value::List(Vec::new()),
                    },
                    anchor,
                    pending_key: None,
                });
            }
            Event::MappingStart(_, anchor, _tag) => {
                self.count(1, pos)?;
                self.open.push(Open {
                    node: Node {
                        pos,
                        value: Value::Map(Vec::new()),
                    },
                    anchor,
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(done) = self.open.pop() {
                    self.complete(done.node, done.anchor)?;
                }
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err(syntax_error(pos, "this alias refers to a node that contains it"));
                };
                let mut copy = target.clone();
                copy.pos = pos;
                self.count(copy.size(), pos)?;
                self.complete(copy, 0)?;
            }
            _ => {} // stream and document ends, comments, anchor metadata
        }
        Ok(())
    }

    fn count(&mut self, nodes: usize, pos: Pos) -> Result<(), ConfigError> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            return Err(syntax_error(
                pos,
                &format!("the document expands to more than {MAX_NODES} nodes"),
            ));
        }
        Ok(())
    }

    /// Attaches a finished node to the open collection, or makes it the document root.
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), ConfigError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some(parent) = self.open.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut parent.node.value {
            Value::List(items) => items.push(node),
            Value::Map(entries) => match parent.pending_key.take() {
                Some(key) => entries.push((key, node)),
                None => parent.pending_key = Some(key_of(node)?),
            },
            Value::Null | Value::Scalar { .. } => {} // only collections are ever open
        }
        Ok(())
    }
}

fn key_of(node: Node) -> Result<Key, ConfigError> {
    match node.value {
        Value::Scalar { text, .. } => Ok(Key { text, pos: node.pos }),
        Value::Null => Ok(Key {
            text: String::new(),
            pos: node.pos,
        }),
        Value::List(_) | Value::Map(_) => Err(syntax_error(node.pos, "mapping keys must be plain text")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str, line: usize, column: usize) -> Node {
        Node {
            pos: Pos { line, column },
            value: Value::Scalar { text: text.to_owned() },
        }
    }

    fn key(text: &str, line: usize, column: usize) -> Key {
        Key {
            text: text.to_owned(),
            pos: Pos { line, column },
        }
    }

    #[test]
    fn nodes_remember_one_based_lines_and_columns() {
        let root = parse("a: 1\nb:\n  - x\n  - 'y'\nc: {d: ~}\n").expect("valid YAML");
        let expected = Node {
            pos: Pos { line: 1, column: 1 },
            value: Value::Map(vec![
                (key("a", 1, 1), scalar("1", 1, 4)),
                (
                    key("b", 2, 1),
                    Node {
                        pos: Pos { line: 3, column: 3 },
                        value: Value::List(vec![scalar("x", 3, 5), scalar("y", 4, 5)]),
                    },
                ),
                (
                    key("c", 5, 1),
                    Node {
                        pos: Pos { line: 5, column: 4 },
                        value: Value::Map(vec![(
                            key("d", 5, 5),
                            Node {
                                pos: Pos { line: 5, column: 8 },
                                value: Value::Null,
                            },
                        )]),
                    },
                ),
            ]),
        };
        assert_eq!(root, expected);
    }

    #[test]
    fn null_spellings_are_null_but_quoted_null_is_text() {
        let root = parse("[~, null, NULL, '', \"null\"]").expect("valid YAML");
        let Value::List(items) = root.value else {
            panic!("a list")
        };
        let values: Vec<Value> = items.into_iter().map(|n| n.value).collect();
        let text = |t: &str| Value::Scalar { text: t.to_owned() };
        assert_eq!(values, [Value::Null, Value::Null, Value::Null, text(""), text("null")]);
    }

    #[test]
    fn an_empty_file_is_a_null_document() {
        assert_eq!(parse("").map(|n| n.value), Ok(Value::Null));
        assert_eq!(parse("# only a comment\n").map(|n| n.value), Ok(Value::Null));
    }

    #[test]
    fn aliases_copy_the_anchored_node_at_the_alias_position() {
        let root = parse("a: &x [1, 2]\nb: *x\n").expect("valid YAML");
        let Value::Map(entries) = root.value else {
            panic!("a mapping")
        };
        assert_eq!(entries[1].1.value, entries[0].1.value);
        assert_eq!(entries[1].1.pos, Pos { line: 2, column: 4 });
    }

    #[test]
    fn syntax_errors_are_reported_with_their_position() {
        let error = parse("a: 1\nb: [1, 2\nc: 3\n").expect_err("unclosed flow list");
        assert_eq!(error.path, "(yaml)");
        assert!(error.line >= 2, "{error:?}");
        assert!(error.message.starts_with("invalid YAML: "), "{error:?}");
        let error = parse("a: 1\n  b: 2\n").expect_err("bad indentation");
        assert_eq!(error.line, 2, "{error:?}");
    }

    #[test]
    fn a_second_document_is_rejected() {
        let error = parse("a: 1\n---\nb: 2\n").expect_err("two documents");
        assert_eq!(
            (error.line, error.message.contains("one YAML document")),
            (2, true),
            "{error:?}"
        );
    }

    #[test]
    fn collection_keys_are_rejected() {
        let error = parse("? [a, b]\n: 1\n").expect_err("a list as a key");
        assert!(error.message.contains("keys must be plain text"), "{error:?}");
    }

    #[test]
    fn alias_expansion_is_bounded() {
        // Each level holds ten copies of the previous one: 10^7 scalars from seven lines.
        let mut yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_owned();
        for level in 1..=6 {
            let previous = format!("*a{}", level - 1);
            yaml.push_str(&format!("a{level}: &a{level} [{}]\n", vec![previous; 10].join(", ")));
        }
        let error = parse(&yaml).expect_err("too many nodes");
        assert!(error.message.contains("more than 100000 nodes"), "{error:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let depth = 100_000;
        let flow = format!("a: {}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&flow).is_err());
        let block: String = (0..2_000).map(|level| format!("{}k:\n", " ".repeat(level))).collect();
        assert!(parse(&block).is_err());
    }
}
