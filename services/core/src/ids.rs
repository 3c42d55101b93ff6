//! Identifiers: project slugs (the `<project>` in `/<project>/mcp`) and deployment ids.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest slug accepted; keeps URLs, keys and log lines short.
pub const MAX_SLUG_LEN: usize = 48;

/// Path segments a project may not take, because the platform serves them itself.
const RESERVED: &[&str] = &[
    "api",
    "assets",
    "static",
    "login",
    "logout",
    "auth",
    "healthz",
    "readyz",
    "metrics",
    "dashboard",
    "projects",
    "webhooks",
    "settings",
    "oauth",
    "well-known",
    "mcp",
    "admin",
];

/// A project's URL name: lowercase letters, digits and single hyphens, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error(
        "project name is empty; use lowercase letters, digits and hyphens, e.g. `weather-tools`"
    )]
    Empty,
    #[error("project name `{0}` is longer than {MAX_SLUG_LEN} characters")]
    TooLong(String),
    #[error(
        "project name `{0}` must start with a lowercase letter and use only lowercase letters, digits and single hyphens (not at the end)"
    )]
    Malformed(String),
    #[error("project name `{0}` is reserved by the platform; pick another")]
    Reserved(String),
    #[error(
        "project name `{0}` has the form `<project>-pr-<number>`, which Berth keeps for pull-request previews (so that no project can take a preview's URL, nor a preview a project's); pick a name that does not end in `-pr-<digits>`"
    )]
    PreviewForm(String),
}

impl ProjectSlug {
    pub fn parse(s: &str) -> Result<Self, SlugError> {
        if s.is_empty() {
            return Err(SlugError::Empty);
        }
        // A preview's name is its project's (up to the limit) with `-pr-<number>` after it.
        let preview_of_long_name = || {
            s.rsplit_once("-pr-").is_some_and(|(base, digits)| {
                base.len() <= MAX_SLUG_LEN
                    && (1..=20).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
            })
        };
        if s.len() > MAX_SLUG_LEN && !preview_of_long_name() {
            return Err(SlugError::TooLong(s.to_string()));
        }
        let b = s.as_bytes();
        let ok_chars = b
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if !ok_chars || !b[0].is_ascii_lowercase() || s.ends_with('-') || s.contains("--") {
            return Err(SlugError::Malformed(s.to_string()));
        }
        if RESERVED.contains(&s) {
            return Err(SlugError::Reserved(s.to_string()));
        }
        Ok(Self(s.to_string()))
    }

    /// The name of a project being created: [`ProjectSlug::parse`], and not of the preview form
    /// (`<project>-pr-<number>`), which only previews take. Names parsed from URLs or stored before this
    /// rule use [`ProjectSlug::parse`], so existing projects keep their URL.
    pub fn parse_new(s: &str) -> Result<Self, SlugError> {
        let slug = Self::parse(s)?;
        if slug.preview_of().is_some() {
            return Err(SlugError::PreviewForm(slug.0));
        }
        Ok(slug)
    }

    /// If this slug has the preview form `<project>-pr-<number>`, the project part and the number.
    /// A preview slug splits one way only: the number is the digits after the last `-pr-`.
    pub fn preview_of(&self) -> Option<(&str, u64)> {
        let (base, digits) = self.0.rsplit_once("-pr-")?;
        if base.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((base, digits.parse().ok()?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The slug a pull request's preview is served at: `<slug>-pr-<number>`.
    pub fn preview(&self, pr: u64) -> ProjectSlug {
        ProjectSlug(format!("{}-pr-{pr}", self.0))
    }
}

impl TryFrom<String> for ProjectSlug {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, SlugError> {
        Self::parse(&s)
    }
}

impl From<ProjectSlug> for String {
    fn from(s: ProjectSlug) -> String {
        s.0
    }
}

impl fmt::Display for ProjectSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A deployment's id: opaque, unique, safe in paths and keys (`d-` then hex).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeploymentId(pub String);

impl DeploymentId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeploymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["a", "weather", "my-tools-2", "x1"] {
            assert_eq!(ProjectSlug::parse(ok).unwrap().as_str(), ok);
        }
        let cases = [
            ("", SlugError::Empty),
            ("Weather", SlugError::Malformed("Weather".into())),
            ("1abc", SlugError::Malformed("1abc".into())),
            ("a--b", SlugError::Malformed("a--b".into())),
            ("ab-", SlugError::Malformed("ab-".into())),
            ("a_b", SlugError::Malformed("a_b".into())),
            ("api", SlugError::Reserved("api".into())),
        ];
        for (input, want) in cases {
            assert_eq!(ProjectSlug::parse(input).unwrap_err(), want, "{input}");
        }
        assert!(matches!(
            ProjectSlug::parse(&"a".repeat(49)),
            Err(SlugError::TooLong(_))
        ));
        assert_eq!(
            ProjectSlug::parse("x").unwrap().preview(7).as_str(),
            "x-pr-7"
        );
        // A project with the longest name still has previews whose names parse back (from a URL, from
        // the store), up to the largest pull request number; nothing else that long does.
        let longest = ProjectSlug::parse(&"a".repeat(MAX_SLUG_LEN)).unwrap();
        for pr in [1, u64::MAX] {
            let preview = longest.preview(pr);
            assert!(preview.as_str().len() > MAX_SLUG_LEN);
            assert_eq!(ProjectSlug::parse(preview.as_str()).unwrap(), preview);
        }
        for too_long in [
            format!("{}-pr-1", "a".repeat(MAX_SLUG_LEN + 1)),
            format!("{}-pr-", "a".repeat(MAX_SLUG_LEN)),
            format!("{}-pr-1x", "a".repeat(MAX_SLUG_LEN)),
            format!("{}-pr-{}", "a".repeat(MAX_SLUG_LEN), "1".repeat(21)),
        ] {
            assert!(
                matches!(ProjectSlug::parse(&too_long), Err(SlugError::TooLong(_))),
                "{too_long}"
            );
        }
    }

    #[test]
    fn new_projects_cannot_take_the_preview_form() {
        for taken in ["foo-pr-1", "foo-pr-007", "a-pr-1-pr-2", "my-tools-pr-12345"] {
            let err = ProjectSlug::parse_new(taken).unwrap_err();
            assert_eq!(err, SlugError::PreviewForm(taken.into()));
            assert!(err.to_string().contains("-pr-<digits>"), "{err}");
            // Stored and routed names still parse, so an existing project keeps its URL.
            assert!(ProjectSlug::parse(taken).is_ok());
        }
        for free in [
            "foo",
            "pr-1",
            "foo-pr",
            "foo-pr-x1",
            "foo-pr-1a",
            "foo-pr-1-x",
            "foo-prs-1",
        ] {
            assert!(ProjectSlug::parse_new(free).is_ok(), "{free}");
        }
        let foo = ProjectSlug::parse("foo").unwrap();
        assert_eq!(foo.preview(3).preview_of(), Some(("foo", 3)));
        let nested = ProjectSlug::parse("a-pr-1").unwrap().preview(2);
        assert_eq!(nested.preview_of(), Some(("a-pr-1", 2)));
    }
}
