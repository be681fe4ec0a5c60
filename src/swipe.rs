//! Touch: a horizontal swipe turns the page. What counts as a swipe is decided by
//! [`deck_core::nav::swipe`]; here the touch's start and end are tracked.
use std::cell::Cell;
use std::rc::Rc;

use deck_core::nav::{swipe, Direction};
use leptos::ev;

use crate::dom;

/// `touchstart` and `touchend` handlers that call `go` once per swipe. Touches that start on a
/// control (a panel's slider, a button) belong to that control.
pub fn handlers(
    go: impl Fn(Direction) + 'static,
) -> (impl Fn(ev::TouchEvent) + 'static, impl Fn(ev::TouchEvent) + 'static) {
    let start: Rc<Cell<Option<(f64, f64)>>> = Rc::default();
    let on_start = {
        let start = start.clone();
        move |e: ev::TouchEvent| {
            let single = e.touches().length() == 1;
            let point = e.touches().get(0).filter(|_| single && !dom::is_interactive_target(e.target()));
            start.set(point.map(|t| (f64::from(t.client_x()), f64::from(t.client_y()))));
        }
    };
    let on_end = move |e: ev::TouchEvent| {
        let (Some((x0, y0)), Some(touch)) = (start.take(), e.changed_touches().get(0)) else { return };
        if let Some(direction) = swipe(f64::from(touch.client_x()) - x0, f64::from(touch.client_y()) - y0) {
            go(direction);
        }
    };
    (on_start, on_end)
}
