//! What a turn spent on paid models, gathered while the dialogue runs and
//! metered by the call session once the turn is answered.

use std::sync::Mutex;

use frontdesk_billing::TokenCount;

/// One model call: what it was for, which model, the tokens it counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelUse {
    /// Names the use in its usage key (`embed-question`).
    pub purpose: &'static str,
    pub model: String,
    pub tokens: TokenCount,
}

/// The model calls of one turn, in order.
#[derive(Debug, Default)]
pub struct ModelSpend(Mutex<Vec<ModelUse>>);

impl ModelSpend {
    pub fn record(&self, model_use: ModelUse) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(model_use);
    }

    /// Everything recorded so far, leaving nothing behind.
    pub fn take(&self) -> Vec<ModelUse> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_come_back_in_order_once() {
        let spend = ModelSpend::default();
        let embed = |tokens| ModelUse {
            purpose: "embed-question",
            model: "text-embedding-3-small@512".to_owned(),
            tokens: TokenCount::input(tokens),
        };
        spend.record(embed(7));
        spend.record(embed(9));
        assert_eq!(spend.take(), vec![embed(7), embed(9)]);
        assert_eq!(spend.take(), vec![]);
    }
}
