//! The embedded Banking77 utterances and intents, plus the intents drift introduces.
//!
//! Parsed once per process. Utterance text is stored already JSON-escaped because every
//! utterance is written many times and escaping is the costliest part of a message line.

use std::sync::OnceLock;

use crate::error::GeneratorError;
use crate::json::escaped;

const TRAIN_CSV: &str = include_str!("../data/banking77/train.csv");
const CATEGORIES_JSON: &str = include_str!("../data/banking77/categories.json");

/// Intents the router was never trained on, appearing only under drift injection: new
/// products whose customers start writing in. Utterances written for this generator.
const UNSEEN_INTENTS: &[(&str, &[&str])] = &[
    (
        "crypto_buy_sell",
        &[
            "How do I buy bitcoin in the app?",
            "Can I sell my ethereum and get pounds back?",
            "Why is crypto trading not available for me?",
            "What fee do you charge to buy crypto?",
            "My crypto purchase has been pending since this morning",
        ],
    ),
    (
        "buy_now_pay_later",
        &[
            "Can I split this payment into instalments?",
            "How does pay later work on my card?",
            "I want to pay for my laptop in three parts",
            "Why was my pay later plan declined?",
            "When is my next instalment due?",
        ],
    ),
    (
        "savings_vault_interest",
        &[
            "What interest rate does the savings vault pay?",
            "How do I move money into my vault?",
            "Why didn't I get interest on my savings this month?",
            "Can I lock my savings away for a year?",
        ],
    ),
    (
        "travel_insurance_claim",
        &[
            "How do I claim on the travel insurance that comes with my card?",
            "My flight was cancelled, am I covered?",
            "I lost my luggage abroad, how do I make a claim?",
            "Where do I send the receipts for my insurance claim?",
        ],
    ),
];

/// A family of intents: decides the handoff queue, the backend tool the bot calls and
/// which wrong intents the router confuses an intent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntentGroup {
    Fraud,
    Cards,
    Transfers,
    TopUps,
    Cash,
    Account,
    Billing,
    NewProducts,
}

impl IntentGroup {
    fn of(name: &str) -> Self {
        let has = |word: &str| name.contains(word);
        if has("compromised") || has("stolen") || has("not_recognised") {
            IntentGroup::Fraud
        } else if has("top_up") || has("topping_up") {
            IntentGroup::TopUps
        } else if has("exchange") || has("fee") || has("charge") || has("refund") || has("currenc") {
            IntentGroup::Billing
        } else if has("transfer") || has("receiving_money") || has("beneficiary") {
            IntentGroup::Transfers
        } else if has("cash") || has("atm") {
            IntentGroup::Cash
        } else if has("verify")
            || has("identity")
            || has("passcode")
            || has("personal")
            || has("terminate")
            || has("age_limit")
        {
            IntentGroup::Account
        } else if has("card") || has("pin") || has("pay") || has("contactless") {
            IntentGroup::Cards
        } else {
            IntentGroup::Billing
        }
    }

    pub(crate) fn queue(self) -> &'static str {
        match self {
            IntentGroup::Fraud => "fraud",
            IntentGroup::Cards => "cards",
            IntentGroup::Transfers => "payments",
            IntentGroup::TopUps => "payments",
            IntentGroup::Cash => "cards",
            IntentGroup::Account => "account",
            IntentGroup::Billing => "billing",
            IntentGroup::NewProducts => "general",
        }
    }

    pub(crate) fn tools(self) -> &'static [&'static str] {
        match self {
            IntentGroup::Fraud => &["fraud_check", "card_freeze", "transaction_search"],
            IntentGroup::Cards => &["card_status", "card_freeze", "delivery_tracking"],
            IntentGroup::Transfers => &["transfer_lookup", "beneficiary_lookup"],
            IntentGroup::TopUps => &["topup_status", "transaction_search"],
            IntentGroup::Cash => &["transaction_search", "atm_locator"],
            IntentGroup::Account => &["identity_status", "account_lookup"],
            IntentGroup::Billing => &["fx_rates", "refund_status", "transaction_search"],
            IntentGroup::NewProducts => &["account_lookup"],
        }
    }
}

#[derive(Debug)]
pub(crate) struct Intent {
    /// The category name; Banking77 names contain only `[A-Za-z_?]`, so no escaping.
    pub name: String,
    /// Human wording for bot replies, escaped: `card arrival`.
    pub display: String,
    pub group: IntentGroup,
    /// Indices into [`Corpus::utterances`] whose true intent this is.
    pub utterances: Vec<u32>,
}

#[derive(Debug)]
pub(crate) struct Corpus {
    /// Banking77's 77 categories in `categories.json` order, then the unseen intents.
    pub intents: Vec<Intent>,
    /// How many of `intents` the router knows (the Banking77 ones).
    pub known: usize,
    /// JSON-escaped utterance text.
    pub utterances: Vec<String>,
}

impl Corpus {
    /// The process-wide corpus, parsed on first use.
    pub(crate) fn get() -> Result<&'static Corpus, GeneratorError> {
        static CORPUS: OnceLock<Result<Corpus, String>> = OnceLock::new();
        match CORPUS.get_or_init(|| Corpus::parse(TRAIN_CSV, CATEGORIES_JSON)) {
            Ok(corpus) => Ok(corpus),
            Err(message) => Err(GeneratorError::Corpus(message.clone())),
        }
    }

    fn parse(train_csv: &str, categories_json: &str) -> Result<Corpus, String> {
        let names = parse_string_array(categories_json)?;
        let mut intents: Vec<Intent> = names
            .iter()
            .map(|name| Intent {
                name: name.clone(),
                display: escaped(&name.replace('_', " ").replace('?', "").to_lowercase()),
                group: IntentGroup::of(&name.to_lowercase()),
                utterances: Vec::new(),
            })
            .collect();
        let known = intents.len();
        let mut utterances = Vec::with_capacity(10_100);
        for (row_number, row) in parse_csv(train_csv)?.into_iter().enumerate().skip(1) {
            let [text, category] = row.as_slice() else {
                return Err(format!(
                    "train.csv row {row_number} has {} fields, expected 2",
                    row.len()
                ));
            };
            let Some(intent) = intents.iter_mut().find(|intent| intent.name == *category) else {
                return Err(format!("train.csv row {row_number}: unknown category {category:?}"));
            };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            intent.utterances.push(utterances.len() as u32);
            utterances.push(escaped(text));
        }
        for (name, texts) in UNSEEN_INTENTS {
            let mut intent = Intent {
                name: (*name).to_string(),
                display: escaped(&name.replace('_', " ")),
                group: IntentGroup::NewProducts,
                utterances: Vec::new(),
            };
            for text in texts.iter() {
                intent.utterances.push(utterances.len() as u32);
                utterances.push(escaped(text));
            }
            intents.push(intent);
        }
        if let Some(empty) = intents.iter().find(|intent| intent.utterances.is_empty()) {
            return Err(format!("intent {} has no utterances", empty.name));
        }
        Ok(Corpus {
            intents,
            known,
            utterances,
        })
    }

    pub(crate) fn intent(&self, index: u16) -> &Intent {
        // Indices are produced from this corpus only; fall back to the first intent
        // rather than panicking if that invariant were ever broken.
        self.intents.get(usize::from(index)).unwrap_or(&self.intents[0])
    }

    pub(crate) fn utterance(&self, index: u32) -> &str {
        self.utterances.get(index as usize).map_or("", String::as_str)
    }

    /// Indices of the unseen intents.
    pub(crate) fn unseen(&self) -> std::ops::Range<u16> {
        self.known as u16..self.intents.len() as u16
    }
}

/// RFC 4180 CSV: quoted fields may hold commas, `""` and line breaks; rows end in LF or CRLF.
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err("train.csv ends inside a quoted field".to_string());
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// A JSON array of plain strings (no escapes), which is all `categories.json` is.
fn parse_string_array(text: &str) -> Result<Vec<String>, String> {
    let inner = text
        .trim()
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or("categories.json is not an array")?;
    inner
        .split(',')
        .map(|item| {
            let item = item.trim();
            item.strip_prefix('"')
                .and_then(|rest| rest.strip_suffix('"'))
                .filter(|name| !name.is_empty() && !name.contains(['"', '\\']))
                .map(str::to_string)
                .ok_or_else(|| format!("categories.json item {item:?} is not a plain string"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_banking77_has_77_intents_and_every_row() {
        let corpus = Corpus::get().expect("embedded corpus parses");
        assert_eq!(corpus.known, 77);
        let known_utterances: usize = corpus.intents[..corpus.known].iter().map(|i| i.utterances.len()).sum();
        assert_eq!(known_utterances, 10_003);
        assert_eq!(corpus.intents.len(), 77 + UNSEEN_INTENTS.len());
    }

    #[test]
    fn groups_follow_the_intent_names() {
        let corpus = Corpus::get().expect("embedded corpus parses");
        let group = |name: &str| corpus.intents.iter().find(|i| i.name == name).map(|i| i.group);
        assert_eq!(group("compromised_card"), Some(IntentGroup::Fraud));
        assert_eq!(group("card_payment_wrong_exchange_rate"), Some(IntentGroup::Billing));
        assert_eq!(group("top_up_by_card_charge"), Some(IntentGroup::TopUps));
        assert_eq!(group("card_arrival"), Some(IntentGroup::Cards));
        assert_eq!(group("cancel_transfer"), Some(IntentGroup::Transfers));
        assert_eq!(group("verify_my_identity"), Some(IntentGroup::Account));
        assert_eq!(group("crypto_buy_sell"), Some(IntentGroup::NewProducts));
    }

    #[test]
    fn csv_handles_quotes_commas_and_line_breaks() {
        let rows = parse_csv("text,category\r\n\"a, \"\"b\"\"\nc\",x\r\nplain,y").expect("parses");
        assert_eq!(rows[1], vec!["a, \"b\"\nc".to_string(), "x".to_string()]);
        assert_eq!(rows[2], vec!["plain".to_string(), "y".to_string()]);
    }

    #[test]
    fn utterances_keep_their_true_category() {
        let corpus = Corpus::get().expect("embedded corpus parses");
        let card_arrival = corpus
            .intents
            .iter()
            .find(|i| i.name == "card_arrival")
            .expect("present");
        let first = corpus.utterance(card_arrival.utterances[0]);
        assert_eq!(first, "I am still waiting on my card?");
    }
}
