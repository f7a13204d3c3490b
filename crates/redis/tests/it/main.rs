//! Integration tests against a real Redis, named by `FRONTDESK_TEST_REDIS_URL`
//! (`redis://127.0.0.1:6379`). Each test uses its own key namespace and
//! tenant, so runs in parallel do not see each other.

mod flag_cache;
