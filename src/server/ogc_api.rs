//! OGC API - Features (Part 1: Core, GeoJSON), read-only: the loaded scenario's layers and its
//! coverage (gaps, roads by tier, tier areas), so that QGIS, ArcGIS Pro and GDAL (`OAPIF:`) read
//! patrolmap directly, behind the same sign-in as the rest of the API. Paths are below
//! `/api/ogc`; items are paged (`limit`, `offset`, a `next` link) and filtered by `bbox`.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::api::{Params, LAYERS};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::scenario::write::to_geojson;

/// What the documents are, for the OpenAPI document (they are written as JSON here, not
/// from these types).
#[allow(dead_code)]
mod schema {
    /// A link.
    #[derive(utoipa::ToSchema)]
    pub struct OgcLink {
        /// Where.
        href: String,
        /// What it is to this document (`self`, `data`, `items`, `next`…).
        rel: String,
        /// Its media type.
        #[schema(rename = "type")]
        kind: String,
    }
    /// The landing page.
    #[derive(utoipa::ToSchema)]
    pub struct OgcLanding {
        /// The service's title.
        title: String,
        /// Links to the conformance classes and the collections.
        links: Vec<OgcLink>,
    }
    /// The conformance classes.
    #[derive(utoipa::ToSchema)]
    pub struct OgcConformance {
        /// Their URIs.
        #[schema(rename = "conformsTo")]
        conforms_to: Vec<String>,
    }
    /// A collection.
    #[derive(utoipa::ToSchema)]
    pub struct OgcCollection {
        /// Its id (the path segment).
        id: String,
        /// What it holds.
        description: String,
        /// Its links (`items`).
        links: Vec<OgcLink>,
    }
    /// The collections.
    #[derive(utoipa::ToSchema)]
    pub struct OgcCollections {
        /// Each collection.
        collections: Vec<OgcCollection>,
        /// This document.
        links: Vec<OgcLink>,
    }
    /// A page of features.
    #[derive(utoipa::ToSchema)]
    pub struct OgcItems {
        /// `FeatureCollection`.
        #[schema(rename = "type")]
        kind: String,
        /// How many features match (all pages).
        #[schema(rename = "numberMatched")]
        number_matched: usize,
        /// How many are on this page.
        #[schema(rename = "numberReturned")]
        number_returned: usize,
        /// `self`, and `next` while more remain.
        links: Vec<OgcLink>,
        /// The features, each with its `id`.
        #[schema(value_type = Vec<Object>)]
        features: Vec<serde_json::Value>,
    }
    /// One feature.
    #[derive(utoipa::ToSchema)]
    pub struct OgcFeature {
        /// `Feature`.
        #[schema(rename = "type")]
        kind: String,
        /// Its id in the collection.
        id: usize,
        /// Its properties.
        #[schema(value_type = Object)]
        properties: serde_json::Value,
        /// Its geometry (WGS 84).
        #[schema(value_type = Object)]
        geometry: serde_json::Value,
    }
}
use schema::{OgcCollection, OgcCollections, OgcConformance, OgcFeature, OgcItems, OgcLanding};

/// The largest page a client may ask for.
const MAX_LIMIT: usize = 10_000;
/// The page a client gets when it does not say.
const DEFAULT_LIMIT: usize = 1_000;

/// The base of every link: the scheme and host the client used (behind a proxy, its
/// `X-Forwarded-*` headers).
fn base(headers: &HeaderMap) -> String {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let host = get("x-forwarded-host")
        .or_else(|| get("host"))
        .unwrap_or("localhost");
    let scheme = get("x-forwarded-proto").unwrap_or("http");
    format!("{scheme}://{host}/api/ogc")
}

fn json_response(value: &Value, content_type: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        value.to_string(),
    )
        .into_response()
}

/// The collections: each scenario layer, and the gaps.
fn collection_ids() -> Vec<(&'static str, &'static str)> {
    let mut ids: Vec<(&str, &str)> = LAYERS
        .iter()
        .map(|(name, _)| (*name, "scenario layer"))
        .collect();
    ids.push(("areas", "scenario layer"));
    ids.push((
        "gaps",
        "coverage gaps of the loaded scenario: road stretches beyond a tier, by tier",
    ));
    ids.push(("roads_by_tier", "the loaded scenario's roads cut where the first unit's time crosses each budget, with tier and times"));
    ids.push((
        "tier_areas",
        "the area within each budget of the loaded scenario, widest first",
    ));
    ids
}

/// The landing page.
#[utoipa::path(get, path = "/ogc", tag = "ogc",
    extensions(("x-patrolmap-access" = json!("read"))),
    responses((status = 200, description = "Links to the conformance classes and the collections", body = OgcLanding)))]
pub async fn landing(headers: HeaderMap) -> Response {
    let b = base(&headers);
    json_response(
        &json!({
            "title": "patrolmap",
            "description": "The loaded scenario's police layers and their coverage gaps (OGC API - Features)",
            "links": [
                {"href": b, "rel": "self", "type": "application/json", "title": "this document"},
                {"href": format!("{b}/conformance"), "rel": "conformance", "type": "application/json", "title": "conformance classes"},
                {"href": format!("{b}/collections"), "rel": "data", "type": "application/json", "title": "collections"},
            ]
        }),
        "application/json",
    )
}

/// The conformance classes.
#[utoipa::path(get, path = "/ogc/conformance", tag = "ogc",
    extensions(("x-patrolmap-access" = json!("read"))),
    responses((status = 200, description = "Core and GeoJSON", body = OgcConformance)))]
pub async fn conformance() -> Response {
    json_response(
        &json!({"conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        ]}),
        "application/json",
    )
}

fn collection(b: &str, id: &str, title: &str, bbox: Option<[f64; 4]>) -> Value {
    let mut c = json!({
        "id": id,
        "title": id,
        "description": title,
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            {"href": format!("{b}/collections/{id}"), "rel": "self", "type": "application/json"},
            {"href": format!("{b}/collections/{id}/items"), "rel": "items", "type": "application/geo+json"},
        ]
    });
    if let Some(bbox) = bbox {
        c["extent"] = json!({"spatial": {"bbox": [bbox], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}});
    }
    c
}

/// The collections.
#[utoipa::path(get, path = "/ogc/collections", tag = "ogc",
    extensions(("x-patrolmap-access" = json!("read"))),
    responses((status = 200, description = "Every collection with its extent and items link", body = OgcCollections)))]
pub async fn collections(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let b = base(&headers);
    let bbox = state.city.network.bbox();
    let all: Vec<Value> = collection_ids()
        .iter()
        .map(|(id, title)| collection(&b, id, title, bbox))
        .collect();
    json_response(
        &json!({"links": [{"href": format!("{b}/collections"), "rel": "self", "type": "application/json"}], "collections": all}),
        "application/json",
    )
}

fn unknown(id: &str) -> ApiError {
    ApiError::not_found(
        Some("collection"),
        format!(
            "no collection {id:?}; they are {}",
            collection_ids()
                .iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// One collection.
#[utoipa::path(get, path = "/ogc/collections/{collection}", tag = "ogc",
    extensions(("x-patrolmap-access" = json!("read"))),
    params(("collection" = String, Path, description = "units, posts, checkpoints, key_sites, incidents, patrol_lines, closures, areas, gaps, roads_by_tier or tier_areas")),
    responses((status = 200, description = "The collection", body = OgcCollection), (status = 404, description = "No such collection", body = ErrorBody)))]
pub async fn one_collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (_, title) = collection_ids()
        .into_iter()
        .find(|(c, _)| *c == id)
        .ok_or_else(|| unknown(&id))?;
    Ok(json_response(
        &collection(&base(&headers), &id, title, state.city.network.bbox()),
        "application/json",
    ))
}

/// Every feature of a collection, each with its `id` (its place in the collection).
async fn features_of(state: &AppState, id: &str) -> Result<Vec<Value>, ApiError> {
    let evaluation = state.revisions.base().clone();
    let city = state.city.clone();
    let id = id.to_string();
    let kind = LAYERS
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, kind)| *kind);
    state
        .compute(move || {
            let coverage = ["gaps", "roads_by_tier", "tier_areas"].contains(&id.as_str());
            let mut all = match id.as_str() {
                "gaps" => city.gaps_geojson(&evaluation, usize::MAX, None),
                "roads_by_tier" => crate::coverage::overlay::pieces_geojson(
                    &city.network,
                    &evaluation.pieces,
                    &city.budgets(),
                ),
                "tier_areas" => crate::coverage::polygons::polygons_geojson(
                    city.tier_areas(&evaluation).tiers(),
                    &city.budgets(),
                    crate::city::AREA_OPTIONS.buffer_m,
                ),
                _ => to_geojson(&evaluation.scenario),
            };
            let mut features: Vec<Value> = all["features"]
                .as_array_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            if !coverage {
                let keep = |k: &Value| match kind {
                    Some(kind) => k == kind,
                    None => k == "event_area" || k == "no_go",
                };
                features.retain(|f| keep(&f["properties"]["kind"]));
            }
            for (i, f) in features.iter_mut().enumerate() {
                f["id"] = json!(i + 1);
            }
            features
        })
        .await
}

/// The bounding box of a GeoJSON geometry's positions.
fn bbox_of(geometry: &Value) -> Option<[f64; 4]> {
    let geometry: geojson::Geometry = serde_json::from_value(geometry.clone()).ok()?;
    patrolmap_core::formats::bbox(&geometry.value)
}

fn parse_bbox(text: &str) -> Result<[f64; 4], ApiError> {
    let v: Vec<f64> = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::bad(
                "bbox",
                format!("bbox is four numbers minlon,minlat,maxlon,maxlat, got {text:?}"),
            )
        })?;
    match v[..] {
        [a, b, c, d] if a <= c && b <= d => Ok([a, b, c, d]),
        _ => Err(ApiError::bad(
            "bbox",
            format!("bbox is minlon,minlat,maxlon,maxlat with min ≤ max, got {text:?}"),
        )),
    }
}

/// A page of a collection's features.
#[utoipa::path(get, path = "/ogc/collections/{collection}/items", tag = "ogc",
    extensions(("x-patrolmap-access" = json!("read"))),
    params(("collection" = String, Path, description = "A collection id"),
        ("bbox" = Option<String>, Query, description = "minlon,minlat,maxlon,maxlat: only features whose extent meets it"),
        ("limit" = Option<usize>, Query, description = "Features per page (1-10000, default 1000)"),
        ("offset" = Option<usize>, Query, description = "Features to skip (the `next` link carries it)")),
    responses((status = 200, description = "A GeoJSON FeatureCollection with numberMatched, numberReturned and a next link while more remain", body = OgcItems, content_type = "application/geo+json"),
        (status = 400, description = "A bad bbox, limit or offset", body = ErrorBody), (status = 404, description = "No such collection", body = ErrorBody)))]
pub async fn items(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    collection_ids()
        .into_iter()
        .find(|(c, _)| *c == id)
        .ok_or_else(|| unknown(&id))?;
    let whole = |name: &str,
                 default: usize,
                 range: std::ops::RangeInclusive<usize>|
     -> Result<usize, ApiError> {
        match q.get(name) {
            None => Ok(default),
            Some(t) => t
                .parse::<usize>()
                .ok()
                .filter(|v| range.contains(v))
                .ok_or_else(|| {
                    ApiError::bad(
                        name,
                        format!(
                            "{name} must be a whole number in {}..={}, got {t:?}",
                            range.start(),
                            range.end()
                        ),
                    )
                }),
        }
    };
    let limit = whole("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?;
    let offset = whole("offset", 0, 0..=usize::MAX / 2)?;
    let bbox = q.get("bbox").map(|b| parse_bbox(b)).transpose()?;
    let mut features = features_of(&state, &id).await?;
    if let Some(b) = bbox {
        features.retain(|f| {
            bbox_of(&f["geometry"])
                .is_some_and(|e| e[0] <= b[2] && e[2] >= b[0] && e[1] <= b[3] && e[3] >= b[1])
        });
    }
    let matched = features.len();
    let page: Vec<Value> = features.into_iter().skip(offset).take(limit).collect();
    let b = base(&headers);
    let keep_bbox = q
        .get("bbox")
        .map(|v| format!("&bbox={v}"))
        .unwrap_or_default();
    let mut links = vec![
        json!({"href": format!("{b}/collections/{id}/items?limit={limit}&offset={offset}{keep_bbox}"), "rel": "self", "type": "application/geo+json"}),
    ];
    if offset + page.len() < matched {
        links.push(json!({"href": format!("{b}/collections/{id}/items?limit={limit}&offset={}{keep_bbox}", offset + page.len()), "rel": "next", "type": "application/geo+json"}));
    }
    Ok(json_response(
        &json!({"type": "FeatureCollection", "numberMatched": matched, "numberReturned": page.len(), "links": links, "features": page}),
        "application/geo+json",
    ))
}

/// One feature of a collection, by its `id`.
#[utoipa::path(get, path = "/ogc/collections/{collection}/items/{feature}", tag = "ogc",
    extensions(("x-patrolmap-access" = json!("read"))),
    params(("collection" = String, Path, description = "A collection id"), ("feature" = usize, Path, description = "The feature's id")),
    responses((status = 200, description = "The feature", body = OgcFeature, content_type = "application/geo+json"), (status = 404, description = "No such collection or feature", body = ErrorBody)))]
pub async fn item(
    State(state): State<AppState>,
    Path((id, feature)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    collection_ids()
        .into_iter()
        .find(|(c, _)| *c == id)
        .ok_or_else(|| unknown(&id))?;
    let features = features_of(&state, &id).await?;
    let found = feature
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| features.get(i));
    match found {
        Some(f) => Ok(json_response(f, "application/geo+json")),
        None => Err(ApiError::not_found(
            Some("feature"),
            format!("{id} has no feature {feature:?} (1 to {})", features.len()),
        )),
    }
}
