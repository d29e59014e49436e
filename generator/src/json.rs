//! A tiny JSON object writer over a byte buffer.
//!
//! Lines are hand-formatted because the generator must produce hundreds of thousands of
//! lines per second: building a `serde_json::Value` per line would allocate a tree per
//! event, and every value written here is a string, integer, fixed-point number or bool.

/// Appends `text` JSON-escaped (without quotes).
pub(crate) fn push_escaped(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1F => {
                out.extend_from_slice(&bytes[start..index]);
                push_control_escape(out, byte);
                start = index + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..index]);
        out.extend_from_slice(escape);
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

fn push_control_escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u00");
    out.push(HEX[usize::from(byte >> 4)]);
    out.push(HEX[usize::from(byte & 0xF)]);
}

/// The escaped form of `text`, computed once for text that is written many times.
pub(crate) fn escaped(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len() + 8);
    push_escaped(&mut out, text);
    // Escaping only inserts ASCII into valid UTF-8 at char boundaries.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the decimal digits of `value`.
pub(crate) fn push_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

pub(crate) fn push_i64(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    push_u64(out, value.unsigned_abs());
}

/// Appends `value` zero-padded to `width` digits.
pub(crate) fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let len = digits.len() - at;
    for _ in len..width {
        out.push(b'0');
    }
    out.extend_from_slice(&digits[at..]);
}

/// Appends `value` with exactly `decimals` fraction digits (at most 9), e.g. `0.9137`.
/// A non-finite value is written as 0 so the output is always valid JSON.
pub(crate) fn push_fixed(out: &mut Vec<u8>, value: f64, decimals: u32) {
    let decimals = decimals.min(9);
    let value = if value.is_finite() { value } else { 0.0 };
    let scale = 10u64.pow(decimals);
    let scaled = (value.abs() * scale as f64).round();
    // Saturate rather than wrap for absurdly large values.
    let scaled = if scaled >= u64::MAX as f64 {
        u64::MAX
    } else {
        scaled as u64
    };
    if value < 0.0 && scaled != 0 {
        out.push(b'-');
    }
    push_u64(out, scaled / scale);
    if decimals > 0 {
        out.push(b'.');
        push_padded(out, scaled % scale, decimals as usize);
    }
}

/// Writes the fields of one JSON object; `key` values are trusted literals, string
/// values are escaped unless the method says they are already escaped.
pub(crate) struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    pub(crate) fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjectWriter { out, first: true }
    }

    /// Starts a field and returns the buffer for its value.
    pub(crate) fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    pub(crate) fn str(&mut self, key: &str, value: &str) {
        let out = self.key(key);
        out.push(b'"');
        push_escaped(out, value);
        out.push(b'"');
    }

    /// A string value that is already JSON-escaped (pre-escaped corpus text, ids).
    pub(crate) fn raw_str(&mut self, key: &str, escaped_value: &str) {
        let out = self.key(key);
        out.push(b'"');
        out.extend_from_slice(escaped_value.as_bytes());
        out.push(b'"');
    }

    pub(crate) fn u64(&mut self, key: &str, value: u64) {
        push_u64(self.key(key), value);
    }

    pub(crate) fn fixed(&mut self, key: &str, value: f64, decimals: u32) {
        push_fixed(self.key(key), value, decimals);
    }

    pub(crate) fn bool(&mut self, key: &str, value: bool) {
        let out = self.key(key);
        out.extend_from_slice(if value { b"true" } else { b"false" });
    }

    /// A value written verbatim (numbers of another shape, arrays, deliberate junk).
    pub(crate) fn raw(&mut self, key: &str, json: &[u8]) {
        self.key(key).extend_from_slice(json);
    }

    pub(crate) fn close(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn escapes_quotes_backslashes_and_controls() {
        assert_eq!(text(|o| push_escaped(o, "a\"b\\c\nd\u{1}é")), "a\\\"b\\\\c\\nd\\u0001é");
    }

    #[test]
    fn fixed_point_rounds_and_pads() {
        assert_eq!(text(|o| push_fixed(o, 0.91374, 4)), "0.9137");
        assert_eq!(text(|o| push_fixed(o, 0.00005, 4)), "0.0001");
        assert_eq!(text(|o| push_fixed(o, -1.5, 2)), "-1.50");
        assert_eq!(text(|o| push_fixed(o, -0.00001, 3)), "0.000");
        assert_eq!(text(|o| push_fixed(o, 12.0, 0)), "12");
        assert_eq!(text(|o| push_fixed(o, f64::NAN, 2)), "0.00");
    }

    #[test]
    fn integers_and_padding() {
        assert_eq!(text(|o| push_u64(o, 0)), "0");
        assert_eq!(text(|o| push_u64(o, u64::MAX)), u64::MAX.to_string());
        assert_eq!(text(|o| push_i64(o, i64::MIN)), i64::MIN.to_string());
        assert_eq!(text(|o| push_padded(o, 42, 5)), "00042");
        assert_eq!(text(|o| push_padded(o, 123_456, 3)), "123456");
    }

    #[test]
    fn object_writer_separates_fields() {
        let line = text(|o| {
            let mut w = ObjectWriter::open(o);
            w.str("a", "x\"y");
            w.u64("b", 3);
            w.bool("c", false);
            w.close();
        });
        assert_eq!(line, r#"{"a":"x\"y","b":3,"c":false}"#);
    }
}
