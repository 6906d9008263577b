//! Server-sent events: `/api/events` tells the map (a wall display above all) that the saved
//! scenarios changed, within half a second of a save on any server sharing the store. Each
//! server follows the store itself (one small query every half second, only while someone
//! listens), so a save through another server behind the same address is seen too.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::watch;

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::store::Store;

/// How often the store is looked at while someone listens.
const POLL: Duration = Duration::from_millis(500);
/// How long one stream lasts: the browser reconnects at once (every request is bounded).
const STREAM_FOR: Duration = Duration::from_secs(120);
/// At most this many listeners at once.
pub const MAX_LISTENERS: usize = 200;

/// The store's change mark (newest version id, version count), followed for listeners.
pub struct StoreFeed {
    sender: watch::Sender<(i64, i64)>,
    listeners: Arc<tokio::sync::Semaphore>,
}

impl StoreFeed {
    /// Follows `store` from now on (a task on the runtime).
    pub fn follow(store: Arc<Store>) -> Arc<StoreFeed> {
        let first = store.change_mark().unwrap_or((0, 0));
        let (sender, _) = watch::channel(first);
        let feed = Arc::new(StoreFeed {
            sender,
            listeners: Arc::new(tokio::sync::Semaphore::new(MAX_LISTENERS)),
        });
        let weak = Arc::downgrade(&feed);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let Some(feed) = weak.upgrade() else { return };
                if feed.sender.receiver_count() == 0 {
                    continue;
                }
                let store = store.clone();
                if let Ok(Ok(mark)) = tokio::task::spawn_blocking(move || store.change_mark()).await
                {
                    feed.sender.send_if_modified(|old| {
                        let changed = *old != mark;
                        *old = mark;
                        changed
                    });
                }
            }
        });
        feed
    }
}

/// A stream of `versions` events: one at once with the store's mark, then one at every change
/// (`{"latest_id": …, "versions": …}`), for two minutes; the browser's EventSource reconnects.
#[utoipa::path(get, path = "/events", tag = "store",
    extensions(("x-patrolmap-access" = json!("view"))),
    responses((status = 200, description = "text/event-stream of `versions` events: {latest_id, versions}, at once and on every save, restore or deletion", body = String, content_type = "text/event-stream"),
        (status = 503, description = "No store, or too many listeners", body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
) -> Result<
    (
        [(axum::http::HeaderName, &'static str); 1],
        Sse<impl Stream<Item = Result<Event, Infallible>>>,
    ),
    ApiError,
> {
    let feed = state.feed.clone().ok_or_else(|| {
        ApiError::status(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "no scenario store: start the server with --db",
        )
    })?;
    let permit = feed.listeners.clone().try_acquire_owned().map_err(|_| {
        ApiError::status(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "too many listeners; try again later",
        )
    })?;
    let receiver = feed.sender.subscribe();
    let until = tokio::time::Instant::now() + STREAM_FOR;
    let events = stream::unfold(
        (receiver, true, permit),
        move |(mut receiver, first, permit)| async move {
            if !first {
                match tokio::time::timeout_at(until, receiver.changed()).await {
                    Ok(Ok(())) => {}
                    _ => return None,
                }
            }
            let (latest_id, versions) = *receiver.borrow_and_update();
            let event = Event::default()
                .event("versions")
                .retry(Duration::from_millis(500))
                .data(format!(
                    "{{\"latest_id\":{latest_id},\"versions\":{versions}}}"
                ));
            Some((Ok(event), (receiver, false, permit)))
        },
    );
    // A proxy (nginx) passes each event on at once instead of buffering the stream.
    let unbuffered = [(
        axum::http::HeaderName::from_static("x-accel-buffering"),
        "no",
    )];
    let sse = Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    Ok((unbuffered, sse))
}
