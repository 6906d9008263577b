//! The command-map server: the JSON/GeoJSON API, vector tiles and the web view, on axum.
//!
//! [`City`] is prepared once at start (graphs, snap indexes, hierarchies, tile index).
//! Every scenario the map sends to `/api/whatif` is evaluated and kept as a numbered
//! revision, so the tiles and overlays of what the planner sees are asked for by revision.
//! Work that grows with the city never runs on the async threads. Interactive work (what-ifs,
//! isochrones, overlays) runs on the blocking pool behind one slot per core; planning work
//! (posts, events, patrols) has its own slots and its own thread pool, carries a deadline and
//! a cancel flag ([`crate::stop::Stop`]) that a closed connection or the request's time limit
//! trips, and gives its memory back when done. A flood of either queues (and, past a wait,
//! is refused with 503) without starving the other.
//! Every API route is behind [`auth::guard`]: a signed-in user with the role it needs.

pub mod access_api;
pub mod api;
pub mod auth;

pub mod error;
pub mod events;
pub mod live_api;
pub mod ogc_api;
pub mod optimize_api;
pub mod patrol_api;
pub mod revisions;
pub mod store_api;
pub mod tls;
pub mod work_api;

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};

pub use crate::city::{City, Evaluation};
use error::{ApiError, ErrorCode};
pub use revisions::Revisions;

use crate::stop::{CancelOnDrop, Stop};

use crate::tiles::TileId;

/// Largest request body, in bytes (a scenario of a province is a few MB).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// How many tiles are cached.
const TILES_CACHED: usize = 4096;
/// How long a request waits for a computation slot before it is refused with 503.
const COMPUTE_WAIT: Duration = Duration::from_secs(20);

/// Tiles already made, by revision.
#[derive(Default)]
pub struct TileCache {
    tiles: Mutex<HashMap<(u64, TileId), Bytes>>,
}

impl TileCache {
    fn get(&self, rev: u64, id: TileId) -> Option<Bytes> {
        let tiles = self.tiles.lock().unwrap_or_else(|e| e.into_inner());
        tiles.get(&(rev, id)).cloned()
    }

    fn put(&self, rev: u64, id: TileId, bytes: Bytes) {
        let mut tiles = self.tiles.lock().unwrap_or_else(|e| e.into_inner());
        if tiles.len() >= TILES_CACHED {
            // Old revisions are rarely asked again: start afresh rather than track ages.
            tiles.clear();
        }
        tiles.insert((rev, id), bytes);
    }
}

/// Revisions being evaluated again, each once.
type Pending = Mutex<HashMap<u64, Arc<tokio::sync::OnceCell<Arc<Evaluation>>>>>;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The prepared city.
    pub city: Arc<City>,
    /// The evaluated scenarios.
    pub revisions: Arc<Revisions>,
    /// Revisions being evaluated again from the store, so concurrent asks wait for one.
    pending: Arc<Pending>,
    /// Tiles made.
    pub tile_cache: Arc<TileCache>,
    /// Tier area tiles made.
    pub area_tile_cache: Arc<TileCache>,
    compute_slots: Arc<tokio::sync::Semaphore>,
    /// Slots for planning work, apart from the interactive ones.
    heavy_slots: Arc<tokio::sync::Semaphore>,
    /// The threads planning work runs its parallel parts on (the global pool is the
    /// interactive work's).
    heavy_pool: Arc<rayon::ThreadPool>,
    /// The scenario store, when the server has one (users and the audit log live there too).
    pub store: Option<Arc<crate::store::Store>>,
    /// Who may sign in and the tokens checked.
    pub auth: Arc<auth::Auth>,
    /// The store's changes, for `/api/events` (with a store).
    pub feed: Option<Arc<events::StoreFeed>>,
    /// What the map is drawn over.
    pub basemap: Arc<crate::basemap::BasemapSource>,
    /// Long work running, by the id its client gave (`progress=`), to be seen and stopped.
    pub works: Arc<work_api::Works>,
    /// The live board: where the units are now and what they do.
    pub live: Arc<live_api::Live>,
}

impl AppState {
    /// State serving `city` with `base` (its loaded scenario's evaluation).
    pub fn new(city: City, base: Evaluation) -> AppState {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let heavy_pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|i| format!("patrolmap-plan-{i}"))
            .build()
            .expect("the planning threads start");
        let live = live_api::Live::new(&base.scenario, Default::default());
        AppState {
            live: Arc::new(live),
            city: Arc::new(city),
            revisions: Arc::new(Revisions::new(base)),
            pending: Arc::default(),
            tile_cache: Arc::default(),
            area_tile_cache: Arc::default(),
            compute_slots: Arc::new(tokio::sync::Semaphore::new(cores)),
            heavy_slots: Arc::new(tokio::sync::Semaphore::new((cores / 2).max(1))),
            heavy_pool: Arc::new(heavy_pool),
            store: None,
            auth: Arc::new(auth::Auth::new(false, false)),
            feed: None,
            works: Arc::default(),
            basemap: Arc::new(crate::basemap::BasemapSource::none()),
        }
    }

    /// The same state drawing the map over `basemap`.
    pub fn with_basemap(mut self, basemap: crate::basemap::BasemapSource) -> AppState {
        self.basemap = Arc::new(basemap);
        self
    }

    /// The same state raising an alert when a tier's live share falls below `level` (a part,
    /// 0..1) of the plan's. Before the state is shared.
    pub fn with_alert_level(mut self, level: f64) -> AppState {
        if let Some(live) = Arc::get_mut(&mut self.live) {
            live.alert_level = level;
        }
        self
    }

    /// The same state with these access settings.
    pub fn with_auth(mut self, auth: auth::Auth) -> AppState {
        self.auth = Arc::new(auth);
        self
    }

    /// The same state keeping scenarios in `store` (followed for `/api/events`: call it on
    /// the runtime).
    pub fn with_store(mut self, store: Arc<crate::store::Store>) -> AppState {
        self.feed = Some(events::StoreFeed::follow(store.clone()));
        self.live.restore(&self.city, &store);
        self.store = Some(store);
        self
    }

    /// The revision `evaluation` is (named by what was evaluated), held in memory from now
    /// on, and the inputs to keep for other servers (none when this server held it already).
    /// Cheap enough for the compute slot; [`AppState::keep`] stores the inputs after it.
    pub fn name(&self, evaluation: Arc<Evaluation>) -> (u64, Option<String>) {
        let text = revisions::inputs_text(&evaluation);
        let rev = revisions::revision_id(self.city.key(), &text);
        let known = self.revisions.get(rev).is_some();
        self.revisions.insert(rev, evaluation);
        (rev, (!known).then_some(text))
    }

    /// Keeps revision `rev`'s inputs `text` in the store, so every server can evaluate it
    /// again (off the compute slots, before the answer goes: the map asks for its tiles at
    /// once, maybe of another server).
    pub async fn keep(&self, rev: u64, text: Option<String>) {
        let (Some(store), Some(text)) = (self.store.clone(), text) else {
            return;
        };
        let key = self.city.key().to_string();
        let kept = store_api::blocking(move || store.keep_revision(rev as i64, &key, &text)).await;
        if let Err(e) = kept
            .map_err(|e| e.message)
            .and_then(|r| r.map_err(|e| e.to_string()))
        {
            // The map still has it from this server; others will answer 404.
            tracing::warn!("revision {rev} not kept in the store: {e}");
        }
    }

    /// Revision `rev`: held in memory, or evaluated again from the inputs the store keeps (once,
    /// however many ask at the same time); 404 when neither has it.
    pub async fn evaluation(&self, rev: u64) -> Result<Arc<Evaluation>, ApiError> {
        if let Some(evaluation) = self.revisions.get(rev) {
            return Ok(evaluation);
        }
        let cell = lock(&self.pending).entry(rev).or_default().clone();
        let found = cell
            .get_or_try_init(|| self.evaluate_kept(rev))
            .await
            .cloned();
        lock(&self.pending).remove(&rev);
        found
    }

    async fn evaluate_kept(&self, rev: u64) -> Result<Arc<Evaluation>, ApiError> {
        let gone = || {
            ApiError::not_found(
                Some("rev"),
                format!("revision {rev} is not kept (what-ifs are kept {} days); post the scenario to /api/whatif again", crate::store::revisions::REVISION_DAYS),
            )
            .with_code(ErrorCode::RevisionGone)
        };
        let store = self.store.clone().ok_or_else(gone)?;
        let kept = store_api::blocking(move || store.revision(rev as i64))
            .await?
            .map_err(store_api::store_error)?
            .ok_or_else(gone)?;
        if kept.city != self.city.key() {
            return Err(ApiError::not_found(
                Some("rev"),
                format!("revision {rev} was made on another city or with other options than this server's"),
            ));
        }
        let city = self.city.clone();
        let evaluation = self
            .compute(move || {
                let at_minute = revisions::time_of_day_of(&kept.scenario);
                api::scenario_from_body(kept.scenario.as_bytes(), false)
                    .map(|scenario| Arc::new(city.evaluate_at(scenario, at_minute)))
            })
            .await??;
        self.revisions.insert(rev, evaluation.clone());
        Ok(evaluation)
    }

    /// Runs `work` on the blocking pool once a computation slot is free (503 after
    /// 20 s).
    pub async fn compute<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = slot(&self.compute_slots, COMPUTE_WAIT, "computations").await?;
        joined(
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                work()
            })
            .await,
        )
    }

    /// Runs planning work (posts, events, patrols) on the planning pool once one of its
    /// slots is free, with a [`Stop`] that runs out `limit` from now, or as soon as the
    /// request is dropped (the client went away, or the request ran over its time): the work
    /// polls it and ends, and its slot is free again. The wait for a slot counts against
    /// `limit`. The memory the work used is handed back to the system afterwards.
    pub async fn plan<T: Send + 'static>(
        &self,
        limit: Duration,
        id: Option<String>,
        work: impl FnOnce(&Stop) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let stop = Stop::after(limit);
        let _cancel = CancelOnDrop(stop.clone());
        // Seen (GET /api/work/{id}) from now, waiting for a slot included.
        let _seen = self.works.register(id, &stop);
        let permit = slot(&self.heavy_slots, COMPUTE_WAIT.min(limit), "plans").await?;
        let pool = self.heavy_pool.clone();
        let out = joined(
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                pool.install(|| work(&stop))
            })
            .await,
        );
        // After the answer is on its way (trimming a big heap takes a moment).
        tokio::task::spawn_blocking(release_free_memory);
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A slot of `slots` within `wait` (503, the server busy with `what`, past it).
async fn slot(
    slots: &Arc<tokio::sync::Semaphore>,
    wait: Duration,
    what: &str,
) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    tokio::time::timeout(wait, slots.clone().acquire_owned())
        .await
        .map_err(|_| {
            ApiError::status(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the server is busy with other {what}; try again"),
            )
        })?
        .map_err(|_| ApiError::status(StatusCode::SERVICE_UNAVAILABLE, "shutting down"))
}

/// The result of work on the blocking pool (a 500 if it panicked).
fn joined<T>(result: Result<T, tokio::task::JoinError>) -> Result<T, ApiError> {
    result.map_err(|e| {
        ApiError::status(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("computation failed: {e}"),
        )
    })
}

/// Hands the memory freed by big computations back to the system (glibc keeps it in its
/// arenas otherwise: 4.8 GB stayed resident after one big placement).
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's own heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Where the web view's files are.
#[derive(Clone, Debug)]
pub struct WebFiles {
    /// The page, its script and styles (`web/`).
    pub root: PathBuf,
    /// MapLibre GL JS's `dist/` from npm (`web/node_modules/maplibre-gl/dist`).
    pub maplibre: PathBuf,
    /// The CJK font from npm (`web/node_modules/@fontsource-variable/noto-sans-sc`): every
    /// label readable on a machine with no Chinese font.
    pub cjk_font: PathBuf,
}

/// The whole application: API, tiles and web view.
pub fn router(state: AppState, web: &WebFiles) -> Router {
    let tls = state.auth.secure_cookie;
    let (api, _) = api::api_routes().split_for_parts();
    let api = api
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .layer(axum::middleware::from_fn(refuse_announced_oversize))
        .layer(axum::middleware::from_fn(time_limit))
        .with_state(state);
    let csp = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src blob:; \
               style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
               font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
    let page = Router::new()
        .fallback_service(ServeDir::new(&web.root))
        .layer(axum::middleware::from_fn(only_page_files));
    let app = Router::new()
        .nest("/api", api)
        .nest_service("/vendor/maplibre-gl", ServeDir::new(&web.maplibre))
        .nest_service("/vendor/noto-sans-sc", ServeDir::new(&web.cjk_font))
        .merge(page)
        .layer(axum::middleware::from_fn(api_errors_as_json))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        );
    if tls {
        // Over TLS, browsers are told to come back only over TLS.
        app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        app
    }
}

/// Whether `path` is one of the page's own files: the page, its scripts, styles and images
/// at the top of the web folder. The folder's package files, tests and anything below it are
/// not served.
///
/// ```
/// use patrolmap::server::page_file;
/// assert!(page_file("/") && page_file("/app.js") && page_file("/print.html"));
/// assert!(!page_file("/package.json") && !page_file("/tests/e2e.test.mjs"));
/// assert!(!page_file("/.git/config") && !page_file("/node_modules/x/index.js"));
/// ```
pub fn page_file(path: &str) -> bool {
    let Some(name) = path.strip_prefix('/') else {
        return false;
    };
    if name.is_empty() {
        return true;
    }
    let Some((stem, extension)) = name.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty()
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && ["html", "js", "mjs", "css", "png", "svg", "ico", "woff2"].contains(&extension)
}

/// Serves only [`page_file`]s from the web folder (a JSON 404 for the rest).
async fn only_page_files(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if page_file(request.uri().path()) {
        next.run(request).await
    } else {
        ApiError::not_found(None, "no such file").into_response()
    }
}

/// Gives every error under `/api` a JSON body `{"error", "field"}`, also those made before a
/// handler runs (a path that is not UTF-8, a route that does not exist, a rejected extractor).
async fn api_errors_as_json(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let api = request.uri().path().starts_with("/api");
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !api || !(status.is_client_error() || status.is_server_error()) || json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let reason = status.canonical_reason().unwrap_or("error").to_lowercase();
    let message = if text.is_empty() {
        reason
    } else {
        format!("{reason}: {text}")
    };
    let mut out = ApiError::status(status, message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// Refuses a body whose announced length is over [`BODY_LIMIT`] before reading any of it
/// (the extractors' own limit catches bodies sent without a length).
async fn refuse_announced_oversize(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > BODY_LIMIT as u64) {
        return ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: ErrorCode::of_status(StatusCode::PAYLOAD_TOO_LARGE),
            message: format!("the body is over the {BODY_LIMIT} bytes allowed"),
            field: Some("body".into()),
        }
        .into_response();
    }
    next.run(request).await
}

/// How long a client has to send a request's headers (a slow or silent client would hold a
/// connection open forever otherwise).
const HEADER_LIMIT: Duration = Duration::from_secs(15);
/// How long a whole request may take, its body and computation included (the longest
/// planning requests take a minute).
const REQUEST_LIMIT: Duration = Duration::from_secs(180);
/// How long open connections have to finish at shutdown.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// How to serve.
#[derive(Clone, Default)]
pub struct ServeOptions {
    /// Stop when standard input closes (tests, supervisors).
    pub stop_on_stdin_close: bool,
    /// A first admin's token to print with the address (a store's first start).
    pub first_admin_token: Option<String>,
    /// Speak HTTPS with this (see [`tls::acceptor`]).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Serves `state` on `addr` until Ctrl-C or SIGTERM (or, with `stop_on_stdin_close`, the end
/// of standard input), printing the address it listens on.
pub async fn serve(
    state: AppState,
    web: &WebFiles,
    addr: SocketAddr,
    options: ServeOptions,
) -> std::io::Result<()> {
    let tcp = tokio::net::TcpListener::bind(addr).await?;
    let local = tcp.local_addr()?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    if !local.ip().is_loopback() && options.tls.is_none() {
        tracing::warn!(
            "listening on {local}, which other machines can reach, without TLS: tokens cross the network in the clear (give --tls-cert and --tls-key, or put a TLS proxy in front)"
        );
    }
    // Tests and scripts read these lines for the port and the first token; whoever started
    // the server may have stopped reading, so a failed write is no reason to stop.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "patrolmap command map: {scheme}://{local}/");
    if let Some(token) = &options.first_admin_token {
        let _ = writeln!(
            out,
            "first start: user admin (role admin) created; sign in: {scheme}://{local}/#token={token}"
        );
        let _ = writeln!(
            out,
            "(the token is shown once; `patrolmap user token admin --db FILE` makes a new one)"
        );
    }
    let _ = out.flush();
    drop(out);
    tokio::spawn(live_api::watch(state.clone()));
    let app = router(state, web);
    let stop = shutdown_signal(options.stop_on_stdin_close);
    match options.tls {
        Some(acceptor) => accept_loop(tls::TlsListener::new(tcp, acceptor)?, app, stop).await,
        None => accept_loop(tcp, app, stop).await,
    }
    Ok(())
}

/// Serves every connection `listener` accepts with `app` (HTTP/1.1, a header time limit, the
/// client's address for the audit log) until `stop`, then lets open requests finish.
///
/// Our own loop rather than `axum::serve`, which sets no header time limit.
async fn accept_loop<L>(mut listener: L, app: Router, stop: impl std::future::Future<Output = ()>)
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    use axum::extract::connect_info::ConnectInfo;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let (io, remote) = tokio::select! {
            connection = listener.accept() => connection,
            _ = &mut stop => break,
        };
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request
                    .extensions_mut()
                    .insert(ConnectInfo(auth::Remote(remote)));
                tower::ServiceExt::oneshot(app.clone(), request)
            });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(HEADER_LIMIT)
            .serve_connection(hyper_util::rt::TokioIo::new(io), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection from {remote}: {e}");
            }
        });
    }
    if tokio::time::timeout(DRAIN_LIMIT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN_LIMIT:?}: closed");
    }
}

/// Answers 503 with a JSON body when a request runs past [`REQUEST_LIMIT`].
async fn time_limit(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(REQUEST_LIMIT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::status(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the request took longer than the {} s allowed",
                REQUEST_LIMIT.as_secs()
            ),
        )
        .into_response(),
    }
}

async fn shutdown_signal(stop_on_stdin_close: bool) {
    let stdin_closed = async {
        if !stop_on_stdin_close {
            return std::future::pending::<()>().await;
        }
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            let _ = tx.send(());
        });
        let _ = rx.await;
    };
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
        _ = stdin_closed => {},
    }
    tracing::info!("shutting down");
}
