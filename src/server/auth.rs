//! Sign-in and roles on the API. Every request under `/api/` is classed by what it needs
//! ([`Access`]): a token of a user whose [`Role`] is high enough, sent as
//! `Authorization: Bearer TOKEN` or in the `patrolmap_token` cookie that `POST /api/session`
//! sets for the web view. Without a token only the loaded scenario's map is served, and only
//! when the operator turned the public view on (`serve --public-view`).
//!
//! Checking a token costs an argon2 hash (tens of milliseconds, on purpose), and the map asks
//! for dozens of tiles a second, so a checked token is remembered for [`TOKEN_CACHE_TTL`]
//! (and forgotten at once when users or tokens change on this server).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::store::{Actor, Role, TokenCheck, User};

/// The cookie the web view signs in with.
pub const COOKIE: &str = "patrolmap_token";
/// How long a checked token is trusted without asking the store again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(60);

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
}

impl Access {
    /// The lowest role that has it (none for what needs no sign-in).
    pub fn role(self) -> Option<Role> {
        match self {
            Access::Public => None,
            Access::Read | Access::View => Some(Role::Viewer),
            Access::Plan => Some(Role::Planner),
            Access::Admin => Some(Role::Admin),
        }
    }
}

/// What `method` on the API route `path` (as routed, e.g. `/api/scenarios/{name}`) needs.
/// Anything not listed is a change and needs a planner.
///
/// ```
/// use axum::http::Method;
/// use patrolmap::server::auth::{required, Access};
/// assert_eq!(required(&Method::GET, "/api/tiles/{z}/{x}/{y}"), Access::Read);
/// assert_eq!(required(&Method::POST, "/api/scenarios/{name}"), Access::Plan);
/// assert_eq!(required(&Method::DELETE, "/api/scenarios/{name}"), Access::Admin);
/// ```
pub fn required(method: &Method, path: &str) -> Access {
    let path = path.strip_prefix("/api").unwrap_or(path);
    let read = [
        "/info",
        "/scenario",
        "/layers/{layer}",
        "/coverage",
        "/coverage/overlay",
        "/coverage/polygons",
        "/coverage/gaps",
        "/isochrone",
        "/roads/at",
        "/tiles/{z}/{x}/{y}",
    ];
    let view_get = [
        "/scenarios",
        "/scenarios/{name}",
        "/versions/{id}",
        "/versions/{id}/export",
        "/compare",
    ];
    let view_post = ["/whatif", "/scenario/export"];
    if path == "/session" || path == "/openapi.json" {
        Access::Public
    } else if path.starts_with("/users") || path.starts_with("/audit") {
        Access::Admin
    } else if *method == Method::GET && read.contains(&path) {
        Access::Read
    } else if (*method == Method::GET && view_get.contains(&path))
        || (*method == Method::POST && view_post.contains(&path))
    {
        Access::View
    } else if *method == Method::DELETE {
        Access::Admin
    } else {
        Access::Plan
    }
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

/// The access settings and the checked tokens.
pub struct Auth {
    /// Serve the map's read-only view to anyone without a token.
    pub public_view: bool,
    /// Mark the cookie `Secure` (the server speaks TLS).
    pub secure_cookie: bool,
    /// Checked tokens: whose, and until when they may be trusted unchecked.
    checked: Mutex<HashMap<String, (User, Instant)>>,
}

impl Auth {
    /// Settings with nothing checked yet.
    pub fn new(public_view: bool, secure_cookie: bool) -> Auth {
        Auth {
            public_view,
            secure_cookie,
            checked: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets every checked token (after users or tokens changed).
    pub fn forget(&self) {
        self.checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn remembered(&self, token: &str) -> Option<User> {
        let checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        checked
            .get(token)
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(user, _)| user.clone())
    }

    /// Trusts `token` for [`TOKEN_CACHE_TTL`], or until it expires if that is sooner.
    fn remember(&self, token: &str, user: &User, expires_at: Option<i64>) {
        let mut ttl = TOKEN_CACHE_TTL;
        if let Some(at) = expires_at {
            let left_s = (at - crate::store::now_s()).max(0) as u64;
            ttl = ttl.min(Duration::from_secs(left_s));
        }
        let mut checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        if checked.len() > 10_000 {
            checked.clear();
        }
        checked.insert(token.to_string(), (user.clone(), Instant::now() + ttl));
    }
}

/// The token a request carries: the bearer header first, else the cookie.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return Some(
            value
                .strip_prefix("Bearer ")
                .unwrap_or(value)
                .trim()
                .to_string(),
        );
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then(|| value.to_string())
        })
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: message.into(),
        field: Some("token".into()),
    }
}

/// The user whose `token` this is: 401 when it is unknown or expired.
async fn user_of(state: &AppState, token: &str) -> Result<User, ApiError> {
    if let Some(user) = state.auth.remembered(token) {
        return Ok(user);
    }
    let store = state.store.clone().ok_or_else(|| {
        unauthorized("this server has no user store: start it with --db to sign in")
    })?;
    let owned = token.to_string();
    let check = tokio::task::spawn_blocking(move || store.check_token(&owned))
        .await
        .map_err(|e| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    match check {
        TokenCheck::Valid { user, expires_at } => {
            state.auth.remember(token, &user, expires_at);
            Ok(user)
        }
        TokenCheck::Expired => Err(unauthorized(
            "the token has expired: ask an admin for a new one (patrolmap user token NAME)",
        )),
        TokenCheck::Unknown => Err(unauthorized(
            "the token is not recognised (wrong, revoked, or its user removed)",
        )),
    }
}

fn remote_of(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<Remote>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0 .0.ip().to_string())
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
    let remote = remote_of(&request);
    let token = presented_token(request.headers());
    let user = if access == Access::Public {
        None
    } else if let Some(token) = token {
        match user_of(&state, &token).await {
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
        if user.role < needed {
            return ApiError::status(
                StatusCode::FORBIDDEN,
                format!(
                    "{} is a {}; this needs the {needed} role",
                    user.name, user.role
                ),
            )
            .into_response();
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

fn who(user: Option<&User>, public_view: bool) -> Value {
    match user {
        Some(u) => json!({"user": u.name, "role": u.role, "public_view": public_view}),
        None => json!({"user": null, "role": "public", "public_view": public_view}),
    }
}

/// Who the request is signed in as.
#[utoipa::path(get, path = "/api/session", tag = "access",
    responses((status = 200, description = "{user, role, public_view}; role `public` when not signed in and the public view is on", body = Object),
        (status = 401, description = "Not signed in (and no public view), or the token is wrong or expired", body = ErrorBody)))]
pub async fn session_get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match presented_token(&headers) {
        None if state.auth.public_view => Json(who(None, true)).into_response(),
        None => unauthorized("not signed in").into_response(),
        Some(token) => match user_of(&state, &token).await {
            Ok(user) => Json(who(Some(&user), state.auth.public_view)).into_response(),
            Err(e) => e.into_response(),
        },
    }
}

/// Signs in with a token: checks it and sets the `patrolmap_token` cookie (HttpOnly,
/// SameSite=Strict) the web view then sends with every request, tiles included.
#[utoipa::path(post, path = "/api/session", tag = "access",
    request_body(content = Object, description = "{\"token\": \"pm_…\"}", content_type = "application/json"),
    responses((status = 200, description = "{user, role}; the cookie is set", body = Object),
        (status = 400, description = "No token in the body", body = ErrorBody),
        (status = 401, description = "The token is wrong or expired", body = ErrorBody)))]
pub async fn session_post(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let remote = remote_of(&request);
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024)
        .await
        .map_err(|_| ApiError::bad("body", "the body is not a small JSON object"))?;
    let token = token_in(&body)?;
    let store = state.store.clone();
    let audit = move |actor: Actor, action: &'static str| {
        if let Some(store) = store {
            // The sign-in's answer does not wait on its audit line.
            tokio::task::spawn_blocking(move || {
                if let Err(e) = store.record(&actor, action, "session", "") {
                    tracing::warn!("audit log: {e}");
                }
            });
        }
    };
    match user_of(&state, &token).await {
        Ok(user) => {
            audit(
                Actor {
                    name: user.name.clone(),
                    remote,
                },
                "sign_in",
            );
            Ok((
                [(header::SET_COOKIE, cookie(&state, Some(&token)))],
                Json(who(Some(&user), state.auth.public_view)),
            )
                .into_response())
        }
        Err(e) => {
            audit(
                Actor {
                    name: "(unknown)".into(),
                    remote,
                },
                "sign_in_refused",
            );
            Err(e)
        }
    }
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
#[utoipa::path(delete, path = "/api/session", tag = "access",
    responses((status = 200, description = "Signed out; the cookie is cleared", body = Object)))]
pub async fn session_delete(State(state): State<AppState>) -> Response {
    (
        [(header::SET_COOKIE, cookie(&state, None))],
        Json(json!({"signed_out": true})),
    )
        .into_response()
}
