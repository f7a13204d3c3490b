//! `inventory-sync`: the till (Lightspeed X-Series) mirrored into the
//! owner's workbook and a web page. The sync itself is the domain's
//! (`frontdesk_inventory::sync_once`); this app only wires its ports: the
//! settings it reads (`settings`), the web inventory page and the sync
//! schedule behind it (`web`), and the demo catalog with the built-in fake
//! of the Lightspeed API that demo mode runs against (`demo`). Cursors and
//! the till's refresh token are kept in the platform's store
//! (`frontdesk-runtime`'s backend).

pub mod demo;
pub mod settings;
pub mod web;
