//! The provider's ids of what provisioning creates, parsed once: two
//! letters naming the kind of resource and 32 hexadecimal digits.

use std::fmt;

/// Why a provider id did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{raw:?} is not a {what} id ({prefix} followed by 32 hexadecimal digits)")]
pub struct SidError {
    pub raw: String,
    pub what: &'static str,
    pub prefix: &'static str,
}

fn parse_sid(raw: &str, prefix: &'static str, what: &'static str) -> Result<String, SidError> {
    let raw = raw.trim();
    let valid = raw.len() == 34
        && raw.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        && raw.get(2..).is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if valid { Ok(format!("{prefix}{}", &raw[2..])) } else { Err(SidError { raw: raw.to_owned(), what, prefix }) }
}

macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn parse(raw: &str) -> Result<$name, SidError> {
                parse_sid(raw, $prefix, $what).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

sid_type!(
    /// A phone number the account holds (`PN…`).
    NumberSid,
    "PN",
    "phone number"
);
sid_type!(
    /// A port-in request (`KW…`).
    PortInSid,
    "KW",
    "port-in request"
);
sid_type!(
    /// A messaging service, the sender pool a campaign is registered on (`MG…`).
    MessagingServiceSid,
    "MG",
    "messaging service"
);
sid_type!(
    /// A brand registration (`BN…`).
    BrandSid,
    "BN",
    "brand registration"
);
sid_type!(
    /// A campaign registration, A2P 10DLC's use case record (`QE…`).
    CampaignSid,
    "QE",
    "campaign"
);
sid_type!(
    /// A TrustHub bundle: a customer profile or an A2P trust product (`BU…`).
    BundleSid,
    "BU",
    "TrustHub bundle"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_their_prefix_and_32_hex_digits() {
        let good = "PN0123456789abcdef0123456789ABCDEF";
        assert_eq!(NumberSid::parse(good).map(|s| s.to_string()).as_deref(), Ok(good));
        assert_eq!(
            NumberSid::parse("pn0123456789abcdef0123456789abcdef").map(|s| s.to_string()).as_deref(),
            Ok("PN0123456789abcdef0123456789abcdef"),
            "the prefix is written as Twilio writes it"
        );
        for bad in [
            "",
            "PN123",
            "KW0123456789abcdef0123456789abcdef",
            "PN0123456789abcdef0123456789abcdeg",
            "PN0123456789abcdef0123456789abcdef0",
            "PN/../0123456789abcdef0123456789ab",
        ] {
            assert!(NumberSid::parse(bad).is_err(), "{bad:?}");
        }
        assert!(PortInSid::parse("KW0123456789abcdef0123456789abcdef").is_ok());
        assert!(CampaignSid::parse("QE0123456789abcdef0123456789abcdef").is_ok());
    }
}
