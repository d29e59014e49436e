//! Synthetic contact details appended to some customer messages, so that the pipeline's
//! redaction is exercised: e-mail addresses, phone numbers and Luhn-valid card numbers.
//! All are fictional: example domains, Ofcom drama / NANP 555-01xx phone ranges, and
//! card numbers on the 4000 test prefix.

use crate::json::{push_padded, push_u64};
use crate::rng::splitmix64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PiiKind {
    Email,
    Phone,
    Card,
}

const FIRST_NAMES: [&str; 8] = ["jane", "sam", "alex", "priya", "tom", "maria", "li", "omar"];
const LAST_NAMES: [&str; 8] = ["doe", "smith", "khan", "garcia", "nguyen", "okafor", "murphy", "rossi"];
const DOMAINS: [&str; 3] = ["example.com", "example.org", "mail.example.net"];

/// Appends ` <lead> <detail>` to a message (text is JSON-safe ASCII).
pub(crate) fn push_pii(out: &mut Vec<u8>, kind: PiiKind, seed: u32) {
    let mut state = u64::from(seed);
    let mut next = || splitmix64(&mut state);
    match kind {
        PiiKind::Email => {
            let leads = [" You can email me at ", " my email is ", " reply to "];
            out.extend_from_slice(leads[(next() % 3) as usize].as_bytes());
            out.extend_from_slice(FIRST_NAMES[(next() % 8) as usize].as_bytes());
            out.push(b'.');
            out.extend_from_slice(LAST_NAMES[(next() % 8) as usize].as_bytes());
            push_u64(out, next() % 100);
            out.push(b'@');
            out.extend_from_slice(DOMAINS[(next() % 3) as usize].as_bytes());
        }
        PiiKind::Phone => {
            let leads = [" call me on ", " my number is ", " please ring "];
            out.extend_from_slice(leads[(next() % 3) as usize].as_bytes());
            let last = next() % 1000;
            match next() % 3 {
                0 => out.extend_from_slice(b"+44 7700 900"),
                1 => out.extend_from_slice(b"07700 900"),
                _ => out.extend_from_slice(b"+1 202-555-0"),
            }
            push_padded(out, last, 3);
        }
        PiiKind::Card => {
            let leads = [" card number ", " my card is ", " the card was "];
            out.extend_from_slice(leads[(next() % 3) as usize].as_bytes());
            let digits = luhn_card(next());
            let spaced = next() % 2 == 0;
            for (index, digit) in digits.iter().enumerate() {
                if spaced && index > 0 && index % 4 == 0 {
                    out.push(b' ');
                }
                out.push(b'0' + digit);
            }
        }
    }
}

/// 16 digits starting 4000, the last a Luhn check digit.
pub(crate) fn luhn_card(entropy: u64) -> [u8; 16] {
    let mut digits = [0u8; 16];
    digits[0] = 4;
    let mut rest = entropy;
    for digit in digits.iter_mut().take(15).skip(4) {
        *digit = (rest % 10) as u8;
        rest /= 10;
    }
    // Luhn: from the check digit leftwards, every second digit is doubled.
    let mut sum = 0u32;
    for (position, &digit) in digits[..15].iter().rev().enumerate() {
        let mut value = u32::from(digit);
        if position % 2 == 0 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    digits[15] = ((10 - sum % 10) % 10) as u8;
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Textbook Luhn check, written independently of `luhn_card`.
    fn luhn_valid(number: &str) -> bool {
        let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
        let total: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| if i % 2 == 1 { (d * 2) / 10 + (d * 2) % 10 } else { d })
            .sum();
        total.is_multiple_of(10)
    }

    #[test]
    fn cards_pass_luhn() {
        assert!(luhn_valid("4111 1111 1111 1111"));
        assert!(!luhn_valid("4111 1111 1111 1112"));
        for seed in 0..500u64 {
            let digits = luhn_card(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            assert!(luhn_valid(&text), "{text}");
        }
    }

    #[test]
    fn details_are_ascii_without_quotes() {
        for seed in 0..300u32 {
            for kind in [PiiKind::Email, PiiKind::Phone, PiiKind::Card] {
                let mut out = Vec::new();
                push_pii(&mut out, kind, seed);
                assert!(
                    out.iter()
                        .all(|b| b.is_ascii() && *b != b'"' && *b != b'\\' && *b >= b' ')
                );
            }
        }
    }
}
