//! `inventory-sync`: the till (Lightspeed X-Series) mirrored into the
//! owner's workbook and a web page. So far: the demo catalog and the built-in
//! fake of the Lightspeed API that demo mode runs against, and the sync state
//! file.

pub mod demo;
pub mod state;
pub mod sync;
