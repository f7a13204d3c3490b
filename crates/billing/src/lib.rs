//! Billing: what each plan costs and includes (`terms`), what things cost us
//! (`prices`: the rate card and model token prices), usage metering per
//! billing period (`period`, `metering`, SMS segment rules in `segments`), cost
//! caps (`caps`), invoices computed in integer cents (`invoice`), the ports
//! that keep usage, invoices and billing accounts, the decoders both store
//! adapters use for what they read back (`stored`), and the services and job
//! handlers the apps compose (`service`).

mod alerts;
mod caps;
mod invoice;
mod metering;
mod model;
mod period;
mod ports;
mod prices;
mod segments;
mod service;
mod stored;
mod terms;

pub use alerts::{account_change_alerts, cap_alert_for_operators};
pub use caps::{
    AnsweringMode, CapPolicy, CapStatus, DEFAULT_PAST_DUE_GRACE, SuspensionReason, answering_mode, evaluate_cap,
};
pub use invoice::{InvoiceError, PlanSegment, compute_invoice, plan_segments};
pub use metering::{
    MeteringError, billable_minutes, call_usage, calls_a_model_key_may_name, forwarded_call_usage,
    model_key_names_call, outbound_leg_usage, sms_usage, token_usage, usage_by_call,
};
pub use model::{
    AccountChange, BillingAccount, CallModelUsage, CapDecision, CapLevel, CapMetric, DailyCost, Invoice, InvoiceLine,
    InvoiceStatus, NewUsage, PlanChange, StoredInvoice, TenantBilling, UsageKind, UsageSum, UsageTotals,
};
pub use period::{BillingPeriod, BillingPeriodError};
pub use ports::{BillingStore, PaymentProvider, ProviderError, ProviderSubscription, UsageStore};
pub use prices::{PriceError, PriceTable, RateCard, RateCardError, TokenCount, TokenPrice};
pub use segments::{SmsEncoding, SmsSegments, count_sms_segments};
pub use service::{
    BillingPorts, CAP_ALERT, CLOSE_PERIOD, CustomerSetup, Invoicing, InvoicingError, MeterError, Metering, PeriodClose,
    Plans, REPORT_USAGE, SETUP_CUSTOMER, Standing, TenantStanding, UsageReport, UsageReporter,
};
pub use terms::{PlanTerms, PlanTermsError, RawPlanTerms};
