-- Hosts a project's deployments may reach over HTTP beyond those its berth.toml allows, set in the
-- project's settings (REST API, CLI, dashboard) and applied without a rebuild. A JSON array of allow
-- list entries (`api.example.com`, `*.example.com`, `10.0.0.5:8443`), each checked when it is set.
ALTER TABLE projects ADD COLUMN network_allow_json TEXT NOT NULL DEFAULT '[]';
