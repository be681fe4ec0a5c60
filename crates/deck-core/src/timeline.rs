//! The local platform's instances as a timeline: one lane per instance, from its start (init)
//! through its invocations to its stop, built from `/api/events` (the cold-start panel draws it).
use crate::platform_events::{EventKind, PlatformEvent};

/// At most this many lanes: the oldest stopped one (else the oldest) makes room.
pub const MAX_LANES: usize = 12;
/// At most this many invocations are kept per lane.
pub const MAX_BUSY_PER_LANE: usize = 100;

/// One instance's life as seen so far. Times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub instance: String,
    pub started_ms: f64,
    pub ready_ms: Option<f64>,
    pub init_ms: Option<f64>,
    pub busy: Vec<(f64, f64)>,
    /// An invocation that has started and not ended.
    pub busy_since_ms: Option<f64>,
    pub stopped: Option<(f64, String)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    pub lanes: Vec<Lane>,
    pub latest_ms: f64,
}

impl Timeline {
    /// Takes one event in; events of asynchronous queues (no instance) change nothing.
    pub fn apply(&mut self, event: &PlatformEvent) {
        let at = event.timestamp_ms as f64;
        if event.instance.is_empty() {
            return; // An asynchronous event's queue, not an instance.
        }
        self.latest_ms = self.latest_ms.max(at);
        if let EventKind::InitStart { .. } = event.kind {
            self.lanes.retain(|lane| lane.instance != event.instance);
            self.push_lane(&event.instance, at);
        }
        let lane = match self.lanes.iter().position(|lane| lane.instance == event.instance) {
            Some(index) => &mut self.lanes[index],
            // An instance that started before this page listened: its lane begins now.
            None => self.push_lane(&event.instance, at),
        };
        match &event.kind {
            EventKind::InitEnd { duration_ms, .. } => {
                lane.ready_ms = Some(at);
                lane.init_ms = Some(*duration_ms);
            }
            EventKind::InvokeStart => lane.busy_since_ms = Some(at),
            EventKind::InvokeEnd { .. } => {
                lane.busy.push((lane.busy_since_ms.take().unwrap_or(at), at));
                if lane.busy.len() > MAX_BUSY_PER_LANE {
                    lane.busy.remove(0);
                }
            }
            EventKind::Shutdown { reason, .. } => {
                lane.busy_since_ms = None;
                lane.stopped = Some((at, reason.as_str().to_owned()));
            }
            _ => {}
        }
    }

    /// Adds a lane, first dropping the oldest stopped one (else the oldest) when full.
    fn push_lane(&mut self, instance: &str, at: f64) -> &mut Lane {
        if self.lanes.len() >= MAX_LANES {
            let oldest = self.lanes.iter().position(|lane| lane.stopped.is_some()).unwrap_or(0);
            self.lanes.remove(oldest);
        }
        self.lanes.push(Lane {
            instance: instance.to_owned(),
            started_ms: at,
            ready_ms: None,
            init_ms: None,
            busy: Vec::new(),
            busy_since_ms: None,
            stopped: None,
        });
        let last = self.lanes.len() - 1;
        &mut self.lanes[last]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform_events::{InvokeStatus, StopReason};

    fn event(kind: EventKind, instance: &str, at: u64) -> PlatformEvent {
        PlatformEvent {
            function: "hello".into(),
            instance: instance.into(),
            request_id: None,
            timestamp_ms: at,
            kind,
        }
    }

    #[test]
    fn an_instance_is_followed_from_start_to_stop() {
        let mut timeline = Timeline::default();
        for (kind, at) in [
            (EventKind::InitStart { pid: 7 }, 100),
            (EventKind::InitEnd { duration_ms: 4.5, error_type: None }, 105),
            (EventKind::InvokeStart, 105),
            (EventKind::InvokeEnd { status: InvokeStatus::Success, error_type: None }, 107),
            (EventKind::Shutdown { reason: StopReason::Recycled, exit: "signal: killed".into() }, 900),
        ] {
            timeline.apply(&event(kind, "a", at));
        }
        // An instance that started before the page listened gets a lane from its first event.
        timeline.apply(&event(EventKind::InvokeStart, "b", 950));
        assert_eq!(timeline.lanes.len(), 2);
        let a = &timeline.lanes[0];
        assert_eq!((a.started_ms, a.ready_ms, a.init_ms), (100.0, Some(105.0), Some(4.5)));
        assert_eq!(a.busy, [(105.0, 107.0)]);
        assert_eq!(a.stopped, Some((900.0, "recycled".into())));
        assert_eq!(timeline.lanes[1].busy_since_ms, Some(950.0));
        assert_eq!(timeline.latest_ms, 950.0);
        // An asynchronous event's queue is no instance.
        let queued = EventKind::AsyncQueued { source: "s3".into(), payload: "{}".into() };
        timeline.apply(&event(queued, "", 990));
        assert_eq!((timeline.lanes.len(), timeline.latest_ms), (2, 950.0));
    }

    #[test]
    fn lanes_are_bounded_and_stopped_ones_go_first() {
        let mut timeline = Timeline::default();
        timeline.apply(&event(EventKind::InitStart { pid: 1 }, "live", 0));
        for i in 0..20 {
            let id = format!("i{i}");
            timeline.apply(&event(EventKind::InitStart { pid: 2 }, &id, 1 + i));
            let stop = EventKind::Shutdown { reason: StopReason::IdleTimeout, exit: "signal: killed".into() };
            timeline.apply(&event(stop, &id, 2 + i));
        }
        assert_eq!(timeline.lanes.len(), MAX_LANES);
        assert_eq!(timeline.lanes[0].instance, "live", "a running instance outlives stopped ones");
        assert_eq!(timeline.lanes[MAX_LANES - 1].instance, "i19");
    }

    #[test]
    fn a_lane_keeps_its_latest_invocations() {
        let mut timeline = Timeline::default();
        for i in 0..(MAX_BUSY_PER_LANE as u64 + 5) {
            timeline.apply(&event(EventKind::InvokeStart, "a", i * 10));
            timeline.apply(&event(
                EventKind::InvokeEnd { status: InvokeStatus::Success, error_type: None },
                "a",
                i * 10 + 1,
            ));
        }
        let busy = &timeline.lanes[0].busy;
        assert_eq!(busy.len(), MAX_BUSY_PER_LANE);
        assert_eq!(busy[0], (50.0, 51.0), "the oldest went first");
    }
}
