//! The simulated world a generator draws from: tenants, the intent mix, the router
//! model's confidence and accuracy, and the ids that name things.

use rand::RngCore as _;
use rand_distr::{Beta, Distribution};

use crate::config::GeneratorConfig;
use crate::corpus::{Corpus, IntentGroup};
use crate::error::GeneratorError;
use crate::event::{Embedding, Prediction};
use crate::json::{escaped, push_padded};
use crate::rng::{SimRng, derive_seed, splitmix64};

/// Intents of the injected incident (a card-fraud wave) that drift shifts traffic to.
const INCIDENT_INTENTS: [&str; 5] = [
    "compromised_card",
    "card_payment_not_recognised",
    "lost_or_stolen_card",
    "direct_debit_payment_not_recognised",
    "cash_withdrawal_not_recognised",
];
/// Zipf exponent of the everyday intent mix: a few intents are common, many are rare.
const INTENT_ZIPF_EXPONENT: f64 = 0.8;
/// Dimensions of the optional `embedding` vectors.
pub(crate) const EMBEDDING_DIMS: usize = 16;

#[derive(Debug, Clone, Copy)]
pub(crate) struct DriftParams {
    pub from_ms: i64,
    pub intent_shift: f64,
    pub unseen_intent_rate: f64,
    pub extra_handoff_rate: f64,
}

/// Confidence distributions of the router, by version and drift.
struct Confidence {
    v1: Beta<f64>,
    v2: Beta<f64>,
    v1_drifted: Beta<f64>,
    v2_drifted: Beta<f64>,
    /// For utterances of intents the router never saw: it is unsure and always wrong.
    unseen: Beta<f64>,
}

/// A beta distribution given by its mean and concentration (α + β).
fn beta(mean: f64, concentration: f64) -> Result<Beta<f64>, GeneratorError> {
    let mean = mean.clamp(0.05, 0.95);
    Beta::new(mean * concentration, (1.0 - mean) * concentration)
        .map_err(|error| GeneratorError::config("drift.confidence_drop", format!("gives no confidence model: {error}")))
}

pub(crate) struct World {
    pub corpus: &'static Corpus,
    /// Short base-36 tag in every id, derived from seed and start, so that runs with a
    /// different seed or period can share a lake without id collisions.
    pub tag: String,
    /// Tenant names, JSON-escaped.
    pub tenants: Vec<String>,
    tenant_weights: Vec<f64>,
    /// Cumulative weights of the everyday mix over the known intents.
    mix_cumulative: Vec<f64>,
    incident: Vec<u16>,
    /// Known intents of each group, for plausible confusions.
    group_members: Vec<(IntentGroup, Vec<u16>)>,
    confidence: Confidence,
    pub drift: Option<DriftParams>,
    pub embeddings: bool,
    span_start_ms: i64,
    span_ms: i64,
    pub customers_per_tenant: u32,
    pub agents_per_tenant: u16,
}

impl World {
    pub(crate) fn new(config: &GeneratorConfig) -> Result<Self, GeneratorError> {
        let corpus = Corpus::get()?;
        let start_ms = config.start.micros().div_euclid(1000);
        let tag = base36(derive_seed(&[config.seed, start_ms as u64, 0x7A6]) % 36u64.pow(6), 6);

        // The everyday mix ranks intents in a seed-dependent order.
        let mut order: Vec<u16> = (0..corpus.known as u16).collect();
        let mut shuffle = SimRng::new(derive_seed(&[config.seed, 0x313]));
        for i in (1..order.len()).rev() {
            order.swap(i, shuffle.below(i + 1));
        }
        let mut weights = vec![0.0; corpus.known];
        for (rank, &intent) in order.iter().enumerate() {
            weights[usize::from(intent)] = 1.0 / ((rank + 1) as f64).powf(INTENT_ZIPF_EXPONENT);
        }
        let mix_cumulative = weights
            .iter()
            .scan(0.0, |total, weight| {
                *total += weight;
                Some(*total)
            })
            .collect();

        let incident = INCIDENT_INTENTS
            .iter()
            .filter_map(|name| corpus.intents.iter().position(|intent| intent.name == *name))
            .map(|index| index as u16)
            .collect();
        let mut group_members: Vec<(IntentGroup, Vec<u16>)> = Vec::new();
        for (index, intent) in corpus.intents[..corpus.known].iter().enumerate() {
            match group_members.iter_mut().find(|(group, _)| *group == intent.group) {
                Some((_, members)) => members.push(index as u16),
                None => group_members.push((intent.group, vec![index as u16])),
            }
        }

        let drop = config.drift.as_ref().map_or(0.0, |drift| drift.confidence_drop);
        let confidence = Confidence {
            v1: beta(0.74, 5.0)?,
            v2: beta(0.80, 6.0)?,
            v1_drifted: beta(0.74 - drop, 4.5)?,
            v2_drifted: beta(0.80 - drop, 5.0)?,
            unseen: beta(0.42, 5.0)?,
        };
        let drift = config.drift.as_ref().map(|drift| DriftParams {
            from_ms: drift.from.micros().div_euclid(1000),
            intent_shift: drift.intent_shift,
            unseen_intent_rate: drift.unseen_intent_rate,
            extra_handoff_rate: drift.extra_handoff_rate,
        });

        // A pool about a third the number of conversations, so customers come back.
        let customers_per_tenant = (config.conversations / 3).clamp(20, u64::from(u32::MAX)) as u32;
        let agents_per_tenant = (12 + config.conversations / 400).min(999) as u16;
        Ok(World {
            corpus,
            tag,
            tenants: config.tenants.iter().map(|tenant| escaped(tenant)).collect(),
            tenant_weights: (0..config.tenants.len())
                .map(|i| 1.0 / ((i + 1) as f64).sqrt())
                .collect(),
            mix_cumulative,
            incident,
            group_members,
            confidence,
            drift,
            embeddings: config.embeddings,
            span_start_ms: start_ms,
            span_ms: i64::try_from(config.span.as_millis()).unwrap_or(i64::MAX),
            customers_per_tenant,
            agents_per_tenant,
        })
    }

    pub(crate) fn is_drifted(&self, start_ms: i64) -> bool {
        self.drift.is_some_and(|drift| start_ms >= drift.from_ms)
    }

    pub(crate) fn draw_tenant(&self, rng: &mut SimRng) -> u16 {
        rng.weighted(&self.tenant_weights) as u16
    }

    /// The true intent of a new conversation or topic.
    pub(crate) fn draw_intent(&self, rng: &mut SimRng, drifted: bool) -> u16 {
        if let (true, Some(drift)) = (drifted, self.drift) {
            let draw = rng.unit();
            let unseen = self.corpus.unseen();
            if draw < drift.unseen_intent_rate && !unseen.is_empty() {
                return unseen.start + rng.below(unseen.len()) as u16;
            }
            if draw < drift.unseen_intent_rate + drift.intent_shift
                && let Some(intent) = rng.pick(&self.incident)
            {
                return intent;
            }
        }
        let total = self.mix_cumulative.last().copied().unwrap_or(0.0);
        let target = rng.unit() * total;
        self.mix_cumulative
            .partition_point(|&end| end <= target)
            .min(self.corpus.known - 1) as u16
    }

    /// Share of conversations on router v2: a rollout from 20 % to 80 % over the span.
    pub(crate) fn v2_share(&self, start_ms: i64) -> f64 {
        if self.span_ms <= 0 {
            return 0.5;
        }
        let progress = ((start_ms - self.span_start_ms) as f64 / self.span_ms as f64).clamp(0.0, 1.0);
        0.2 + 0.6 * progress
    }

    /// The router's answer for an utterance of `true_intent`, and whether it is right.
    ///
    /// Confidence comes first, then correctness with probability ≈ confidence (v2 is
    /// calibrated; v1 is somewhat overconfident), so calibration is realistic and
    /// correct predictions carry higher confidence on average.
    pub(crate) fn predict(&self, rng: &mut SimRng, true_intent: u16, drifted: bool, v2: bool) -> (Prediction, bool) {
        let known = usize::from(true_intent) < self.corpus.known;
        let distribution = match (known, v2, drifted) {
            (false, _, _) => &self.confidence.unseen,
            (true, false, false) => &self.confidence.v1,
            (true, true, false) => &self.confidence.v2,
            (true, false, true) => &self.confidence.v1_drifted,
            (true, true, true) => &self.confidence.v2_drifted,
        };
        let confidence = distribution.sample(rng).clamp(0.001, 0.999);
        let accuracy = match (known, v2) {
            (false, _) => 0.0,
            (true, true) => confidence,
            (true, false) => confidence.powf(1.3),
        };
        let correct = rng.chance(accuracy);
        let intent = if correct {
            true_intent
        } else {
            self.confusable(rng, true_intent, &[])
        };

        let is_oos = rng.chance(0.7).then(|| (!known || confidence < 0.3) && rng.chance(0.5));
        let runners_up = rng.chance(0.6).then(|| {
            let second = if !correct && known && rng.chance(0.6) {
                true_intent
            } else {
                self.confusable(rng, intent, &[])
            };
            let third = self.confusable(rng, intent, &[second]);
            let second_confidence = ((1.0 - confidence) * rng.between(0.35, 0.75)).min(confidence);
            let third_confidence =
                ((1.0 - confidence - second_confidence) * rng.between(0.2, 0.7)).clamp(0.0, second_confidence);
            [(second, second_confidence as f32), (third, third_confidence as f32)]
        });
        let embedding = self.embeddings.then(|| Embedding {
            seed: rng.next_u32(),
            drifted,
        });
        let version = if v2 { "v2" } else { "v1" };
        let prediction = Prediction {
            true_intent,
            intent,
            confidence: confidence as f32,
            model_version: version,
            is_oos,
            runners_up,
            embedding,
        };
        (prediction, correct)
    }

    /// A known intent other than `intent` (and `also_not`), usually from the same group,
    /// as real routers confuse `card_arrival` with `card_delivery_estimate`.
    fn confusable(&self, rng: &mut SimRng, intent: u16, also_not: &[u16]) -> u16 {
        let group = self.corpus.intent(intent).group;
        let members = self
            .group_members
            .iter()
            .find(|(g, _)| *g == group)
            .map(|(_, m)| m.as_slice());
        let known = self.corpus.known;
        let mut candidate = intent;
        for _ in 0..8 {
            candidate = match members {
                Some(members) if members.len() > 2 && rng.chance(0.65) => rng.pick(members).unwrap_or(0),
                _ => rng.below(known) as u16,
            };
            if candidate != intent && !also_not.contains(&candidate) {
                return candidate;
            }
        }
        // Eight unlucky draws: take the next known intent deterministically.
        let mut fallback = (candidate as usize + 1) % known;
        while fallback as u16 == intent || also_not.contains(&(fallback as u16)) {
            fallback = (fallback + 1) % known;
        }
        fallback as u16
    }

    /// Component `dim` of the embedding centroid of `intent`, in [-1, 1].
    pub(crate) fn centroid(intent: u16, dim: usize) -> f64 {
        let mut state = 0xE1B_ED00 ^ (u64::from(intent) << 16) ^ dim as u64;
        (splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    pub(crate) fn push_conversation_id(&self, out: &mut Vec<u8>, index: u64) {
        out.extend_from_slice(b"c-");
        out.extend_from_slice(self.tag.as_bytes());
        out.push(b'-');
        push_padded(out, index, 8);
    }

    pub(crate) fn push_event_id(&self, out: &mut Vec<u8>, index: u64, ordinal: u16) {
        out.extend_from_slice(b"e-");
        out.extend_from_slice(self.tag.as_bytes());
        out.push(b'-');
        push_padded(out, index, 8);
        out.push(b'-');
        push_padded(out, u64::from(ordinal), 3);
    }

    pub(crate) fn tenant(&self, tenant: u16) -> &str {
        self.tenants.get(usize::from(tenant)).map_or("default", String::as_str)
    }
}

fn base36(mut value: u64, width: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        World::new(&GeneratorConfig::default()).expect("default config")
    }

    #[test]
    fn router_is_calibrated_for_v2_and_overconfident_for_v1() {
        let world = world();
        let mut rng = SimRng::new(5);
        for (v2, tolerance_sign) in [(true, 0.0), (false, 1.0)] {
            let (mut confidence_sum, mut correct_count) = (0.0, 0usize);
            let n = 40_000;
            for i in 0..n {
                let (prediction, correct) = world.predict(&mut rng, (i % 77) as u16, false, v2);
                confidence_sum += f64::from(prediction.confidence);
                correct_count += usize::from(correct);
                assert_eq!(correct, prediction.intent == (i % 77) as u16);
            }
            let gap = confidence_sum / n as f64 - correct_count as f64 / n as f64;
            if tolerance_sign == 0.0 {
                assert!(gap.abs() < 0.01, "v2 gap {gap}");
            } else {
                assert!(gap > 0.03, "v1 should be overconfident, gap {gap}");
            }
        }
    }

    #[test]
    fn rankings_are_sorted_distinct_and_sum_to_at_most_one() {
        let world = world();
        let mut rng = SimRng::new(8);
        for i in 0..5_000u16 {
            let (p, _) = world.predict(&mut rng, i % 77, i % 3 == 0, i % 2 == 0);
            if let Some([(second, c2), (third, c3)]) = p.runners_up {
                assert!(second != p.intent && third != p.intent && second != third);
                assert!(p.confidence >= c2 && c2 >= c3 && c3 >= 0.0);
                assert!(p.confidence + c2 + c3 <= 1.0 + 1e-6);
            }
        }
    }

    #[test]
    fn unseen_intents_appear_only_under_drift() {
        let config = GeneratorConfig {
            drift: Some(crate::DriftInjection::starting_at(convolens_core::Timestamp(0))),
            ..Default::default()
        };
        let world = World::new(&config).expect("valid");
        let unseen = world.corpus.unseen();
        let mut rng = SimRng::new(1);
        let plain = (0..20_000)
            .filter(|_| unseen.contains(&world.draw_intent(&mut rng, false)))
            .count();
        let drifted = (0..20_000)
            .filter(|_| unseen.contains(&world.draw_intent(&mut rng, true)))
            .count();
        assert_eq!(plain, 0);
        let share = drifted as f64 / 20_000.0;
        assert!((share - 0.08).abs() < 0.01, "unseen share {share}");
    }
}
