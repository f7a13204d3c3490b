//! One integration-test binary for frontdesk-insights. The tables are the
//! definitions: each row is a situation and the figure it must give.

mod charts;
mod figures;
mod fixture;
mod operator;
mod owner;
mod period;
