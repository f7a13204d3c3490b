pub struct BookingService;
pub struct BookingRequest;
pub const CALENDAR_INSERT: &str = "";
pub const CALENDAR_PATCH: &str = "";
pub const CALENDAR_DELETE: &str = "";
