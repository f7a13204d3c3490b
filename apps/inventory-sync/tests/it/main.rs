//! inventory-sync end to end: the demo catalog behind the fake Lightspeed
//! API, read by the real Lightspeed adapter, written by the real local
//! workbook adapter.

mod browser;
mod cli;
mod connect;
mod sync;
mod web;
