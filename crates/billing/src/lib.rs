//! Billing: what each plan costs and includes (`terms`), usage metering per
//! billing period (`period`, `usage`, SMS segment rules in `segments`), cost
//! caps, invoices computed in integer cents (`invoice`), and the ports that
//! keep usage, invoices and billing accounts.

mod model;
mod period;
mod ports;

pub use model::{
    AccountChange, BillingAccount, CapDecision, CapLevel, Invoice, InvoiceLine, InvoiceStatus, NewUsage, PlanChange,
    StoredInvoice, UsageKind, UsageTotals,
};
pub use period::{BillingPeriod, BillingPeriodError};
pub use ports::{BillingStore, PaymentProvider, ProviderError, ProviderSubscription, UsageStore};
