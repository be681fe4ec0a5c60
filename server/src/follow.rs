//! Follow mode: devices on the room's network open `/follow` and track the presenter's deck,
//! panels included. On when the server listens beyond loopback (or with `--follow`).
//!
//! - `POST /api/follow` (presenter token required): the presenter's page sends a
//!   [`Message`]: `state` records the values and passes the changed ones on to every follower;
//!   `hello` is answered with everything recorded, so a reloaded presenter page catches up.
//! - `GET /api/follow/events` (anyone): server-sent events, each a `state` message; the first
//!   carries everything recorded so far, so a late follower is in step at once, and so does the
//!   next one after a follower fell too far behind. Followers have no way to send anything:
//!   following is all they can do. The room holds as many as the open-file limit allows with
//!   some to spare (see [`room_for`]); the rest are told the room is full (`503`).
//! - `GET /api/follow/join` and `/api/follow/join.svg` (anyone): the address the room opens, as
//!   JSON and as a QR code, for the deck's "follow along" dialog on the projector.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{CACHE_CONTROL, CONNECTION, CONTENT_TYPE, HOST, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use deck_core::routes::{
    FOLLOW_EVENTS_ROUTE, FOLLOW_JOIN_QR_ROUTE, FOLLOW_JOIN_ROUTE, FOLLOW_PAGE, FOLLOW_ROUTE,
};
use deck_core::sync::{FollowReply, Join, Message, SharedState};
use futures_util::stream::{self, Stream};
use tokio::sync::{broadcast, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::control::{self, ControlToken};
use crate::platform::logs::LogSink;

pub mod open_files;

/// Far above what a deck shares (its position and a few values per panel).
pub const MAX_KEYS: usize = 1_000;
/// A follower that left is noticed at the next write to its stream, so writes come often enough
/// for the presenter's count of followers to stay close to the truth.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// One message; a panel's results are a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Open files kept for all but followers: the presenter's and the deck's requests, the files
/// they read, the functions' pipes and Runtime API connections (a quarter of a small limit).
const RESERVED_FILES: u64 = 256;
/// Followers at most, whatever the limit: more than a lecture hall holds, and few enough that
/// their memory (about 20 kB each, measured at 2,000) and each change's fan-out stay modest.
pub const MAX_FOLLOWERS: usize = 10_000;
/// How long a follower turned away from a full room is asked to wait before trying again.
const FULL_RETRY_AFTER_S: u64 = 30;

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum FollowError {
    #[error("the body is not a follow message ({{\"type\":\"hello\"}} or {{\"type\":\"state\",\"values\":[[key, value], …]}}): {detail}")]
    BadMessage { detail: String },
    #[error("follow mode keeps at most {MAX_KEYS} keys of shared state; this message would make {keys}")]
    TooManyKeys { keys: usize },
    #[error(
        "The room is full: {followers} devices follow, as many as this server can keep up with. \
         Try again in a while, or browse the slides on your own."
    )]
    RoomFull { followers: usize },
}

impl IntoResponse for FollowError {
    fn into_response(self) -> Response {
        let status = match self {
            FollowError::BadMessage { .. } => StatusCode::BAD_REQUEST,
            FollowError::TooManyKeys { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            FollowError::RoomFull { .. } => StatusCode::SERVICE_UNAVAILABLE,
        };
        let mut response = (status, Json(serde_json::json!({ "message": self.to_string() }))).into_response();
        if let FollowError::RoomFull { .. } = self {
            let headers = response.headers_mut();
            headers.insert(RETRY_AFTER, HeaderValue::from(FULL_RETRY_AFTER_S));
            // The connection is closed, so the file it took is free for the next one.
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// `--follow`: whether devices in the room may follow the presenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FollowSetting {
    /// On when the server listens beyond loopback, where the room can reach it.
    Auto,
    /// On even on loopback (e.g. behind a tunnel or reverse proxy).
    On,
    Off,
}

impl FollowSetting {
    pub fn is_on(self, address: &SocketAddr) -> bool {
        match self {
            FollowSetting::Auto => !address.ip().is_loopback(),
            FollowSetting::On => true,
            FollowSetting::Off => false,
        }
    }
}

/// The addresses the room can type: the one listened on, or for a wildcard (`0.0.0.0`, `::`)
/// this machine's network addresses: the one of the default route first (the room's network,
/// most likely), then IPv4 before IPv6 (what people type).
pub fn reachable_origins(address: &SocketAddr) -> Vec<String> {
    let ips: Vec<IpAddr> = if address.ip().is_unspecified() {
        let mut ips: Vec<IpAddr> = if_addrs::get_if_addrs()
            .unwrap_or_default()
            .into_iter()
            .map(|interface| interface.ip())
            .filter(|ip| !ip.is_loopback() && (address.is_ipv6() || ip.is_ipv4()) && !is_link_local(ip))
            .collect();
        let routed = default_route_ip();
        ips.sort_by_key(|ip| (Some(*ip) != routed, ip.is_ipv6(), *ip));
        ips.dedup();
        if ips.is_empty() {
            vec![address.ip()]
        } else {
            ips
        }
    } else {
        vec![address.ip()]
    };
    ips.into_iter().map(|ip| format!("http://{}", SocketAddr::new(ip, address.port()))).collect()
}

/// This machine's address on the default route. Connecting a UDP socket sends nothing; it only
/// asks the kernel which interface would carry the packets (to a documentation address).
fn default_route_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    socket.local_addr().ok().map(|address| address.ip())
}

fn is_link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// How many may follow with `open_files` open files: all but a reserve for everything else, so
/// that however many try, the presenter and the deck are still answered.
pub fn room_for(open_files: u64) -> usize {
    let reserve = (open_files / 4).min(RESERVED_FILES);
    usize::try_from(open_files - reserve).unwrap_or(usize::MAX).min(MAX_FOLLOWERS)
}

/// What the presenter has shared, and the followers it goes to.
pub struct Room {
    /// What the room can type to reach this server (see [`reachable_origins`]).
    origins: Vec<String>,
    state: Mutex<SharedState>,
    /// Each change as the text of a `state` message.
    sender: broadcast::Sender<Arc<str>>,
    /// One permit per follower the room has space for.
    seats: Arc<Semaphore>,
    /// Whether the log has said that the room is full (it says so once).
    told_full: AtomicBool,
    log: LogSink,
    closed: CancellationToken,
}

impl Room {
    /// A room sized by the open-file limit as it is now (see [`open_files::raise`]).
    pub fn new(origins: Vec<String>, closed: CancellationToken, log: LogSink) -> Arc<Room> {
        Room::with_seats(origins, closed, room_for(open_files::limit()), log)
    }

    pub fn with_seats(
        origins: Vec<String>,
        closed: CancellationToken,
        seats: usize,
        log: LogSink,
    ) -> Arc<Room> {
        Arc::new(Room {
            origins,
            state: Mutex::default(),
            sender: broadcast::channel(256).0,
            seats: Arc::new(Semaphore::new(seats)),
            told_full: AtomicBool::new(false),
            log,
            closed,
        })
    }

    /// The follow page's address to show the room: the one this request came through, when
    /// that is not loopback (the presenter reached the server by it, so can the room), else
    /// this machine's network address.
    pub fn follow_url(&self, host: Option<&str>) -> String {
        let via_host = host.filter(|host| !is_loopback_host(host)).map(|host| format!("http://{host}"));
        let origin = via_host.or_else(|| self.origins.first().cloned()).unwrap_or_default();
        format!("{origin}/{FOLLOW_PAGE}")
    }

    pub fn followers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Takes a message from the presenter.
    pub fn receive(&self, message: Message) -> Result<FollowReply, FollowError> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let values = match message {
            Message::Hello => state.snapshot(),
            Message::State { values } => {
                let new_keys = values.iter().filter(|(key, _)| !state.contains_key(key)).count();
                if state.len() + new_keys > MAX_KEYS {
                    return Err(FollowError::TooManyKeys { keys: state.len() + new_keys });
                }
                let changed = state.update(values);
                // Sent under the lock, so followers get changes in the order they were made.
                if !changed.is_empty() {
                    let _ = self.sender.send(Message::State { values: changed }.to_text().into());
                }
                Vec::new()
            }
        };
        Ok(FollowReply { followers: self.followers(), values })
    }

    /// A follower's stream: everything so far, then each change, until the server stops; or
    /// [`FollowError::RoomFull`].
    pub fn subscribe(self: &Arc<Self>) -> Result<impl Stream<Item = Arc<str>> + use<>, FollowError> {
        let Ok(seat) = self.seats.clone().try_acquire_owned() else {
            let followers = self.followers();
            if !self.told_full.swap(true, Ordering::Relaxed) {
                self.log.line(format!(
                    "follow mode: the room is full ({followers} devices follow, the most the open-file \
                     limit leaves room for): more are turned away with 503"
                ));
            }
            return Err(FollowError::RoomFull { followers });
        };
        let (receiver, snapshot) = self.catch_up();
        let follower = Follower { room: self.clone(), receiver, _seat: seat };
        let changes = stream::unfold(follower, |mut follower| async move {
            let text = follower.next().await?;
            Some((text, follower))
        });
        Ok(stream::StreamExt::chain(stream::once(async move { snapshot }), changes))
    }

    /// Everything recorded, as one `state` message, and a receiver for every change after it.
    fn catch_up(&self) -> (broadcast::Receiver<Arc<str>>, Arc<str>) {
        // Under the lock, so no change falls between the snapshot and the receiver.
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        (self.sender.subscribe(), Message::State { values: state.snapshot() }.to_text().into())
    }
}

/// One follower's place in the room, given back when its stream ends.
struct Follower {
    room: Arc<Room>,
    receiver: broadcast::Receiver<Arc<str>>,
    _seat: OwnedSemaphorePermit,
}

impl Follower {
    /// The next message for this follower; `None` once the server stops.
    async fn next(&mut self) -> Option<Arc<str>> {
        let received = tokio::select! {
            _ = self.room.closed.cancelled() => return None,
            received = self.receiver.recv() => received,
        };
        match received {
            Ok(text) => Some(text),
            // It stopped reading long enough (a phone's wifi faded) for the changes it missed to
            // leave the channel: it gets everything anew, as on connecting, so no value it missed
            // stays stale, and follows on from there.
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let (receiver, snapshot) = self.room.catch_up();
                self.receiver = receiver;
                Some(snapshot)
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The follow routes; `token` guards the presenter's.
pub fn router(room: Arc<Room>, token: ControlToken) -> Router {
    let presenter_only = axum::middleware::from_fn_with_state(token, control::require);
    Router::new()
        .route(
            FOLLOW_ROUTE,
            post(from_presenter).route_layer(presenter_only).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route(FOLLOW_EVENTS_ROUTE, get(to_follower))
        .route(FOLLOW_JOIN_ROUTE, get(join))
        .route(FOLLOW_JOIN_QR_ROUTE, get(join_qr))
        .with_state(room)
}

fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(HOST).and_then(|value| value.to_str().ok())
}

async fn join(State(room): State<Arc<Room>>, headers: HeaderMap) -> Json<Join> {
    Json(Join { url: room.follow_url(host(&headers)), followers: room.followers() })
}

/// The follow address as a QR code: phones in the room scan the projector.
async fn join_qr(State(room): State<Arc<Room>>, headers: HeaderMap) -> Response {
    let url = room.follow_url(host(&headers));
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(256, 256).build();
            ([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "no-cache")], svg).into_response()
        }
        Err(error) => {
            (StatusCode::INTERNAL_SERVER_ERROR, format!("no QR code for {url}: {error}")).into_response()
        }
    }
}

async fn from_presenter(
    State(room): State<Arc<Room>>,
    body: String,
) -> Result<Json<FollowReply>, FollowError> {
    let message = Message::from_text(&body).map_err(|e| FollowError::BadMessage { detail: e.to_string() })?;
    room.receive(message).map(Json)
}

async fn to_follower(
    State(room): State<Arc<Room>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, FollowError> {
    let events = stream::StreamExt::map(room.subscribe()?, |text| Ok(Event::default().data(&*text)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn silent() -> LogSink {
        LogSink::new(std::io::sink())
    }
    use deck_core::sync::POSITION_KEY;
    use futures_util::StreamExt;
    use serde_json::{json, Value};

    fn state(values: &[(&str, Value)]) -> Message {
        Message::State { values: values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect() }
    }

    #[test]
    fn auto_is_on_only_beyond_loopback() {
        let (lan, local) = ("0.0.0.0:8080".parse().unwrap(), "127.0.0.1:8080".parse().unwrap());
        assert!(FollowSetting::Auto.is_on(&lan));
        assert!(!FollowSetting::Auto.is_on(&local));
        assert!(!FollowSetting::Auto.is_on(&"[::1]:8080".parse().unwrap()));
        assert!(FollowSetting::On.is_on(&local));
        assert!(!FollowSetting::Off.is_on(&lan));
    }

    #[test]
    fn origins_name_the_address_listened_on_or_this_machines_addresses() {
        let origins = reachable_origins(&"192.168.1.20:8080".parse().unwrap());
        assert_eq!(origins, vec!["http://192.168.1.20:8080"]);
        let wildcard = reachable_origins(&"0.0.0.0:9000".parse().unwrap());
        assert!(!wildcard.is_empty());
        for origin in &wildcard {
            assert!(origin.ends_with(":9000") && !origin.contains("127.0.0.1"), "{origin}");
        }
    }

    #[test]
    fn the_follow_url_is_the_one_the_presenter_used_unless_that_is_loopback() {
        let room = Room::new(vec!["http://192.168.1.20:8080".into()], CancellationToken::new(), silent());
        assert_eq!(room.follow_url(Some("10.0.0.5:8080")), "http://10.0.0.5:8080/follow");
        assert_eq!(room.follow_url(Some("deck.local:8080")), "http://deck.local:8080/follow");
        for local in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080"] {
            assert_eq!(room.follow_url(Some(local)), "http://192.168.1.20:8080/follow", "{local}");
        }
        assert_eq!(room.follow_url(None), "http://192.168.1.20:8080/follow");
    }

    #[tokio::test]
    async fn followers_get_everything_at_once_then_each_change_in_order() {
        let room = Room::new(Vec::new(), CancellationToken::new(), silent());
        room.receive(state(&[(POSITION_KEY, json!({"slide": 4, "step": 0}))])).unwrap();
        let mut follower = Box::pin(room.subscribe().unwrap());
        assert_eq!(room.followers(), 1);
        let first = Message::from_text(&follower.next().await.unwrap()).unwrap();
        assert_eq!(first, state(&[(POSITION_KEY, json!({"slide": 4, "step": 0}))]));

        for slide in 5..8 {
            let reply = room.receive(state(&[(POSITION_KEY, json!({"slide": slide, "step": 0}))])).unwrap();
            assert_eq!(reply, FollowReply { followers: 1, values: Vec::new() });
        }
        for slide in 5..8 {
            let next = Message::from_text(&follower.next().await.unwrap()).unwrap();
            assert_eq!(next, state(&[(POSITION_KEY, json!({"slide": slide, "step": 0}))]));
        }
    }

    #[tokio::test]
    async fn only_changes_go_out_and_hello_is_answered_with_everything() {
        let room = Room::new(Vec::new(), CancellationToken::new(), silent());
        room.receive(state(&[("panel:3-1:result", json!("ok")), ("deck:position", json!(1))])).unwrap();
        let mut follower = Box::pin(room.subscribe().unwrap());
        follower.next().await.unwrap();
        // The same value again (a second presenter window relaying it) reaches no one.
        room.receive(state(&[("panel:3-1:result", json!("ok"))])).unwrap();
        room.receive(state(&[("deck:position", json!(2))])).unwrap();
        let next = Message::from_text(&follower.next().await.unwrap()).unwrap();
        assert_eq!(next, state(&[("deck:position", json!(2))]));

        let reply = room.receive(Message::Hello).unwrap();
        assert_eq!(reply.followers, 1);
        assert_eq!(
            reply.values,
            vec![("panel:3-1:result".into(), json!("ok")), ("deck:position".into(), json!(2))]
        );
    }

    #[test]
    fn the_number_of_keys_is_bounded() {
        let room = Room::new(Vec::new(), CancellationToken::new(), silent());
        let many: Vec<_> = (0..MAX_KEYS).map(|i| (format!("k{i}"), json!(i))).collect();
        room.receive(Message::State { values: many }).unwrap();
        room.receive(state(&[("k0", json!("changed"))])).unwrap();
        let refused = room.receive(state(&[("one-more", json!(1))])).unwrap_err();
        assert_eq!(refused, FollowError::TooManyKeys { keys: MAX_KEYS + 1 });
        assert_eq!(room.receive(Message::Hello).unwrap().values.len(), MAX_KEYS, "nothing of it was kept");
    }

    #[test]
    fn the_room_leaves_files_for_the_presenter_and_the_deck() {
        assert_eq!(room_for(256), 192);
        assert_eq!(room_for(1_024), 768);
        assert_eq!(room_for(4_096), 3_840);
        assert_eq!(room_for(1 << 20), MAX_FOLLOWERS);
        assert_eq!(room_for(u64::MAX), MAX_FOLLOWERS);
        assert_eq!(room_for(0), 0);
    }

    #[tokio::test]
    async fn a_full_room_turns_followers_away_until_one_leaves() {
        let room = Room::with_seats(Vec::new(), CancellationToken::new(), 2, silent());
        let first = room.subscribe().unwrap();
        let _second = room.subscribe().unwrap();
        assert_eq!(room.subscribe().err(), Some(FollowError::RoomFull { followers: 2 }));
        drop(first);
        assert!(room.subscribe().is_ok(), "the seat of a follower who left is free again");
    }

    #[tokio::test]
    async fn a_follower_that_fell_behind_gets_everything_again() {
        let room = Room::new(Vec::new(), CancellationToken::new(), silent());
        let mut follower = Box::pin(room.subscribe().unwrap());
        follower.next().await.unwrap();
        room.receive(state(&[("set-once", json!("meanwhile"))])).unwrap();
        for slide in 0..1_000 {
            room.receive(state(&[(POSITION_KEY, json!(slide))])).unwrap();
        }
        // The channel dropped what it could not hold; what comes instead is the whole state.
        let caught_up = Message::from_text(&follower.next().await.unwrap()).unwrap();
        assert_eq!(caught_up, state(&[("set-once", json!("meanwhile")), (POSITION_KEY, json!(999))]));
        room.receive(state(&[(POSITION_KEY, json!(1_000))])).unwrap();
        let next = Message::from_text(&follower.next().await.unwrap()).unwrap();
        assert_eq!(next, state(&[(POSITION_KEY, json!(1_000))]), "then each change again");
    }

    #[tokio::test]
    async fn streams_end_when_the_server_stops() {
        let closed = CancellationToken::new();
        let room = Room::new(Vec::new(), closed.clone(), silent());
        let mut follower = Box::pin(room.subscribe().unwrap());
        follower.next().await.unwrap();
        closed.cancel();
        assert_eq!(follower.next().await, None);
    }
}
