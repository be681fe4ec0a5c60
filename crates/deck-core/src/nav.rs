//! Where the audience is in the deck, and how keys and URLs move it.
//!
//! URLs are 1-based (`#/3` is the third slide, `#/3/2` its second reveal step); positions are
//! 0-based internally.

/// A slide and how many of its reveal steps are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
}
