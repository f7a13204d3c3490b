use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

/// Where new record ids come from.
///
/// Production uses time-ordered UUIDv7 (good index locality in both
/// databases); tests use a counter so expected ids can be written down.
pub trait IdGenerator: Send + Sync {
    fn new_id(&self) -> Uuid;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// `00000000-0000-0000-0000-000000000001`, `…02`, …
#[derive(Debug, Default)]
pub struct SequentialIds {
    next: AtomicU64,
}

impl IdGenerator for SequentialIds {
    fn new_id(&self) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        Uuid::from_u128(u128::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_count_up() {
        let ids = SequentialIds::default();
        assert_eq!(ids.new_id().to_string(), "00000000-0000-0000-0000-000000000001");
        assert_eq!(ids.new_id().to_string(), "00000000-0000-0000-0000-000000000002");
    }

    #[test]
    fn uuid_v7_ids_are_ordered() {
        let ids = UuidV7Ids;
        let first = ids.new_id();
        let second = ids.new_id();
        assert_eq!(first.get_version_num(), 7);
        assert!(first < second);
    }
}
