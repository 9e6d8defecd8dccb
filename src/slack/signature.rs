//! Slack's v0 request signatures: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret, compared in
//! constant time, and a timestamp within five minutes of our clock (so a captured request cannot be replayed).

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from our clock.
pub const WINDOW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request has no X-Slack-Signature or X-Slack-Request-Timestamp")]
    Missing,
    #[error("the request timestamp {0:?} is not within {WINDOW_SECS} s of now (a replay, or this machine's clock is off)")]
    Stale(String),
    #[error("the signature does not match (is slack.signing_secret the app's Signing Secret?)")]
    Mismatch,
}

/// `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`: what Slack sends, and what tests sign with.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks a request's signature headers against its raw body.
pub fn verify(
    secret: &str,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
        return Err(SignatureError::Missing);
    };
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::Stale(timestamp.to_string()))?;
    if (now.timestamp() - at).abs() > WINDOW_SECS {
        return Err(SignatureError::Stale(timestamp.to_string()));
    }
    let expected = signature
        .strip_prefix("v0=")
        .and_then(unhex)
        .ok_or(SignatureError::Mismatch)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn slacks_documented_example_verifies() {
        // The example from Slack's "Verifying requests" guide.
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let ts = "1531420618";
        let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(sign(secret, ts, body), signature);
        let now = Utc.timestamp_opt(1531420618 + 299, 0).unwrap();
        assert_eq!(verify(secret, Some(signature), Some(ts), body, now), Ok(()));
    }

    #[test]
    fn bad_stale_or_missing_signatures_are_refused() {
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let ts = "1800000000";
        let good = sign("secret", ts, b"{}");
        assert_eq!(
            verify("other", Some(&good), Some(ts), b"{}", now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("secret", Some(&good), Some(ts), b"{ }", now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("secret", Some("v0=zz"), Some(ts), b"{}", now),
            Err(SignatureError::Mismatch)
        );
        let old = "1799999699";
        let signed_old = sign("secret", old, b"{}");
        assert!(matches!(
            verify("secret", Some(&signed_old), Some(old), b"{}", now),
            Err(SignatureError::Stale(_))
        ));
        let future = "1800000301";
        let signed_future = sign("secret", future, b"{}");
        assert!(matches!(
            verify("secret", Some(&signed_future), Some(future), b"{}", now),
            Err(SignatureError::Stale(_))
        ));
        assert_eq!(
            verify("secret", None, Some(ts), b"{}", now),
            Err(SignatureError::Missing)
        );
    }
}
