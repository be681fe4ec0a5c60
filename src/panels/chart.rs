//! Small SVG charts drawn by our own code (no chart library; their arithmetic is
//! `deck_core::scale`): the two shapes the panels need — columns (latency per call, cost per memory size) and lines
//! on log axes (cost per month against traffic). Each chart has a fixed viewBox and scales with
//! its panel; colours come from CSS classes, so both themes apply.
pub use deck_core::scale::{nice_ceiling, percentile, Scale};

use super::ui::{svg, El};

/// The drawing area in viewBox units; text is 10 units, so about 10–14 px on screen.
const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 140.0;
const LEFT: f64 = 46.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 20.0;

/// Where `value` falls across the drawing area, and up it.
fn x(scale: &Scale, value: f64) -> f64 {
    LEFT + scale.fraction(value) * (WIDTH - LEFT - RIGHT)
}

fn y(scale: &Scale, value: f64) -> f64 {
    HEIGHT - BOTTOM - scale.fraction(value) * (HEIGHT - TOP - BOTTOM)
}

/// One column: its height, its CSS class (which colours it) and the label under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub value: f64,
    pub class: &'static str,
    pub label: String,
}

/// A horizontal reference line, such as a percentile.
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    pub value: f64,
    pub label: String,
    pub class: &'static str,
}

/// Columns from zero in `slots` equal places (more places than columns leaves room for those
/// still to come), guides across, three ticks on the value axis formatted by `format`. `label`
/// says what the chart shows, for assistive technology.
pub fn column_chart(
    columns: &[Column],
    guides: &[Guide],
    slots: usize,
    format: fn(f64) -> String,
    label: &str,
) -> El {
    let highest = columns.iter().map(|c| c.value).chain(guides.iter().map(|g| g.value)).fold(0.0, f64::max);
    let top = nice_ceiling(highest);
    let scale = Scale::linear(0.0, top);
    let slot = (WIDTH - LEFT - RIGHT) / slots.max(columns.len()).max(1) as f64;
    let label_every = columns.len().div_ceil(12).max(1);
    let mut chart = frame(label).child(value_axis(scale, &[0.0, top / 2.0, top], format));
    for (i, column) in columns.iter().enumerate() {
        let x = LEFT + i as f64 * slot;
        let y = y(&scale, column.value);
        chart = chart.child(
            svg("rect")
                .class(column.class)
                .num("x", x + slot * 0.15)
                .num("y", y)
                .num("width", slot * 0.7)
                .num("height", (HEIGHT - BOTTOM - y).max(0.5)),
        );
        if i % label_every == 0 {
            chart = chart.child(text_at(x + slot / 2.0, HEIGHT - 6.0, "middle", &column.label));
        }
    }
    // Labels alternate between the right and the left end, so close guides stay readable.
    for (i, guide) in guides.iter().enumerate() {
        let y = y(&scale, guide.value);
        let (x, anchor) = if i % 2 == 0 { (WIDTH - RIGHT - 2.0, "end") } else { (LEFT + 2.0, "start") };
        chart = chart
            .child(line(&format!("guide {}", guide.class), LEFT, WIDTH - RIGHT, y, y))
            .child(text_at(x, y - 3.0, anchor, &guide.label).class(guide.class));
    }
    chart
}

/// A polyline through `(x, y)` data points.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub points: Vec<(f64, f64)>,
    pub class: &'static str,
}

/// Lines on two scales (log or linear), with an optional vertical marker and a dot.
pub struct LineChart<'a> {
    pub lines: &'a [Line],
    pub x: Scale,
    pub y: Scale,
    pub x_ticks: &'a [(f64, &'a str)],
    pub y_ticks: &'a [f64],
    pub format: fn(f64) -> String,
    /// A vertical line at an x value, and its label.
    pub marker: Option<(f64, String)>,
    pub dot: Option<(f64, f64)>,
    pub label: &'a str,
}

impl LineChart<'_> {
    pub fn draw(&self) -> El {
        let x_at = |value| x(&self.x, value);
        let y_at = |value| y(&self.y, value);
        let mut chart = frame(self.label).child(value_axis(self.y, self.y_ticks, self.format));
        for &(value, text) in self.x_ticks {
            let at = x_at(value);
            chart = chart.child(line("grid", at, at, TOP, HEIGHT - BOTTOM)).child(text_at(
                at,
                HEIGHT - 6.0,
                "middle",
                text,
            ));
        }
        for series in self.lines {
            let points: Vec<String> =
                series.points.iter().map(|&(px, py)| format!("{:.1},{:.1}", x_at(px), y_at(py))).collect();
            chart = chart.child(svg("polyline").class(series.class).attr("points", &points.join(" ")));
        }
        if let Some((value, text)) = &self.marker {
            let at = x_at(*value);
            let (text_x, anchor) = if at > WIDTH / 2.0 { (at - 3.0, "end") } else { (at + 3.0, "start") };
            chart = chart
                .child(line("marker", at, at, TOP, HEIGHT - BOTTOM))
                .child(text_at(text_x, TOP + 8.0, anchor, text).class("marker-label"));
        }
        if let Some((px, py)) = self.dot {
            chart = chart
                .child(svg("circle").class("dot").num("cx", x_at(px)).num("cy", y_at(py)).attr("r", "3.5"));
        }
        chart
    }
}

/// An empty chart: the SVG element with its viewBox and accessible name.
fn frame(label: &str) -> El {
    svg("svg")
        .class("chart")
        .attr("viewBox", &format!("0 0 {WIDTH} {HEIGHT}"))
        .attr("role", "img")
        .attr("aria-label", label)
}

/// Grid lines and labels of the value (vertical) axis, and the baseline.
fn value_axis(scale: Scale, ticks: &[f64], format: fn(f64) -> String) -> El {
    let mut axis = svg("g").class("axis");
    for &value in ticks {
        let y = y(&scale, value);
        axis = axis.child(line("grid", LEFT, WIDTH - RIGHT, y, y)).child(text_at(
            LEFT - 4.0,
            y + 3.5,
            "end",
            &format(value),
        ));
    }
    axis.child(line("baseline", LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, HEIGHT - BOTTOM))
}

pub fn line(class: &str, x1: f64, x2: f64, y1: f64, y2: f64) -> El {
    svg("line").class(class).num("x1", x1).num("x2", x2).num("y1", y1).num("y2", y2)
}

/// SVG text at a point; `anchor` is `start`, `middle` or `end`.
pub fn text_at(x: f64, y: f64, anchor: &str, text: &str) -> El {
    svg("text").num("x", x).num("y", y).attr("text-anchor", anchor).text(text)
}
