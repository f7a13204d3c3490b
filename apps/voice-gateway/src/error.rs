//! The one place where errors become HTTP responses (and get logged).
//!
//! Every error body has the same shape:
//! `{"error": {"code": "...", "message": "...", "details": [...]}}`.

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use frontdesk_calendar::BookingError;
use frontdesk_core::StoreError;
use frontdesk_jobs::JobError;
use frontdesk_routing::CallError;
use frontdesk_tenant::{FieldProblem, PutTenantError};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), details: Vec::new() }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422 with one detail per problem: `{"field": "hours.mon[1]", "message": "overlaps 09:00-12:00"}`.
    pub fn validation(problems: &[FieldProblem]) -> ApiError {
        let count = problems.len();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: format!("the document has {count} problem{}", if count == 1 { "" } else { "s" }),
            details: problems.iter().map(|p| json!({"field": p.field, "message": p.message})).collect(),
        }
    }

    /// Logs the cause and tells the client nothing about internals.
    pub fn internal(error: impl Into<anyhow::Error>) -> ApiError {
        let error = error.into();
        tracing::error!(error = format!("{error:#}"), "request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound(tenant) => ApiError::not_found(format!("tenant {tenant} does not exist")),
            other => ApiError::internal(other),
        }
    }
}

impl From<PutTenantError> for ApiError {
    fn from(error: PutTenantError) -> ApiError {
        match error {
            PutTenantError::PhoneNumbersTaken(numbers) => ApiError::validation(
                &numbers
                    .iter()
                    .map(|n| FieldProblem {
                        field: "phone_numbers".to_owned(),
                        message: format!("{n} is already assigned to another tenant"),
                    })
                    .collect::<Vec<_>>(),
            ),
            PutTenantError::Exists(_) => ApiError::new(StatusCode::CONFLICT, "tenant_exists", error.to_string()),
            PutTenantError::Store(error) => error.into(),
        }
    }
}

impl From<BookingError> for ApiError {
    fn from(error: BookingError) -> ApiError {
        let code = match &error {
            BookingError::Conflict { alternatives } => {
                let mut api = ApiError::new(StatusCode::CONFLICT, "slot_taken", error.to_string());
                api.details = alternatives
                    .iter()
                    .map(|s| json!({"start": s.start.to_rfc3339(), "end": s.end.to_rfc3339(), "staff": s.staff}))
                    .collect();
                return api;
            }
            BookingError::NotFound(_) => return ApiError::not_found(error.to_string()),
            BookingError::InvalidCustomerName(problem) => {
                let problem =
                    frontdesk_tenant::FieldProblem { field: "customer_name".to_owned(), message: problem.clone() };
                return ApiError::validation(&[problem]);
            }
            BookingError::Unexpected(_) => return ApiError::internal(error),
            BookingError::UnknownService(_) => "unknown_service",
            BookingError::UnknownStaff(_) => "unknown_staff",
            BookingError::StaffDoesNotPerform { .. } => "staff_does_not_perform",
            BookingError::Closed { .. } => "closed",
            BookingError::OutsideHours => "outside_hours",
            BookingError::TooShortNotice { .. } => "too_short_notice",
            BookingError::TooFarAhead { .. } => "too_far_ahead",
            BookingError::InThePast => "in_the_past",
            BookingError::HoldExpired => "hold_expired",
            BookingError::TooLateToCancel { .. } => "too_late_to_cancel",
            BookingError::NotConfirmed(_) => "not_confirmed",
            BookingError::NotStarted => "not_started",
            BookingError::Cancelled(_) => "cancelled",
        };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, error.to_string())
    }
}

impl From<CallError> for ApiError {
    fn from(error: CallError) -> ApiError {
        match error {
            CallError::NotFound(sid) => ApiError::not_found(format!("no call {sid}")),
            other => ApiError::internal(other),
        }
    }
}

impl From<JobError> for ApiError {
    fn from(error: JobError) -> ApiError {
        match error {
            JobError::NotFound(id) => ApiError::not_found(format!("job {id} does not exist")),
            error @ JobError::InvalidState { .. } => ApiError::new(StatusCode::CONFLICT, "conflict", error.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message, "details": self.details}})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Rewrites error responses that did not come from an [`ApiError`] (axum's
/// own 404/405/413/415, the timeout layer's 408, a caught panic's 500) into
/// the same JSON shape, keeping their status and headers such as `Allow`.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    // JSON errors, and the web pages' own HTML error pages, pass as they are.
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such resource".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "this method is not allowed here; the Allow header lists those that are".to_owned())
        }
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large".to_owned()),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long".to_owned()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "send Content-Type: application/json".to_owned())
        }
        s if s.is_server_error() => ("internal", "internal error; see the server log".to_owned()),
        s => ("bad_request", s.canonical_reason().unwrap_or("bad request").to_owned()),
    };
    let body = json!({"error": {"code": code, "message": message, "details": []}}).to_string();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

impl From<frontdesk_provisioning::ProvisioningError> for ApiError {
    fn from(error: frontdesk_provisioning::ProvisioningError) -> ApiError {
        use frontdesk_provisioning::{ProviderError, ProvisioningError};
        let text = error.to_string();
        match error {
            ProvisioningError::NotConfigured(_) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_configured", text)
            }
            ProvisioningError::UnknownTenant(_) => ApiError::not_found(text),
            ProvisioningError::Sandbox(_) => ApiError::new(StatusCode::CONFLICT, "sandbox", text),
            ProvisioningError::NumberTaken(_) => ApiError::new(StatusCode::CONFLICT, "number_taken", text),
            ProvisioningError::NotOwned(_) => ApiError::new(StatusCode::NOT_FOUND, "not_owned", text),
            ProvisioningError::NotPortable { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_portable", text)
            }
            ProvisioningError::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", text),
            ProvisioningError::Provider(ProviderError::NumberUnavailable(_)) => {
                ApiError::new(StatusCode::CONFLICT, "number_unavailable", text)
            }
            ProvisioningError::Provider(ProviderError::NotFound(_) | ProviderError::Rejected(_)) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "provider_refused", text)
            }
            ProvisioningError::Provider(
                ProviderError::RateLimited { .. } | ProviderError::Unavailable(_) | ProviderError::Unexpected(_),
            ) => {
                tracing::warn!(error = %text, "the provider failed a provisioning step");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "provider_unavailable",
                    format!("{text}; retry: a retried purchase asks Twilio first and never buys twice"),
                )
            }
            ProvisioningError::Store(error) => error.into(),
        }
    }
}
