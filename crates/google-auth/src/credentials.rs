//! Google service-account keys: the JSON file Google hands out, parsed and
//! checked once at startup so a bad key fails there and not on the first
//! call that needs a token.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;

/// Where Google's service-account keys say tokens come from; used when a key
/// file leaves `token_uri` out.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// A Google service-account key: who we are (`client_email`), which key
/// signs (`private_key_id`, sent as the JWT `kid`) and where tokens come from
/// (`token_uri`).
///
/// `Debug` never shows the private key.
#[derive(Clone)]
pub struct ServiceAccountKey {
    client_email: String,
    private_key_id: String,
    token_uri: String,
    signing_key: EncodingKey,
}

/// Why a service-account key could not be used. The messages name the file
/// or field at fault and never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum ServiceAccountKeyError {
    #[error("could not read the Google service-account key file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the Google service-account key is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error(
        "the Google service-account key has type {0:?}; expected \"service_account\" (is this an OAuth client file?)"
    )]
    WrongType(String),
    #[error("the Google service-account key has no `{0}`")]
    Missing(&'static str),
    #[error("the Google service-account key's `token_uri` {0:?} is not an http(s) URL")]
    TokenUri(String),
    #[error("the Google service-account key's `private_key` is unusable: {0}")]
    PrivateKey(String),
}

/// The fields of Google's key file that we use; the others (`project_id`,
/// `client_id`, `auth_uri`, …) are ignored.
#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    key_type: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

impl ServiceAccountKey {
    /// Reads a key file as downloaded from the Google Cloud console.
    pub fn from_file(path: impl AsRef<Path>) -> Result<ServiceAccountKey, ServiceAccountKeyError> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path)
            .map_err(|source| ServiceAccountKeyError::Read { path: path.to_owned(), source })?;
        ServiceAccountKey::from_json(&json)
    }

    /// Parses the contents of a key file (for keys kept in a secret store or
    /// an environment variable).
    pub fn from_json(json: &str) -> Result<ServiceAccountKey, ServiceAccountKeyError> {
        let file: KeyFile = serde_json::from_str(json).map_err(ServiceAccountKeyError::Json)?;
        if let Some(key_type) = file.key_type
            && key_type != "service_account"
        {
            return Err(ServiceAccountKeyError::WrongType(key_type));
        }
        let client_email = non_empty(file.client_email).ok_or(ServiceAccountKeyError::Missing("client_email"))?;
        let private_key_id = non_empty(file.private_key_id).ok_or(ServiceAccountKeyError::Missing("private_key_id"))?;
        let private_key = non_empty(file.private_key).ok_or(ServiceAccountKeyError::Missing("private_key"))?;
        let token_uri = non_empty(file.token_uri).unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned());
        let token_uri_is_http =
            reqwest::Url::parse(&token_uri).is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
        if !token_uri_is_http {
            return Err(ServiceAccountKeyError::TokenUri(token_uri));
        }
        let signing_key = rsa_signing_key(&private_key).map_err(ServiceAccountKeyError::PrivateKey)?;
        Ok(ServiceAccountKey { client_email, private_key_id, token_uri, signing_key })
    }

    /// The service account's email: the address tenants share their calendars
    /// and spreadsheets with.
    pub fn client_email(&self) -> &str {
        &self.client_email
    }

    pub fn private_key_id(&self) -> &str {
        &self.private_key_id
    }

    pub fn token_uri(&self) -> &str {
        &self.token_uri
    }

    pub(crate) fn signing_key(&self) -> &EncodingKey {
        &self.signing_key
    }
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("token_uri", &self.token_uri)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

/// Turns the PEM in `private_key` into a signing key and proves it signs, so
/// a corrupt key is reported at startup.
fn rsa_signing_key(pem: &str) -> Result<EncodingKey, String> {
    let pkcs1_der = rsa_private_key_der(pem)?;
    let signing_key = EncodingKey::from_rsa_der(&pkcs1_der);
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &serde_json::json!({}), &signing_key)
        .map_err(|error| format!("it does not sign as an RSA key ({error})"))?;
    Ok(signing_key)
}

// jsonwebtoken's own PEM parser sits behind its `use_pem` feature, which
// would pull in an ASN.1 crate and `time`. Google keys are always unencrypted
// PKCS#8 RSA keys, and the signer (aws-lc) wants the PKCS#1 key inside, so
// unwrapping that one known structure here is cheaper. aws-lc then checks
// the PKCS#1 key itself.

/// The DER `RSAPrivateKey` (PKCS#1) in a PEM `PRIVATE KEY` (PKCS#8, what
/// Google issues) or `RSA PRIVATE KEY` (PKCS#1) block.
fn rsa_private_key_der(pem: &str) -> Result<Vec<u8>, String> {
    // Keys pasted into environment variables often keep JSON's `\n` escapes.
    let pem = pem.replace("\\n", "\n");
    let mut lines = pem.lines().map(str::trim).skip_while(|line| !line.starts_with("-----BEGIN "));
    let label = lines
        .next()
        .and_then(|line| line.strip_prefix("-----BEGIN "))
        .and_then(|rest| rest.strip_suffix("-----"))
        .ok_or("no -----BEGIN PRIVATE KEY----- line")?
        .to_owned();
    let end_line = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for line in lines {
        if line == end_line {
            ended = true;
            break;
        }
        body.push_str(line);
    }
    if !ended {
        return Err(format!("no {end_line} line"));
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| "the PEM body is not valid base64".to_owned())?;
    match label.as_str() {
        "PRIVATE KEY" => pkcs8_rsa_private_key(&der).map(<[u8]>::to_vec),
        "RSA PRIVATE KEY" => Ok(der),
        "ENCRYPTED PRIVATE KEY" => Err("encrypted private keys are not supported".to_owned()),
        other => Err(format!("expected a PRIVATE KEY block, found {other}")),
    }
}

const DER_SEQUENCE: u8 = 0x30;
const DER_INTEGER: u8 = 0x02;
const DER_OCTET_STRING: u8 = 0x04;
/// The DER of OID 1.2.840.113549.1.1.1 (rsaEncryption), tag and length included.
const RSA_ENCRYPTION_OID: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// `PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE { OID, params }, privateKey OCTET STRING, … }`
fn pkcs8_rsa_private_key(der: &[u8]) -> Result<&[u8], String> {
    let malformed = || "the PKCS#8 key is malformed".to_owned();
    let (private_key_info, _) = der_element(der, DER_SEQUENCE).ok_or_else(malformed)?;
    let (_version, rest) = der_element(private_key_info, DER_INTEGER).ok_or_else(malformed)?;
    let (algorithm, rest) = der_element(rest, DER_SEQUENCE).ok_or_else(malformed)?;
    if !algorithm.starts_with(RSA_ENCRYPTION_OID) {
        return Err("the key is not an RSA key (Google keys are RSA)".to_owned());
    }
    let (private_key, _attributes) = der_element(rest, DER_OCTET_STRING).ok_or_else(malformed)?;
    Ok(private_key)
}

/// Splits one DER element with the expected tag off the front of `input`:
/// `(contents, rest)`.
fn der_element(input: &[u8], expected_tag: u8) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag != expected_tag {
        return None;
    }
    let (&first_length_byte, rest) = rest.split_first()?;
    let (length, rest) = if first_length_byte < 0x80 {
        (usize::from(first_length_byte), rest)
    } else {
        let length_bytes = usize::from(first_length_byte & 0x7f);
        if length_bytes == 0 || length_bytes > 4 || rest.len() < length_bytes {
            return None;
        }
        let (length_be, rest) = rest.split_at(length_bytes);
        let length = length_be.iter().fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
        (length, rest)
    };
    if rest.len() < length {
        return None;
    }
    Some(rest.split_at(length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_short_and_long() {
        assert_eq!(
            der_element(&[0x04, 0x02, 0xaa, 0xbb, 0xcc], DER_OCTET_STRING),
            Some((&[0xaa, 0xbb][..], &[0xcc][..]))
        );
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(0x11, 0x80));
        assert_eq!(
            der_element(&long, DER_OCTET_STRING).map(|(contents, rest)| (contents.len(), rest.len())),
            Some((0x80, 0))
        );
        // Wrong tag, truncated contents, indefinite length.
        assert_eq!(der_element(&[0x02, 0x01, 0x00], DER_OCTET_STRING), None);
        assert_eq!(der_element(&[0x04, 0x05, 0x00], DER_OCTET_STRING), None);
        assert_eq!(der_element(&[0x04, 0x80, 0x00], DER_OCTET_STRING), None);
        assert_eq!(der_element(&[], DER_OCTET_STRING), None);
    }

    #[test]
    fn pem_errors_say_what_is_wrong() {
        let check = |pem: &str, expected: &str| {
            let error = rsa_private_key_der(pem).err().unwrap_or_default();
            assert!(error.contains(expected), "{pem:?} gave {error:?}, expected it to mention {expected:?}");
        };
        check("MIIEvAIBADANBg", "no -----BEGIN PRIVATE KEY----- line");
        check("-----BEGIN PRIVATE KEY-----\nMIIE\n", "no -----END PRIVATE KEY----- line");
        check("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n", "not valid base64");
        check("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n", "malformed");
        check("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted");
        check("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", "found CERTIFICATE");
    }
}
