//! Pure logic of serverless-deck, free of the browser and of I/O so it is tested natively: the
//! contracts the server, the demo functions and the browser share (routes, AWS rules, replies,
//! events, uploads, sync messages), the compiled slide model, navigation, panel parameters, the
//! cost model, and the panels' arithmetic apart from their drawing.
pub mod aws_rules;
pub mod cold_start;
pub mod demo;
pub mod endpoint;
pub mod error_body;
pub mod json_text;
pub mod live;
pub mod model;
pub mod nav;
pub mod page;
pub mod panels;
pub mod platform_events;
pub mod pricing;
pub mod routes;
pub mod scale;
pub mod search;
pub mod shortcuts;
pub mod stopwatch;
pub mod sync;
pub mod thumbnails;
pub mod timeline;
pub mod units;
pub mod uploads;

pub use model::{Block, CodeTheme, Content, Deck, Meta, Slide, Source};
pub use nav::Position;
pub use panels::{PanelKind, PanelSpec, ParamError};
pub use search::SearchIndex;
