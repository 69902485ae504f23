//! `spawn_app()` and friends: start the real server and talk to it over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;

use leptos::prelude::LeptosOptions;
use reqwest::cookie::Jar;
use reqwest::header::{HeaderMap, HeaderValue, LOCATION, ORIGIN};
use reqwest::{Client, Response, StatusCode, redirect};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use server::Config;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each `async fn name(backend: Backend)`, the tests `name::sqlite` and `name::postgres`.
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        )*
    };
}
pub(crate) use db_tests;

/// A fresh, empty database: a SQLite file in a temp dir, or a new PostgreSQL database.
pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
    /// For PostgreSQL: the admin URL and the database name, so that drop can remove it.
    pg: Option<(String, String)>,
}

impl Drop for TestDb {
    /// Drops a PostgreSQL test database (and ends its sessions), so a run does not fill the disk.
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        // Drop may run inside the test's runtime, which cannot be blocked on; use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for dropping the test database");
            runtime.block_on(async {
                let conn = Database::connect(&admin).await?;
                conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                conn.close().await
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop test database: {error}");
        }
    }
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut pg = None;
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("portal.db").display()),
            Backend::Postgres => {
                let admin = std::env::var("TEST_POSTGRES_URL").expect(
                    "TEST_POSTGRES_URL is not set: PostgreSQL tests need a server. \
                     Run `make test`, which starts one (scripts/pg.sh).",
                );
                let name = format!("it_{:016x}", rand::random::<u64>());
                let conn = Database::connect(&admin)
                    .await
                    .expect("connect to TEST_POSTGRES_URL");
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                conn.close().await.expect("close admin connection");
                let (base, _) = admin
                    .rsplit_once('/')
                    .expect("TEST_POSTGRES_URL has a database path");
                let url = format!("{base}/{name}");
                pg = Some((admin, name));
                url
            }
        };
        Self { url, dir, pg }
    }

    /// A direct connection, for arranging and inspecting state.
    pub async fn connect(&self) -> DatabaseConnection {
        server::db::connect(&self.url)
            .await
            .expect("connect to test database")
    }
}

/// A running server and an HTTP client with its own cookie jar.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub jar: Arc<Jar>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<server::Result<()>>>,
}

/// The configuration a test server runs with.
pub fn test_config(db: &TestDb, addr: SocketAddr, extra: &[(&str, &str)]) -> Config {
    let leptos = LeptosOptions::builder()
        .output_name("portal")
        .site_root(db.dir.path().join("site").display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let data_dir = db.dir.path().display().to_string();
    let url = db.url.clone();
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_env(leptos, move |name| match name {
        "PORTAL_DATA_DIR" => Some(data_dir.clone()),
        "DATABASE_URL" => Some(url.clone()),
        _ => extra.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
    })
    .expect("test config")
}

/// Starts the server on 127.0.0.1:0 against `db`, with a fresh cookie jar.
pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn_app_with_jar(db, Arc::new(Jar::default())).await
}

/// Starts the server against `db`, sharing an existing cookie jar (a returning browser).
pub async fn spawn_app_with_jar(db: &TestDb, jar: Arc<Jar>) -> TestApp {
    spawn_app_configured(db, jar, &[]).await
}

/// Starts the server against `db` with extra environment variables.
pub async fn spawn_app_configured(db: &TestDb, jar: Arc<Jar>, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_with_clock(db, jar, extra, Arc::new(app::ssr::clock::SystemClock)).await
}

/// Starts the server against `db` with extra environment variables and a given clock.
pub async fn spawn_app_with_clock(
    db: &TestDb,
    jar: Arc<Jar>,
    extra: &[(&str, &str)],
    clock: Arc<dyn app::ssr::clock::Clock>,
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let config = test_config(db, addr, extra);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::run_with_clock(
        config,
        listener,
        async move {
            let _ = rx.await;
        },
        clock,
    ));
    let app = TestApp {
        addr,
        client: client(&jar, addr),
        jar,
        shutdown: Some(tx),
        task: Some(task),
    };
    app.wait_until_ready().await;
    app
}

fn client(jar: &Arc<Jar>, addr: SocketAddr) -> Client {
    // Like a browser posting a portal form: same-origin `Origin` header.
    let mut headers = HeaderMap::new();
    headers.insert(
        ORIGIN,
        HeaderValue::from_str(&format!("http://{addr}")).expect("origin header"),
    );
    Client::builder()
        .cookie_provider(jar.clone())
        .redirect(redirect::Policy::none())
        .default_headers(headers)
        // A server that stops answering fails the test instead of hanging it.
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("http client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn wait_until_ready(&self) {
        for _ in 0..200 {
            if let Ok(response) = self.client.get(self.url("/healthz")).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("server did not become ready");
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("body")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    pub async fn signup(&self, email: &str, password: &str, isv_name: &str) -> Response {
        self.post_form(
            "/signup",
            &[("email", email), ("password", password), ("isv_name", isv_name)],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Graceful stop; returns what `server::run` returned.
    pub async fn stop(mut self) {
        // Close this client's pooled connections, as a browser would on leaving.
        self.client = Client::new();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let stopped = tokio::time::timeout(std::time::Duration::from_secs(20), task).await;
            stopped
                .expect("server stops within 20 s")
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The `Location` of a redirect, asserting it is a 303.
pub fn see_other(response: &Response) -> String {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "expected a 303 redirect"
    );
    response
        .headers()
        .get(LOCATION)
        .expect("Location")
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// The value of the session cookie in the jar, if any.
pub fn session_cookie(app: &TestApp) -> Option<String> {
    use reqwest::cookie::CookieStore;
    let url = app.url("/").parse().expect("url");
    let cookies = app.jar.cookies(&url)?;
    cookies
        .to_str()
        .ok()?
        .split("; ")
        .find_map(|pair| pair.strip_prefix("portal_session=").map(str::to_owned))
}

pub const PASSWORD: &str = "correct horse battery";

/// A valid app form with the given name.
pub fn app_form(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_owned()),
        ("description", "A test shop".to_owned()),
        ("notify_url", "http://127.0.0.1:9/notify".to_owned()),
        ("return_url", "https://shop.example/return".to_owned()),
        ("notify_method", "POST".to_owned()),
        ("retry_speed", "fast".to_owned()),
    ]
}

impl TestApp {
    /// Signs up a fresh ISV on this client.
    pub async fn signed_up(db: &TestDb, email: &str, isv_name: &str) -> TestApp {
        let app = spawn_app(db).await;
        assert_eq!(see_other(&app.signup(email, PASSWORD, isv_name).await), "/apps");
        app
    }

    /// Creates an app through the form and returns its appid.
    pub async fn create_app(&self, name: &str) -> String {
        let form = app_form(name);
        let response = self
            .client
            .post(self.url("/apps"))
            .form(&form)
            .send()
            .await
            .expect("POST /apps");
        let location = see_other(&response);
        let appid = location
            .strip_prefix("/apps/")
            .expect("redirect to the app")
            .to_owned();
        assert!(
            appid.len() == 10 && appid.bytes().all(|b| b.is_ascii_digit()),
            "appid {appid}"
        );
        appid
    }

    /// Reveals the current key (an explicit, audited action) and returns it.
    pub async fn reveal_key(&self, appid: &str) -> String {
        let response = self.post_form(&format!("/apps/{appid}/reveal"), &[]).await;
        assert_eq!(see_other(&response), format!("/apps/{appid}#credentials"));
        let html = self.get_html(&format!("/apps/{appid}")).await;
        let Some(tag) = html.find(r#"id="revealed-key""#) else {
            panic!("no revealed key on the page: {html}");
        };
        let start = tag + html[tag..].find('>').expect("end of tag") + 1;
        html[start..start + 32].to_owned()
    }
}
