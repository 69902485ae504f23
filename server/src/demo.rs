//! The demo: `server seed-demo` (an ISV, an app, sample transactions, printed
//! credentials) and the built-in receiver its notify_url points at.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::Method;
use sdk::params::Params;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use app::protocol::RESULT_PARAMS;
use app::ssr::apps::{self, AppForm};
use app::ssr::audit::Actor;
use app::ssr::auth::{Email, IsvName, Password, create_account, load_user};
use app::ssr::db::{app as app_entity, demo_receipt, order, setting, user};
use app::ssr::gateway;
use app::ssr::keys::MasterKey;
use app::ssr::state::AppState;

use crate::error::{Error, Result};

/// Path of the built-in receiver.
pub const RECEIVER_PATH: &str = "/demo/notify";
const DEMO_EMAIL: &str = "demo@sandbox.example";
const DEMO_APP_NAME: &str = "Demo app";
const PASSWORD_SETTING: &str = "demo_password";
const MAX_STORED: usize = 4096;

/// What `seed-demo` prints (to stdout, on purpose). Its `Debug` hides the password and key.
#[derive(Serialize)]
pub struct DemoCredentials {
    pub email: String,
    pub password: String,
    pub appid: String,
    pub key: String,
    pub notify_url: String,
    pub return_url: String,
    pub portal_url: String,
}

impl std::fmt::Debug for DemoCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoCredentials")
            .field("email", &self.email)
            .field("appid", &self.appid)
            .field("portal_url", &self.portal_url)
            .finish_non_exhaustive()
    }
}

fn internal(err: impl std::fmt::Display) -> Error {
    Error::Seed(err.to_string())
}

/// Creates (once) the demo ISV and app; every run returns the same credentials.
pub async fn seed(state: &AppState, public_url: &url::Url) -> Result<DemoCredentials> {
    let db = &state.db;
    let base = public_url.as_str().trim_end_matches('/');
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(DEMO_EMAIL))
        .one(db)
        .await
        .map_err(internal)?;
    let (current, password) = match existing {
        Some(row) => {
            let sealed = setting::Entity::find_by_id(PASSWORD_SETTING)
                .one(db)
                .await
                .map_err(internal)?
                .ok_or_else(|| internal("the demo user exists but its password was not recorded"))?;
            let password = open_password(&state.master_key, &sealed.value)?;
            let current = load_user(db, row.id)
                .await
                .map_err(internal)?
                .ok_or_else(|| internal("demo user vanished"))?;
            (current, password)
        }
        None => {
            let password = app::ssr::keys::AppKey::generate().expose()[..20].to_owned();
            let email = Email::parse(DEMO_EMAIL).map_err(internal)?;
            let name = IsvName::parse("Demo ISV").map_err(internal)?;
            let secret = Password::parse(password.clone()).map_err(internal)?;
            let current = create_account(db, email, name, secret).await.map_err(internal)?;
            setting::ActiveModel {
                name: Set(PASSWORD_SETTING.to_owned()),
                value: Set(state
                    .master_key
                    .seal(password.as_bytes(), PASSWORD_SETTING.as_bytes())),
            }
            .insert(db)
            .await
            .map_err(internal)?;
            (current, password)
        }
    };
    let notify_url = format!("{base}{RECEIVER_PATH}");
    let return_url = format!("{base}/transactions");
    let found = app_entity::Entity::find_for_isv(current.isv_id)
        .filter(app_entity::Column::Name.eq(DEMO_APP_NAME))
        .order_by_asc(app_entity::Column::Id)
        .one(db)
        .await
        .map_err(internal)?;
    let model = match found {
        Some(model) => model,
        None => {
            let form = AppForm {
                name: DEMO_APP_NAME.into(),
                description:
                    "Created by `server seed-demo`. Its notifications go to the built-in demo receiver."
                        .into(),
                notify_url: notify_url.clone(),
                return_url: return_url.clone(),
                retry_speed: "fast".into(),
                ..AppForm::default()
            };
            let input = form.parse().map_err(|errors| internal(format!("{errors:?}")))?;
            let actor = Actor {
                user: &current,
                ip: "seed-demo",
            };
            apps::create(db, &state.master_key, actor, input)
                .await
                .map_err(internal)?
        }
    };
    seed_transactions(state, current.isv_id, &model).await?;
    let key = apps::current_key(&state.master_key, &model).map_err(internal)?;
    Ok(DemoCredentials {
        email: current.email,
        password,
        appid: model.appid.clone(),
        key: key.expose().to_owned(),
        notify_url: model.notify_url,
        return_url: model.return_url,
        portal_url: format!("{base}/apps/{}", model.appid),
    })
}

/// Sample transactions for the demo app, made once: two paid, one failed. Their
/// notifications go to the demo receiver when the server runs its dispatcher.
async fn seed_transactions(state: &AppState, isv_id: i64, model: &app_entity::Model) -> Result<()> {
    let existing = order::Entity::find()
        .filter(order::Column::AppId.eq(model.id))
        .count(&state.db)
        .await
        .map_err(internal)?;
    if existing > 0 {
        return Ok(());
    }
    let samples = [
        (1234, "Green tea, 250 g", "normal"),
        (9900, "Tea set", "normal"),
        (500, "Gift card (declined)", "failure"),
    ];
    for (total_fee, body, scenario) in samples {
        gateway::test_payment(state, isv_id, &model.appid, total_fee, body, scenario, None)
            .await
            .map_err(internal)?;
    }
    Ok(())
}

fn open_password(master: &MasterKey, sealed: &str) -> Result<String> {
    let bytes = master
        .open(sealed, PASSWORD_SETTING.as_bytes())
        .map_err(internal)?;
    String::from_utf8(bytes).map_err(internal)
}

/// `GET|POST /demo/notify`: records a notification signed by its app's key and answers
/// `success`, as a merchant would; anything else (unsigned, a wrong signature, an
/// unknown appid) gets `fail` and is not recorded, so nobody can put receipts on another
/// ISV's app page.
pub async fn receive(
    State(state): State<AppState>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> &'static str {
    let raw: &[u8] = if method == Method::POST {
        &body
    } else {
        query.as_deref().unwrap_or_default().as_bytes()
    };
    let Some(appid) = signed_by_its_app(&state, raw).await else {
        return "fail";
    };
    let mut params = String::from_utf8_lossy(raw).into_owned();
    if params.len() > MAX_STORED {
        let mut end = MAX_STORED;
        while !params.is_char_boundary(end) {
            end -= 1;
        }
        params.truncate(end);
    }
    let row = demo_receipt::ActiveModel {
        appid: Set(appid),
        method: Set(method.as_str().chars().take(8).collect()),
        params: Set(params),
        received_at: Set(state.clock.now_ms()),
        ..Default::default()
    };
    if let Err(err) = row.insert(&state.db).await {
        // Still acknowledge: the demo receiver must never make the platform retry.
        tracing::error!(%err, "demo receiver cannot record a notification");
    }
    "success"
}

/// The appid of a notification whose signature one of that app's verifying keys
/// confirms; `None` for anything else. Only the result parameters are signed: a
/// `notify_url`'s own query parameters (GET) are left out, as a merchant would.
async fn signed_by_its_app(state: &AppState, raw: &[u8]) -> Option<String> {
    let params = Params::parse_parts(&[raw]).ok()?;
    let appid = params.non_empty("appid")?;
    let sign = params.non_empty("sign")?;
    let app = match state.apps.get(&state.db, &state.master_key, appid).await {
        Ok(app) => app?,
        Err(err) => {
            tracing::error!(%err, "demo receiver cannot read the app");
            return None;
        }
    };
    let signed = || params.iter().filter(|(name, _)| RESULT_PARAMS.contains(name));
    app.verifying_keys(state.clock.now_ms())
        .iter()
        .any(|(_, key)| sdk::sign::verify(signed(), key.expose(), params.charset(), sign).unwrap_or(false))
        .then(|| appid.to_owned())
}
