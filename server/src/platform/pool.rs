//! Which instance serves the next invocation: the scaling policy of one function.
//!
//! An idle instance is reused (the most recently used first, so spare ones age out); without one,
//! a new instance starts, up to the concurrency cap; past the cap the call is throttled. One short
//! lock guards the bookkeeping; no process is ever looked at here.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::lifecycle::{State, StopReason};

/// What the pool needs of an instance.
pub trait Member {
    /// The pool generation it was started in; a recycle retires older ones.
    fn generation(&self) -> u64;
    fn set_state(&self, state: State);
}

pub enum Lease<M> {
    /// An idle instance, now busy: a warm start.
    Warm(Arc<M>),
    /// A reserved slot: start an instance, then [`Pool::admit`] it, or [`Pool::abandon_start`].
    Cold { generation: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Throttled,
    Closed,
}

/// What happens to an instance after its invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    Idle,
    Retire(StopReason),
}

pub struct Pool<M> {
    max_instances: usize,
    idle_timeout: Duration,
    state: Mutex<PoolState<M>>,
}

struct PoolState<M> {
    /// Back = most recently released.
    idle: VecDeque<(Instant, Arc<M>)>,
    /// Every admitted instance that has not exited yet, whatever its state.
    live: Vec<Arc<M>>,
    /// Slots reserved by starts in progress.
    starting: usize,
    generation: u64,
    closed: bool,
}

impl<M: Member> Pool<M> {
    pub fn new(max_instances: usize, idle_timeout: Duration) -> Pool<M> {
        Pool {
            max_instances,
            idle_timeout,
            state: Mutex::new(PoolState {
                idle: VecDeque::new(),
                live: Vec::new(),
                starting: 0,
                generation: 0,
                closed: false,
            }),
        }
    }

    pub fn acquire(&self) -> Result<Lease<M>, Refusal> {
        let mut state = self.lock();
        if state.closed {
            return Err(Refusal::Closed);
        }
        if let Some((_, member)) = state.idle.pop_back() {
            member.set_state(State::Busy);
            return Ok(Lease::Warm(member));
        }
        if state.live.len() + state.starting >= self.max_instances {
            return Err(Refusal::Throttled);
        }
        state.starting += 1;
        Ok(Lease::Cold { generation: state.generation })
    }

    /// The started instance takes its reserved slot.
    pub fn admit(&self, member: &Arc<M>) {
        let mut state = self.lock();
        state.starting -= 1;
        state.live.push(member.clone());
    }

    /// The start failed: the reserved slot is free again.
    pub fn abandon_start(&self) {
        self.lock().starting -= 1;
    }

    pub fn release(&self, member: &Arc<M>) -> Release {
        let mut state = self.lock();
        if state.closed {
            return Release::Retire(StopReason::ServerShutdown);
        }
        if member.generation() < state.generation {
            return Release::Retire(StopReason::Recycled);
        }
        if !state.live.iter().any(|live| Arc::ptr_eq(live, member)) {
            // Exited while its answer was on the way back: nothing to keep.
            return Release::Retire(StopReason::Exited);
        }
        member.set_state(State::Idle);
        state.idle.push_back((Instant::now(), member.clone()));
        Release::Idle
    }

    /// The instance has exited: its slot is free.
    pub fn remove(&self, member: &Arc<M>) {
        let mut state = self.lock();
        state.live.retain(|live| !Arc::ptr_eq(live, member));
        state.idle.retain(|(_, idle)| !Arc::ptr_eq(idle, member));
    }

    /// Takes out the instances idle for longer than the idle timeout; the caller stops them.
    pub fn reap_idle(&self, now: Instant) -> Vec<Arc<M>> {
        let mut state = self.lock();
        let mut expired = Vec::new();
        while let Some((since, _)) = state.idle.front() {
            if now.saturating_duration_since(*since) < self.idle_timeout {
                break;
            }
            expired.extend(state.idle.pop_front().map(|(_, member)| member));
        }
        mark_stopping(&expired);
        expired
    }

    /// Makes the next invocation cold: takes out the idle instances (the caller stops them) and
    /// retires the busy and starting ones when their invocation ends. Returns the idle ones and
    /// how many will retire later.
    pub fn recycle(&self) -> (Vec<Arc<M>>, usize) {
        let mut state = self.lock();
        state.generation += 1;
        let idle: Vec<Arc<M>> = state.idle.drain(..).map(|(_, member)| member).collect();
        mark_stopping(&idle);
        let retiring = state.live.len() - idle.len();
        (idle, retiring)
    }

    /// No more instances: returns every live one, for the caller to stop.
    pub fn close(&self) -> Vec<Arc<M>> {
        let mut state = self.lock();
        state.closed = true;
        state.idle.clear();
        state.live.clone()
    }

    pub fn instances(&self) -> Vec<Arc<M>> {
        self.lock().live.clone()
    }

    fn lock(&self) -> MutexGuard<'_, PoolState<M>> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn mark_stopping<M: Member>(members: &[Arc<M>]) {
    for member in members {
        member.set_state(State::Stopping);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU8, Ordering};

    struct Fake {
        generation: u64,
        state: AtomicU8,
    }

    impl Member for Fake {
        fn generation(&self) -> u64 {
            self.generation
        }
        fn set_state(&self, state: State) {
            self.state.store(state as u8, Ordering::Relaxed);
        }
    }

    impl Fake {
        fn state(&self) -> u8 {
            self.state.load(Ordering::Relaxed)
        }
    }

    /// Acquires a cold slot and admits a new fake into it.
    fn start(pool: &Pool<Fake>) -> Arc<Fake> {
        let Ok(Lease::Cold { generation }) = pool.acquire() else { panic!("expected a cold start") };
        let fake = Arc::new(Fake { generation, state: AtomicU8::new(State::Starting as u8) });
        pool.admit(&fake);
        fake
    }

    fn warm(pool: &Pool<Fake>) -> Arc<Fake> {
        match pool.acquire() {
            Ok(Lease::Warm(fake)) => fake,
            _ => panic!("expected a warm start"),
        }
    }

    #[test]
    fn a_released_instance_is_reused_most_recent_first() {
        let pool = Pool::new(3, Duration::from_secs(60));
        let (first, second) = (start(&pool), start(&pool));
        assert_eq!(pool.release(&first), Release::Idle);
        assert_eq!(pool.release(&second), Release::Idle);
        assert_eq!(first.state(), State::Idle as u8);
        let reused = warm(&pool);
        assert!(Arc::ptr_eq(&reused, &second));
        assert_eq!(reused.state(), State::Busy as u8);
    }

    #[test]
    fn starts_count_against_the_cap_until_abandoned_and_then_calls_are_throttled() {
        let pool: Pool<Fake> = Pool::new(2, Duration::from_secs(60));
        let _running = start(&pool);
        assert!(matches!(pool.acquire(), Ok(Lease::Cold { .. })));
        assert_eq!(pool.acquire().err(), Some(Refusal::Throttled));
        pool.abandon_start();
        assert!(matches!(pool.acquire(), Ok(Lease::Cold { .. })));
    }

    #[test]
    fn an_exited_instance_frees_its_slot_and_is_never_reused() {
        let pool = Pool::new(1, Duration::from_secs(60));
        let crashed = start(&pool);
        pool.remove(&crashed);
        assert_eq!(pool.release(&crashed), Release::Retire(StopReason::Exited));
        assert!(matches!(pool.acquire(), Ok(Lease::Cold { .. })));
    }

    #[test]
    fn idle_instances_past_the_timeout_are_reaped_oldest_first() {
        let pool = Pool::new(3, Duration::from_secs(1));
        let (old, recent) = (start(&pool), start(&pool));
        pool.release(&old);
        std::thread::sleep(Duration::from_millis(20));
        pool.release(&recent);
        let later = Instant::now() + Duration::from_secs(1) - Duration::from_millis(10);
        let reaped = pool.reap_idle(later);
        assert_eq!(reaped.len(), 1);
        assert!(Arc::ptr_eq(&reaped[0], &old));
        assert_eq!(old.state(), State::Stopping as u8);
        assert!(pool.reap_idle(Instant::now()).is_empty());
        assert!(Arc::ptr_eq(&warm(&pool), &recent));
    }

    #[test]
    fn recycle_stops_idle_instances_and_retires_busy_ones_after_their_call() {
        let pool = Pool::new(3, Duration::from_secs(60));
        let (idle, busy) = (start(&pool), start(&pool));
        pool.release(&idle);
        let (stopped, retiring) = pool.recycle();
        assert_eq!((stopped.len(), retiring), (1, 1));
        assert!(Arc::ptr_eq(&stopped[0], &idle));
        assert_eq!(pool.release(&busy), Release::Retire(StopReason::Recycled));
        pool.remove(&idle);
        pool.remove(&busy);
        let fresh = start(&pool);
        assert_eq!(pool.release(&fresh), Release::Idle, "instances started after the recycle stay");
    }

    #[test]
    fn a_closed_pool_refuses_calls_and_hands_back_every_instance() {
        let pool = Pool::new(3, Duration::from_secs(60));
        let (idle, busy) = (start(&pool), start(&pool));
        pool.release(&idle);
        assert_eq!(pool.close().len(), 2);
        assert_eq!(pool.acquire().err(), Some(Refusal::Closed));
        assert_eq!(pool.release(&busy), Release::Retire(StopReason::ServerShutdown));
    }
}
