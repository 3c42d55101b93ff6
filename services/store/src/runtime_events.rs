//! Runtime log events: written in batches (by the runtime log's writer, never per request), read with
//! the log's filters, deleted past the retention period. The events come redacted and bounded.

use crate::{Store, StoreError};
use berth_core::LogLevel;
use berth_core::runlog::{EventKind, LogFilter, RuntimeEvent};
use sqlx::Any;

/// Rows per `INSERT` (each binds 9 values; both databases take far more parameters than this needs).
const INSERT_CHUNK: usize = 50;

/// Columns of `VALUES`, as both databases name them: `column1` ... `column9`.
const VALUE_COLUMNS: &str =
    "column1, column2, column3, column4, column5, column6, column7, column8, column9";

fn level_rank(level: LogLevel) -> i64 {
    level as i64
}

fn level_of(rank: i64) -> LogLevel {
    [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Notice,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
        LogLevel::Alert,
        LogLevel::Emergency,
    ]
    .get(usize::try_from(rank).unwrap_or(0))
    .copied()
    .unwrap_or(LogLevel::Info)
}

impl Store {
    /// Writes events; one already stored (the same `seq`) is skipped, and so is one whose project no
    /// longer exists (it was deleted while the event waited).
    pub async fn append_runtime_events<E: std::borrow::Borrow<RuntimeEvent>>(
        &self,
        events: &[E],
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        for chunk in events.chunks(INSERT_CHUNK) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 9;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8,
                        b + 9
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO runtime_events (seq, project_id, deployment_id, at, level, kind, tool, is_error, detail) \
                 SELECT {VALUE_COLUMNS} FROM (VALUES {}) AS v WHERE column2 IN (SELECT id FROM projects) \
                 ON CONFLICT (seq) DO NOTHING",
                rows.join(", ")
            );
            let mut query = sqlx::query::<Any>(&sql);
            for e in chunk {
                let e: &RuntimeEvent = e.borrow();
                query = query
                    .bind(e.seq)
                    .bind(e.project_id.clone())
                    .bind(e.deployment_id.clone())
                    .bind(e.at_ms)
                    .bind(level_rank(e.level))
                    .bind(e.kind.name())
                    .bind(e.tool.clone())
                    .bind(e.is_error())
                    .bind(e.detail_json());
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The project's events that pass `filter`, in `seq` order: after its cursor the oldest
    /// `filter.limit`, else the newest.
    pub async fn runtime_events(
        &self,
        project_id: &str,
        filter: &LogFilter,
    ) -> Result<Vec<RuntimeEvent>, StoreError> {
        let mut sql = String::from(
            "SELECT seq, deployment_id, at, level, tool, detail FROM runtime_events WHERE project_id = $1",
        );
        let mut n = 1;
        let mut cond = |sql: &mut String, cond: &str| {
            n += 1;
            sql.push_str(&format!(" AND {cond} ${n}"));
        };
        if filter.deployment_id.is_some() {
            cond(&mut sql, "deployment_id =");
        }
        if filter.min_level.is_some() {
            cond(&mut sql, "level >=");
        }
        if filter.tool.is_some() {
            cond(&mut sql, "tool =");
        }
        if filter.errors_only {
            cond(&mut sql, "is_error =");
        }
        if filter.since_ms.is_some() {
            cond(&mut sql, "at >=");
        }
        if filter.after_seq.is_some() {
            cond(&mut sql, "seq >");
        }
        let newest_first = filter.after_seq.is_none();
        let order = if newest_first { "DESC" } else { "ASC" };
        sql.push_str(&format!(" ORDER BY seq {order} LIMIT ${}", n + 1));

        let mut query = sqlx::query::<Any>(&sql).bind(project_id.to_string());
        if let Some(d) = &filter.deployment_id {
            query = query.bind(d.clone());
        }
        if let Some(l) = filter.min_level {
            query = query.bind(level_rank(l));
        }
        if let Some(t) = &filter.tool {
            query = query.bind(t.clone());
        }
        if filter.errors_only {
            query = query.bind(true);
        }
        if let Some(s) = filter.since_ms {
            query = query.bind(s);
        }
        if let Some(a) = filter.after_seq {
            query = query.bind(a);
        }
        let limit = i64::try_from(filter.capped_limit()).unwrap_or(i64::MAX);
        let rows = query.bind(limit).fetch_all(&self.pool).await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut c = crate::rows::Cols::new(row);
            let seq: i64 = c.next()?;
            let deployment_id: String = c.next()?;
            let at_ms: i64 = c.next()?;
            let level: i64 = c.next()?;
            let tool: Option<String> = c.next()?;
            let detail: String = c.next()?;
            let kind: EventKind = serde_json::from_str(&detail)
                .map_err(|e| StoreError::Backend(format!("runtime event {seq} is damaged: {e}")))?;
            events.push(RuntimeEvent {
                seq,
                at_ms,
                project_id: project_id.to_string(),
                deployment_id,
                level: level_of(level),
                tool,
                kind,
            });
        }
        if newest_first {
            events.reverse();
        }
        Ok(events)
    }

    /// Deletes events older than `before_ms` (unix ms); returns how many went.
    pub async fn prune_runtime_events(&self, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM runtime_events WHERE at < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_through_their_rank() {
        for l in [LogLevel::Debug, LogLevel::Warning, LogLevel::Emergency] {
            assert_eq!(level_of(level_rank(l)), l);
        }
        assert_eq!(level_of(99), LogLevel::Info);
    }
}
