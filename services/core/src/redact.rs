//! Debug output that never shows a secret's value: types that hold one (keys, tokens, client and
//! webhook secrets, a project's environment) format it with these, so a `{:?}` in a log line or a
//! panic message names the field and says whether it is set, nothing more.

use std::fmt;

/// Stands for a secret's value in `Debug` output.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An optional secret: `Some(<redacted>)` or `None`.
pub fn redacted<T>(value: &Option<T>) -> Option<Redacted> {
    value.as_ref().map(|_| Redacted)
}

/// A project's environment as `Debug` shows it: the names, never the values (any may be a secret).
pub struct EnvNames<'a>(pub &'a [(String, String)]);

impl fmt::Debug for EnvNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, _)| (k, Redacted)))
            .finish()
    }
}

/// The values of a project's secrets, to take out of any text Berth keeps or shows that a guest could
/// have put them in (runtime logs). Each value is replaced by `[secret NAME]`, as it appears and as
/// JSON escapes it (a structured log message is shown as JSON). Longer values are replaced first, so a
/// secret that contains another is hidden whole.
#[derive(Clone, Default)]
pub struct SecretValues {
    /// `(what to find, what to put instead)`, longest first; never empty needles.
    needles: Vec<(String, String)>,
    longest: usize,
}

impl SecretValues {
    /// From `(name, value)` pairs; empty values are skipped (there is nothing to hide).
    pub fn new<'a>(secrets: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut needles = Vec::new();
        for (name, value) in secrets {
            if value.is_empty() {
                continue;
            }
            let marker = format!("[secret {name}]");
            let quoted = serde_json::to_string(value).unwrap_or_default();
            let escaped = quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .unwrap_or(value);
            if escaped != value {
                needles.push((escaped.to_string(), marker.clone()));
            }
            needles.push((value.to_string(), marker));
        }
        needles.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        needles.dedup_by(|a, b| a.0 == b.0);
        let longest = needles.first().map_or(0, |n| n.0.len());
        Self { needles, longest }
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// The longest text replaced: a text cut shorter than this after redaction may have lost a marker,
    /// so cut before redacting at no less than the kept length plus this.
    pub fn longest(&self) -> usize {
        self.longest
    }

    /// `text` with every secret's value replaced.
    pub fn redact<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        let mut out = std::borrow::Cow::Borrowed(text);
        for (needle, marker) in &self.needles {
            if out.contains(needle.as_str()) {
                out = std::borrow::Cow::Owned(out.replace(needle.as_str(), marker));
            }
        }
        out
    }
}

impl fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValues({} values, <redacted>)", self.needles.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_replaced_wherever_they_appear() {
        let s = SecretValues::new([
            ("API_KEY", "sk-live-123"),
            ("LONG", "sk-live-123-and-more"),
            ("QUOTED", "a\"b"),
            ("EMPTY", ""),
        ]);
        assert_eq!(s.redact("plain text"), "plain text");
        assert!(matches!(s.redact("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            s.redact("key=sk-live-123, long=sk-live-123-and-more, twice sk-live-123"),
            "key=[secret API_KEY], long=[secret LONG], twice [secret API_KEY]"
        );
        // As JSON shows a structured message, and as the guest printed it.
        let json = serde_json::json!({"token": "a\"b"}).to_string();
        assert_eq!(s.redact(&json), r#"{"token":"[secret QUOTED]"}"#);
        assert_eq!(s.redact("say a\"b"), "say [secret QUOTED]");
        assert_eq!(s.longest(), "sk-live-123-and-more".len());
        assert!(SecretValues::new([("E", "")]).is_empty());
        assert!(!format!("{s:?}").contains("sk-live"));
    }

    #[test]
    fn values_never_show() {
        let env = vec![("API_KEY".to_string(), "sk-live-123".to_string())];
        let shown = format!("{:?}", EnvNames(&env));
        assert_eq!(shown, r#"{"API_KEY": <redacted>}"#);
        assert_eq!(
            format!("{:?}", redacted(&Some("hunter2"))),
            "Some(<redacted>)"
        );
        assert_eq!(format!("{:?}", redacted::<String>(&None)), "None");
    }
}
