//! The dashboard's errors, as pages a person understands: what went wrong and what to do, never a
//! stack trace or database text.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use berth_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not signed in: go to the sign-in page, then back to this path.
    #[error("sign in to continue")]
    SignIn(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// The form's CSRF token is missing or wrong (an old tab, or another site posting here).
    #[error("this form has expired; reload the page and try again")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    /// Something broke on our side; the details are logged, not shown.
    #[error(
        "something went wrong on our side; try again, and if it keeps happening, check the server log"
    )]
    Internal(String),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => PageError::NotFound(m),
            StoreError::Conflict(m) => PageError::Conflict(m),
            StoreError::Invalid(m) => PageError::BadRequest(m),
            StoreError::Backend(m) => PageError::Internal(m),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: crate::views::Nav,
    status: u16,
    heading: &'a str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading) = match &self {
            PageError::SignIn(next) => {
                return Redirect::to(&format!("/login?next={}", crate::views::url_encode(next)))
                    .into_response();
            }
            PageError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
            PageError::BadRequest(_) => (StatusCode::BAD_REQUEST, "That did not work"),
            PageError::Forbidden => (StatusCode::FORBIDDEN, "Form expired"),
            PageError::Conflict(_) => (StatusCode::CONFLICT, "That did not work"),
            PageError::Internal(detail) => {
                tracing::error!(error = %detail, "dashboard request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
            }
        };
        let page = ErrorPage {
            nav: crate::views::Nav::default(),
            status: status.as_u16(),
            heading,
            message: self.to_string(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.to_string()).into_response(),
        }
    }
}
