//! Where the audience is in the deck, and how keys and URLs move it.
//!
//! URLs are 1-based (`#/3` is the third slide, `#/3/2` its second reveal step); positions are
//! 0-based internally. Also here, free of the browser: reading a typed slide number, telling a
//! swipe from a tap, and moving through the overview grid.
use std::fmt;

use serde::{Deserialize, Serialize};

/// A slide and how many of its reveal steps are shown. Serialised to keep windows in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    pub slide: usize,
    pub step: u16,
}

impl Position {
    pub const START: Position = Position { slide: 0, step: 0 };

    /// The URL fragment for this position: `#/N`, or `#/N/S` once a step is revealed.
    pub fn to_hash(self) -> String {
        if self.step == 0 {
            format!("#/{}", self.slide + 1)
        } else {
            format!("#/{}/{}", self.slide + 1, self.step)
        }
    }

    /// Reads `#/N` or `#/N/S`, clamped to the deck so a stale link still lands somewhere
    /// sensible. `steps[i]` is the number of reveal steps of slide `i`. Anything else is `None`.
    pub fn from_hash(hash: &str, steps: &[u16]) -> Option<Position> {
        let rest = hash.strip_prefix('#').unwrap_or(hash).strip_prefix('/')?;
        let mut parts = rest.splitn(2, '/');
        let slide: usize = parts.next()?.parse().ok()?;
        let step: u16 = match parts.next() {
            Some(s) => s.parse().ok()?,
            None => 0,
        };
        let last = steps.len().checked_sub(1)?;
        let slide = slide.saturating_sub(1).min(last);
        Some(Position { slide, step: step.min(steps[slide]) })
    }

    /// One step forward: the next reveal of this slide, else the next slide.
    pub fn next(self, steps: &[u16]) -> Position {
        match steps.get(self.slide) {
            Some(&n) if self.step < n => Position { step: self.step + 1, ..self },
            _ if self.slide + 1 < steps.len() => Position { slide: self.slide + 1, step: 0 },
            _ => self,
        }
    }

    /// One step back: hide the last reveal, else the previous slide fully revealed.
    pub fn prev(self, steps: &[u16]) -> Position {
        if self.step > 0 {
            Position { step: self.step - 1, ..self }
        } else if self.slide > 0 {
            let slide = self.slide - 1;
            Position { slide, step: steps.get(slide).copied().unwrap_or(0) }
        } else {
            self
        }
    }

    /// Straight to a slide (for Home/End, "go to", the overview): its first step.
    pub fn slide(slide: usize, steps: &[u16]) -> Position {
        Position { slide: slide.min(steps.len().saturating_sub(1)), step: 0 }
    }
}

/// Why a typed slide number cannot be used; `total` is the deck's length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlideNumberError {
    Empty,
    NotANumber(String),
    OutOfRange { number: usize, total: usize },
}

impl fmt::Display for SlideNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlideNumberError::Empty => f.write_str("type a slide number"),
            SlideNumberError::NotANumber(text) => write!(f, "“{text}” is not a slide number"),
            SlideNumberError::OutOfRange { number, total } => {
                write!(f, "there is no slide {number}: the deck has slides 1 to {total}")
            }
        }
    }
}

impl std::error::Error for SlideNumberError {}

/// Reads a 1-based slide number typed by the user (for "go to slide") as a 0-based index.
/// Unlike a URL, a typed number is never clamped: a typo should say so, not jump elsewhere.
pub fn parse_slide_number(text: &str, total: usize) -> Result<usize, SlideNumberError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SlideNumberError::Empty);
    }
    let number: usize = text.parse().map_err(|_| SlideNumberError::NotANumber(text.to_string()))?;
    if number == 0 || number > total {
        return Err(SlideNumberError::OutOfRange { number, total });
    }
    Ok(number - 1)
}

/// Which way a gesture moves through the deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Back,
}

/// Shortest horizontal travel, in CSS pixels, that counts as a swipe rather than a tap.
pub const SWIPE_MIN_PX: f64 = 50.0;

/// Classifies a touch that moved by (`dx`, `dy`): a mostly horizontal stroke of at least
/// [`SWIPE_MIN_PX`] is a swipe. Swiping left (content moves left) goes forward, like turning a
/// page; anything else (taps, vertical scrolls, diagonals) is not a swipe.
pub fn swipe(dx: f64, dy: f64) -> Option<Direction> {
    if !dx.is_finite() || !dy.is_finite() || dx.abs() < SWIPE_MIN_PX || dx.abs() < 2.0 * dy.abs() {
        return None;
    }
    Some(if dx < 0.0 { Direction::Forward } else { Direction::Back })
}

/// A key press inside the overview grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridMove {
    Left,
    Right,
    Up,
    Down,
    First,
    Last,
}

impl GridMove {
    /// The move for a `KeyboardEvent.key` value, if it is one.
    pub fn from_key(key: &str) -> Option<GridMove> {
        Some(match key {
            "ArrowLeft" => GridMove::Left,
            "ArrowRight" => GridMove::Right,
            "ArrowUp" => GridMove::Up,
            "ArrowDown" => GridMove::Down,
            "Home" => GridMove::First,
            "End" => GridMove::Last,
            _ => return None,
        })
    }

    /// Where the focus goes from `index` in a grid of `total` items laid out `columns` wide.
    /// Left and right wrap across rows; up and down stay put at the grid's edges.
    pub fn apply(self, index: usize, columns: usize, total: usize) -> usize {
        let last = total.saturating_sub(1);
        let columns = columns.max(1);
        let index = index.min(last);
        match self {
            GridMove::Left => index.saturating_sub(1),
            GridMove::Right => (index + 1).min(last),
            GridMove::Up => index.checked_sub(columns).unwrap_or(index),
            GridMove::Down if index + columns <= last => index + columns,
            GridMove::Down => index,
            GridMove::First => 0,
            GridMove::Last => last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[u16] = &[0, 2, 0];

    #[test]
    fn hash_round_trips() {
        for pos in [Position::START, Position { slide: 1, step: 2 }, Position { slide: 2, step: 0 }] {
            assert_eq!(Position::from_hash(&pos.to_hash(), STEPS), Some(pos));
        }
        assert_eq!(Position { slide: 2, step: 0 }.to_hash(), "#/3");
        assert_eq!(Position { slide: 1, step: 1 }.to_hash(), "#/2/1");
    }

    #[test]
    fn hash_is_clamped_or_rejected() {
        assert_eq!(Position::from_hash("#/99", STEPS), Some(Position { slide: 2, step: 0 }));
        assert_eq!(Position::from_hash("#/0", STEPS), Some(Position::START));
        assert_eq!(Position::from_hash("#/2/9", STEPS), Some(Position { slide: 1, step: 2 }));
        for bad in ["", "#", "#/", "#/x", "#/2/x", "#3", "#/-1"] {
            assert_eq!(Position::from_hash(bad, STEPS), None, "{bad:?}");
        }
        assert_eq!(Position::from_hash("#/1", &[]), None);
    }

    #[test]
    fn next_walks_steps_before_slides() {
        let mut pos = Position::START;
        let mut seen = vec![pos];
        for _ in 0..6 {
            pos = pos.next(STEPS);
            seen.push(pos);
        }
        let expect = [(0, 0), (1, 0), (1, 1), (1, 2), (2, 0), (2, 0), (2, 0)];
        let got: Vec<_> = seen.iter().map(|p| (p.slide, p.step)).collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn prev_undoes_next() {
        let mut pos = Position { slide: 2, step: 0 };
        let mut seen = vec![];
        for _ in 0..5 {
            pos = pos.prev(STEPS);
            seen.push((pos.slide, pos.step));
        }
        assert_eq!(seen, [(1, 2), (1, 1), (1, 0), (0, 0), (0, 0)]);
    }

    #[test]
    fn position_serialises_for_other_windows() {
        let pos = Position { slide: 4, step: 1 };
        let json = serde_json::to_string(&pos).unwrap();
        assert_eq!(json, r#"{"slide":4,"step":1}"#);
        assert_eq!(serde_json::from_str::<Position>(&json).unwrap(), pos);
    }

    #[test]
    fn slide_numbers_are_read_strictly() {
        assert_eq!(parse_slide_number(" 3 ", 10), Ok(2));
        assert_eq!(parse_slide_number("10", 10), Ok(9));
        assert_eq!(parse_slide_number("", 10), Err(SlideNumberError::Empty));
        assert_eq!(parse_slide_number("x1", 10), Err(SlideNumberError::NotANumber("x1".into())));
        assert_eq!(parse_slide_number("-1", 10), Err(SlideNumberError::NotANumber("-1".into())));
        assert_eq!(parse_slide_number("0", 10), Err(SlideNumberError::OutOfRange { number: 0, total: 10 }));
        let too_far = parse_slide_number("11", 10).unwrap_err();
        assert_eq!(too_far.to_string(), "there is no slide 11: the deck has slides 1 to 10");
    }

    #[test]
    fn swipes_are_long_and_horizontal() {
        assert_eq!(swipe(-120.0, 10.0), Some(Direction::Forward));
        assert_eq!(swipe(80.0, -30.0), Some(Direction::Back));
        assert_eq!(swipe(-30.0, 0.0), None, "a tap");
        assert_eq!(swipe(-100.0, 80.0), None, "a diagonal");
        assert_eq!(swipe(5.0, -300.0), None, "a scroll");
        assert_eq!(swipe(f64::NAN, 0.0), None);
    }

    #[test]
    fn grid_moves_stay_inside_the_grid() {
        // 10 items, 4 columns: rows 0-3, 4-7, 8-9.
        let cases = [
            (GridMove::Right, 3, 4),
            (GridMove::Right, 9, 9),
            (GridMove::Left, 4, 3),
            (GridMove::Left, 0, 0),
            (GridMove::Down, 1, 5),
            (GridMove::Down, 5, 9),
            (GridMove::Down, 6, 6),
            (GridMove::Up, 9, 5),
            (GridMove::Up, 2, 2),
            (GridMove::First, 7, 0),
            (GridMove::Last, 0, 9),
        ];
        for (moved, from, to) in cases {
            assert_eq!(moved.apply(from, 4, 10), to, "{moved:?} from {from}");
        }
        assert_eq!(GridMove::Down.apply(0, 0, 3), 1, "zero columns act as one");
        assert_eq!(GridMove::from_key("ArrowDown"), Some(GridMove::Down));
        assert_eq!(GridMove::from_key("x"), None);
    }
}
