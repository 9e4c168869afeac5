//! Users, their roles in projects, and password hashing.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Error, Result};

/// The project every installation starts with.
pub const DEFAULT_PROJECT_ID: ProjectId = ProjectId(Uuid::from_u128(1));
/// The shortest password we accept for a user.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Length of a generated password: 24 characters of 62 symbols is about 143 bits.
const GENERATED_PASSWORD_LEN: usize = 24;

/// A project's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct ProjectId(pub Uuid);

/// A user's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct UserId(pub Uuid);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a member may do in a project.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "member_role", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read only.
    Viewer,
    /// Create, change and delete resources.
    Operator,
    /// Everything an operator may, plus managing members.
    Admin,
}

impl Role {
    /// Whether this role may create, change or delete resources.
    pub fn can_write(self) -> bool {
        self >= Role::Operator
    }
}

/// Someone who logs in.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct User {
    /// Stable id, the `sub` of their tokens.
    pub id: UserId,
    /// Lower-case email, unique.
    pub email: String,
    /// Site admins manage projects and users across the installation.
    pub is_site_admin: bool,
    /// Set when the user may no longer log in.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
    /// Their access tokens carry the epoch they were issued in; moving it on (a new
    /// password, `revokeSessions`) ends every one issued before.
    pub session_epoch: i64,
}

/// A user's role in one project.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Membership {
    /// The project.
    pub project_id: ProjectId,
    /// The project's name.
    pub project_name: String,
    /// The role there.
    pub role: Role,
}

/// Normalize and check an email address: trimmed, lower-case, one `@` with text on both sides.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split('@').count() == 2
        && email.split('@').all(|part| !part.is_empty())
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(Error::InvalidInput(
            "email must look like name@example.com".to_owned(),
        ))
    }
}

/// Refuse passwords too short to resist guessing.
pub fn check_password_strength(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::InvalidInput(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

/// A random password of letters and digits, for a bootstrap admin.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..GENERATED_PASSWORD_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Hash a password with argon2id and a random salt. Runs on the blocking pool: hashing costs
/// tens of milliseconds of CPU by design.
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hash password: {e}"))
    })
    .await
    .map_err(|e| anyhow::anyhow!("hash password: {e}"))?
    .map_err(Error::Other)
}

/// Check a password against a stored hash. A malformed hash verifies nothing.
pub async fn verify_password(password: &str, hash: &str) -> bool {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_another_does_not() {
        let hash = hash_password("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash).await);
        assert!(!verify_password("correct horse battery!", &hash).await);
        assert!(!verify_password("anything", "not a phc string").await);
    }

    #[test]
    fn emails_are_normalized_and_nonsense_is_refused() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a@b@c",
            "a da@example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password_strength("short").is_err());
        assert!(check_password_strength("twelve chars").is_ok());
        assert_eq!(generate_password().len(), GENERATED_PASSWORD_LEN);
        assert_ne!(generate_password(), generate_password());
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Admin.can_write());
        assert!(Role::Operator.can_write());
        assert!(!Role::Viewer.can_write());
    }
}
