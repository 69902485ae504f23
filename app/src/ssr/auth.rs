//! ISV accounts: sign-up, password hashing, login and its throttle.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set, SqlErr, TransactionTrait,
};

use super::db::{isv, login_attempt, user};
use super::msg::Msg;
use super::now_ms;
use super::ttl_map::TtlMap;
use crate::types::CurrentUser;

/// Failed logins allowed per account, and per IP, within [`THROTTLE_WINDOW_MS`].
pub const MAX_FAILURES: u64 = 10;
/// The throttle's sliding window: 15 minutes.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;

/// A normalised e-mail address: trimmed, lower-case, plausibly shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and checks the shape `local@domain.tld`, at most 254 characters.
    pub fn parse(raw: &str) -> Result<Self, Msg> {
        let email = raw.trim().to_lowercase();
        let valid_shape = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
        if email.is_empty() {
            Err(Msg::EmailRequired)
        } else if email.chars().count() > 254 {
            Err(Msg::EmailTooLong)
        } else if !valid_shape || email.chars().any(char::is_whitespace) {
            Err(Msg::EmailInvalid)
        } else {
            Ok(Self(email))
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password of 10 to 128 characters. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    /// Checks the length: 10 to 128 characters.
    pub fn parse(raw: String) -> Result<Self, Msg> {
        match raw.chars().count() {
            0..=9 => Err(Msg::PasswordTooShort),
            10..=128 => Ok(Self(raw)),
            _ => Err(Msg::PasswordTooLong),
        }
    }
}

/// An ISV's display name: trimmed, 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsvName(String);

impl IsvName {
    /// Trims and checks the length: 1 to 64 characters.
    pub fn parse(raw: &str) -> Result<Self, Msg> {
        let name = raw.trim();
        match name.chars().count() {
            0 => Err(Msg::IsvNameRequired),
            1..=64 => Ok(Self(name.to_owned())),
            _ => Err(Msg::IsvNameTooLong),
        }
    }
}

/// Why sign-up failed.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    /// The e-mail already has an account.
    #[error("An account with this e-mail already exists. Log in instead.")]
    DuplicateEmail,
    /// A database or hashing failure.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown e-mail or wrong password; deliberately one message for both.
    #[error("Wrong e-mail or password.")]
    InvalidCredentials,
    /// Too many failures for this account or this IP.
    #[error("Too many attempts. Try again later.")]
    Throttled,
    /// A database or hashing failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbErr> for SignupError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::DuplicateEmail,
            _ => Self::Internal(err.to_string()),
        }
    }
}

impl From<DbErr> for LoginError {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.to_string())
    }
}

/// argon2id with OWASP's recommended parameters: 19 MiB, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    // These constants are valid argon2 parameters, so `Params::new` cannot fail.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Waits for one of the few slots in which a password may be hashed or verified.
///
/// Each argon2 run takes 19 MiB and a core for tens of milliseconds; without a bound, a
/// burst of logins or sign-ups would run hundreds at once on the blocking pool. Callers
/// beyond the slots wait their turn as small futures.
///
/// The permit moves into the blocking job and is released when the hash is done: a
/// request dropped meanwhile (its client went away) does not free the slot early.
async fn hashing_slot() -> tokio::sync::OwnedSemaphorePermit {
    static SLOTS: OnceLock<std::sync::Arc<tokio::sync::Semaphore>> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        std::sync::Arc::new(tokio::sync::Semaphore::new(cores.max(2)))
    });
    // The semaphore is never closed.
    std::sync::Arc::clone(slots)
        .acquire_owned()
        .await
        .expect("the hashing semaphore stays open")
}

/// Hashes a password on the blocking pool, off the async runtime.
pub async fn hash_password(password: Password) -> Result<String, String> {
    let slot = hashing_slot().await;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.0.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|err| err.to_string())
    })
    .await
    .map_err(|err| err.to_string())?
}

/// A hash of a random password, checked for unknown e-mails so that their
/// timing matches a wrong password's.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let random = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(random.as_str().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// Verifies a password on the blocking pool; `None` checks the dummy hash and fails.
pub async fn verify_password(hash: Option<String>, password: String) -> bool {
    let slot = hashing_slot().await;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let matches = hasher().verify_password(password.as_bytes(), &parsed).is_ok();
        known && matches
    })
    .await
    .unwrap_or(false)
}

/// Creates an ISV and its first user, and returns the new user.
pub async fn create_account(
    db: &DatabaseConnection,
    email: Email,
    isv_name: IsvName,
    password: Password,
) -> Result<CurrentUser, SignupError> {
    if user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(SignupError::DuplicateEmail);
    }
    let password_hash = hash_password(password).await.map_err(SignupError::Internal)?;
    let now = now_ms();
    let txn = db.begin().await?;
    let isv = isv::ActiveModel {
        name: Set(isv_name.0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // A concurrent sign-up with the same e-mail loses here, on the unique index.
    let user = user::ActiveModel {
        isv_id: Set(isv.id),
        email: Set(email.0),
        password_hash: Set(password_hash),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(CurrentUser {
        user_id: user.id,
        isv_id: isv.id,
        email: user.email,
        isv_name: isv.name,
        locale: None,
    })
}

/// Remembers the portal language `user_id` chose, for every browser they log in from.
pub async fn set_locale(
    db: &impl ConnectionTrait,
    user_id: i64,
    locale: crate::i18n::Locale,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(
            user::Column::Locale,
            sea_orm::sea_query::Expr::value(leptos_i18n::Locale::as_str(locale)),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Loads a user and their ISV by user id.
pub async fn load_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<CurrentUser>, DbErr> {
    let found = user::Entity::find_by_id(user_id)
        .find_also_related(isv::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(user, isv)| {
        isv.map(|isv| CurrentUser {
            user_id: user.id,
            isv_id: isv.id,
            email: user.email,
            isv_name: isv.name,
            locale: user.locale,
        })
    }))
}

/// How long login attempts are kept: the throttle looks back [`THROTTLE_WINDOW_MS`], and
/// a day leaves time to look into an attack afterwards (logins of existing accounts are
/// also in the audit log).
pub const LOGIN_ATTEMPTS_KEPT_MS: i64 = 24 * 3600 * 1000;

/// Deletes login attempts older than [`LOGIN_ATTEMPTS_KEPT_MS`]; returns how many.
pub async fn delete_old_login_attempts(db: &DatabaseConnection, now: i64) -> Result<u64, DbErr> {
    let result = login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::CreatedAt.lt(now - LOGIN_ATTEMPTS_KEPT_MS))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// True when the account or the IP has more than [`MAX_FAILURES`] failures in the
/// window, counting the attempt being made (recorded as one until it succeeds).
async fn is_throttled(db: &DatabaseConnection, email: &str, ip: &str, now: i64) -> Result<bool, DbErr> {
    let since = now - THROTTLE_WINDOW_MS;
    let failures = |column: login_attempt::Column, value: &str| {
        login_attempt::Entity::find()
            .filter(column.eq(value))
            .filter(login_attempt::Column::Succeeded.eq(false))
            .filter(login_attempt::Column::CreatedAt.gt(since))
            .count(db)
    };
    Ok(
        failures(login_attempt::Column::Email, email).await? > MAX_FAILURES
            || failures(login_attempt::Column::Ip, ip).await? > MAX_FAILURES,
    )
}

/// Users by id, each trusted for [`USER_TTL`]: every portal request needs its user,
/// and this saves that query. [`set_locale`]'s caller forgets the user it changed, and
/// a request whose language cookie disagrees with the cached choice reads the user
/// again (see [`UserCache::load`]); other changes reach other processes sharing a
/// PostgreSQL database within [`USER_TTL`].
#[derive(Debug)]
pub struct UserCache(TtlMap<i64, CurrentUser>);

/// How long a cached user is trusted without reading the database again.
pub const USER_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl Default for UserCache {
    fn default() -> Self {
        Self(TtlMap::new(USER_TTL, 50_000))
    }
}

impl UserCache {
    /// The user, from the cache or the database.
    ///
    /// `cookie_locale` is the language cookie of the request. The switch and the login
    /// set it to the account's choice, so a cached user whose saved language differs from
    /// it is older than the last switch (made in another process, or while this entry was
    /// being loaded): it is read again.
    pub async fn load(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
        cookie_locale: Option<crate::i18n::Locale>,
    ) -> Result<Option<CurrentUser>, DbErr> {
        if let Some(user) = self.0.get(&user_id) {
            let saved = user.locale.as_deref().and_then(crate::lang::parse);
            let outdated = matches!((saved, cookie_locale), (Some(saved), Some(cookie)) if saved != cookie);
            if !outdated {
                return Ok(Some(user));
            }
        }
        let user = load_user(db, user_id).await?;
        if let Some(user) = &user {
            self.0.insert(user_id, user.clone());
        }
        Ok(user)
    }

    /// Forgets a user, so the next request reads it from the database.
    pub fn forget(&self, user_id: i64) {
        self.0.remove(&user_id);
    }
}

/// Checks e-mail and password, throttled per account and per IP, and records the attempt.
///
/// The attempt is recorded as a failure before the throttle counts, so attempts made at
/// the same time count each other: at most [`MAX_FAILURES`] of them reach the password
/// check, however many arrive together. One refused by the throttle is deleted again, so
/// the lock ends when the window passes instead of being extended by every retry.
pub async fn authenticate(
    db: &DatabaseConnection,
    raw_email: &str,
    password: String,
    ip: &str,
) -> Result<CurrentUser, LoginError> {
    // Malformed e-mails are kept as typed (normalised), so they are throttled too.
    let email = Email::parse(raw_email)
        .map(|email| email.0)
        .unwrap_or_else(|_| raw_email.trim().to_lowercase().chars().take(254).collect());
    let ip: String = ip.chars().take(64).collect();
    let now = now_ms();
    let attempt = login_attempt::ActiveModel {
        email: Set(email.clone()),
        ip: Set(ip.clone()),
        succeeded: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if is_throttled(db, &email, &ip, now).await? {
        login_attempt::Entity::delete_by_id(attempt.id).exec(db).await?;
        return Err(LoginError::Throttled);
    }
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let ok = verify_password(found.as_ref().map(|user| user.password_hash.clone()), password).await;
    if ok {
        login_attempt::Entity::update_many()
            .col_expr(login_attempt::Column::Succeeded, true.into())
            .filter(login_attempt::Column::Id.eq(attempt.id))
            .exec(db)
            .await?;
    }
    let account = match found {
        Some(user) => load_user(db, user.id).await?,
        None => None,
    };
    if let Some(account) = &account {
        let action = if ok { "login.succeeded" } else { "login.failed" };
        let actor = super::audit::Actor {
            user: account,
            ip: &ip,
        };
        super::audit::record(db, actor, action, &account.email, "").await?;
    }
    match account {
        Some(account) if ok => Ok(account),
        _ => Err(LoginError::InvalidCredentials),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Dev@Example.COM ").unwrap().as_str(),
            "dev@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "   ",
            "dev",
            "dev@",
            "@example.com",
            "dev@example",
            "a b@example.com",
            "dev@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn passwords_must_have_10_to_128_characters() {
        assert!(Password::parse("123456789".into()).is_err());
        assert!(Password::parse("1234567890".into()).is_ok());
        assert!(Password::parse("密".repeat(128)).is_ok());
        assert!(Password::parse("x".repeat(129)).is_err());
    }

    #[test]
    fn isv_names_are_trimmed_and_limited_to_64_characters() {
        assert!(IsvName::parse("   ").is_err());
        assert_eq!(IsvName::parse(" Acme ").unwrap(), IsvName("Acme".into()));
        assert!(IsvName::parse(&"n".repeat(65)).is_err());
    }

    #[test]
    fn password_debug_output_hides_the_password() {
        let password = Password::parse("correct horse battery".into()).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[tokio::test]
    async fn hashes_verify_only_the_right_password() {
        let hash = hash_password(Password::parse("correct horse battery".into()).unwrap())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(Some(hash.clone()), "correct horse battery".into()).await);
        assert!(!verify_password(Some(hash), "wrong horse battery".into()).await);
        assert!(!verify_password(None, "correct horse battery".into()).await);
    }
}
