//! Still pictures of slides for the overview and the speaker view's "next" preview: the slide's
//! own HTML in a small 16:9 box. Slide sizes are in container units, so the box scales the slide
//! without transforms; panels appear as labelled boxes, not live copies. Pictures are HTML text,
//! so hundreds of them become DOM in one parse.
use deck_core::page::escape;
use deck_core::{Content, Slide};

/// The picture of `slide` with `revealed` reveal steps shown (`u16::MAX` for all). The slide's
/// HTML was produced at build time from the author's markdown; nothing from the URL or the
/// network goes in here.
pub fn picture_html(slide: &Slide, revealed: u16) -> String {
    let mut html = format!(
        r#"<div class="picture" aria-hidden="true" inert><div class="slide {}">"#,
        escape(slide.class.as_deref().unwrap_or(""))
    );
    for block in &slide.blocks {
        let pending = if block.step > revealed { " pending" } else { "" };
        html.push_str(&format!(r#"<div class="block{pending}">"#));
        match &block.content {
            Content::Html(fragment) => html.push_str(fragment),
            Content::Panel(spec) => {
                html.push_str(&format!(r#"<div class="panel panel-picture">{} panel</div>"#, spec.kind));
            }
        }
        html.push_str("</div>");
    }
    html.push_str("</div></div>");
    html
}
