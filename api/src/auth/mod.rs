//! JWT issue and verification, and the caller a request acts for.
//!
//! Tokens are HS256 JWTs whose header names the signing key (`kid`). Verification pins the
//! algorithm, requires every registered claim we issue, checks issuer, audience, `exp` and
//! `nbf` with at most [`LEEWAY`] of clock skew, and refuses unknown key ids.
//!
//! # Layout
//! * `keys`: the signing keys ([`Keys`]): a fixed secret, or keys in the database, rotated.
//! * [`MasterKey`] (from `jobs::secrets`): seals signing keys at rest.
//! * `caller`: the [`Caller`] a request acts for, API tokens, and bearer values.
//! * `identities`: users and their memberships kept between requests ([`Identities`]).
//! * `throttle`: the login rate limits ([`LoginThrottle`]), per account and per address.
//! * here: the claims, the errors, and the tests of the whole.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod caller;
mod identities;
mod keys;
mod throttle;

pub use caller::{API_TOKEN_PREFIX, Caller, bearer, new_api_token};
pub use identities::{Identities, Identity};
pub use jobs::secrets::MasterKey;
pub use keys::{Keys, RotateError};
pub use throttle::{Attempt, LoginLimits, LoginThrottle, MAX_TRACKED, Quota};

/// `iss` of every token we issue and accept.
pub const ISSUER: &str = "toygres";
/// `aud` of every token we issue and accept.
pub const AUDIENCE: &str = "toygres-api";
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY: Duration = Duration::from_secs(5);
/// The shortest HMAC key we accept: HS256 wants at least the hash's 256 bits.
pub const MIN_SECRET_LEN: usize = 32;

/// Claims of a Toygres access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer, always [`ISSUER`].
    pub iss: String,
    /// Audience, always [`AUDIENCE`].
    pub aud: String,
    /// The user's id.
    pub sub: Uuid,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not valid before, seconds since the epoch.
    pub nbf: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// The user's session epoch when issued: a token of an older epoch is refused.
    #[serde(default)]
    pub sep: i64,
}

/// Why a token was refused. Deliberately vague towards clients.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Malformed, badly signed, expired, not yet valid, or from an unknown key.
    #[error("invalid or expired token")]
    InvalidToken,
    /// The token is fine but its user no longer exists or is disabled.
    #[error("user disabled or deleted")]
    UserGone,
    /// The token was issued before its user's sessions were ended (a new password,
    /// `revokeSessions`), or its API token's maker lost the access it grants.
    #[error("session ended")]
    Revoked,
    /// We could not check.
    #[error(transparent)]
    Internal(#[from] jobs::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use chrono::Utc;
    use jobs::user::UserId;
    use sha2::{Digest as _, Sha256};

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> Keys {
        Keys::from_secret(SECRET, Duration::from_secs(3600)).unwrap()
    }

    fn user() -> UserId {
        UserId(Uuid::now_v7())
    }

    /// Sign arbitrary header and claims JSON with `secret`, as an attacker with the key could.
    fn forge(header: &serde_json::Value, claims: &serde_json::Value, secret: &[u8]) -> String {
        let signing_input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let sig = hmac_sha256(secret, signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(sig))
    }

    fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
        // HMAC by its definition (RFC 2104), so the test does not trust the library under test.
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::new()
            .chain_update(&ipad)
            .chain_update(msg)
            .finalize();
        Sha256::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize()
            .to_vec()
    }

    fn good_claims(sub: Uuid) -> serde_json::Value {
        let now = Utc::now().timestamp();
        serde_json::json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "exp": now + 600, "nbf": now, "iat": now})
    }

    fn header(keys: &Keys) -> serde_json::Value {
        serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": keys.signing_kid()})
    }

    #[test]
    fn a_master_key_is_read_as_base64_or_hex_and_seals_for_one_key_id_only() {
        let hex_key = "00".repeat(31) + "01";
        let from_hex = MasterKey::from_text(&hex_key).unwrap();
        let from_b64 =
            MasterKey::from_text("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=").unwrap();
        let sealed = from_hex.seal("k1", b"material-material-material-32byt");
        assert_eq!(
            from_b64.open("k1", &sealed).unwrap(),
            b"material-material-material-32byt"
        );
        assert!(from_b64.open("k2", &sealed).is_err(), "bound to its key id");
        assert_ne!(
            sealed,
            from_hex.seal("k1", b"material-material-material-32byt"),
            "fresh nonce"
        );
        for bad in ["", "short", &"zz".repeat(32), "AAAA"] {
            assert!(MasterKey::from_text(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format!("{from_hex:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn an_issued_token_verifies_and_names_its_user() {
        let keys = keys();
        let id = user();
        let (token, exp) = keys.issue(id, 0).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, id.0);
        assert_eq!(claims.iss, ISSUER);
        assert_eq!(claims.aud, AUDIENCE);
        assert_eq!(claims.exp, exp.timestamp());
        assert!(jsonwebtoken::decode_header(&token).unwrap().kid.is_some());
    }

    #[test]
    fn the_forging_helper_produces_tokens_the_verifier_accepts() {
        let keys = keys();
        let token = forge(&header(&keys), &good_claims(Uuid::now_v7()), SECRET);
        assert!(keys.verify(&token).is_ok());
    }

    #[test]
    fn a_short_secret_is_refused() {
        assert!(Keys::from_secret(b"too short", Duration::from_secs(60)).is_err());
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = keys();
        let signing_input = format!(
            "{}.{}",
            B64.encode(serde_json::json!({"alg": "none", "kid": keys.signing_kid()}).to_string()),
            B64.encode(good_claims(Uuid::now_v7()).to_string())
        );
        assert!(keys.verify(&format!("{signing_input}.")).is_err());
    }

    #[test]
    fn another_algorithm_with_the_same_key_is_refused() {
        let keys = keys();
        for alg in ["HS384", "HS512", "RS256", "ES256"] {
            let mut h = header(&keys);
            h["alg"] = alg.into();
            assert!(
                keys.verify(&forge(&h, &good_claims(Uuid::now_v7()), SECRET))
                    .is_err(),
                "{alg}"
            );
        }
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let keys = keys();
        let (token, _) = keys.issue(user(), 0).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(&parts[1]).unwrap()).unwrap();
        claims["sub"] = serde_json::json!(Uuid::now_v7());
        parts[1] = B64.encode(claims.to_string());
        assert!(keys.verify(&parts.join(".")).is_err());
    }

    #[test]
    fn another_secret_is_refused() {
        let keys = keys();
        let token = forge(
            &header(&keys),
            &good_claims(Uuid::now_v7()),
            b"another-secret-another-secret-!!",
        );
        assert!(keys.verify(&token).is_err());
    }

    #[test]
    fn an_unknown_or_missing_kid_is_refused() {
        let keys = keys();
        let mut h = header(&keys);
        h["kid"] = "someone-elses".into();
        assert!(
            keys.verify(&forge(&h, &good_claims(Uuid::now_v7()), SECRET))
                .is_err()
        );
        h.as_object_mut().unwrap().remove("kid");
        assert!(
            keys.verify(&forge(&h, &good_claims(Uuid::now_v7()), SECRET))
                .is_err()
        );
    }

    #[test]
    fn every_missing_claim_is_refused() {
        let keys = keys();
        for claim in ["iss", "aud", "sub", "exp", "nbf", "iat"] {
            let mut c = good_claims(Uuid::now_v7());
            c.as_object_mut().unwrap().remove(claim);
            assert!(
                keys.verify(&forge(&header(&keys), &c, SECRET)).is_err(),
                "without {claim}"
            );
        }
    }

    #[test]
    fn wrong_issuer_or_audience_is_refused() {
        let keys = keys();
        for (claim, value) in [("iss", "someone-else"), ("aud", "another-api")] {
            let mut c = good_claims(Uuid::now_v7());
            c[claim] = value.into();
            assert!(
                keys.verify(&forge(&header(&keys), &c, SECRET)).is_err(),
                "{claim}={value}"
            );
        }
    }

    #[test]
    fn expiry_and_not_before_allow_five_seconds_of_skew_and_no_more() {
        let keys = keys();
        let now = Utc::now().timestamp();
        let with = |exp: i64, nbf: i64| {
            let mut c = good_claims(Uuid::now_v7());
            c["exp"] = exp.into();
            c["nbf"] = nbf.into();
            keys.verify(&forge(&header(&keys), &c, SECRET))
        };
        assert!(
            with(now - 2, now - 100).is_ok(),
            "2 s past exp is within leeway"
        );
        assert!(with(now - 30, now - 100).is_err(), "30 s past exp");
        assert!(
            with(now + 600, now + 2).is_ok(),
            "nbf 2 s ahead is within leeway"
        );
        assert!(with(now + 600, now + 60).is_err(), "nbf a minute ahead");
    }

    #[test]
    fn bearer_values_are_parsed_strictly() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }
}
