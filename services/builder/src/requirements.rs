//! Requirements from `requirements.txt` or `pyproject.toml`, parsed with a real PEP 508 parser: a name,
//! extras, a version specifier and a marker, nothing else (no pip options, URLs or paths). What pip gets
//! is written from the parsed form only ([`crate::vendor`]).

use crate::BuildError;
use std::path::Path;

/// Largest `requirements.txt` or `pyproject.toml` read. Real ones are a few KiB; a pinned lock file with
/// hashes for a big dependency tree is well under 1 MiB.
pub const MAX_REQUIREMENTS_FILE_BYTES: u64 = 1024 * 1024;

/// Most requirements one project may list (direct ones; pip resolves the rest). Bounds what the parser
/// and pip are handed.
pub const MAX_REQUIREMENTS: usize = 500;

/// One parsed requirement: a PEP 508 specifier (name, extras, version, marker; never a URL or a path)
/// and the hashes pinned for it in `requirements.txt` (`--hash=sha256:...`, as pip-compile writes them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub spec: pep508_rs::Requirement,
    pub hashes: Vec<String>,
}

impl Requirement {
    /// The normalized package name (`Foo_Bar` is `foo-bar`).
    pub fn name(&self) -> String {
        self.spec.name.to_string()
    }

    /// The line pip gets: written from the parsed form only, never the user's text.
    pub fn to_pip_line(&self) -> String {
        let mut line = self.spec.to_string();
        for h in &self.hashes {
            line.push_str(" --hash=");
            line.push_str(h);
        }
        line
    }
}

/// Shows a piece of untrusted text in an error message: at most 120 characters, control characters escaped.
fn shown(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(120)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().count() > 120 {
        out.push_str("...");
    }
    out
}

const HOW: &str =
    "list each package as `name[extras] version ; marker` (PEP 508), e.g. `httpx>=0.27`";

/// Refuses a control character (tab aside) anywhere in `text`, even where trimming would drop it.
fn no_control(text: &str) -> Result<(), String> {
    match text.chars().find(|c| c.is_control() && *c != '\t') {
        Some(c) => Err(format!(
            "contains the control character {:?}; {HOW}",
            c.escape_debug().to_string()
        )),
        None => Ok(()),
    }
}

/// Refuses a package or extra name that ends in `.`, `-` or `_` with more text after it: PEP 508
/// forbids it, and `pep508_rs` 0.9 panics on it instead of returning an error.
fn check_names(t: &str) -> Result<(), String> {
    fn ident(s: &str) -> &str {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
            .unwrap_or(s.len());
        &s[..end]
    }
    let name = ident(t);
    let mut names = vec![name];
    if let Some(extras) = t[name.len()..].trim_start().strip_prefix('[') {
        let extras = extras.split(']').next().unwrap_or(extras);
        names.extend(extras.split(',').map(|e| ident(e.trim_start())));
    }
    // A name not starting with a letter or digit is left to pep508_rs, which refuses it properly.
    let starts_alnum = |n: &&str| n.starts_with(|c: char| c.is_ascii_alphanumeric());
    match names
        .into_iter()
        .filter(starts_alnum)
        .find(|n| n.ends_with(['.', '-', '_']))
    {
        Some(n) => Err(format!(
            "`{}`: the name `{}` must end with a letter or digit; {HOW}",
            shown(t),
            shown(n)
        )),
        None => Ok(()),
    }
}

/// Parses one requirement string as PEP 508, refusing everything that is not a package from the index.
pub(crate) fn parse_spec(text: &str) -> Result<pep508_rs::Requirement, String> {
    no_control(text)?;
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!(
            "`{}` is a pip option; Berth passes no options to pip (packages come only from the index the operator configured): {HOW}",
            shown(t)
        ));
    }
    check_names(t)?;
    // The parser has `expect`s of its own on odd input (fuzzing found one): a panic there is a refused
    // line, never a crashed build.
    let parsed = std::panic::catch_unwind(|| t.parse::<pep508_rs::Requirement>())
        .map_err(|_| format!("`{}` is not a valid requirement; {HOW}", shown(t)))?;
    let spec = parsed.map_err(|e| {
        let first = e.to_string();
        let first = first.lines().next().unwrap_or("").to_string();
        format!("`{}` is not a valid requirement ({first}); {HOW}", shown(t))
    })?;
    // pip reads its requirements file with syntax of its own: ` #` starts a comment, a word starting
    // with `-` is an option and `${NAME}` is an environment variable. Only a marker's quoted values can
    // hold these; a requirement pip would read otherwise is refused.
    let line = spec.to_string();
    if [" #", "\t#", " -", "${"].iter().any(|p| line.contains(p)) {
        return Err(format!(
            "`{}` has a quoted value that pip would not read as written (` #`, ` -` or `${{`); {HOW}",
            shown(t)
        ));
    }
    if let Some(pep508_rs::VersionOrUrl::Url(_)) = spec.version_or_url {
        return Err(format!(
            "`{}` names a URL, path or VCS reference; Berth installs packages from the index only: {HOW}",
            shown(t)
        ));
    }
    Ok(spec)
}

/// A `--hash=algo:hexdigest` option of a requirements.txt line; the only option Berth accepts there.
fn parse_hash(option: &str) -> Option<String> {
    let value = option.strip_prefix("--hash=")?;
    let (algo, digest) = value.split_once(':')?;
    let len = match algo {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return None,
    };
    (digest.len() == len && digest.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("{algo}:{}", digest.to_ascii_lowercase()))
}

/// Parses the text of a `requirements.txt`. Each error names the line.
pub fn parse_requirements_txt(text: &str) -> Result<Vec<Requirement>, BuildError> {
    let bad =
        |n: usize, why: String| BuildError::Project(format!("requirements.txt line {n}: {why}"));
    let mut out = Vec::new();
    let mut joined = String::new();
    let mut first_line = 0;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        no_control(raw).map_err(|why| bad(i + 1, why))?;
        if joined.is_empty() {
            first_line = i + 1;
        }
        // A backslash at the end continues the logical line (pip-compile writes hashes that way).
        if let Some(head) = raw.strip_suffix('\\') {
            joined.push_str(head);
            joined.push(' ');
            continue;
        }
        joined.push_str(raw);
        let logical = std::mem::take(&mut joined);
        // A comment starts at `#` at the start of the line or after whitespace.
        let mut line = logical.as_str();
        if let Some(pos) = line
            .char_indices()
            .find(|&(p, c)| c == '#' && (p == 0 || line[..p].ends_with([' ', '\t'])))
            .map(|(p, _)| p)
        {
            line = &line[..pos];
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        // Split off trailing `--hash=` options; any other option is refused by parse_spec.
        let mut spec_end = line.len();
        let mut hashes = Vec::new();
        if let Some(pos) = line.find(" --") {
            for option in line[pos..].split_whitespace() {
                let hash = parse_hash(option).ok_or_else(|| {
                    bad(
                        first_line,
                        format!(
                            "`{}` is not supported: the only option allowed after a requirement is `--hash=sha256:<hex>`",
                            shown(option)
                        ),
                    )
                })?;
                hashes.push(hash);
            }
            spec_end = pos;
        }
        let spec = parse_spec(&line[..spec_end]).map_err(|why| bad(first_line, why))?;
        out.push(Requirement { spec, hashes });
        if out.len() > MAX_REQUIREMENTS {
            return Err(bad(
                first_line,
                format!(
                    "more than {MAX_REQUIREMENTS} requirements; list only what the server imports"
                ),
            ));
        }
    }
    if !joined.trim().is_empty() {
        return Err(bad(
            first_line,
            "the last line ends with `\\` but nothing continues it".into(),
        ));
    }
    Ok(out)
}

/// Parses the `[project] dependencies` of a `pyproject.toml`. Each error names the entry.
pub fn parse_pyproject(text: &str) -> Result<(Vec<Requirement>, Vec<String>), BuildError> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e| BuildError::Project(format!("pyproject.toml is not valid TOML: {e}")))?;
    let mut notices = Vec::new();
    let project = doc.get("project");
    let deps = match project.and_then(|p| p.get("dependencies")) {
        None => {
            if doc
                .get("tool")
                .and_then(|t| t.get("poetry"))
                .and_then(|p| p.get("dependencies"))
                .is_some()
            {
                return Err(BuildError::Project(
                    "pyproject.toml lists its dependencies under [tool.poetry.dependencies], which Berth does not read: list them under [project] dependencies (PEP 621) or in requirements.txt".into(),
                ));
            }
            return Ok((Vec::new(), notices));
        }
        Some(toml::Value::Array(a)) => a,
        Some(_) => {
            return Err(BuildError::Project(
                "pyproject.toml: [project] dependencies must be an array of strings".into(),
            ));
        }
    };
    if deps.len() > MAX_REQUIREMENTS {
        return Err(BuildError::Project(format!(
            "pyproject.toml: more than {MAX_REQUIREMENTS} dependencies; list only what the server imports"
        )));
    }
    let mut out = Vec::new();
    for (i, v) in deps.iter().enumerate() {
        let text = v.as_str().ok_or_else(|| {
            BuildError::Project(format!(
                "pyproject.toml: [project] dependencies entry {} is not a string",
                i + 1
            ))
        })?;
        let spec = parse_spec(text).map_err(|why| {
            BuildError::Project(format!(
                "pyproject.toml: [project] dependencies entry {}: {why}",
                i + 1
            ))
        })?;
        out.push(Requirement {
            spec,
            hashes: Vec::new(),
        });
    }
    if project
        .and_then(|p| p.get("optional-dependencies"))
        .is_some()
    {
        notices.push(
            "pyproject.toml: [project.optional-dependencies] are not installed (list what the server needs under dependencies)".into(),
        );
    }
    Ok((out, notices))
}

/// Reads a file of the project for the builder itself, refusing symlinks (a repository may point one at
/// any path of the host) and anything larger than `max` bytes.
pub fn read_project_file(root: &Path, name: &str, max: u64) -> Result<Option<String>, BuildError> {
    let path = root.join(name);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BuildError::Project(format!("cannot read {name}: {e}"))),
    };
    if meta.file_type().is_symlink() {
        return Err(BuildError::Project(format!(
            "{name} is a symbolic link; Berth reads it only as a regular file in the repository"
        )));
    }
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > max {
        return Err(BuildError::Project(format!(
            "{name} is {} KiB, over the {} KiB limit",
            meta.len() / 1024,
            max / 1024
        )));
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| BuildError::Project(format!("cannot read {name}: {e}")))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| BuildError::Project(format!("{name} is not UTF-8 text")))
}

/// A project's requirements: the file they came from, the requirements, notices for the build log.
pub type ProjectRequirements = (String, Vec<Requirement>, Vec<String>);

/// The project's requirements, where they came from, and notices for the build log.
pub fn read(source: &Path) -> Result<Option<ProjectRequirements>, BuildError> {
    if let Some(text) = read_project_file(source, "requirements.txt", MAX_REQUIREMENTS_FILE_BYTES)?
    {
        return Ok(Some((
            "requirements.txt".into(),
            parse_requirements_txt(&text)?,
            Vec::new(),
        )));
    }
    if let Some(text) = read_project_file(source, "pyproject.toml", MAX_REQUIREMENTS_FILE_BYTES)? {
        let (reqs, notices) = parse_pyproject(&text)?;
        return Ok(Some(("pyproject.toml".into(), reqs, notices)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        parse_requirements_txt(text)
            .unwrap()
            .iter()
            .map(Requirement::to_pip_line)
            .collect()
    }

    #[test]
    fn names() {
        for (line, name) in [
            ("fastmcp>=2", "fastmcp"),
            ("Pydantic_Core==2.1", "pydantic-core"),
            ("httpx[http2] ; python_version>'3'", "httpx"),
            ("zope.interface", "zope-interface"),
        ] {
            assert_eq!(parse_spec(line).unwrap().name.to_string(), name);
        }
        assert!(parse_spec("-r x").is_err());
    }

    #[test]
    fn pip_gets_the_parsed_form_only() {
        assert_eq!(
            lines(
                "# tools\nfastmcp>=2.0\n\nhttpx # client\nFoo_Bar [X] ==1.* ; python_version >= '3.8'\n"
            ),
            [
                "fastmcp>=2.0",
                "httpx",
                "foo-bar[x]==1.* ; python_full_version >= '3.8'"
            ]
        );
        // pip-compile's output: continuation lines and pinned hashes.
        let digest = "a".repeat(64);
        assert_eq!(
            lines(&format!("attrs==24.2.0 \\\n    --hash=sha256:{digest}\n")),
            [format!("attrs==24.2.0 --hash=sha256:{digest}")]
        );
    }

    /// Security regression: every line that is not a plain PEP 508 requirement is refused by line
    /// number, so nothing of the user's text reaches pip as an option (`-r <key file>` used to print
    /// the key in the build log).
    #[test]
    fn refuses_options_urls_paths_and_control_characters() {
        for (text, line, says) in [
            ("-r /data/secret.key", 1, "pip option"),
            ("httpx\n--requirement=/etc/passwd", 2, "pip option"),
            ("-c constraints.txt", 1, "pip option"),
            ("-e ./lib", 1, "pip option"),
            ("--index-url https://evil.example/simple", 1, "pip option"),
            ("--extra-index-url=https://evil.example", 1, "pip option"),
            ("--find-links /tmp", 1, "pip option"),
            ("--no-binary :all:", 1, "pip option"),
            ("--trusted-host evil.example", 1, "pip option"),
            (
                "httpx --index-url https://evil.example",
                1,
                "only option allowed",
            ),
            ("httpx --hash=md5:abc", 1, "only option allowed"),
            ("https://evil.example/pkg.whl", 1, "not a valid requirement"),
            ("pkg @ https://evil.example/pkg.whl", 1, "URL, path or VCS"),
            ("pkg @ file:///data/secret.key", 1, "URL, path or VCS"),
            (
                "git+https://evil.example/x.git",
                1,
                "not a valid requirement",
            ),
            ("./local/path", 1, "not a valid requirement"),
            ("/abs/path.whl", 1, "not a valid requirement"),
            ("httpx\u{1b}[2J", 1, "control character"),
            ("ok\nhttpx \\", 2, "nothing continues"),
        ] {
            let err = parse_requirements_txt(text).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("requirements.txt line {line}: ")) && err.contains(says),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn pyproject_entries_are_parsed_the_same_way() {
        let (reqs, notices) = parse_pyproject(
            "[project]\nname='x'\ndependencies=['mcp>=1', 'attrs']\n[project.optional-dependencies]\ndev=['pytest']\n",
        )
        .unwrap();
        assert_eq!(
            reqs.iter()
                .map(Requirement::to_pip_line)
                .collect::<Vec<_>>(),
            ["mcp>=1", "attrs"]
        );
        assert_eq!(notices.len(), 1, "{notices:?}");
        for (toml, says) in [
            (
                "[project]\ndependencies=['-r /data/secret.key']",
                "entry 1: `-r /data/secret.key` is a pip option",
            ),
            (
                "[project]\ndependencies=['ok', 'x @ https://e.example/x.whl']",
                "entry 2:",
            ),
            (
                "[project]\ndependencies=[\"a\\nb\"]",
                "entry 1: contains the control character",
            ),
            ("[project]\ndependencies=[1]", "entry 1 is not a string"),
            ("[project]\ndependencies='httpx'", "must be an array"),
            (
                "[tool.poetry.dependencies]\nhttpx='*'",
                "[tool.poetry.dependencies]",
            ),
        ] {
            let err = parse_pyproject(toml).unwrap_err().to_string();
            assert!(err.contains(says), "{toml}: {err}");
        }
    }

    #[test]
    fn project_files_are_read_only_as_regular_files_in_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("secret.key");
        std::fs::write(&outside, "TOPSECRET").unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("requirements.txt")).unwrap();
        let err = read(&root).unwrap_err().to_string();
        assert!(
            err.contains("symbolic link") && !err.contains("TOPSECRET"),
            "{err}"
        );
        std::fs::remove_file(root.join("requirements.txt")).unwrap();
        std::fs::write(root.join("requirements.txt"), vec![b'a'; 2 << 20]).unwrap();
        assert!(read(&root).unwrap_err().to_string().contains("limit"));
    }
}
