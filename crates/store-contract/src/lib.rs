//! The store contract suite: what every store adapter must do, written once.
//!
//! An adapter's integration tests instantiate it with
//! `frontdesk_store_contract::store_contract_tests!(open_stores);`, where
//! `open_stores(clock)` returns fresh, empty [`Stores`] (or `None` when the
//! backend is not configured on this machine, e.g. no
//! `FRONTDESK_TEST_POSTGRES_URL`; the test then says so and passes).
//! Each case becomes its own `#[tokio::test]`, so failures name the case.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use frontdesk_core::{E164, ManualClock, TenantId};
pub use frontdesk_ports::{Backend, StoreAdapter};
use frontdesk_tenant::{ProfileDocument, TenantProfile};

pub mod audit;
pub mod billing;
pub mod bookings;
pub mod calls;
pub mod flags;
pub mod inventory;
pub mod jobs;
pub mod knowledge;
pub mod messages;
pub mod notify;
pub mod provisioning;
pub mod sandbox;
pub mod tenants;
pub mod transfers;
pub mod web_auth;

/// The ports of one store backend, freshly created and empty, with the
/// clock the store was opened with. Derefs to the [`Backend`], so a case
/// reads `stores.tenants`.
pub struct Stores {
    pub backend: Backend,
    pub clock: Arc<ManualClock>,
    /// Whatever must live as long as the test (a temporary directory).
    pub keep_alive: Box<dyn std::any::Any + Send + Sync>,
}

impl Stores {
    /// Every port from one store that implements them all.
    pub fn from_store<S: StoreAdapter>(
        store: Arc<S>,
        clock: Arc<ManualClock>,
        keep_alive: Box<dyn std::any::Any + Send + Sync>,
    ) -> Stores {
        Stores { backend: Backend::from_store("under test", store), clock, keep_alive }
    }
}

impl std::ops::Deref for Stores {
    type Target = Backend;

    fn deref(&self) -> &Backend {
        &self.backend
    }
}

/// Every contract test starts at the same instant.
pub fn test_clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).single().unwrap_or_default())
}

pub(crate) fn tenant(slug: &str) -> TenantId {
    TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn phone(raw: &str) -> E164 {
    E164::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

/// Creates each tenant (a small valid profile, no numbers).
pub(crate) async fn with_tenants(stores: &Stores, slugs: &[&str]) {
    for slug in slugs {
        stores.tenants.put_tenant(&profile(slug, &[])).await.unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A small valid profile owning `numbers`, named after its slug.
pub fn profile(slug: &str, numbers: &[&str]) -> TenantProfile {
    profile_named(slug, &format!("Shop {slug}"), numbers)
}

pub fn profile_named(slug: &str, name: &str, numbers: &[&str]) -> TenantProfile {
    let document = ProfileDocument {
        slug: Some(slug.to_owned()),
        name: Some(name.to_owned()),
        timezone: Some("America/New_York".to_owned()),
        phone_numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
        owner_phone: Some("+15555559999".to_owned()),
        hours: frontdesk_tenant::HoursDocument { mon: vec!["09:00-17:00".to_owned()], ..Default::default() },
        services: vec![frontdesk_tenant::ServiceDocument {
            name: Some("Consultation".to_owned()),
            duration_minutes: Some(30),
            price_cents: Some(5000),
            ..Default::default()
        }],
        ..Default::default()
    };
    match TenantProfile::parse(&document) {
        Ok(profile) => profile,
        Err(errors) => panic!("contract fixture {slug} must be valid: {errors}"),
    }
}

#[macro_export]
macro_rules! store_contract_tests {
    ($open:path) => {
        $crate::store_contract_tests!(@cases $open;
            tenants::put_creates_and_get_returns_the_same_profile,
            tenants::put_again_replaces_and_keeps_created_at,
            tenants::unknown_tenants_are_absent,
            tenants::list_is_ordered_and_includes_disabled_tenants,
            tenants::disabling_keeps_the_data_and_enabling_restores_it,
            tenants::numbers_find_their_owner,
            tenants::a_number_owned_by_another_tenant_is_refused_and_nothing_changes,
            tenants::concurrent_claims_on_one_number_let_exactly_one_win,
            tenants::concurrent_puts_of_one_new_tenant_both_succeed,
            tenants::no_port_method_reaches_another_tenants_rows,
            tenants::readiness_reports_ready_after_migrations,
            sandbox::a_sandbox_is_created_only_as_new_and_reads_back_as_a_sandbox,
            sandbox::purging_a_sandbox_deletes_its_every_row_and_nothing_of_anyone_else,
            knowledge::documents_are_written_read_listed_and_deleted_and_the_version_follows,
            knowledge::documents_stay_with_their_tenant,
            knowledge::a_document_of_an_unknown_tenant_is_not_found,
            knowledge::passage_vectors_are_kept_by_model_and_hash_and_pruned,
            knowledge::a_document_change_and_its_jobs_commit_together,
            jobs::enqueue_claim_complete,
            jobs::a_rolled_back_transaction_leaves_no_job,
            jobs::a_unique_key_enqueued_twice_yields_one_job,
            jobs::scheduled_jobs_do_not_run_early,
            jobs::a_cancelled_job_never_runs,
            jobs::failures_back_off_and_end_in_the_dead_letter,
            jobs::an_expired_lease_is_claimed_again_and_fences_the_old_worker,
            jobs::an_expired_last_attempt_goes_to_the_dead_letter,
            jobs::heartbeats_keep_a_lease,
            jobs::release_gives_the_job_back_without_spending_an_attempt,
            jobs::concurrent_claims_never_share_a_job,
            jobs::claims_take_only_requested_kinds_oldest_first,
            jobs::effects_are_recorded_once,
            jobs::each_schedule_occurrence_is_enqueued_once,
            jobs::listing_and_counting,
            bookings::a_booking_reads_back_every_way,
            bookings::free_text_the_domain_accepts_reads_back_alike,
            bookings::overlapping_times_of_one_staff_member_conflict,
            bookings::concurrent_commits_for_one_slot_let_exactly_one_win,
            bookings::an_idempotency_key_returns_the_first_booking,
            bookings::holds_block_others_until_they_expire,
            bookings::a_hold_is_committed_into_a_booking,
            bookings::cancelling_frees_the_time_and_enqueues_its_jobs_atomically,
            bookings::rescheduling_moves_atomically_or_not_at_all,
            bookings::booking_briefs_are_the_bookings_in_brief,
            bookings::tenants_never_see_or_block_each_other,
            bookings::attendance_is_marked_corrected_and_read_back,
            bookings::a_cancelled_booking_is_never_marked_even_when_cancelled_concurrently,
            bookings::a_customer_confirmation_is_recorded_once_and_reads_back,
            calls::opening_a_call_twice_returns_the_same_record,
            calls::a_call_opens_greeted_in_one_write_once,
            calls::a_repeated_turn_gets_its_first_reply_and_changes_nothing,
            calls::status_callbacks_apply_in_sequence_order,
            calls::calls_and_questions_stay_with_their_tenant,
            calls::a_question_is_recorded_with_its_turn_exactly_once,
            calls::a_question_is_closed_once_by_its_own_tenant,
            calls::call_summaries_agree_with_the_records_per_tenant_and_for_all,
            calls::a_callback_is_opened_once_per_call_completed_and_closed_by_its_own_tenant,
            transfers::transfer_ends_are_read_from_the_replies_of_the_tenants_calls_of_the_period,
            messages::a_message_is_written_then_updated_and_reads_back,
            messages::messages_are_listed_newest_first_up_to_the_limit,
            messages::opt_outs_are_idempotent_and_undone_by_start,
            messages::messages_and_opt_outs_stay_with_their_tenant,
            messages::every_tenants_messages_since_an_instant_are_read_at_once,
            messages::writes_for_an_unknown_tenant_are_not_found,
            messages::a_text_offer_is_kept_replaced_and_taken_once,
            messages::a_bookings_texts_are_read_by_the_booking,
            notify::digest_entries_are_kept_once_per_key_and_read_by_window,
            notify::digest_entries_stay_with_their_tenant_and_an_unknown_tenant_is_not_found,
            notify::purging_a_sandbox_deletes_its_digest_entries,
            provisioning::a_number_order_is_written_before_the_purchase_then_moved_on,
            provisioning::port_ins_are_found_by_id_updated_and_listed_per_tenant,
            provisioning::a_registration_is_replaced_whole_and_listed_for_every_tenant,
            provisioning::provisioning_writes_for_an_unknown_tenant_are_not_found,
            provisioning::purging_a_sandbox_deletes_its_provisioning_rows,
            flags::a_new_tenant_is_on_the_default_plan_without_overrides,
            flags::unknown_tenants_are_absent_or_not_found,
            flags::set_plan_returns_the_previous_plan_and_appends_history,
            flags::overrides_are_set_replaced_and_removed,
            flags::a_plan_change_and_its_jobs_commit_together_or_not_at_all,
            billing::usage_is_recorded_once_per_key_with_its_jobs,
            billing::concurrent_usage_with_one_key_is_recorded_once,
            billing::concurrent_usage_of_one_shop_adds_up_in_its_totals,
            billing::usage_totals_count_one_tenant_and_period_per_kind,
            billing::usage_of_a_kind_is_summed_per_tenant_over_a_time,
            billing::a_calls_model_usage_sums_its_own_records,
            billing::many_calls_model_usage_agrees_with_one_call_at_a_time,
            billing::every_tenants_usage_and_billing_agree_with_each_tenants_own,
            billing::a_new_account_is_empty,
            billing::unknown_tenants_are_not_found,
            billing::stripe_ids_are_kept_and_find_their_tenant,
            billing::minute_caps_are_set_and_removed,
            billing::provider_events_apply_once,
            billing::a_late_cancellation_of_a_replaced_subscription_changes_nothing,
            billing::past_due_is_set_once_and_cleared_by_payment,
            billing::cap_decisions_are_recorded_once_with_their_jobs,
            billing::drafts_are_replaced_until_finalized_and_then_never_change,
            billing::finalizing_a_missing_invoice_is_not_found,
            billing::invoices_list_newest_first_and_lines_round_trip,
            billing::a_provider_events_jobs_commit_with_it_once,
            billing::every_tenants_daily_costs_are_summed_per_utc_day,
            audit::entries_read_back_oldest_first_with_their_json,
            audit::queries_filter_by_tenant_and_time_range,
            audit::appending_an_entry_twice_keeps_one,
            inventory::a_key_never_synced_loads_the_start,
            inventory::a_saved_state_reads_back_and_a_new_save_replaces_it,
            inventory::last_sync_is_kept_to_the_millisecond,
            inventory::since_when_sales_are_counted_is_kept_to_the_millisecond_and_replaced,
            inventory::sync_states_of_different_keys_are_independent,
            inventory::negative_cursors_are_refused_and_the_saved_state_kept,
            inventory::large_cursors_round_trip,
            inventory::keys_with_unicode_and_separators_round_trip,
            inventory::a_missing_credential_is_none,
            inventory::a_credential_reads_back_and_rotation_replaces_it,
            inventory::credentials_of_different_keys_are_independent,
            inventory::concurrent_saves_of_one_key_leave_one_whole_write,
            inventory::stock_levels_of_unknown_products_are_empty,
            inventory::recorded_stock_levels_read_back_for_the_requested_products,
            inventory::a_newer_or_equal_version_replaces_a_level_and_an_older_one_is_ignored,
            inventory::of_one_level_recorded_twice_in_one_call_the_highest_version_wins,
            inventory::stock_levels_of_different_keys_are_independent,
            inventory::deleted_levels_and_negative_stock_round_trip,
            inventory::a_large_batch_of_stock_levels_round_trips,
            inventory::concurrent_records_of_one_key_keep_the_newest_levels,
            web_auth::a_challenge_is_found_by_its_link_only_while_unspent_and_unexpired,
            web_auth::the_latest_challenge_is_the_newest_live_one_of_its_own_tenant,
            web_auth::challenges_are_counted_per_tenant_since_a_time,
            web_auth::a_challenge_is_spent_exactly_once_even_by_concurrent_attempts,
            web_auth::wrong_codes_are_counted_and_the_maximum_spends_the_challenge,
            web_auth::touching_a_session_returns_it_and_moves_last_seen,
            web_auth::an_idle_or_too_old_session_is_over,
            web_auth::ending_a_session_ends_only_that_one,
            web_auth::ending_every_session_of_a_principal_leaves_everyone_elses,
            web_auth::operators_are_added_replaced_and_read,
            web_auth::digests_and_principals_round_trip_exactly,
        );
    };
    (@cases $open:path; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let clock = ::std::sync::Arc::new($crate::test_clock());
                let Some(stores) = $open(clock).await else { return };
                $crate::$module::$case(stores).await;
            }
        )*
    };
}
