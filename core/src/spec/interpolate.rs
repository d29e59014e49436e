//! `${VAR}` interpolation, so secrets and per-environment values stay out of the file.
//!
//! - `${NAME}`: the variable's value; an error if it is not set.
//! - `${NAME:-default}`: the default when the variable is unset or empty (as in the shell).
//!   The default is literal text up to the first `}`; it is not interpolated again.
//! - `$${`: a literal `${`. Any other `$` is kept as written.

/// One scalar after interpolation.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpolated {
    pub text: String,
    /// Whether any `${…}` was replaced; messages then show the text as written, not a
    /// value that may be a secret.
    pub substituted: bool,
}

/// Replaces every `${…}` in `text`. Errors are one message per problem, so a scalar with two
/// unset variables names both.
pub fn interpolate(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Interpolated, Vec<String>> {
    let mut out = String::with_capacity(text.len());
    let mut errors = Vec::new();
    let mut substituted = false;
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let at_dollar = &rest[dollar..];
        if let Some(after) = at_dollar.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = at_dollar.strip_prefix("${") {
            let Some(close) = after.find('}') else {
                errors.push("unterminated `${`; close it with `}`, or write `$${` for a literal `${`".to_owned());
                rest = "";
                break;
            };
            let reference = &after[..close];
            rest = &after[close + 1..];
            substituted = true;
            match resolve(reference, env) {
                Ok(value) => out.push_str(&value),
                Err(message) => errors.push(message),
            }
        } else {
            out.push('$');
            rest = &at_dollar[1..];
        }
    }
    out.push_str(rest);
    if errors.is_empty() {
        Ok(Interpolated { text: out, substituted })
    } else {
        Err(errors)
    }
}

/// Resolves the inside of one `${…}`: `NAME` or `NAME:-default`.
fn resolve(reference: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let (name, default) = match reference.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (reference, None),
    };
    if !is_variable_name(name) {
        return Err(format!(
            "`${{{reference}}}` is not a variable reference; write `${{NAME}}` or `${{NAME:-default}}` \
             (NAME: letters, digits, `_`), or `$${{` for a literal `${{`"
        ));
    }
    match (env(name), default) {
        (Some(value), Some(default)) if value.is_empty() => Ok(default.to_owned()),
        (Some(value), _) => Ok(value),
        (None, Some(default)) => Ok(default.to_owned()),
        (None, None) => Err(format!(
            "environment variable `{name}` is not set (write `${{{name}:-default}}` to give a default)"
        )),
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "BROKERS" => Some("k1:9092,k2:9092".to_owned()),
            "PASSWORD" => Some("s3cr$t}".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn ok(text: &str) -> Interpolated {
        interpolate(text, &env).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    #[test]
    fn present_variables_replace_the_whole_value_or_part_of_it() {
        assert_eq!(
            ok("${BROKERS}"),
            Interpolated {
                text: "k1:9092,k2:9092".to_owned(),
                substituted: true
            }
        );
        assert_eq!(ok("x-${BROKERS}-y").text, "x-k1:9092,k2:9092-y");
        assert_eq!(ok("${BROKERS}${BROKERS}").text, "k1:9092,k2:9092k1:9092,k2:9092");
        // A value is inserted as is: its own `$` and `}` are not interpreted.
        assert_eq!(ok("${PASSWORD}").text, "s3cr$t}");
        assert_eq!(ok("${BROKERS:-ignored}").text, "k1:9092,k2:9092");
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        assert_eq!(ok("${MISSING:-127.0.0.1:9092}").text, "127.0.0.1:9092");
        assert_eq!(ok("${EMPTY:-fallback}").text, "fallback");
        assert_eq!(ok("${MISSING:-}").text, "");
        assert_eq!(ok("${EMPTY}").text, "");
        assert_eq!(ok("a${MISSING:-b}c").text, "abc");
    }

    #[test]
    fn unset_without_default_is_an_error_naming_each_variable() {
        let errors = interpolate("${NOPE}/${ALSO_NOPE}", &env).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].contains("`NOPE` is not set"), "{}", errors[0]);
        assert!(errors[1].contains("`ALSO_NOPE` is not set"), "{}", errors[1]);
    }

    #[test]
    fn double_dollar_escapes_a_literal_reference() {
        assert_eq!(
            ok("$${NOPE}"),
            Interpolated {
                text: "${NOPE}".to_owned(),
                substituted: false
            }
        );
        assert_eq!(
            ok("a$${x}${BROKERS:-}"),
            Interpolated {
                text: "a${x}k1:9092,k2:9092".to_owned(),
                substituted: true
            }
        );
    }

    #[test]
    fn other_dollars_are_literal() {
        assert_eq!(
            ok(r"\bACC-\d{8}$"),
            Interpolated {
                text: r"\bACC-\d{8}$".to_owned(),
                substituted: false
            }
        );
        assert_eq!(
            ok("$$ $x $"),
            Interpolated {
                text: "$$ $x $".to_owned(),
                substituted: false
            }
        );
    }

    #[test]
    fn malformed_references_are_errors() {
        assert!(interpolate("${UNCLOSED", &env).unwrap_err()[0].contains("unterminated"));
        assert!(interpolate("${}", &env).unwrap_err()[0].contains("not a variable reference"));
        assert!(interpolate("${1ABC}", &env).unwrap_err()[0].contains("not a variable reference"));
        assert!(interpolate("${A B}", &env).unwrap_err()[0].contains("not a variable reference"));
        assert!(interpolate("${A-default}", &env).unwrap_err()[0].contains("not a variable reference"));
    }
}
