//! App keys and their encryption at rest (AES-256-GCM under the master key).
//!
//! The master key comes from `PORTAL_MASTER_KEY` (64 hex characters) or from
//! `master.key` in the data directory, generated with mode 0600 on first run.
//! A check value in the `settings` table proves at start-up that the key is the
//! one the database was encrypted with; a wrong or missing key stops the server
//! instead of silently starting over.

use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;
use rand::rngs::OsRng;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, Set};

use super::db::setting;

const NONCE_LEN: usize = 12;
const CHECK_SETTING: &str = "master_key_check";
const CHECK_PLAINTEXT: &[u8] = b"open platform sandbox master key check";

/// The key-encryption key. Its `Debug` output never shows it.
#[derive(Clone)]
pub struct MasterKey {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// Why the master key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key text is not 64 hex characters.
    #[error("{0} must be 64 hexadecimal characters (32 bytes)")]
    Malformed(String),
    /// The database was encrypted under another key.
    #[error(
        "the master key from {0} does not match the one this database was encrypted with; \
         restore the right key (see docs/OPERATIONS.md), the server will not create a new one"
    )]
    Mismatch(String),
    /// The key file is gone but the database holds encrypted keys.
    #[error(
        "PORTAL_MASTER_KEY is not set and {0} does not exist, but this database holds keys \
         encrypted under a master key; restore the file from your backup (see docs/OPERATIONS.md)"
    )]
    Missing(String),
    /// Reading or writing the key file failed.
    #[error("master key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A sealed value does not decrypt (tampered, or another key).
    #[error("cannot decrypt a stored secret")]
    Decrypt,
    /// The settings table could not be read or written.
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

impl MasterKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        // A 32-byte slice is always a valid AES-256 key.
        let cipher = Aes256Gcm::new_from_slice(&bytes).expect("32-byte key");
        Self { cipher }
    }

    /// Parses 64 hex characters; `source` names where they came from, for the error.
    pub fn parse(text: &str, source: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Malformed(source.to_owned()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Malformed(source.to_owned()))?;
        Ok(Self::from_bytes(bytes))
    }

    /// Encrypts with a fresh random nonce; `context` (e.g. appid and slot) is bound
    /// to the ciphertext, so a sealed value cannot be moved to another row.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        // Encryption only fails for inputs beyond AES-GCM's 64 GiB limit.
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("AES-GCM encryption of a small value");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        BASE64.encode(sealed)
    }

    /// Decrypts what [`MasterKey::seal`] produced with the same context.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, KeyError> {
        let bytes = BASE64.decode(sealed).map_err(|_| KeyError::Decrypt)?;
        if bytes.len() <= NONCE_LEN {
            return Err(KeyError::Decrypt);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| KeyError::Decrypt)
    }
}

/// The path of the generated master key file.
pub fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join("master.key")
}

/// Loads the master key (env, then file, else generates the file) and checks it
/// against the database.
pub async fn load_master_key(
    env_value: Option<&str>,
    data_dir: &Path,
    db: &DatabaseConnection,
) -> Result<MasterKey, KeyError> {
    let file = key_file(data_dir);
    let check = setting::Entity::find_by_id(CHECK_SETTING).one(db).await?;
    let (key, source) = if let Some(value) = env_value {
        (
            MasterKey::parse(value, "PORTAL_MASTER_KEY")?,
            "PORTAL_MASTER_KEY".to_owned(),
        )
    } else if file.exists() {
        let text = std::fs::read_to_string(&file).map_err(|source| KeyError::Io {
            path: file.display().to_string(),
            source,
        })?;
        (
            MasterKey::parse(&text, &file.display().to_string())?,
            file.display().to_string(),
        )
    } else if check.is_some() {
        return Err(KeyError::Missing(file.display().to_string()));
    } else {
        (generate_key_file(&file)?, file.display().to_string())
    };
    match check {
        Some(row) => {
            key.open(&row.value, CHECK_SETTING.as_bytes())
                .map_err(|_| KeyError::Mismatch(source))?;
        }
        None => {
            setting::ActiveModel {
                name: Set(CHECK_SETTING.to_owned()),
                value: Set(key.seal(CHECK_PLAINTEXT, CHECK_SETTING.as_bytes())),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(key)
}

fn generate_key_file(file: &Path) -> Result<MasterKey, KeyError> {
    use std::io::Write;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let io = |source| KeyError::Io {
        path: file.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options.open(file).map_err(io)?;
    out.write_all(format!("{}\n", hex::encode(bytes)).as_bytes())
        .map_err(io)?;
    out.sync_all().map_err(io)?;
    tracing::warn!(file = %file.display(), "generated a new master key; back it up (docs/OPERATIONS.md)");
    Ok(MasterKey::from_bytes(bytes))
}

/// An app key: 32 lowercase hex characters (128 bits from the OS CSPRNG).
/// Its `Debug` never shows it, and it is never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct AppKey(String);

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey(…)")
    }
}

impl AppKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        OsRng.fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// The key text, for signing and for showing to its owner.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key masked for display: all but the last four characters hidden.
    pub fn masked(&self) -> String {
        format!("{}{}", "•".repeat(28), &self.0[28..])
    }

    /// Encrypts the key for `appid`'s `slot`.
    pub fn seal(&self, master: &MasterKey, appid: &str, slot: i16) -> String {
        master.seal(self.0.as_bytes(), &Self::context(appid, slot))
    }

    /// Decrypts the key stored for `appid`'s `slot`.
    pub fn open(master: &MasterKey, sealed: &str, appid: &str, slot: i16) -> Result<Self, KeyError> {
        let bytes = master.open(sealed, &Self::context(appid, slot))?;
        String::from_utf8(bytes).map(Self).map_err(|_| KeyError::Decrypt)
    }

    fn context(appid: &str, slot: i16) -> Vec<u8> {
        format!("app-key/{appid}/{slot}").into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey::from_bytes([byte; 32])
    }

    #[test]
    fn sealed_keys_round_trip_and_use_a_fresh_nonce() {
        let app_key = AppKey::generate();
        assert_eq!(app_key.expose().len(), 32);
        assert!(
            app_key
                .expose()
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let first = app_key.seal(&key(7), "1904837261", 1);
        let second = app_key.seal(&key(7), "1904837261", 1);
        assert_ne!(first, second, "fresh nonce each time");
        assert!(!first.contains(app_key.expose()));
        assert_eq!(AppKey::open(&key(7), &first, "1904837261", 1).unwrap(), app_key);
    }

    #[test]
    fn the_wrong_master_key_or_context_fails_to_decrypt() {
        let sealed = AppKey::generate().seal(&key(7), "1904837261", 1);
        assert!(matches!(
            AppKey::open(&key(8), &sealed, "1904837261", 1),
            Err(KeyError::Decrypt)
        ));
        assert!(matches!(
            AppKey::open(&key(7), &sealed, "1904837261", 2),
            Err(KeyError::Decrypt)
        ));
        assert!(matches!(
            AppKey::open(&key(7), &sealed, "1111111111", 1),
            Err(KeyError::Decrypt)
        ));
        assert!(matches!(
            AppKey::open(&key(7), "not base64!", "1904837261", 1),
            Err(KeyError::Decrypt)
        ));
    }

    #[test]
    fn master_keys_must_be_64_hex_characters() {
        assert!(MasterKey::parse(&"ab".repeat(32), "test").is_ok());
        assert!(MasterKey::parse(&"ab".repeat(31), "test").is_err());
        assert!(MasterKey::parse(&"zz".repeat(32), "test").is_err());
    }

    #[test]
    fn debug_output_hides_keys() {
        let app_key = AppKey::generate();
        assert!(!format!("{app_key:?}").contains(app_key.expose()));
        assert_eq!(format!("{:?}", key(1)), "MasterKey(…)");
        assert!(app_key.masked().ends_with(&app_key.expose()[28..]));
        assert!(!app_key.masked().contains(&app_key.expose()[..28]));
    }
}
