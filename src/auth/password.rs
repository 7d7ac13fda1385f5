//! Passwords: hashed with Argon2id at OWASP's parameters (19 MiB, 2
//! passes, 1 lane), checked in constant time by the `argon2` crate, and a
//! new one refused when it is short or among the most common.

use crate::error::{Error, Result};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};
use std::sync::OnceLock;

/// Shortest password accepted, in characters.
pub const MIN_CHARS: usize = 10;
/// Longest, so hashing a huge body cannot be used to load the server.
pub const MAX_CHARS: usize = 128;

/// Argon2id with OWASP's first recommended setting: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of `password`.
pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches `phc`. A malformed stored hash is `false`.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash of no one's password, verified when the account does not exist
/// so that an unknown name takes as long to refuse as a wrong password.
pub fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash("no account has this password").unwrap_or_default())
}

/// The most common passwords (from the lists breach studies publish), each
/// at least [`MIN_CHARS`] long, lower-cased; shorter ones fail on length.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "1234567891",
    "1111111111",
    "0000000000",
    "123456789a",
    "a123456789",
    "qwertyuiop",
    "1q2w3e4r5t",
    "qwerty1234",
    "password12",
    "password123",
    "password1234",
    "password!",
    "passw0rd123",
    "iloveyou12",
    "iloveyou123",
    "football123",
    "baseball123",
    "princess123",
    "sunshine123",
    "superman123",
    "welcome123",
    "welcome1234",
    "letmein123",
    "trustno1234",
    "dragon1234",
    "monkey1234",
    "abc1234567",
    "abcdefghij",
    "qwertyuiop123",
    "asdfghjkl1",
    "zxcvbnm123",
    "1qaz2wsx3edc",
    "qazwsxedc123",
    "changeme123",
    "administrator",
    "admin12345",
    "admin123456",
    "babblr1234",
    "babblr12345",
    "password",
    "passwordpassword",
    "1234512345",
    "9876543210",
    "987654321a",
    "michael123",
    "charlie123",
    "shadow1234",
    "master1234",
    "jennifer123",
    "computer123",
    "whatever123",
    "starwars123",
    "pokemon123",
    "liverpool1",
    "chelsea123",
    "arsenal123",
    "barcelona1",
    "hello12345",
    "freedom123",
    "qwerty123456",
    "11111111111",
    "123123123123",
    "1234567890a",
];

/// Checks a new password: 10 to 128 characters, not a common one and not
/// the username. A 422 on `field` says which rule failed.
pub fn check_new(field: &'static str, password: &str, username: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(Error::invalid(
            field,
            format!("is too short: use at least {MIN_CHARS} characters"),
        ));
    }
    if n > MAX_CHARS {
        return Err(Error::invalid(
            field,
            format!("is too long: use at most {MAX_CHARS} characters"),
        ));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) || lower == username.to_lowercase() {
        return Err(Error::invalid(
            field,
            "is one of the most common passwords (or your username); choose another",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse battery!", &h));
        assert!(!verify("anything", "not a hash"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        let short = check_new("password", "short1", "ana").unwrap_err();
        assert!(short.to_string().contains("too short"), "{short}");
        let common = check_new("password", "Password123", "ana").unwrap_err();
        assert!(common.to_string().contains("common"), "{common}");
        assert!(check_new("password", "ana.garcia.1", "ana.garcia.1").is_err());
        assert!(check_new("password", &"x".repeat(129), "ana").is_err());
        check_new("password", "tortilla de patatas", "ana").unwrap();
        assert!(COMMON
            .iter()
            .all(|p| p.len() >= 8 && *p == p.to_lowercase()));
    }
}
