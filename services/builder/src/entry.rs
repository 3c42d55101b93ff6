//! Entry points: `path/to/file.py:object`, the module file and the server object in it.

use crate::BuildError;
use std::path::{Path, PathBuf};

pub const DEFAULT_ENTRY: &str = "server.py:mcp";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryPoint {
    /// Folder of the module, relative to the project root (empty for the root).
    pub folder: PathBuf,
    /// Module name (the file name without `.py`).
    pub module: String,
    /// Name of the server object in the module.
    pub object: String,
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl EntryPoint {
    pub fn parse(s: &str) -> Result<Self, BuildError> {
        let bad = |why: &str| {
            BuildError::Project(format!(
                "entry point `{}` is not valid: {why}. Write it as `path/to/file.py:object`, e.g. `server.py:mcp`",
                s.escape_debug()
            ))
        };
        if s.chars().any(char::is_control) {
            return Err(bad("it contains a control character"));
        }
        let (file, object) = s
            .rsplit_once(':')
            .ok_or_else(|| bad("it has no `:object` part"))?;
        if !is_identifier(object) {
            return Err(bad("the object must be a Python identifier"));
        }
        let path = Path::new(file);
        if path.is_absolute() || file.contains('\\') {
            return Err(bad("the path must be relative to the repository root"));
        }
        let mut parts: Vec<&str> = file.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        if parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
        {
            return Err(bad("the path may not contain `..`, `.` or empty segments"));
        }
        let module = name
            .strip_suffix(".py")
            .ok_or_else(|| bad("the file must end in `.py`"))?;
        if !is_identifier(module) {
            return Err(bad(
                "the file name must be a Python module name (letters, digits, `_`)",
            ));
        }
        Ok(Self {
            folder: parts.iter().collect(),
            module: module.to_string(),
            object: object.to_string(),
        })
    }

    pub fn file(&self) -> PathBuf {
        self.folder.join(format!("{}.py", self.module))
    }

    pub fn check_exists(&self, root: &Path) -> Result<(), BuildError> {
        let file = self.file();
        let full = root.join(&file);
        let inside = full
            .canonicalize()
            .ok()
            .zip(root.canonicalize().ok())
            .is_some_and(|(f, r)| f.starts_with(r) && f.is_file());
        if !inside {
            return Err(BuildError::Project(format!(
                "no `{}` in the repository. Add it, or set the project's entry point to the file that creates your server (e.g. `src/app.py:mcp`); a prebuilt component deploys as `berth.wasm` at the root",
                file.display()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entry_points() {
        let e = EntryPoint::parse("server.py:mcp").unwrap();
        assert_eq!(
            (
                e.folder.as_os_str().is_empty(),
                e.module.as_str(),
                e.object.as_str()
            ),
            (true, "server", "mcp")
        );
        let e = EntryPoint::parse("src/app/main.py:app").unwrap();
        assert_eq!(
            (e.folder, e.module, e.object),
            (PathBuf::from("src/app"), "main".into(), "app".into())
        );
        for bad in [
            "server.py",
            "server.py:",
            "server.py:1x",
            "../x.py:mcp",
            "/abs.py:mcp",
            "a//b.py:mcp",
            "my-server.py:mcp",
            "x.txt:mcp",
        ] {
            let err = EntryPoint::parse(bad).unwrap_err().to_string();
            assert!(err.contains("is not valid"), "{bad}: {err}");
        }
    }
}
