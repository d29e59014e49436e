//! PII redaction of free text before it lands: message `text`, CSAT `comment` and
//! knowledge-base `query`.
//!
//! Each span found is replaced by a tag: `[EMAIL]`, `[CARD]`, `[PHONE]`, or `[NAME]` (the
//! upper-cased name) for a custom pattern. Passes run in this order, each on the output of
//! the one before:
//!
//! 1. **custom patterns**, in configuration order: they encode the operator's knowledge of
//!    their own identifiers, so they win over the generic detectors;
//! 2. **emails**, before anything digit-based, so that digits inside an address are not
//!    half-redacted as a phone;
//! 3. **payment cards**: 13–19 digits, optionally in groups separated by single spaces or
//!    dashes, that pass the Luhn check. A Luhn-valid number shaped like a phone is a card;
//! 4. **phones**, which never touch the tags left by earlier passes (tags have no digits),
//!    repeated until it finds nothing more: a number rejected for being glued to another
//!    one is looked at again once that one has become a tag.
//!
//! No tag contains `@` or a digit, so redacting a second time finds nothing new: redaction
//! is idempotent (unless a custom pattern can match a tag, or text next to one).
//!
//! A text that cannot match is returned borrowed without running a regex: no `@` means no
//! email, fewer than 7 ASCII digits no phone, fewer than 13 no card.

use std::borrow::Cow;
use std::ops::Range;

use convolens_core::spec::RedactionSettings;
use convolens_core::{Event, Payload};
use regex::Regex;

use crate::TransformError;

pub const EMAIL_TAG: &str = "[EMAIL]";
pub const PHONE_TAG: &str = "[PHONE]";
pub const CARD_TAG: &str = "[CARD]";

/// Local part: RFC 5322 `atext` in dot-separated runs, letters and digits of any script
/// (RFC 6531). Domain: dot-separated labels of letters, digits and inner hyphens, ending in
/// a top-level domain of at least two letters.
const EMAIL_PATTERN: &str = r"[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}";
/// Any run of ASCII digit groups joined by single spaces or dashes; which part of it is a
/// card is decided in code (length, Luhn).
const CARD_CANDIDATE_PATTERN: &str = r"[0-9]+(?:[ -][0-9]+)*";
/// Optional `+country code`, optional `(area code)`, then up to seven digit groups joined by
/// single spaces, dashes or dots. Whether it is a phone is decided in code ([`is_phone`]).
const PHONE_CANDIDATE_PATTERN: &str =
    r"(?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{1,5}\)[ .-]?)?[0-9]{1,12}(?:[ .-][0-9]{1,12}){0,6}";

const MIN_CARD_DIGITS: usize = 13;
const MAX_CARD_DIGITS: usize = 19;
const MIN_PHONE_DIGITS: usize = 7;
/// E.164 allows at most 15 digits, country code included.
const MAX_PHONE_DIGITS: usize = 15;

/// Redacts PII from free text, as configured. Cheap to share: compiled once, then read-only.
#[derive(Debug, Clone)]
pub struct Redactor {
    custom: Vec<CustomPattern>,
    email: Option<Regex>,
    card: Option<Regex>,
    phone: Option<Regex>,
}

#[derive(Debug, Clone)]
struct CustomPattern {
    regex: Regex,
    tag: String,
}

/// One replacement within a text: `range` (byte offsets) becomes `tag`.
struct Edit<'r> {
    range: Range<usize>,
    tag: &'r str,
}

impl Redactor {
    pub fn new(settings: &RedactionSettings) -> Result<Redactor, TransformError> {
        let compile = |name: &str, pattern: &str| {
            Regex::new(pattern).map_err(|source| TransformError::BadPattern {
                name: name.to_owned(),
                source,
            })
        };
        let custom = settings
            .patterns
            .iter()
            .map(|p| {
                Ok(CustomPattern {
                    regex: compile(&p.name, &p.regex)?,
                    tag: format!("[{}]", p.name.to_uppercase()),
                })
            })
            .collect::<Result<Vec<_>, TransformError>>()?;
        Ok(Redactor {
            custom,
            email: settings.emails.then(|| compile("email", EMAIL_PATTERN)).transpose()?,
            card: settings
                .payment_cards
                .then(|| compile("payment_card", CARD_CANDIDATE_PATTERN))
                .transpose()?,
            phone: settings
                .phones
                .then(|| compile("phone", PHONE_CANDIDATE_PATTERN))
                .transpose()?,
        })
    }

    /// The text with every PII span replaced by its tag, and how many spans were replaced.
    /// Borrowed when nothing was replaced.
    pub fn redact_text<'t>(&self, text: &'t str) -> (Cow<'t, str>, u32) {
        let mut current = Cow::Borrowed(text);
        let mut count = 0u32;
        let mut edits = Vec::new();

        for pattern in &self.custom {
            // An empty match would put a tag between every two characters.
            edits.extend(
                pattern
                    .regex
                    .find_iter(&current)
                    .filter(|m| !m.is_empty())
                    .map(|m| Edit {
                        range: m.range(),
                        tag: &pattern.tag,
                    }),
            );
            apply(&mut current, &mut edits, &mut count);
        }
        if let Some(email) = &self.email
            && current.contains('@')
        {
            edits.extend(email.find_iter(&current).map(|m| Edit {
                range: m.range(),
                tag: EMAIL_TAG,
            }));
            apply(&mut current, &mut edits, &mut count);
        }
        if let Some(card) = &self.card
            && has_ascii_digits(&current, MIN_CARD_DIGITS)
        {
            for candidate in card.find_iter(&current) {
                find_cards(&current, candidate.range(), &mut edits);
            }
            apply(&mut current, &mut edits, &mut count);
        }
        if let Some(phone) = &self.phone {
            // Whether a candidate is a phone depends on its neighbours (glued to a digit it
            // is part of a longer number), and a neighbour may be replaced in this very pass.
            // Repeating until nothing changes makes the result a fixed point, so redacting
            // it again finds nothing. Each repeat removes at least 7 digits, so it ends.
            while has_ascii_digits(&current, MIN_PHONE_DIGITS) {
                edits.extend(
                    phone
                        .find_iter(&current)
                        .filter(|m| is_phone(&current, m.range()))
                        .map(|m| Edit {
                            range: m.range(),
                            tag: PHONE_TAG,
                        }),
                );
                if edits.is_empty() {
                    break;
                }
                apply(&mut current, &mut edits, &mut count);
            }
        }
        (current, count)
    }

    /// Redacts the event's free text (message `text`, CSAT `comment`, knowledge-base
    /// `query`) and adds the spans replaced to `event.redactions` — added rather than set,
    /// so that redacting an event twice leaves it as redacting it once did.
    pub fn redact_event(&self, event: &mut Event) {
        let free_text = match &mut event.payload {
            Payload::Message { text, .. } => text,
            Payload::CsatSubmitted { comment, .. } => comment,
            Payload::KbLookup { query, .. } => query,
            _ => return,
        };
        let Some(text) = free_text else { return };
        let (redacted, count) = self.redact_text(text);
        let replacement = match redacted {
            Cow::Owned(redacted) => Some(redacted),
            Cow::Borrowed(_) => None,
        };
        if let Some(redacted) = replacement {
            *text = redacted;
        }
        event.redactions = event.redactions.saturating_add(count);
    }
}

/// Applies `edits` (sorted, not overlapping) to `text`, counts them and clears the list.
fn apply(text: &mut Cow<'_, str>, edits: &mut Vec<Edit<'_>>, count: &mut u32) {
    if edits.is_empty() {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    for edit in edits.iter() {
        out.push_str(&text[copied_up_to..edit.range.start]);
        out.push_str(edit.tag);
        copied_up_to = edit.range.end;
    }
    out.push_str(&text[copied_up_to..]);
    *count = count.saturating_add(u32::try_from(edits.len()).unwrap_or(u32::MAX));
    *text = Cow::Owned(out);
    edits.clear();
}

/// Whether `text` has at least `at_least` ASCII digits; stops counting once it does.
fn has_ascii_digits(text: &str, at_least: usize) -> bool {
    text.bytes().filter(u8::is_ascii_digit).take(at_least).count() == at_least
}

/// Finds cards within one run of digit groups. The whole run is not always the card — a
/// date or an amount may be typed next to it — so every span of whole groups with 13–19
/// digits is tried: the leftmost start wins, then the longest span that passes Luhn.
fn find_cards<'r>(text: &str, candidate: Range<usize>, edits: &mut Vec<Edit<'r>>) {
    let run = &text.as_bytes()[candidate.clone()];
    if run.iter().filter(|b| b.is_ascii_digit()).count() < MIN_CARD_DIGITS {
        return;
    }
    let groups = digit_groups(run, candidate.start);
    let mut first = 0;
    while first < groups.len() {
        let mut digits = 0;
        let mut card_end = None;
        for (last, group) in groups.iter().enumerate().skip(first) {
            digits += group.len();
            if digits > MAX_CARD_DIGITS {
                break;
            }
            if digits >= MIN_CARD_DIGITS && passes_luhn(&text.as_bytes()[groups[first].start..group.end]) {
                card_end = Some(last);
            }
        }
        match card_end {
            Some(last) => {
                edits.push(Edit {
                    range: groups[first].start..groups[last].end,
                    tag: CARD_TAG,
                });
                first = last + 1;
            }
            None => first += 1,
        }
    }
}

/// The byte ranges (offset by `offset`) of the ASCII digit runs in `bytes`.
fn digit_groups(bytes: &[u8], offset: usize) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut start = None;
    for (i, byte) in bytes.iter().enumerate() {
        match (byte.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                groups.push(offset + s..offset + i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        groups.push(offset + s..offset + bytes.len());
    }
    groups
}

/// The Luhn checksum over the ASCII digits of `bytes` (separators skipped).
pub fn passes_luhn(bytes: &[u8]) -> bool {
    let mut sum = 0u32;
    for (position, digit) in bytes
        .iter()
        .rev()
        .filter(|b| b.is_ascii_digit())
        .map(|b| u32::from(b - b'0'))
        .enumerate()
    {
        sum += if position % 2 == 1 {
            let doubled = digit * 2;
            if doubled > 9 { doubled - 9 } else { doubled }
        } else {
            digit
        };
    }
    sum.is_multiple_of(10)
}

/// Decides whether a phone-shaped candidate is a phone and not a date, a time, an amount,
/// an IP address, a year range or part of an identifier.
fn is_phone(text: &str, range: Range<usize>) -> bool {
    let candidate = &text.as_bytes()[range.clone()];
    let groups = digit_groups(candidate, 0);
    let digits: usize = groups.iter().map(|g| g.len()).sum();
    if !(MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits) || !stands_alone(text, range) {
        return false;
    }
    let international = candidate.first() == Some(&b'+');
    let has_area_code = candidate.contains(&b'(');
    if !international && !has_area_code && groups.len() < 2 {
        // A bare run of digits is as likely an order or account number as a phone.
        return false;
    }
    let group_text = |g: &Range<usize>| &candidate[g.clone()];
    let is_year = |g: &Range<usize>| matches!(group_text(g), [b'1', b'9', _, _] | [b'2', b'0', _, _]);
    // Dates (2026-11-20, 20.11.2026), times (09.00-17.30) and year ranges (2019-2026) are
    // made only of short groups and years; phones have a longer group, or are written in
    // five or more pairs (01 23 45 67 89).
    let has_long_group = groups.iter().any(|g| g.len() >= 3 && !is_year(g));
    let written_in_pairs = groups.len() >= 5 && groups.iter().all(|g| g.len() <= 2);
    if !international && !has_long_group && !written_in_pairs {
        return false;
    }
    let dots = candidate.iter().filter(|b| **b == b'.').count();
    if dots > 0 {
        // 1234567.89 is an amount, 1.234.567 thousands, 192.168.10.12 an IP address.
        let thousands = groups.first().is_some_and(|g| g.len() <= 3) && groups.iter().skip(1).all(|g| g.len() == 3);
        let ip_address = groups.len() == 4 && dots == 3 && groups.iter().all(|g| g.len() <= 3);
        if dots == 1 || thousands || ip_address {
            return false;
        }
    }
    true
}

/// The candidate is not glued to a word, an identifier (`ORD-2026-112233`), an amount
/// (`1 234 567,89`) or a time (`2026-11-20 10:00`). A label such as `Tel:` may precede it.
fn stands_alone(text: &str, range: Range<usize>) -> bool {
    let mut before = text[..range.start].chars().rev();
    match (before.next(), before.next()) {
        (Some(c), _) if c.is_alphanumeric() || "_-./#@+$€£¥".contains(c) => return false,
        (Some(':' | ','), Some(digit)) if digit.is_ascii_digit() => return false,
        _ => {}
    }
    let mut after = text[range.end..].chars();
    match (after.next(), after.next()) {
        (Some(c), _) if c.is_alphanumeric() || "_@%€£¥".contains(c) => false,
        (Some('-' | '.' | '/' | ':' | ','), Some(next)) if next.is_ascii_digit() => false,
        _ => true,
    }
}
