//! `TokenSource` against a local fake token endpoint (wiremock), with the
//! test-only key from `fixtures/google/` and a manual clock. The key-file
//! parsing is also covered through `frontdesk-google-calendar`'s tests.

mod tokens;
