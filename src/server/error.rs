//! API errors: a status and a JSON body `{"error": …, "code": …, "field": …}`: what went wrong
//! for a person (in English), a stable [`ErrorCode`] the map shows in the user's language from
//! its own message table, and the request field at fault.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// What kind of error it is: stable names a client (the map) can translate and act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A parameter or a field of the body is wrong (the field names it).
    InvalidParameter,
    /// A required parameter is missing.
    MissingParameter,
    /// The body is not what the endpoint takes (not JSON, not a scenario).
    InvalidBody,
    /// A scenario or user name that is empty, `.`/`..`, or has invisible characters.
    InvalidName,
    /// The body is over the size allowed.
    BodyTooLarge,
    /// The scenario has more features or vertices than a request may.
    ScenarioTooLarge,
    /// The body is not sent as JSON (or CSV for an import).
    UnsupportedMediaType,
    /// No such endpoint, file, scenario, version or user.
    NotFound,
    /// No road (of the mode asked) near the point given: a click off the roads.
    NoRoadNear,
    /// A file in metres that names no coordinate system: give it (`crs`).
    UnknownCrs,
    /// The revision is not kept any more: post the scenario again.
    RevisionGone,
    /// The method is not allowed on this endpoint.
    MethodNotAllowed,
    /// Not signed in.
    SignInRequired,
    /// The token is wrong, revoked, or its user removed.
    TokenUnknown,
    /// The token has expired.
    TokenExpired,
    /// Too many failed sign-ins from here: wait.
    TooManyFailures,
    /// The signed-in role may not do this.
    RoleTooLow,
    /// A feed sent more positions than a feed may in a while: send fewer, less often.
    FeedTooFast,
    /// A change asked for from another site's page.
    CrossSite,
    /// Someone saved first, or the name exists already.
    Conflict,
    /// The question is too large for the memory allowed: ask less.
    QuestionTooLarge,
    /// The time allowed was too short to prepare the question.
    TimeLimitTooShort,
    /// The server is busy, or the request took longer than allowed.
    Busy,
    /// The scenario store failed.
    StoreFailed,
    /// Anything else that went wrong in the server.
    Internal,
}

impl ErrorCode {
    /// Every code, for the map's message table and its test.
    pub const ALL: [ErrorCode; 25] = [
        ErrorCode::InvalidParameter,
        ErrorCode::MissingParameter,
        ErrorCode::InvalidBody,
        ErrorCode::InvalidName,
        ErrorCode::BodyTooLarge,
        ErrorCode::ScenarioTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::NotFound,
        ErrorCode::NoRoadNear,
        ErrorCode::UnknownCrs,
        ErrorCode::RevisionGone,
        ErrorCode::MethodNotAllowed,
        ErrorCode::SignInRequired,
        ErrorCode::TokenUnknown,
        ErrorCode::TokenExpired,
        ErrorCode::TooManyFailures,
        ErrorCode::RoleTooLow,
        ErrorCode::FeedTooFast,
        ErrorCode::CrossSite,
        ErrorCode::Conflict,
        ErrorCode::QuestionTooLarge,
        ErrorCode::TimeLimitTooShort,
        ErrorCode::Busy,
        ErrorCode::StoreFailed,
        ErrorCode::Internal,
    ];

    /// Its name, as the JSON says it.
    ///
    /// ```
    /// use patrolmap::server::error::ErrorCode;
    /// assert_eq!(ErrorCode::TokenExpired.as_str(), "token_expired");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::MissingParameter => "missing_parameter",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidName => "invalid_name",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::ScenarioTooLarge => "scenario_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NoRoadNear => "no_road_near",
            ErrorCode::UnknownCrs => "unknown_crs",
            ErrorCode::RevisionGone => "revision_gone",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::SignInRequired => "sign_in_required",
            ErrorCode::TokenUnknown => "token_unknown",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::TooManyFailures => "too_many_failures",
            ErrorCode::RoleTooLow => "role_too_low",
            ErrorCode::FeedTooFast => "feed_too_fast",
            ErrorCode::CrossSite => "cross_site",
            ErrorCode::Conflict => "conflict",
            ErrorCode::QuestionTooLarge => "question_too_large",
            ErrorCode::TimeLimitTooShort => "time_limit_too_short",
            ErrorCode::Busy => "busy",
            ErrorCode::StoreFailed => "store_failed",
            ErrorCode::Internal => "internal",
        }
    }

    /// The code an error of `status` has when nothing more is said.
    pub fn of_status(status: StatusCode) -> ErrorCode {
        match status.as_u16() {
            400 => ErrorCode::InvalidParameter,
            401 => ErrorCode::SignInRequired,
            403 => ErrorCode::RoleTooLow,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::BodyTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::QuestionTooLarge,
            429 => ErrorCode::TooManyFailures,
            503 | 504 => ErrorCode::Busy,
            _ => ErrorCode::Internal,
        }
    }
}

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What kind of error.
    pub code: ErrorCode,
    /// What went wrong, for a person.
    pub message: String,
    /// The request field (query parameter, path segment, body member) at fault, if one is.
    pub field: Option<String>,
}

/// The JSON body of every error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in English.
    pub error: String,
    /// What kind of error: stable, for a client to translate.
    pub code: ErrorCode,
    /// The request field at fault, if one is.
    pub field: Option<String>,
}

impl ApiError {
    /// An error of `status` and `code`.
    pub fn new(
        status: StatusCode,
        code: ErrorCode,
        message: impl Into<String>,
        field: Option<&str>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: field.map(str::to_string),
        }
    }

    /// 400 for `field` (the body itself: [`ErrorCode::InvalidBody`]).
    pub fn bad(field: &str, message: impl Into<String>) -> ApiError {
        let code = if field == "body" {
            ErrorCode::InvalidBody
        } else {
            ErrorCode::InvalidParameter
        };
        ApiError::new(StatusCode::BAD_REQUEST, code, message, Some(field))
    }

    /// 400 for `field` saying `error` with its causes.
    pub fn bad_because(field: &str, error: &dyn std::error::Error) -> ApiError {
        ApiError::bad(field, crate::describe(error))
    }

    /// 404 for `field`.
    pub fn not_found(field: Option<&str>, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message, field)
    }

    /// Any status, no field, the status's own code.
    pub fn status(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError::new(status, ErrorCode::of_status(status), message, None)
    }

    /// The same error with this code.
    pub fn with_code(mut self, code: ErrorCode) -> ApiError {
        self.code = code;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
            code: self.code,
            field: self.field,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(r: axum::extract::rejection::BytesRejection) -> ApiError {
        let status = r.status();
        ApiError::new(
            status,
            ErrorCode::of_status(status),
            r.body_text(),
            Some("body"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_named_as_its_json_says() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    /// The map has a Chinese and an English text for every code (`err_CODE` in web/i18n.js,
    /// once in each language's table).
    /// Every reason an imported feature is refused for has its text too (`problem_CODE`).
    #[test]
    fn the_map_has_a_text_for_every_feature_problem_in_both_languages() {
        let i18n = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/web/i18n.js"))
            .expect("web/i18n.js");
        for code in crate::scenario::ProblemCode::ALL {
            let name = serde_json::to_value(code).unwrap();
            let key = format!("problem_{}:", name.as_str().unwrap());
            assert_eq!(i18n.matches(&key).count(), 2, "{key} in web/i18n.js");
        }
        for code in crate::scenario::WarningCode::ALL {
            let name = serde_json::to_value(code).unwrap();
            let key = format!("warning_{}:", name.as_str().unwrap());
            assert_eq!(i18n.matches(&key).count(), 2, "{key} in web/i18n.js");
        }
    }

    #[test]
    fn the_map_has_a_text_for_every_code_in_both_languages() {
        let i18n = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/web/i18n.js"))
            .expect("web/i18n.js");
        for code in ErrorCode::ALL {
            let key = format!("err_{}:", code.as_str());
            assert_eq!(i18n.matches(&key).count(), 2, "{key} in web/i18n.js");
        }
    }
}
