//! One walk over a slide's pulldown-cmark events (zola's approach): code blocks are replaced by
//! highlighted HTML, `panel` blocks become panel blocks, comments become notes or directives,
//! images are checked and pointed at `assets/`.
use std::path::Path;

use deck_core::{Block, Content, PanelKind, PanelSpec, Slide, Source};
use pulldown_cmark::{html, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::error::{Error, ErrorKind};
use crate::split::Chunk;
use crate::Compiler;

pub const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_SMART_PUNCTUATION);

/// Maps byte offsets in a slide's text to 1-based file lines.
struct Lines {
    starts: Vec<usize>,
    first_line: u32,
}

impl Lines {
    fn new(chunk: &Chunk<'_>) -> Self {
        let starts = std::iter::once(0).chain(chunk.text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { starts, first_line: chunk.first_line }
    }

    fn line(&self, offset: usize) -> u32 {
        self.first_line + self.starts.partition_point(|&s| s <= offset) as u32 - 1
    }
}

/// A construct that spans several events, collected until its end tag.
enum Open<'a> {
    Heading(String),
    Code { info: CowStr<'a>, line: u32, code: String },
    HtmlBlock(String),
    Image { dest: String, line: u32, alt: String },
}

struct Builder<'c, 'a> {
    compiler: &'c Compiler,
    file: &'c Path,
    lines: Lines,
    pending: Vec<Event<'a>>,
    blocks: Vec<Block>,
    step: u16,
    title: Option<String>,
    class: Option<String>,
    notes: Vec<String>,
    open: Vec<Open<'a>>,
    errors: Vec<Error>,
}

pub fn compile(compiler: &Compiler, file: &Path, chunk: Chunk<'_>) -> Result<Slide, Vec<Error>> {
    let mut b = Builder {
        compiler,
        file,
        lines: Lines::new(&chunk),
        pending: Vec::new(),
        blocks: Vec::new(),
        step: 0,
        title: None,
        class: None,
        notes: Vec::new(),
        open: Vec::new(),
        errors: Vec::new(),
    };
    for (event, range) in Parser::new_ext(chunk.text, OPTIONS).into_offset_iter() {
        let line = b.lines.line(range.start);
        b.event(event, line);
    }
    b.flush();
    if !b.errors.is_empty() {
        return Err(b.errors);
    }
    Ok(Slide {
        title: b.title.unwrap_or_default(),
        source: Source { file: file.display().to_string(), line: chunk.first_line },
        class: b.class,
        blocks: b.blocks,
        notes: render_notes(&b.notes),
        steps: b.step,
    })
}

impl<'a> Builder<'_, 'a> {
    fn event(&mut self, event: Event<'a>, line: u32) {
        match (event, self.open.last_mut()) {
            (Event::Text(text), Some(Open::Code { code, .. })) => code.push_str(&text),
            (Event::Html(text), Some(Open::HtmlBlock(html))) => html.push_str(&text),
            (Event::End(TagEnd::CodeBlock), Some(Open::Code { .. })) => {
                let Some(Open::Code { info, line, code }) = self.open.pop() else { unreachable!() };
                self.code_block(&info, line, &code);
            }
            (Event::End(TagEnd::HtmlBlock), Some(Open::HtmlBlock(_))) => {
                let Some(Open::HtmlBlock(html)) = self.open.pop() else { unreachable!() };
                match comment_body(&html) {
                    Some(body) => self.comment(body),
                    None => self.pending.push(Event::Html(html.into())),
                }
            }
            (Event::Start(Tag::CodeBlock(kind)), _) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info,
                    CodeBlockKind::Indented => CowStr::Borrowed(""),
                };
                self.open.push(Open::Code { info, line, code: String::new() });
            }
            (Event::Start(Tag::HtmlBlock), _) => self.open.push(Open::HtmlBlock(String::new())),
            (Event::InlineHtml(html), _) if comment_body(&html).is_some() => {
                self.comment(comment_body(&html).unwrap_or_default())
            }
            (Event::Start(Tag::Heading { level, id, classes, attrs }), _) => {
                if self.title.is_none() {
                    self.open.push(Open::Heading(String::new()));
                }
                self.pending.push(Event::Start(Tag::Heading { level, id, classes, attrs }));
            }
            (Event::End(TagEnd::Heading(level)), Some(Open::Heading(_))) => {
                let Some(Open::Heading(title)) = self.open.pop() else { unreachable!() };
                self.title = Some(title.trim().to_string());
                self.pending.push(Event::End(TagEnd::Heading(level)));
                // The title is a block of its own, so layouts (e.g. `split`) can place it apart.
                self.flush();
            }
            (Event::Start(Tag::Image { link_type, dest_url, title, id }), _) => {
                let resolved = self.image_url(&dest_url).map_err(|kind| self.error(line, kind)).ok();
                self.open.push(Open::Image { dest: dest_url.to_string(), line, alt: String::new() });
                let dest_url = resolved.map(CowStr::from).unwrap_or(dest_url);
                self.pending.push(Event::Start(Tag::Image { link_type, dest_url, title, id }));
            }
            (Event::End(TagEnd::Image), Some(Open::Image { .. })) => {
                let Some(Open::Image { dest, line, alt }) = self.open.pop() else { unreachable!() };
                if alt.trim().is_empty() {
                    self.error(line, ErrorKind::ImageWithoutAlt(dest));
                }
                self.pending.push(Event::End(TagEnd::Image));
            }
            (event, open) => {
                if let (
                    Event::Text(text) | Event::Code(text),
                    Some(Open::Heading(s) | Open::Image { alt: s, .. }),
                ) = (&event, open)
                {
                    s.push_str(text);
                }
                self.pending.push(event);
            }
        }
    }

    fn code_block(&mut self, info: &str, line: u32, code: &str) {
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or("");
        if lang == "panel" {
            match panel(words.next(), line, code) {
                Ok(spec) => {
                    self.flush();
                    self.blocks.push(Block { step: self.step, content: Content::Panel(spec) });
                }
                Err(errors) => errors.into_iter().for_each(|(line, kind)| self.error(line, kind)),
            }
            return;
        }
        match self.compiler.highlighter.highlight(lang, code) {
            Ok(html) => self.pending.push(Event::Html(html.into())),
            Err(kind) => self.error(line, kind),
        }
    }

    fn comment(&mut self, body: &str) {
        let directive = body.trim();
        if directive == "step" {
            self.flush();
            self.step += 1;
        } else if let Some(class) = directive.strip_prefix("_class:") {
            self.class = Some(class.trim().to_string());
        } else {
            self.notes.push(dedent(body));
        }
    }

    /// Checks a local image and returns its URL under `assets/`.
    fn image_url(&self, dest: &str) -> Result<String, ErrorKind> {
        let fail = |reason: String| ErrorKind::Image { path: dest.into(), reason };
        if dest.contains("://") || dest.starts_with("data:") || dest.starts_with("//") {
            return Err(fail("must be a file under assets/, so the deck also works offline".into()));
        }
        let path = self.file.parent().unwrap_or(Path::new(".")).join(dest);
        let path = path.canonicalize().map_err(|e| fail(format!("cannot be read ({e})")))?;
        if !path.is_file() {
            return Err(fail("is not a file".into()));
        }
        let rel = path
            .strip_prefix(&self.compiler.assets_dir)
            .map_err(|_| fail("must live under assets/".into()))?;
        Ok(format!("assets/{}", rel.to_string_lossy().replace('\\', "/")))
    }

    /// Moves the markdown collected so far into an HTML block of the current step.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut out = String::new();
        html::push_html(&mut out, self.pending.drain(..));
        self.blocks.push(Block { step: self.step, content: Content::Html(out) });
    }

    fn error(&mut self, line: u32, kind: ErrorKind) {
        self.errors.push(Error { file: self.file.to_path_buf(), line, kind });
    }
}

/// The text inside `<!-- … -->` when `html` is exactly one comment.
fn comment_body(html: &str) -> Option<&str> {
    let body = html.trim().strip_prefix("<!--")?.strip_suffix("-->")?;
    (!body.contains("-->")).then_some(body)
}

/// Parses a ```panel <kind>``` block: `key = value` lines, `#` comments and blank lines.
fn panel(kind: Option<&str>, fence_line: u32, body: &str) -> Result<PanelSpec, Vec<(u32, ErrorKind)>> {
    let kind: PanelKind = kind
        .ok_or(vec![(fence_line, ErrorKind::MissingPanelKind)])?
        .parse()
        .map_err(|e| vec![(fence_line, ErrorKind::UnknownPanelKind(e))])?;
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    for (line, text) in (fence_line + 1..).zip(body.lines()) {
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match text.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                let value = value.trim();
                let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
                pairs.push((line, key.trim().to_string(), value.to_string()));
            }
            _ => errors.push((line, ErrorKind::PanelSyntax(text.into()))),
        }
    }
    let spec = PanelSpec::new(kind, pairs.iter().map(|(_, k, v)| (k.clone(), v.clone())));
    if let Err(param_errors) = &spec {
        for error in param_errors {
            let line = pairs.iter().rev().find(|(_, k, _)| *k == error.key).map_or(fence_line, |p| p.0);
            errors.push((line, ErrorKind::PanelParam(error.clone())));
        }
    }
    match spec {
        Ok(spec) if errors.is_empty() => Ok(spec),
        _ => {
            errors.sort_by_key(|(line, _)| *line);
            Err(errors)
        }
    }
}

/// Removes the indentation common to a comment's lines, so its markdown renders as written.
fn dedent(text: &str) -> String {
    let indent = text.lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min();
    let indent = indent.unwrap_or(0);
    text.lines().map(|l| l.get(indent..).unwrap_or(l.trim_start())).collect::<Vec<_>>().join("\n")
}

fn render_notes(notes: &[String]) -> String {
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(&notes.join("\n\n"), OPTIONS));
    out
}
