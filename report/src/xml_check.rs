//! A tiny XML well-formedness checker for the tests: balanced tags, quoted attributes, no
//! raw `<` or bare `&` in text or attribute values, one root element. It also returns the
//! elements in document order, so tests can look at attributes.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    /// Text directly inside the element (entities left as written).
    pub text: String,
}

impl Element {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    pub(crate) fn num(&self, name: &str) -> f64 {
        self.attr(name)
            .unwrap_or_else(|| panic!("{} has no {name}", self.name))
            .parse()
            .unwrap_or_else(|e| panic!("{}.{name}: {e}", self.name))
    }
}

/// Checks `doc` (optionally after an HTML doctype) and returns its elements.
pub(crate) fn parse(doc: &str) -> Result<Vec<Element>, String> {
    let mut rest = doc.trim_start();
    if rest.starts_with("<!DOCTYPE") {
        let end = rest.find('>').ok_or("unterminated doctype")?;
        rest = &rest[end + 1..];
    }
    let mut elements: Vec<Element> = Vec::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut roots = 0;
    let mut pos = doc.len() - rest.len();
    while pos < doc.len() {
        let Some(off) = doc[pos..].find('<') else {
            check_text(&doc[pos..], pos)?;
            if let Some(&(_, i)) = stack.last() {
                elements[i].text.push_str(&doc[pos..]);
            } else if !doc[pos..].trim().is_empty() {
                return Err(format!("text after the root element at {pos}"));
            }
            break;
        };
        let text = &doc[pos..pos + off];
        check_text(text, pos)?;
        if let Some(&(_, i)) = stack.last() {
            elements[i].text.push_str(text);
        } else if !text.trim().is_empty() {
            return Err(format!("text outside the root element at {pos}: {text:?}"));
        }
        pos += off;
        if doc[pos..].starts_with("<!--") {
            let end = doc[pos..].find("-->").ok_or("unterminated comment")?;
            pos += end + 3;
            continue;
        }
        let end = tag_end(doc, pos)?;
        let tag = &doc[pos + 1..end];
        pos = end + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            match stack.pop() {
                Some((open, _)) if open == name => {}
                Some((open, _)) => return Err(format!("</{name}> closes <{open}> at {end}")),
                None => return Err(format!("</{name}> with nothing open at {end}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, attrs) = parse_tag(tag).map_err(|e| format!("{e} in <{tag}> at {end}"))?;
        if stack.is_empty() {
            roots += 1;
            if roots > 1 {
                return Err(format!("second root element <{name}> at {end}"));
            }
        }
        elements.push(Element {
            name: name.clone(),
            attrs,
            text: String::new(),
        });
        if !self_closing {
            stack.push((name, elements.len() - 1));
        }
    }
    if let Some((open, _)) = stack.pop() {
        return Err(format!("<{open}> never closed"));
    }
    if roots != 1 {
        return Err("no root element".to_string());
    }
    Ok(elements)
}

/// The index of the `>` closing the tag at `start`, skipping quoted attribute values.
fn tag_end(doc: &str, start: usize) -> Result<usize, String> {
    let mut quote = None;
    for (i, c) in doc[start + 1..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Ok(start + 1 + i),
            (None, '<') => return Err(format!("'<' inside the tag at {start}")),
            _ => {}
        }
    }
    Err(format!("unterminated tag at {start}"))
}

fn parse_tag(tag: &str) -> Result<(String, BTreeMap<String, String>), String> {
    let tag = tag.trim_end();
    let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
    let name = &tag[..name_end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':') {
        return Err(format!("bad element name {name:?}"));
    }
    let mut attrs = BTreeMap::new();
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("attribute without value: {rest:?}"))?;
        let key = rest[..eq].trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':') {
            return Err(format!("bad attribute name {key:?}"));
        }
        let after = &rest[eq + 1..];
        let q = after.chars().next().ok_or("missing attribute value")?;
        if q != '"' && q != '\'' {
            return Err(format!("unquoted attribute {key}"));
        }
        let close = after[1..].find(q).ok_or("unterminated attribute value")?;
        let value = &after[1..1 + close];
        if value.contains('<') {
            return Err(format!("'<' in attribute {key}"));
        }
        check_text(value, 0)?;
        if attrs.insert(key.to_string(), value.to_string()).is_some() {
            return Err(format!("duplicate attribute {key}"));
        }
        let next = &after[close + 2..];
        if !next.is_empty() && !next.starts_with(char::is_whitespace) {
            return Err(format!("no space after attribute {key}"));
        }
        rest = next.trim_start();
    }
    Ok((name.to_string(), attrs))
}

/// Text may hold `&` only as an entity.
fn check_text(text: &str, at: usize) -> Result<(), String> {
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        let after = &rest[i + 1..];
        let semi = after.find(';').ok_or_else(|| format!("bare '&' near {at}"))?;
        let entity = &after[..semi];
        let ok = match entity.strip_prefix('#') {
            Some(n) => match n.strip_prefix('x') {
                Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
                None => !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()),
            },
            None => matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos"),
        };
        if !ok {
            return Err(format!("bad entity &{entity}; near {at}"));
        }
        rest = &after[semi + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn accepts_well_formed() {
        let e = parse(r#"<svg a="1"><g><title>x &amp; y</title><rect b='2'/></g></svg>"#).unwrap();
        assert_eq!(e.len(), 4);
        assert_eq!(e[3].attr("b"), Some("2"));
        assert_eq!(e[2].text, "x &amp; y");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "<svg><g></svg>",
            "<svg>",
            "<svg></g>",
            "<svg a=1></svg>",
            "<svg>a & b</svg>",
            "<svg a=\"<\"></svg>",
            "<svg></svg><svg></svg>",
            "<svg><script>x</script></svg>x",
            "<svg a=\"1\"b=\"2\"></svg>",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
