//! The operators' hourly sweep: a cost spike and failing texts, each
//! alerted once a day per shop.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use frontdesk_core::{Clock, ManualClock, StoreError, TenantId};
use frontdesk_jobs::{JobHandler, JobKind, NewJob};
use frontdesk_notify::{NOTIFY_ALERT, OPS_SWEEP, OperatorFacts, OperatorSweep, TextOutcome};

use crate::support::{RecordingQueue, SharedQueue, at, context, running};

fn shop(slug: &str) -> TenantId {
    TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"))
}

struct Facts {
    today: NaiveDate,
}

#[async_trait]
impl OperatorFacts for Facts {
    async fn daily_costs(&self, _since: DateTime<Utc>) -> Result<Vec<(TenantId, NaiveDate, i64)>, StoreError> {
        let mut costs = Vec::new();
        for back in 1..=7 {
            costs.push((shop("spiky"), self.today - Duration::days(back), 200_000));
            costs.push((shop("steady"), self.today - Duration::days(back), 200_000));
        }
        costs.push((shop("spiky"), self.today, 700_000));
        costs.push((shop("steady"), self.today, 590_000));
        Ok(costs)
    }

    async fn texts_since(&self, _since: DateTime<Utc>) -> Result<Vec<TextOutcome>, StoreError> {
        let text = |slug: &str, failed: bool| TextOutcome {
            tenant: shop(slug),
            failed,
            error: failed.then(|| "30034: unregistered number".to_owned()),
        };
        let mut texts: Vec<TextOutcome> = (0..9).map(|_| text("spiky", false)).collect();
        texts.push(text("spiky", true));
        texts.extend((0..95).map(|_| text("steady", false)));
        texts.extend((0..5).map(|_| text("steady", true)));
        Ok(texts)
    }
}

#[tokio::test]
async fn a_cost_spike_and_failing_texts_are_alerted_once_a_day() {
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    let queue = Arc::new(RecordingQueue::default());
    let sweep = OperatorSweep {
        facts: Arc::new(Facts { today: clock.now().date_naive() }),
        queue: Arc::new(SharedQueue(queue.clone())),
    };
    let job = NewJob::new(JobKind::parse(OPS_SWEEP).unwrap_or_else(|e| panic!("{e}")), serde_json::json!({}));
    for _ in 0..3 {
        assert_eq!(sweep.run(&context(running(&job, clock.now()), Arc::default(), clock.clone())).await, Ok(()));
    }
    let alerts = queue.taken();
    let keys: Vec<&str> = alerts.iter().filter_map(|j| j.unique_key.as_deref()).collect();
    assert_eq!(
        keys,
        ["alert:cost_spike:spiky:2026-12-08", "alert:failing_texts:spiky:2026-12-08"],
        "the steady shop is under both lines; each alert once however often the sweep runs"
    );
    assert!(alerts.iter().all(|j| j.kind.as_str() == NOTIFY_ALERT));
    assert_eq!(
        alerts[0].payload["body"],
        "Shop spiky has cost $0.70 so far today (UTC) against a usual $0.20 a day over the last week."
    );
    assert_eq!(
        alerts[1].payload["body"],
        "1 of 10 texts of shop spiky in the last 24 hours failed: 30034: unregistered number"
    );
}
