//! `inventory-sync`: the till (Lightspeed X-Series) mirrored into the
//! owner's workbook and a web page: one sync (`sync`), the state file that
//! keeps its cursors (`state`), the web inventory page and the sync schedule
//! behind it (`web`), and the demo catalog with the built-in fake of the
//! Lightspeed API that demo mode runs against (`demo`).

pub mod demo;
pub mod state;
pub mod sync;
pub mod web;
