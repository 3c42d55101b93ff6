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

#[cfg(test)]
mod tests {
    use super::*;

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
