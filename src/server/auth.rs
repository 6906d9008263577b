//! Sign-in and roles on the API. Every request under `/api/` is classed by what it needs
//! ([`Access`]): a token of a user whose [`Role`] is high enough, sent as
//! `Authorization: Bearer TOKEN` or in the `patrolmap_token` cookie that `POST /api/session`
//! sets for the web view. Without a token only the loaded scenario's map is served, and only
//! when the operator turned the public view on (`serve --public-view`).
//!
//! Checking a token costs an argon2 hash (tens of milliseconds and 19 MB, on purpose), and the
//! map asks for dozens of tiles a second, so a token once verified against its row's hash is
//! remembered; every request still reads the token's row (one indexed lookup, no hash), so a
//! removed user or token, or a changed role, takes effect at once on every server sharing the
//! store. Wrong tokens are cheap to refuse: at most [`HASHING_AT_ONCE`] hashes run at a time,
//! a refused token is remembered, unknown and known ids cost the same hash, and an address or
//! a token id with too many failures is refused for a while without hashing (429). Refusals
//! are written to the audit log, at most one line a minute for each address and kind.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::error::{ApiError, ErrorBody, ErrorCode};
use super::AppState;
use crate::store::{token_matches, token_matches_nothing, Actor, Role, TokenCheck, User};

/// The cookie the web view signs in with.
pub const COOKIE: &str = "patrolmap_token";
/// How many token hashes may be checked at once (each takes 19 MB for tens of milliseconds).
pub const HASHING_AT_ONCE: usize = 2;
/// Failed checks allowed per client address in [`FAILURE_WINDOW`] (a command centre's
/// screens may share one address), beyond which tokens needing a hash are refused unhashed.
pub const FAILURES_PER_ADDRESS: u32 = 30;
/// Failed checks allowed per token id in [`FAILURE_WINDOW`].
pub const FAILURES_PER_TOKEN: u32 = 10;
/// The window failures are counted over (and how long a refused token is remembered).
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Checked or refused tokens remembered at most (then forgotten all at once).
const REMEMBERED: usize = 10_000;

/// What a request needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Anyone: signing in, the API's document.
    Public,
    /// The loaded scenario's map and coverage: anyone when the public view is on, else a
    /// viewer.
    Read,
    /// A signed-in viewer: saved scenarios, what-ifs, comparisons.
    View,
    /// A planner: saving, restoring, planning patrols, posts and events.
    Plan,
    /// An admin: users, tokens, the audit log, deleting scenarios.
    Admin,
    /// A GPS gateway sending live positions: a feed (or an admin), and no other role.
    Feed,
}

impl Access {
    /// The lowest role that has it (none for what needs no sign-in).
    pub fn role(self) -> Option<Role> {
        match self {
            Access::Public => None,
            Access::Read | Access::View => Some(Role::Viewer),
            Access::Plan => Some(Role::Planner),
            Access::Admin => Some(Role::Admin),
            Access::Feed => Some(Role::Feed),
        }
    }

    /// Whether a user of `role` has it: a feed has only [`Access::Feed`], which only a feed
    /// or an admin has; each other role has what the ones before it have.
    ///
    /// ```
    /// use patrolmap::server::auth::Access;
    /// use patrolmap::store::Role;
    /// assert!(Access::Feed.allows(Role::Feed) && Access::Feed.allows(Role::Admin));
    /// assert!(!Access::Feed.allows(Role::Planner) && !Access::Read.allows(Role::Feed));
    /// assert!(Access::Plan.allows(Role::Admin) && !Access::Plan.allows(Role::Viewer));
    /// ```
    pub fn allows(self, role: Role) -> bool {
        match (self, role) {
            (Access::Feed, r) => matches!(r, Role::Feed | Role::Admin),
            (_, Role::Feed) => self == Access::Public,
            (access, r) => access.role().is_none_or(|needed| r >= needed),
        }
    }
}

/// What `method` on the API route `path` (as routed, e.g. `/api/scenarios/{name}`) needs: as
/// each operation's entry in the OpenAPI document says (`x-patrolmap-access`, next to its
/// path and its description, so a route's path, role and documentation are stated once). A
/// route the document does not describe needs an admin.
///
/// ```
/// use axum::http::Method;
/// use patrolmap::server::auth::{required, Access};
/// assert_eq!(required(&Method::GET, "/api/tiles/{z}/{x}/{y}"), Access::Read);
/// assert_eq!(required(&Method::POST, "/api/scenarios/{name}"), Access::Plan);
/// assert_eq!(required(&Method::DELETE, "/api/scenarios/{name}"), Access::Admin);
/// assert_eq!(required(&Method::POST, "/api/not-documented"), Access::Admin);
/// ```
pub fn required(method: &Method, path: &str) -> Access {
    static TABLE: std::sync::OnceLock<HashMap<(String, String), Access>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let doc = serde_json::to_value(super::api::document()).unwrap_or_default();
        let mut table = HashMap::new();
        for (doc_path, item) in doc["paths"].as_object().into_iter().flatten() {
            // The tiles are documented with their extension, routed without it.
            let routed = doc_path.strip_suffix(".mvt").unwrap_or(doc_path);
            for (method, operation) in item.as_object().into_iter().flatten() {
                let access = match operation["x-patrolmap-access"].as_str() {
                    Some("public") => Access::Public,
                    Some("read") => Access::Read,
                    Some("view") => Access::View,
                    Some("plan") => Access::Plan,
                    Some("feed") => Access::Feed,
                    _ => Access::Admin,
                };
                table.insert((method.to_ascii_uppercase(), routed.to_string()), access);
            }
        }
        table
    });
    // A HEAD is answered as its GET.
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    table
        .get(&(method.as_str().to_string(), path.to_string()))
        .copied()
        .unwrap_or(Access::Admin)
}

/// Who is asking: a user, or nobody signed in (the public view).
#[derive(Clone, Debug)]
pub struct Principal {
    /// The user, if signed in.
    pub user: Option<User>,
    /// The client's address.
    pub remote: String,
}

impl Principal {
    /// Who to write into versions and the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self
                .user
                .as_ref()
                .map_or_else(|| "(public)".to_string(), |u| u.name.clone()),
            remote: self.remote.clone(),
        }
    }
}

/// The client's address, for the audit log (over plain TCP and TLS alike): put into every
/// request by the server's accept loop.
#[derive(Clone, Copy, Debug)]
pub struct Remote(pub SocketAddr);

/// The access settings and what the server remembers of tokens and failures.
pub struct Auth {
    /// Serve the map's read-only view to anyone without a token.
    pub public_view: bool,
    /// Mark the cookie `Secure` (the server speaks TLS).
    pub secure_cookie: bool,
    /// Proxies (e.g. nginx on this machine) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Tokens verified, with the hash they matched: trusted while their row keeps that hash.
    verified: Mutex<HashMap<String, String>>,
    /// Tokens refused lately, until when.
    refused: Mutex<HashMap<String, Instant>>,
    /// Failures per client address and per token id: the window's start and the count.
    failures: Mutex<HashMap<String, (Instant, u32)>>,
    /// The hashes running.
    hashing: tokio::sync::Semaphore,
    /// Refusals held back from the audit log.
    refusal_log: Mutex<RefusalLog>,
}

/// Refusals written to the audit log: one line a minute for each (action, address), and at
/// most [`REFUSAL_LINES_PER_MINUTE`] in all; the ones held back are counted into the next line.
#[derive(Default)]
struct RefusalLog {
    /// Per (action, address): when its last line was written, and how many since.
    by_key: HashMap<(String, String), (Instant, u64)>,
    /// The minute counted, and lines written in it.
    minute: Option<Instant>,
    lines: usize,
}

/// Refusal lines written a minute at most, whatever the flood.
const REFUSAL_LINES_PER_MINUTE: usize = 60;

impl RefusalLog {
    /// Whether to write a line for this refusal now, and how many were held back before it.
    fn admit(&mut self, action: &str, remote: &str, now: Instant) -> Option<u64> {
        if self
            .minute
            .is_none_or(|m| now.duration_since(m) >= FAILURE_WINDOW)
        {
            self.minute = Some(now);
            self.lines = 0;
        }
        if self.by_key.len() > REMEMBERED {
            self.by_key.clear();
        }
        let key = (action.to_string(), remote.to_string());
        let entry = self.by_key.get(&key).copied();
        let due = entry.is_none_or(|(last, _)| now.duration_since(last) >= FAILURE_WINDOW);
        if due && self.lines < REFUSAL_LINES_PER_MINUTE {
            self.lines += 1;
            self.by_key.insert(key, (now, 0));
            Some(entry.map_or(0, |e| e.1))
        } else {
            let (last, held) = entry.unwrap_or((now, 0));
            self.by_key.insert(key, (last, held + 1));
            None
        }
    }
}

impl Auth {
    /// Settings with nothing checked yet.
    pub fn new(public_view: bool, secure_cookie: bool) -> Auth {
        Auth {
            public_view,
            secure_cookie,
            trusted_proxies: Vec::new(),
            verified: Mutex::default(),
            refused: Mutex::default(),
            failures: Mutex::default(),
            hashing: tokio::sync::Semaphore::new(HASHING_AT_ONCE),
            refusal_log: Mutex::default(),
        }
    }

    /// The same settings, taking the client's address from `X-Forwarded-For` when a request
    /// comes from one of `proxies`.
    pub fn with_trusted_proxies(mut self, proxies: Vec<IpAddr>) -> Auth {
        self.trusted_proxies = proxies;
        self
    }

    /// Forgets every checked token (after users or tokens changed here; the row read on
    /// every request refuses a removed token anyway).
    pub fn forget(&self) {
        lock(&self.verified).clear();
    }

    fn verified_hash(&self, token: &str) -> Option<String> {
        lock(&self.verified).get(token).cloned()
    }

    fn remember_verified(&self, token: &str, hash: &str) {
        let mut verified = lock(&self.verified);
        if verified.len() >= REMEMBERED {
            verified.clear();
        }
        verified.insert(token.to_string(), hash.to_string());
    }

    fn refused_lately(&self, token: &str) -> bool {
        lock(&self.refused)
            .get(token)
            .is_some_and(|until| Instant::now() < *until)
    }

    fn remember_refused(&self, token: &str) {
        let mut refused = lock(&self.refused);
        if refused.len() >= REMEMBERED {
            refused.clear();
        }
        refused.insert(token.to_string(), Instant::now() + FAILURE_WINDOW);
    }

    /// Whether `key` (an address or a token id) has used up its failures: for how long.
    fn blocked(&self, key: &str) -> Option<Duration> {
        let allowed = if key.starts_with("address ") {
            FAILURES_PER_ADDRESS
        } else {
            FAILURES_PER_TOKEN
        };
        let failures = lock(&self.failures);
        let (start, count) = failures.get(key)?;
        let left = FAILURE_WINDOW.checked_sub(start.elapsed())?;
        (*count >= allowed).then_some(left)
    }

    fn count_failure(&self, key: &str) {
        let mut failures = lock(&self.failures);
        if failures.len() >= REMEMBERED {
            failures.retain(|_, (start, _)| start.elapsed() < FAILURE_WINDOW);
            if failures.len() >= REMEMBERED {
                failures.clear();
            }
        }
        let now = Instant::now();
        let entry = failures.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= FAILURE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The token a request carries: the bearer header first (the scheme in any case, as RFC 7235
/// says), else the cookie; and whether it came from the cookie.
fn presented_token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.trim();
        let token = match value.split_once(char::is_whitespace) {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => value,
        };
        return Some((token.to_string(), false));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then(|| (value.to_string(), true))
        })
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError {
        status: StatusCode::UNAUTHORIZED,
        code: ErrorCode::SignInRequired,
        message: message.into(),
        field: Some("token".into()),
    }
}

/// What a failure is counted against: the token's public id (the part before its secret),
/// or the text itself (kept short) when it is not a well-formed token.
fn token_key(token: &str) -> String {
    let id: String = token
        .strip_prefix("pm_")
        .map_or(token, |hex| &hex[..hex.len().min(12)])
        .chars()
        .take(64)
        .collect();
    format!("token {id}")
}

/// Writes a refusal to the audit log, as [`RefusalLog`] allows (the answer does not wait).
fn log_refusal(
    state: &AppState,
    actor: &str,
    remote: &str,
    action: &str,
    target: &str,
    detail: &str,
) {
    let Some(store) = state.store.clone() else {
        return;
    };
    let Some(held) = lock(&state.auth.refusal_log).admit(action, remote, Instant::now()) else {
        return;
    };
    let detail = if held > 0 {
        format!("{detail} (and {held} more like it since the last line)")
    } else {
        detail.to_string()
    };
    let actor = Actor {
        name: actor.to_string(),
        remote: remote.to_string(),
    };
    let (action, target) = (action.to_string(), target.to_string());
    tokio::task::spawn_blocking(move || {
        if let Err(e) = store.record(&actor, &action, &target, &detail) {
            tracing::warn!("audit log: {e}");
        }
    });
}

/// The user whose `token` this is: 401 when it is unknown or expired, 429 when `remote` or
/// the token's id has failed too often lately.
async fn user_of(state: &AppState, token: &str, remote: &str) -> Result<User, ApiError> {
    let auth = &state.auth;
    let (token_key, remote_key) = (token_key(token), format!("address {remote}"));
    // A refusal is logged; one that cost a hash also counts against the address and the id.
    let fail = |action: &str, error: ApiError, hashed: bool| {
        if hashed {
            auth.count_failure(&remote_key);
            auth.count_failure(&token_key);
        }
        log_refusal(
            state,
            "(unknown)",
            remote,
            action,
            &token_key,
            &error.message,
        );
        error
    };
    let store = state.store.clone().ok_or_else(|| {
        unauthorized("this server has no user store: start it with --db to sign in")
    })?;
    // The row, read every time (one indexed lookup): a removed token is refused at once.
    let owned = token.to_string();
    let row = blocking(move || store.token_row(&owned))
        .await?
        .map_err(super::store_api::store_error)?;
    let (check, hashed) = match row {
        Some(row) if auth.verified_hash(token).as_deref() == Some(row.hash.as_str()) => {
            (row.check(), false)
        }
        row => {
            // What needs a hash: refused unhashed when this address or token id failed too
            // often, or this very token was refused lately; asked again once a hashing slot
            // is free, as a flood's requests all arrive before the first has failed.
            let refused = || -> Option<ApiError> {
                if let Some(left) = auth
                    .blocked(&remote_key)
                    .or_else(|| auth.blocked(&token_key))
                {
                    log_refusal(
                        state,
                        "(unknown)",
                        remote,
                        "token_refused",
                        &token_key,
                        "too many failed checks: refused unchecked",
                    );
                    return Some(ApiError {
                        status: StatusCode::TOO_MANY_REQUESTS,
                        code: ErrorCode::TooManyFailures,
                        message: format!(
                            "too many wrong or expired tokens from here: try again in {} s",
                            left.as_secs().max(1)
                        ),
                        field: Some("token".into()),
                    });
                }
                auth.refused_lately(token)
                    .then(|| fail("token_refused", not_recognised(), false))
            };
            if let Some(e) = refused() {
                return Err(e);
            }
            // Hashing costs memory and time: a few at once, the rest wait their turn.
            let _permit =
                auth.hashing.acquire().await.map_err(|_| {
                    ApiError::status(StatusCode::SERVICE_UNAVAILABLE, "shutting down")
                })?;
            if let Some(e) = refused() {
                return Err(e);
            }
            let owned = token.to_string();
            let (check, hash) = blocking(move || {
                // On the hashing threads: argon2's 19 MB buffer is then reused by the same
                // few threads instead of being left behind in every thread's malloc arena.
                hashing_pool().install(|| {
                    let checked = match row {
                        Some(row) if token_matches(&owned, &row.hash) => {
                            (row.check(), Some(row.hash))
                        }
                        Some(_) => (TokenCheck::Unknown, None),
                        None => (
                            TokenCheck::Unknown,
                            token_matches_nothing(&owned).then(String::new),
                        ),
                    };
                    super::release_free_memory();
                    checked
                })
            })
            .await?;
            if let Some(hash) = hash {
                auth.remember_verified(token, &hash);
            }
            (check, true)
        }
    };
    match check {
        TokenCheck::Valid { user, .. } => Ok(user),
        TokenCheck::Expired => Err(fail(
            "token_expired",
            unauthorized(
                "the token has expired: ask an admin for a new one (patrolmap user token NAME)",
            )
            .with_code(ErrorCode::TokenExpired),
            hashed,
        )),
        TokenCheck::Unknown => {
            auth.remember_refused(token);
            Err(fail("token_refused", not_recognised(), hashed))
        }
    }
}

/// The threads token hashes run on, [`HASHING_AT_ONCE`] of them.
fn hashing_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(HASHING_AT_ONCE)
            .thread_name(|i| format!("patrolmap-hash-{i}"))
            .build()
            .expect("the hashing threads start")
    })
}

fn not_recognised() -> ApiError {
    unauthorized("the token is not recognised (wrong, revoked, or its user removed)")
        .with_code(ErrorCode::TokenUnknown)
}

/// Runs `work` off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// The client's address: the connection's, or, when that is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not one (what the proxy itself saw).
fn remote_of(auth: &Auth, request: &Request) -> String {
    let Some(peer) = request
        .extensions()
        .get::<ConnectInfo<Remote>>()
        .map(|c| c.0 .0.ip())
    else {
        return "unknown".to_string();
    };
    if !auth.trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .iter()
        .rev()
        .find(|a| !auth.trusted_proxies.contains(a))
        .unwrap_or(&peer)
        .to_string()
}

/// Content types a change may be sent in: none of them can be sent by another site's page
/// without the browser asking first (CORS), which this server never allows.
/// (Scenario files in other formats come as their own types or as bytes.)
const BODY_TYPES: [&str; 8] = [
    "application/json",
    "application/geo+json",
    "text/csv",
    "application/octet-stream",
    "application/zip",
    "application/geopackage+sqlite3",
    "application/vnd.google-earth.kml+xml",
    "application/vnd.google-earth.kmz",
];

/// Refuses what another site's page could make the browser send with the sign-in cookie:
/// a change whose body is of a type a plain form can send, or that the browser says comes
/// from another site.
fn refuse_cross_site(request: &Request) -> Option<ApiError> {
    let method = request.method();
    if [Method::GET, Method::HEAD, Method::OPTIONS].contains(method) {
        return None;
    }
    let headers = request.headers();
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|n| n.trim() != "0");
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if has_body
        && !media_type
            .as_deref()
            .is_some_and(|t| BODY_TYPES.contains(&t))
    {
        return Some(ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: ErrorCode::of_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            message: format!(
                "the body must be sent as {} (Content-Type), not {}",
                BODY_TYPES.join(", "),
                media_type.as_deref().unwrap_or("nothing")
            ),
            field: Some("content-type".into()),
        });
    }
    let cross_site = match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => !matches!(site, "same-origin" | "none"),
        None => headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|origin| {
                let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
                origin.split_once("://").map(|(_, h)| h) != host
            }),
    };
    cross_site.then(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::CrossSite,
            "a change requested from another site's page is refused",
            None,
        )
    })
}

/// The middleware in front of every API route: who is asking, and may they.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string());
    // No route matched: the 404 says so whoever asks.
    let access = path
        .as_deref()
        .map_or(Access::Public, |p| required(request.method(), p));
    let remote = remote_of(&state.auth, &request);
    if path.is_some() {
        if let Some(refused) = refuse_cross_site(&request) {
            log_refusal(
                &state,
                "(unknown)",
                &remote,
                "cross_site_refused",
                path.as_deref().unwrap_or(""),
                &refused.message,
            );
            return refused.into_response();
        }
    }
    let token = presented_token(request.headers());
    let user = if access == Access::Public {
        None
    } else if let Some((token, _)) = token {
        match user_of(&state, &token, &remote).await {
            Ok(user) => Some(user),
            Err(e) => return e.into_response(),
        }
    } else if access == Access::Read && state.auth.public_view {
        None
    } else {
        return unauthorized(
            "sign in first: send Authorization: Bearer TOKEN (an admin makes one with `patrolmap user add NAME --role planner`)",
        )
        .into_response();
    };
    if let (Some(needed), Some(user)) = (access.role(), &user) {
        if !access.allows(user.role) {
            let message = if user.role == Role::Feed {
                format!(
                    "{} is a feed: it may only send live positions (POST /api/live/positions)",
                    user.name
                )
            } else {
                format!(
                    "{} is a {}; this needs the {needed} role",
                    user.name, user.role
                )
            };
            let target = format!("{} {}", request.method(), path.as_deref().unwrap_or(""));
            log_refusal(&state, &user.name, &remote, "forbidden", &target, &message);
            return ApiError::status(StatusCode::FORBIDDEN, message).into_response();
        }
    }
    request.extensions_mut().insert(Principal { user, remote });
    next.run(request).await
}

/// The `Set-Cookie` value carrying `token` (or clearing it when `None`).
fn cookie(state: &AppState, token: Option<&str>) -> HeaderValue {
    let secure = if state.auth.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    let value = match token {
        // A working day and a half: a wall display signs in once a shift.
        Some(t) => {
            format!("{COOKIE}={t}; HttpOnly; SameSite=Strict; Path=/; Max-Age=129600{secure}")
        }
        None => format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Who a request is signed in as.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Session {
    /// The user's name (none when not signed in).
    pub user: Option<String>,
    /// Their role: `viewer`, `planner` or `admin`; `public` when not signed in.
    pub role: String,
    /// Whether the server shows the map to anyone, signed in or not.
    pub public_view: bool,
}

/// Signed out.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SignedOut {
    /// Always true.
    pub signed_out: bool,
}

fn who(user: Option<&User>, public_view: bool) -> Session {
    match user {
        Some(u) => Session {
            user: Some(u.name.clone()),
            role: u.role.as_str().to_string(),
            public_view,
        },
        None => Session {
            user: None,
            role: "public".into(),
            public_view,
        },
    }
}

/// Who the request is signed in as.
#[utoipa::path(get, path = "/session", tag = "access",
    extensions(("x-patrolmap-access" = json!("public"))),
    responses((status = 200, description = "Who is signed in; role `public` when not signed in and the public view is on", body = Session),
        (status = 401, description = "Not signed in (and no public view), or the token is wrong or expired", body = ErrorBody)))]
pub async fn session_get(State(state): State<AppState>, request: Request) -> Response {
    let remote = remote_of(&state.auth, &request);
    match presented_token(request.headers()) {
        None if state.auth.public_view => Json(who(None, true)).into_response(),
        None => unauthorized("not signed in").into_response(),
        Some((token, _)) => match user_of(&state, &token, &remote).await {
            Ok(user) => Json(who(Some(&user), state.auth.public_view)).into_response(),
            Err(e) => e.into_response(),
        },
    }
}

/// Signs in with a token: checks it and sets the `patrolmap_token` cookie (HttpOnly,
/// SameSite=Strict) the web view then sends with every request, tiles included.
#[utoipa::path(post, path = "/session", tag = "access",
    extensions(("x-patrolmap-access" = json!("public"))),
    request_body(content = Object, description = "{\"token\": \"pm_…\"}", content_type = "application/json"),
    responses((status = 200, description = "Who is signed in now; the cookie is set", body = Session),
        (status = 400, description = "No token in the body", body = ErrorBody),
        (status = 401, description = "The token is wrong or expired", body = ErrorBody)))]
pub async fn session_post(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let remote = remote_of(&state.auth, &request);
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024)
        .await
        .map_err(|_| ApiError::bad("body", "the body is not a small JSON object"))?;
    let token = token_in(&body)?;
    // A refused sign-in is written to the audit log by the check itself (as a refused token).
    let user = user_of(&state, &token, &remote).await?;
    if let Some(store) = state.store.clone() {
        let actor = Actor {
            name: user.name.clone(),
            remote,
        };
        // The sign-in's answer does not wait on its audit line.
        tokio::task::spawn_blocking(move || {
            if let Err(e) = store.record(&actor, "sign_in", "session", "") {
                tracing::warn!("audit log: {e}");
            }
        });
    }
    Ok((
        [(header::SET_COOKIE, cookie(&state, Some(&token)))],
        Json(who(Some(&user), state.auth.public_view)),
    )
        .into_response())
}

fn token_in(body: &Bytes) -> Result<String, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad("body", format!("body: not JSON: {e}")))?;
    value["token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ApiError::bad("token", "token: a string is required"))
}

/// Signs out: clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "access",
    extensions(("x-patrolmap-access" = json!("public"))),
    responses((status = 200, description = "Signed out; the cookie is cleared", body = SignedOut)))]
pub async fn session_delete(State(state): State<AppState>) -> Response {
    (
        [(header::SET_COOKIE, cookie(&state, None))],
        Json(SignedOut { signed_out: true }),
    )
        .into_response()
}
