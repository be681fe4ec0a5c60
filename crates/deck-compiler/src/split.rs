//! Cuts a markdown file into front matter and slide sources, before any markdown parsing:
//! a line that is exactly `---` outside a code fence ends a slide.
use crate::error::ErrorKind;

/// Front matter found at the top of a file.
#[derive(Debug, PartialEq)]
pub struct FrontMatter<'a> {
    pub format: Format,
    pub text: &'a str,
    /// 1-based line of the first line inside the delimiters.
    pub first_line: u32,
}

#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Format {
    Yaml,
    Toml,
}

/// The markdown of one slide and the 1-based line it starts on.
#[derive(Debug, PartialEq)]
pub struct Chunk<'a> {
    pub text: &'a str,
    pub first_line: u32,
}

/// Lines of `text`: 1-based number, byte range (with the line break) and text (without it).
fn lines(text: &str) -> impl Iterator<Item = (u32, std::ops::Range<usize>, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').zip(1..).map(move |(line, number)| {
        let range = offset..offset + line.len();
        offset = range.end;
        (number, range, line.trim_end_matches(['\n', '\r']))
    })
}

/// Splits off `---`/`+++` delimited front matter at the very top of `text`.
pub fn front_matter(text: &str) -> Result<(Option<FrontMatter<'_>>, Chunk<'_>), (u32, ErrorKind)> {
    let whole = Chunk { text, first_line: 1 };
    let (format, delimiter) = match text.lines().next().map(str::trim_end) {
        Some("---") => (Format::Yaml, "---"),
        Some("+++") => (Format::Toml, "+++"),
        _ => return Ok((None, whole)),
    };
    let mut inner_start = None;
    for (number, range, line) in lines(text) {
        if number == 1 {
            continue;
        }
        let inner_from = *inner_start.get_or_insert(range.start);
        if line.trim_end() == delimiter {
            let rest = &text[range.end..];
            let front = FrontMatter { format, text: &text[inner_from..range.start], first_line: 2 };
            // A YAML `---` block with no `key:` line is a slide separator, not front matter.
            if format == Format::Yaml && !front.text.lines().any(|l| l.contains(':')) {
                return Ok((None, whole));
            }
            return Ok((Some(front), Chunk { text: rest, first_line: number + 1 }));
        }
    }
    if format == Format::Yaml {
        // An opening `---` with nothing closing it is just a leading separator.
        return Ok((None, whole));
    }
    Err((1, ErrorKind::UnclosedFrontMatter(delimiter)))
}

/// Splits a file body into slide sources at `---` lines that are not inside a code fence.
/// An unclosed fence is an error at the line that opened it.
pub fn slides(body: Chunk<'_>) -> Result<Vec<Chunk<'_>>, (u32, ErrorKind)> {
    let mut chunks = Vec::new();
    let mut start = (0usize, body.first_line);
    let mut fence: Option<(char, usize, u32)> = None;
    for (number, range, line) in lines(body.text) {
        let number = body.first_line + number - 1;
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        match (fence, marker) {
            (None, Some(c)) if run >= 3 && indent < 4 => fence = Some((c, run, number)),
            (Some((c, len, _)), Some(m)) if m == c && run >= len && trimmed[run..].trim().is_empty() => {
                fence = None
            }
            (None, _) if line.trim_end() == "---" => {
                chunks.push(Chunk { text: &body.text[start.0..range.start], first_line: start.1 });
                start = (range.end, number + 1);
            }
            _ => {}
        }
    }
    if let Some((_, _, opened)) = fence {
        return Err((opened, ErrorKind::UnclosedFence));
    }
    let tail = body.text.get(start.0..).unwrap_or("");
    chunks.push(Chunk { text: tail, first_line: start.1 });
    chunks.retain(|c| !c.text.trim().is_empty());
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<(u32, String)> {
        slides(Chunk { text, first_line: 1 })
            .unwrap()
            .into_iter()
            .map(|c| (c.first_line, c.text.trim().to_string()))
            .collect()
    }

    #[test]
    fn separators_split_slides_and_empty_ones_vanish() {
        let got = split("# One\n\n---\n# Two\ntext\n---\n\n---\n# Three\n");
        assert_eq!(got, [(1, "# One".into()), (4, "# Two\ntext".into()), (9, "# Three".into())]);
    }

    #[test]
    fn separators_inside_fences_are_code() {
        let got = split("# A\n```yaml\n---\nkey: 1\n```\n---\n# B\n");
        assert_eq!(got.len(), 2);
        assert!(got[0].1.contains("key: 1"));
    }

    #[test]
    fn a_longer_fence_needs_a_longer_close() {
        let got = split("````md\n```\n---\n````\n---\n# B\n");
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn unclosed_fence_names_its_line() {
        let err = slides(Chunk { text: "# A\n\ntext\n~~~rust\nfn x() {}\n", first_line: 10 }).unwrap_err();
        assert!(matches!(err, (13, ErrorKind::UnclosedFence)), "{err:?}");
    }

    #[test]
    fn yaml_and_toml_front_matter() {
        let (fm, rest) = front_matter("---\ntitle: T\n---\n# First\n").unwrap();
        let fm = fm.unwrap();
        assert_eq!((fm.format, fm.text, fm.first_line), (Format::Yaml, "title: T\n", 2));
        assert_eq!((rest.first_line, rest.text), (4, "# First\n"));

        let (fm, rest) = front_matter("+++\ntitle = \"T\"\n+++\n# First\n").unwrap();
        assert_eq!(fm.unwrap().format, Format::Toml);
        assert_eq!(rest.first_line, 4);
    }

    #[test]
    fn leading_separator_is_not_front_matter() {
        let (fm, rest) = front_matter("---\n# Slide\n---\n# Two\n").unwrap();
        assert!(fm.is_none());
        assert_eq!(rest.first_line, 1);
        assert!(matches!(front_matter("+++\ntitle = 1\n"), Err((1, ErrorKind::UnclosedFrontMatter("+++")))));
    }
}
