//! Password hashing with Argon2id at (at least) OWASP's minimum: m = 19456 KiB, t = 2, p = 1.
//! Hashing runs on the blocking pool: it is deliberately slow.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

use crate::error::ApiError;

/// Argon2id memory cost in KiB.
pub const MEMORY_KIB: u32 = 19_456;
/// Argon2id iterations.
pub const ITERATIONS: u32 = 2;
/// Argon2id parallelism.
pub const PARALLELISM: u32 = 1;

fn hasher() -> Result<Argon2<'static>, ApiError> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).map_err(ApiError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (blocking; call from the blocking pool or startup).
pub fn hash_blocking(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(ApiError::internal)?;
    Ok(hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(ApiError::internal)?
        .to_string())
}

/// Hashes a password on the blocking pool.
pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(ApiError::internal)?
}

/// Checks a password against a stored hash. With `None` (unknown user) it checks against a
/// fixed dummy hash, so an unknown user costs the same time as a wrong password.
pub async fn verify(stored: Option<String>, password: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&phc).map_err(ApiError::internal)?;
        let matches = hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .map_err(ApiError::internal)?
}

/// An Argon2id hash (same parameters) of a random string nobody knows.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Yx1DLAhe2Vp3y6pCKm7tO1Y6P2MPy1W0rpRH1ebWfE";

/// A random one-time password: 20 characters without look-alikes (about 115 bits).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_use_argon2id_at_the_owasp_minimum_and_verify() {
        let phc = hash("correct horse battery".into()).await.expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            verify(Some(phc.clone()), "correct horse battery".into())
                .await
                .expect("verify")
        );
        assert!(!verify(Some(phc), "wrong".into()).await.expect("verify"));
        assert!(!verify(None, "anything".into()).await.expect("dummy verify"));
    }

    #[test]
    fn generated_passwords_are_long_and_different() {
        let a = generate();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate());
        assert!(shared::api::validate_password(&a).is_ok());
    }
}
