//! Every keyboard shortcut of the deck, in one table: the key handler looks keys up here and the
//! `?` help lists this same table, so the help can never miss or misname a shortcut.

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Next,
    Previous,
    First,
    Last,
    Overview,
    GoTo,
    Search,
    ReadMode,
    SpeakerView,
    Join,
    Fullscreen,
    Theme,
    Help,
    NotesLarger,
    NotesSmaller,
    TimerPause,
    TimerReset,
}

/// Where a shortcut works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The audience's deck and the speaker view.
    Everywhere,
    /// The audience's deck only: read mode, and opening the speaker view.
    Deck,
    /// The speaker view only.
    Presenter,
}

impl Scope {
    /// Whether a shortcut of this scope works in a view of scope `view` (`Deck` or `Presenter`).
    pub fn applies_in(self, view: Scope) -> bool {
        self == Scope::Everywhere || self == view
    }
}

/// A key as `KeyboardEvent.key` names it, and whether Shift is part of the shortcut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub value: &'static str,
    pub shift: bool,
}

impl Key {
    const fn plain(value: &'static str) -> Key {
        Key { value, shift: false }
    }

    const fn shifted(value: &'static str) -> Key {
        Key { value, shift: true }
    }

    /// How the help shows the key.
    pub fn label(self) -> String {
        let name = match self.value {
            "ArrowRight" => "→",
            "ArrowLeft" => "←",
            "ArrowUp" => "↑",
            "ArrowDown" => "↓",
            "PageDown" => "Page Down",
            "PageUp" => "Page Up",
            " " => "Space",
            "Escape" => "Esc",
            other => other,
        };
        if self.shift {
            format!("Shift+{name}")
        } else {
            name.to_string()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortcut {
    pub command: Command,
    pub keys: &'static [Key],
    pub scope: Scope,
    /// What the help says it does.
    pub help: &'static str,
}

const fn shortcut(command: Command, keys: &'static [Key], scope: Scope, help: &'static str) -> Shortcut {
    Shortcut { command, keys, scope, help }
}

use Command::*;
use Scope::*;

pub const SHORTCUTS: &[Shortcut] = &[
    shortcut(
        Next,
        &[Key::plain("ArrowRight"), Key::plain("ArrowDown"), Key::plain("PageDown"), Key::plain(" ")],
        Everywhere,
        "Next step or slide (also: swipe left, click the right third)",
    ),
    shortcut(
        Previous,
        &[Key::plain("ArrowLeft"), Key::plain("ArrowUp"), Key::plain("PageUp"), Key::shifted(" ")],
        Everywhere,
        "Previous step or slide (also: swipe right, click the left third)",
    ),
    shortcut(First, &[Key::plain("Home")], Everywhere, "First slide"),
    shortcut(Last, &[Key::plain("End")], Everywhere, "Last slide"),
    shortcut(Overview, &[Key::plain("o")], Everywhere, "Overview of all slides (Esc closes)"),
    shortcut(GoTo, &[Key::plain("g")], Everywhere, "Go to a slide by number"),
    shortcut(Search, &[Key::plain("/")], Everywhere, "Search the slides and notes"),
    shortcut(ReadMode, &[Key::plain("r")], Deck, "Read mode: every slide on one page, with notes"),
    shortcut(SpeakerView, &[Key::plain("p")], Deck, "Open the speaker view in a new window"),
    shortcut(
        Join,
        &[Key::plain("j")],
        Deck,
        "Show the room how to follow along on their devices (follow mode)",
    ),
    shortcut(Fullscreen, &[Key::plain("f")], Everywhere, "Full screen on or off"),
    shortcut(Theme, &[Key::plain("d")], Everywhere, "Dark or light theme"),
    shortcut(Help, &[Key::plain("?")], Everywhere, "This list of shortcuts"),
    shortcut(NotesLarger, &[Key::plain("+"), Key::plain("=")], Presenter, "Larger notes"),
    shortcut(NotesSmaller, &[Key::plain("-")], Presenter, "Smaller notes"),
    shortcut(TimerPause, &[Key::plain("t")], Presenter, "Pause or resume the timer"),
    shortcut(TimerReset, &[Key::shifted("T")], Presenter, "Reset the timer"),
];

/// The command for a key press in a view of scope `view`. An exact match (key and Shift) wins;
/// otherwise Shift is ignored, since keys like `?` or `+` need it on many layouts. Letters match
/// in either case so Caps Lock does not disable the shortcuts.
pub fn command_for(key: &str, shift: bool, view: Scope) -> Option<Command> {
    let in_view = SHORTCUTS.iter().filter(|s| s.scope.applies_in(view));
    let find = |matches: &dyn Fn(&Key) -> bool| {
        in_view.clone().find(|s| s.keys.iter().any(matches)).map(|s| s.command)
    };
    find(&|k| k.value == key && k.shift == shift).or_else(|| find(&|k| k.value == key && !k.shift)).or_else(
        || {
            let lower = key.to_lowercase();
            let is_letter = key.chars().count() == 1 && key.chars().all(char::is_alphabetic);
            (is_letter && lower != key).then(|| find(&|k| k.value == lower && !k.shift)).flatten()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_key_runs_its_command() {
        for shortcut in SHORTCUTS {
            let view = if shortcut.scope == Presenter { Presenter } else { Deck };
            for key in shortcut.keys {
                assert_eq!(command_for(key.value, key.shift, view), Some(shortcut.command), "{key:?}");
            }
        }
    }

    #[test]
    fn no_key_is_listed_twice_in_one_view() {
        for view in [Deck, Presenter] {
            let mut seen = std::collections::HashSet::new();
            for shortcut in SHORTCUTS.iter().filter(|s| s.scope.applies_in(view)) {
                for key in shortcut.keys {
                    assert!(seen.insert((key.value, key.shift)), "{key:?} twice in {view:?}");
                }
            }
        }
    }

    #[test]
    fn shift_only_matters_where_the_table_says() {
        assert_eq!(command_for(" ", false, Deck), Some(Next));
        assert_eq!(command_for(" ", true, Deck), Some(Previous));
        assert_eq!(command_for("?", true, Deck), Some(Help), "? needs Shift on US keyboards");
        assert_eq!(command_for("ArrowRight", true, Deck), Some(Next));
        assert_eq!(command_for("O", true, Deck), Some(Overview), "Caps Lock or Shift");
        assert_eq!(command_for("T", true, Presenter), Some(TimerReset));
        assert_eq!(command_for("t", false, Presenter), Some(TimerPause));
    }

    #[test]
    fn views_only_get_their_shortcuts() {
        assert_eq!(command_for("r", false, Deck), Some(ReadMode));
        assert_eq!(command_for("r", false, Presenter), None);
        assert_eq!(command_for("p", false, Presenter), None);
        assert_eq!(command_for("t", false, Deck), None);
        assert_eq!(command_for("x", false, Deck), None);
        assert_eq!(command_for("Enter", false, Deck), None);
    }

    #[test]
    fn labels_read_like_keys() {
        assert_eq!(Key::plain("ArrowRight").label(), "→");
        assert_eq!(Key::shifted(" ").label(), "Shift+Space");
        assert_eq!(Key::plain("g").label(), "g");
    }
}
