//! Lifecycle events for the deck's panels: `GET /api/events` streams them as server-sent events,
//! one JSON object per event, its `type` also the SSE event name.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// The events' types are the browser's too (`deck_core::platform_events`).
pub use deck_core::platform_events::{AsyncStatus, EventKind, InvokeStatus, PlatformEvent};

/// Fan-out to every connected panel. A slow subscriber skips what it missed instead of holding
/// anyone back.
pub struct EventBus {
    sender: broadcast::Sender<Arc<PlatformEvent>>,
    closed: CancellationToken,
}

impl EventBus {
    pub fn new(closed: CancellationToken) -> EventBus {
        EventBus { sender: broadcast::channel(1024).0, closed }
    }

    /// Builds the event only when someone listens: the hot path pays nothing otherwise.
    pub fn publish(&self, event: impl FnOnce() -> PlatformEvent) {
        if self.sender.receiver_count() > 0 {
            let _ = self.sender.send(Arc::new(event()));
        }
    }

    /// The SSE response; it subscribes at once, so events published after this returns reach it.
    /// It ends when the server shuts down.
    pub fn sse(&self) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
        let receiver = self.sender.subscribe();
        let closed = self.closed.clone();
        let greeting = stream::once(async { Ok(Event::default().comment("connected")) });
        let events = stream::unfold((receiver, closed), |(mut receiver, closed)| async move {
            let event = tokio::select! {
                _ = closed.cancelled() => return None,
                received = receiver.recv() => match received {
                    Ok(event) => to_sse(&event),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        Event::default().comment(format!("missed {missed} events"))
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            Some((Ok(event), (receiver, closed)))
        });
        Sse::new(stream::StreamExt::chain(greeting, events))
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
    }
}

fn to_sse(event: &PlatformEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_default();
    Event::default().event(event.kind.name()).data(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_built_without_a_subscriber() {
        let bus = EventBus::new(CancellationToken::new());
        bus.publish(|| unreachable!("no one listens"));
    }
}
