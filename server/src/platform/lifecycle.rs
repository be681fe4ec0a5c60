//! An instance's life as the rest of the platform speaks of it: its state, and how it ended. A
//! leaf module, so the pool, the function, telemetry and the control API use these terms without
//! depending on the process code in `instance.rs` (nor it on them).
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Spawned, not yet at its first `/next`.
    Starting,
    Idle,
    Busy,
    Stopping,
}

/// Why an instance ended: a part of the events the browser reads too.
pub use deck_core::platform_events::StopReason;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub reason: StopReason,
    /// `exit status 3`, `signal: killed`…
    pub status: String,
}
