//! `berth.toml` at the repository's root: the settings that live with a project's code. Today one
//! table, the hosts its server may reach over HTTP:
//!
//! ```toml
//! [network]
//! allow = ["api.github.com", "*.example.com", "127.0.0.1:8443"]
//! ```
//!
//! It comes from the repository, so it is read as hostile input: a regular file (never a link), at most
//! [`MAX_BERTH_TOML_BYTES`], and every unknown key or bad entry fails the build naming the file, the
//! entry and what to write instead. What it allows is stored with the deployment.

use crate::BuildError;
use crate::requirements::read_project_file;
use berth_core::AllowList;
use berth_core::egress::ENTRY_FORMS;
use std::path::Path;

/// The file's name at the repository root.
pub const BERTH_TOML: &str = "berth.toml";

/// Largest `berth.toml` read: a list of a few hundred hosts fits many times over.
pub const MAX_BERTH_TOML_BYTES: u64 = 64 * 1024;

/// What `berth.toml` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectFile {
    /// `[network] allow`: the hosts the server may reach (none without the file).
    pub network_allow: AllowList,
}

/// Reads and checks the repository's `berth.toml`; without one, the defaults.
pub fn read(source: &Path) -> Result<ProjectFile, BuildError> {
    match read_project_file(source, BERTH_TOML, MAX_BERTH_TOML_BYTES)? {
        None => Ok(ProjectFile::default()),
        Some(text) => parse(&text).map_err(BuildError::Project),
    }
}

const EXAMPLE: &str = "[network]\nallow = [\"api.github.com\"]";

/// Parses `berth.toml`'s text; an error names the file, the key or entry, and what to write.
pub fn parse(text: &str) -> Result<ProjectFile, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        format!("{BERTH_TOML} is not valid TOML: {}", e.message().trim_end())
    })?;
    let mut out = ProjectFile::default();
    for (key, value) in &table {
        match (key.as_str(), value) {
            ("network", toml::Value::Table(network)) => {
                out.network_allow = network_table(network)?;
            }
            ("network", _) => {
                return Err(format!(
                    "{BERTH_TOML}: `network` must be a table; write\n{EXAMPLE}"
                ));
            }
            (other, _) => {
                return Err(format!(
                    "{BERTH_TOML}: unknown key `{}`; the file has one table, [network] (allow = [...]), for example\n{EXAMPLE}",
                    shown(other)
                ));
            }
        }
    }
    Ok(out)
}

fn network_table(network: &toml::Table) -> Result<AllowList, String> {
    let mut allow = AllowList::default();
    for (key, value) in network {
        if key != "allow" {
            return Err(format!(
                "{BERTH_TOML}: unknown key `{}` in [network]; the only key is `allow`, a list of hosts: {ENTRY_FORMS}",
                shown(key)
            ));
        }
        let toml::Value::Array(items) = value else {
            return Err(format!(
                "{BERTH_TOML}: [network] allow must be a list of strings, such as allow = [\"api.github.com\"]"
            ));
        };
        let mut entries = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let toml::Value::String(s) = item else {
                return Err(format!(
                    "{BERTH_TOML}: [network] allow entry {} is not a string; write each host in quotes, such as \"api.github.com\"",
                    i + 1
                ));
            };
            entries.push(s.as_str());
        }
        allow = AllowList::parse(&entries)
            .map_err(|e| format!("{BERTH_TOML}: [network] allow: {e}"))?;
    }
    Ok(allow)
}

fn shown(s: &str) -> String {
    s.chars()
        .take(60)
        .collect::<String>()
        .escape_debug()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_table_allows_its_hosts() {
        let f = parse(
            "[network]\nallow = [\"api.github.com\", \"*.example.com\", \"127.0.0.1:8443\"]\n",
        )
        .unwrap();
        assert_eq!(
            f.network_allow.entries(),
            ["api.github.com", "*.example.com", "127.0.0.1:8443"]
        );
        assert_eq!(parse("").unwrap(), ProjectFile::default());
        assert_eq!(parse("[network]\n").unwrap(), ProjectFile::default());
    }

    #[test]
    fn mistakes_fail_naming_the_file_the_entry_and_the_fix() {
        // (text, fragments of the message)
        let cases: &[(&str, &[&str])] = &[
            ("[network\n", &["berth.toml is not valid TOML"]),
            (
                "[netwrok]\nallow = []\n",
                &["unknown key `netwrok`", "[network]"],
            ),
            ("network = 3\n", &["must be a table"]),
            (
                "[network]\nallowed = [\"a.com\"]\n",
                &["unknown key `allowed` in [network]", "`allow`"],
            ),
            (
                "[network]\nallow = \"a.com\"\n",
                &["must be a list of strings"],
            ),
            (
                "[network]\nallow = [\"a.com\", 7]\n",
                &["entry 2 is not a string"],
            ),
            (
                "[network]\nallow = [\"https://api.github.com/x\"]\n",
                &[
                    "berth.toml: [network] allow",
                    "write the host only, `api.github.com`",
                ],
            ),
            ("[network]\nallow = [\"*\"]\n", &["`*`", "leading `*.`"]),
            ("[network]\nallow = [\"a.com:http\"]\n", &["1 to 65535"]),
        ];
        for (text, fragments) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with("berth.toml"), "{text:?}: {err}");
            for f in *fragments {
                assert!(err.contains(f), "{text:?}: {err} (wanted {f})");
            }
        }
    }

    #[test]
    fn the_file_is_read_only_as_a_bounded_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), ProjectFile::default());
        let outside = dir.path().join("outside.toml");
        std::fs::write(&outside, "[network]\nallow = [\"a.com\"]\n").unwrap();
        let project = dir.path().join("p");
        std::fs::create_dir(&project).unwrap();
        std::os::unix::fs::symlink(&outside, project.join(BERTH_TOML)).unwrap();
        let err = read(&project).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        std::fs::remove_file(project.join(BERTH_TOML)).unwrap();
        let big = format!("# {}\n", "x".repeat(MAX_BERTH_TOML_BYTES as usize));
        std::fs::write(project.join(BERTH_TOML), big).unwrap();
        let err = read(&project).unwrap_err().to_string();
        assert!(err.contains("over the"), "{err}");
    }
}
