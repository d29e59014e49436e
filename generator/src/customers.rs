//! Who contacts support: a pool of customers per tenant, and a memory of recent
//! conversations so that some customers come back within 24 hours (recontact, which
//! METRICS uses for verified containment and first-contact resolution).

use std::collections::VecDeque;

use crate::rng::SimRng;
use crate::scenario::{Identity, PlanSummary};
use crate::world::World;

/// How many recent conversations a returning customer is drawn from.
const REMEMBERED: usize = 512;
const RECONTACT_WINDOW_MS: i64 = 24 * 3_600_000;
/// Share of contacts that come from anonymous visitors (no `customer_id`).
const ANONYMOUS_SHARE: f64 = 0.1;

#[derive(Debug, Clone, Copy)]
struct Recent {
    tenant: u16,
    customer: u32,
    closed_at_ms: i64,
    unresolved: bool,
}

#[derive(Debug, Default)]
pub(crate) struct CustomerMemory {
    recent: VecDeque<Recent>,
}

impl CustomerMemory {
    /// The tenant and customer of a conversation starting at `start_ms`. A customer
    /// whose problem was not solved is far more likely to come back.
    pub(crate) fn choose(&self, world: &World, rng: &mut SimRng, start_ms: i64) -> Identity {
        if !self.recent.is_empty() && rng.chance(0.15) {
            let index = rng.below(self.recent.len());
            if let Some(previous) = self.recent.get(index).copied() {
                let returns = rng.chance(if previous.unresolved { 0.8 } else { 0.2 });
                let gap = start_ms - previous.closed_at_ms;
                if returns && gap > 0 && gap <= RECONTACT_WINDOW_MS {
                    return Identity {
                        tenant: previous.tenant,
                        customer: Some(previous.customer),
                    };
                }
            }
        }
        let tenant = world.draw_tenant(rng);
        let customer = (!rng.chance(ANONYMOUS_SHARE)).then(|| rng.below(world.customers_per_tenant as usize) as u32);
        Identity { tenant, customer }
    }

    pub(crate) fn remember(&mut self, summary: &PlanSummary) {
        let Some(customer) = summary.conversation.customer else {
            return;
        };
        if self.recent.len() == REMEMBERED {
            self.recent.pop_front();
        }
        self.recent.push_back(Recent {
            tenant: summary.conversation.tenant,
            customer,
            closed_at_ms: summary.closed_at_ms,
            unresolved: summary.unresolved,
        });
    }
}
