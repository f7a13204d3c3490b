-- A shop's calls of a period, as the owner's Insights and Calls pages list
-- them (without transcripts), from the index alone: the index by start
-- also holds the columns a call's summary shows.
DROP INDEX calls_by_start;
CREATE INDEX calls_by_start ON calls (
    tenant_id, started_at, call_sid, caller, called, status, ended_at, duration_secs, outcome, booking_id
);
