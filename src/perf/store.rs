//! The bounded in-memory record of recent requests that the /perf page draws.

use crate::api::RequestRecord;
use std::collections::VecDeque;
use std::sync::Mutex;

/// The last `capacity` requests, newest last.
#[derive(Debug)]
pub struct PerfStore {
    capacity: usize,
    records: Mutex<VecDeque<RequestRecord>>,
}

impl PerfStore {
    /// A store keeping at most `capacity` requests (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        PerfStore {
            capacity,
            records: Mutex::new(VecDeque::with_capacity(capacity)),
        }
    }

    /// Adds a finished request, dropping the oldest past capacity.
    pub fn push(&self, record: RequestRecord) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if records.len() == self.capacity {
            records.pop_front();
        }
        records.push_back(record);
    }

    /// The newest `limit` records, oldest first.
    pub fn recent(&self, limit: usize) -> Vec<RequestRecord> {
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let skip = records.len().saturating_sub(limit);
        records.iter().skip(skip).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize) -> RequestRecord {
        RequestRecord {
            request_id: i.to_string(),
            method: "GET".into(),
            path: "/".into(),
            route: "/".into(),
            status: 200,
            started_at_ms: 0.0,
            headers_ms: 1.0,
            total_ms: 1.0,
            spans: vec![],
        }
    }

    #[test]
    fn stays_bounded_and_keeps_the_newest() {
        let store = PerfStore::new(3);
        for i in 0..10 {
            store.push(record(i));
        }
        assert_eq!(store.len(), 3);
        let ids: Vec<_> = store.recent(10).into_iter().map(|r| r.request_id).collect();
        assert_eq!(ids, ["7", "8", "9"]);
        assert_eq!(store.recent(1)[0].request_id, "9");
    }
}
