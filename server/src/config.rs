//! Configuration: `Leptos.toml` (site options) plus the environment (SPEC §8.1).

use std::path::PathBuf;
use std::time::Duration;

use leptos::prelude::LeptosOptions;
use url::Url;

use crate::error::{Error, Result};

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PORTAL_DATA_DIR` (default `./data`): the SQLite file and generated secrets live here.
    pub data_dir: PathBuf,
    /// `DATABASE_URL` (default: SQLite file `portal.db` in the data dir): `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// `PORTAL_PUBLIC_URL` (default `http://<site addr>`): base URL of links, and the origin
    /// portal forms must come from.
    pub public_url: Url,
    /// Leptos' site options from `Leptos.toml`, with `LEPTOS_*` variables applied
    /// (`LEPTOS_SITE_ADDR` is the listen address).
    pub leptos: LeptosOptions,
    /// `PORTAL_MASTER_KEY`: 64 hex characters. Unset: `master.key` in the data dir,
    /// generated on first run.
    pub master_key: Option<Secret>,
    /// `PORTAL_KEY_GRACE` (default `24h`): how long a rotated-out key keeps verifying.
    pub key_grace: Duration,
    /// `PORTAL_NOTIFY_RETRY_SCHEDULE` (default `1m,2m,4m,8m,16m,32m`): delays between attempts.
    pub notify_retry_schedule: Vec<Duration>,
    /// `PORTAL_NOTIFY_TIMEOUT` (default `10s`): per-attempt timeout.
    pub notify_timeout: Duration,
    /// `PORTAL_NOTIFY_BLOCK_PRIVATE` (default `false`): refuse loopback and private targets.
    pub notify_block_private: bool,
    /// `PORTAL_NOTIFY_ID_TTL` (default `7d`): how long the notify query accepts a notify_id.
    pub notify_id_ttl: Duration,
    /// `PORTAL_GATEWAY_RATE_LIMIT` (default `1000`): gateway requests per second per app; 0 = no limit.
    pub gateway_rate_limit: u32,
    /// `PORTAL_NOTIFY_RETENTION_DAYS` (default `30`): notification attempts older than this are pruned.
    pub notify_retention_days: u32,
}

/// A configuration secret; `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Parses durations like `500ms`, `10s`, `1m`, `24h`, `7d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let millis = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(Duration::from_millis(number.checked_mul(millis)?))
}

impl Config {
    /// Reads `Leptos.toml` from the working directory and the process environment.
    pub fn load() -> Result<Self> {
        let file = "Leptos.toml";
        if !std::path::Path::new(file).is_file() {
            return Err(Error::Config(format!(
                "{file} not found in {}; run the server from the project root",
                std::env::current_dir()
                    .map(|dir| dir.display().to_string())
                    .unwrap_or_default()
            )));
        }
        let leptos = leptos::prelude::get_configuration(Some(file))
            .map_err(|err| Error::Config(format!("{file}: {err}")))?
            .leptos_options;
        Self::from_env(leptos, |name| std::env::var(name).ok())
    }

    /// Builds the configuration from Leptos options and an environment lookup.
    pub fn from_env(leptos: LeptosOptions, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| {
            env(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let data_dir = PathBuf::from(var("PORTAL_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match var("DATABASE_URL") {
            Some(url) => url,
            None => format!("sqlite://{}?mode=rwc", data_dir.join("portal.db").display()),
        };
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(Error::Config(format!(
                "DATABASE_URL must start with sqlite:// or postgres://, got {}",
                redact_url(&database_url)
            )));
        }
        let public_url = match var("PORTAL_PUBLIC_URL") {
            Some(raw) => {
                Url::parse(&raw).map_err(|err| Error::Config(format!("PORTAL_PUBLIC_URL {raw:?}: {err}")))?
            }
            None => Url::parse(&format!("http://{}", leptos.site_addr))
                .map_err(|err| Error::Config(format!("LEPTOS_SITE_ADDR {}: {err}", leptos.site_addr)))?,
        };
        if !matches!(public_url.scheme(), "http" | "https") || public_url.host_str().is_none() {
            return Err(Error::Config(format!(
                "PORTAL_PUBLIC_URL must be an http(s) URL, got {public_url}"
            )));
        }
        let key_grace = match var("PORTAL_KEY_GRACE") {
            None => Duration::from_secs(24 * 3600),
            Some(raw) => parse_duration(&raw).ok_or_else(|| {
                Error::Config(format!(
                    "PORTAL_KEY_GRACE must be a duration like 24h, 30m or 0s, got {raw:?}"
                ))
            })?,
        };
        let master_key = var("PORTAL_MASTER_KEY").map(Secret);
        let duration = |name: &str, default: Duration| -> Result<Duration> {
            match var(name) {
                None => Ok(default),
                Some(raw) => parse_duration(&raw).ok_or_else(|| {
                    Error::Config(format!(
                        "{name} must be a duration like 10s, 500ms or 7d, got {raw:?}"
                    ))
                }),
            }
        };
        let notify_retry_schedule = match var("PORTAL_NOTIFY_RETRY_SCHEDULE") {
            None => [1, 2, 4, 8, 16, 32]
                .into_iter()
                .map(|minutes| Duration::from_secs(minutes * 60))
                .collect(),
            Some(raw) => raw
                .split(',')
                .map(|part| parse_duration(part).filter(|delay| !delay.is_zero()))
                .collect::<Option<Vec<_>>>()
                .filter(|delays| !delays.is_empty())
                .ok_or_else(|| {
                    Error::Config(format!(
                        "PORTAL_NOTIFY_RETRY_SCHEDULE must be comma-separated durations above zero \
                         like 1m,2m,4m, got {raw:?}"
                    ))
                })?,
        };
        let notify_timeout = duration("PORTAL_NOTIFY_TIMEOUT", Duration::from_secs(10))?;
        if notify_timeout.is_zero() {
            return Err(Error::Config("PORTAL_NOTIFY_TIMEOUT must be above zero".into()));
        }
        let notify_block_private = match var("PORTAL_NOTIFY_BLOCK_PRIVATE")
            .map(|raw| raw.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                return Err(Error::Config(format!(
                    "PORTAL_NOTIFY_BLOCK_PRIVATE must be true or false, got {other:?}"
                )));
            }
        };
        let notify_id_ttl = duration("PORTAL_NOTIFY_ID_TTL", Duration::from_secs(7 * 86_400))?;
        let gateway_rate_limit = match var("PORTAL_GATEWAY_RATE_LIMIT") {
            None => 1000,
            Some(raw) => raw.parse().map_err(|_| {
                Error::Config(format!(
                    "PORTAL_GATEWAY_RATE_LIMIT must be a whole number of requests per second, got {raw:?}"
                ))
            })?,
        };
        let notify_retention_days = match var("PORTAL_NOTIFY_RETENTION_DAYS") {
            None => 30,
            Some(raw) => raw.parse().ok().filter(|days| *days > 0).ok_or_else(|| {
                Error::Config(format!(
                    "PORTAL_NOTIFY_RETENTION_DAYS must be a whole number of days above zero, got {raw:?}"
                ))
            })?,
        };
        Ok(Self {
            data_dir,
            database_url,
            public_url,
            leptos,
            master_key,
            key_grace,
            notify_retry_schedule,
            notify_timeout,
            notify_block_private,
            notify_id_ttl,
            gateway_rate_limit,
            notify_retention_days,
        })
    }

    /// Cookies get the `Secure` flag when the portal is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            // Setting a password only fails for URLs without a host, which have none to hide.
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let leptos = LeptosOptions::builder()
            .output_name("portal")
            .site_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 3000)))
            .build();
        Config::from_env(leptos, |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_follow_the_spec() {
        let config = config(&[]).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.database_url, "sqlite://./data/portal.db?mode=rwc");
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:3000/");
        assert!(!config.secure_cookies());
    }

    #[test]
    fn the_database_follows_the_data_dir_unless_given() {
        let config = config(&[("PORTAL_DATA_DIR", "/var/lib/portal")]).unwrap();
        assert_eq!(config.database_url, "sqlite:///var/lib/portal/portal.db?mode=rwc");
        let config = config_with_pg();
        assert_eq!(config.database_url, "postgres://u:p@db/portal");
    }

    fn config_with_pg() -> Config {
        config(&[("DATABASE_URL", "postgres://u:p@db/portal")]).unwrap()
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("1500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2d"), Some(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("10y"), None);
        assert_eq!(config(&[]).unwrap().key_grace, Duration::from_secs(86_400));
        assert!(config(&[("PORTAL_KEY_GRACE", "soon")]).is_err());
    }

    #[test]
    fn notification_settings_parse_and_refuse_nonsense() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.notify_retry_schedule.len(), 6);
        assert_eq!(defaults.notify_retry_schedule[5], Duration::from_secs(32 * 60));
        assert_eq!(defaults.notify_timeout, Duration::from_secs(10));
        assert!(!defaults.notify_block_private);
        let custom = config(&[
            ("PORTAL_NOTIFY_RETRY_SCHEDULE", "1s, 2s,4s"),
            ("PORTAL_NOTIFY_TIMEOUT", "500ms"),
            ("PORTAL_NOTIFY_BLOCK_PRIVATE", "True"),
            ("PORTAL_GATEWAY_RATE_LIMIT", "0"),
        ])
        .unwrap();
        assert_eq!(
            custom.notify_retry_schedule,
            vec![
                Duration::from_secs(1),
                Duration::from_secs(2),
                Duration::from_secs(4)
            ]
        );
        assert_eq!(custom.notify_timeout, Duration::from_millis(500));
        assert!(custom.notify_block_private);
        assert_eq!(custom.gateway_rate_limit, 0);
        for (name, value) in [
            ("PORTAL_NOTIFY_RETRY_SCHEDULE", "1s,,2s"),
            ("PORTAL_NOTIFY_RETRY_SCHEDULE", "0s"),
            ("PORTAL_NOTIFY_TIMEOUT", "0s"),
            ("PORTAL_NOTIFY_BLOCK_PRIVATE", "maybe"),
            ("PORTAL_GATEWAY_RATE_LIMIT", "-1"),
            ("PORTAL_NOTIFY_RETENTION_DAYS", "0"),
        ] {
            assert!(config(&[(name, value)]).is_err(), "{name}={value}");
        }
    }

    #[test]
    fn the_master_key_never_shows_in_debug_output() {
        let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let config = config(&[("PORTAL_MASTER_KEY", key)]).unwrap();
        assert!(!format!("{config:?}").contains("00112233"));
    }

    #[test]
    fn https_public_urls_make_cookies_secure() {
        assert!(
            config(&[("PORTAL_PUBLIC_URL", "https://sandbox.example.com")])
                .unwrap()
                .secure_cookies()
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        let err = config(&[("DATABASE_URL", "mysql://u:secret@db/x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("DATABASE_URL") && !err.contains("secret"), "{err}");
        let err = config(&[("PORTAL_PUBLIC_URL", "ftp://example.com")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("PORTAL_PUBLIC_URL"), "{err}");
    }
}
