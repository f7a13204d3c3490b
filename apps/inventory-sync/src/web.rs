//! The web inventory page (`inventory-sync serve`) and the sync schedule
//! behind it.
//!
//! The page is server-rendered HTML that works without JavaScript; its one
//! stylesheet is compiled in (`assets/app.css`), so it works offline. The
//! page shows the Inventory and Config worksheets read through the same
//! `SheetSink` the sync writes. One read serves every view until a sync
//! finishes or `page_refresh` passes (the owner's own edits show up by
//! then): with Google Sheets every read is a `values:batchGet` against a
//! per-minute quota that the syncs need too, so page views must not spend
//! it. Concurrent views wait for one read rather than each starting one.
//!
//! Routes:
//! - `GET /` — totals, the inventory table (one line per model, its sizes
//!   as chips), search (`q`), filter (`kind`, `stock`), sort (`sort`,
//!   `dir`), [`ROWS_PER_PAGE`] models a page (`page`), the "Sync now" form;
//! - `GET /export.csv` — the same query, every matching size (all pages),
//!   models in the page's order, as an Inventory CSV;
//! - `POST /sync` — one sync now, with the token (`Authorization: Bearer`
//!   or a form field `token`); answers 303 back to the page with
//!   `sync=done|failed|busy`; 403 when the token is wrong or none is
//!   configured;
//! - `GET /lightspeed/connect` and `GET /lightspeed/callback` — connecting
//!   the till with OAuth (`connect`), when an OAuth client is configured;
//! - `GET /health` — `{"status":"ok","last_sync":…,"last_error":…}`;
//! - `GET /assets/app.css`.
//!
//! Filters: **Sneakers** are footwear categories (Sneakers, Shoes,
//! Trainers, Boots, …), **Clothing** is apparel (Hoodies, T-Shirts, Pants,
//! Jackets, Shorts, …); anything else (caps, socks, bags: Accessories) is
//! shown under **All** only: the domain's `kind_of` decides, the page only
//! names its filters.
//!
//! Syncs never overlap: `Syncer` holds one lock; a sync asked for while one
//! runs (the button, or a scheduled one) is not queued but answered
//! "already running", since the running one is about to write the same
//! data.
//!
//! Modules: `syncer` (the syncs), `routes` (the router and its handlers),
//! `connect` (connecting the till with OAuth from the page),
//! `view` (what a query shows, and what every view derives from one read
//! of the workbook), `page` (the HTML).

mod connect;
mod page;
mod routes;
mod syncer;
mod view;

pub use connect::LightspeedConnect;
pub use routes::{WebConfig, router};
pub use syncer::{SyncOutcome, SyncStatus, Syncer, Trigger, format_every, parse_every, sync_every};
pub use view::ROWS_PER_PAGE;
