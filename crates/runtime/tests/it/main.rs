//! frontdesk-runtime integration tests.

mod settings;
