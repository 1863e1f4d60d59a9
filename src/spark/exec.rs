//! Runs plans on the cluster and reads their whole results, reattaching when the server ends a
//! result stream before the result is complete.
//!
//! A Spark Connect server sends a result on a stream it ends after
//! `spark.connect.execute.reattachable.senderMaxStreamDuration` (2 minutes by default) or
//! `senderMaxStreamSize` bytes (1 GiB), while the query goes on running; the client is expected
//! to reattach (`ReattachExecute`) from the last response it read, until a `ResultComplete`
//! response says that the result is whole. The Rust client's own stream (4.2.0) takes a stream
//! that ends without `ResultComplete` as the end of the result, so a query that ran longer than
//! the limit came back short or empty. Every execution that reads data (queries, statements such
//! as `CACHE TABLE`, checkpoints, writes, views of file reads and of rows made here) goes through
//! [`Executor`] instead, built on the client's
//! own requests (`ExecutePlan`, `ReattachExecute`, `ReleaseExecute`): a result counts as whole,
//! and its reading succeeds, only once its `ResultComplete` has arrived (a reader that takes the
//! responses as they come, [`Executor::run_each`], has its work thrown away on a failure).
//!
//! The executor has its own connection to the same session as the [`spark_connect::SparkSession`]
//! (the session id is passed in the connection string), so temporary views made by either are
//! seen by both.

use spark_connect_core::{
    block_on, ChannelBuilder, ExecutePlanResponseReattachableIterator, RetryPolicy,
    RetryPolicyState, SparkConnectClient, SparkError,
};
use spark_connect_proto as proto;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tonic::Streaming;

/// How long a stream may stay silent before it is reattached: longer than a server's stream
/// limit (2 minutes by default), so only a connection that died without a word is cut.
const SILENCE: Duration = Duration::from_secs(300);

/// Streams in a row that end at once with nothing sent before the run stops (a server that
/// ends every stream without running anything would otherwise be asked forever).
const MAX_EMPTY_IN_A_ROW: u32 = 50;

/// The cluster's error (boxed: the client's error is large).
pub(super) type Failure = Box<SparkError>;

/// Why an execution whose responses are handed on as they come ([`Executor::run_each`]) failed.
pub(super) enum RunError<E> {
    /// The cluster's failure.
    Cluster(Failure),
    /// The error the reader of the responses gave.
    Reading(E),
}

impl<E> From<Failure> for RunError<E> {
    fn from(failure: Failure) -> Self {
        RunError::Cluster(failure)
    }
}

/// Executions on one session that read their results to the end.
pub(super) struct Executor {
    client: SparkConnectClient,
    /// The server's id of the session, from its first response: a later response with another
    /// id means the server lost the session (a restart), and with it the views and settings.
    server_session: Mutex<Option<String>>,
    /// Streams resumed with `ReattachExecute` since the session began (a test reads it).
    reattached: AtomicU64,
    /// Local relations sent as cached artifacts since the session began (a test reads it).
    cached: AtomicU64,
}

impl Executor {
    /// Connects to `url` (a Spark Connect address, token included) on the session `session_id`.
    pub(super) fn connect(url: &str, session_id: &str) -> Result<Executor, Failure> {
        let url = if url.contains(';') {
            format!("{url};session_id={session_id}")
        } else {
            format!("{}/;session_id={session_id}", url.trim_end_matches('/'))
        };
        let builder = ChannelBuilder::parse(&url).map_err(Box::new)?;
        let client = block_on(SparkConnectClient::connect(&builder)).map_err(Box::new)?;
        Ok(Executor {
            client,
            server_session: Mutex::new(None),
            reattached: AtomicU64::new(0),
            cached: AtomicU64::new(0),
        })
    }

    /// Streams resumed with `ReattachExecute` so far.
    pub(super) fn reattached(&self) -> u64 {
        self.reattached.load(Ordering::Relaxed)
    }

    /// Local relations sent as cached artifacts so far.
    pub(super) fn relations_cached(&self) -> u64 {
        self.cached.load(Ordering::Relaxed)
    }

    /// Uploads `local` as an artifact of the session, `cache/` and the SHA-256 of its encoding
    /// (the client sends a file in 32 KiB chunks, each checked by CRC), and returns the
    /// `CachedLocalRelation` that reads it back on the server. This is how Spark's own clients
    /// send a local relation larger than `spark.sql.session.localRelationCacheThreshold`: no
    /// message comes near the server's `spark.connect.grpc.maxInboundMessageSize`, which a plan
    /// holding the data would pass.
    pub(super) fn cached_relation(
        &self,
        local: &proto::LocalRelation,
    ) -> Result<proto::Relation, Failure> {
        use prost::Message;
        use sha2::Digest;
        let bytes = local.encode_to_vec();
        let hash = format!("{:x}", sha2::Sha256::digest(&bytes));
        // the client uploads files: a file of this process's own, made new (never an existing
        // one or a link), removed whatever the upload's outcome
        let path = std::env::temp_dir().join(format!(
            "amlscreen-relation-{}-{}-{hash}.bin",
            std::process::id(),
            self.cached.load(Ordering::Relaxed)
        ));
        let written = (|| -> std::io::Result<()> {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            // readable by this user only: it holds the run's data (transaction ids, accounts)
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&path)?;
            file.write_all(&bytes)?;
            file.sync_all()
        })();
        drop(bytes);
        let uploaded = written
            .map_err(|e| {
                Box::new(SparkError::connect_msg(format!(
                    "cannot write {} to upload it: {e}",
                    path.display()
                )))
            })
            .and_then(|()| {
                let name = format!("cache/{hash}");
                let file = path.to_string_lossy();
                block_on(self.client.add_named_artifact(&name, &file)).map_err(Box::new)
            });
        let _ = std::fs::remove_file(&path);
        uploaded?;
        self.cached.fetch_add(1, Ordering::Relaxed);
        Ok(relation(proto::relation::RelType::CachedLocalRelation(
            proto::CachedLocalRelation { hash },
        )))
    }

    /// Runs `op` and returns every response up to and including `ResultComplete`.
    ///
    /// A stream that ends before `ResultComplete`, or stays silent for [`SILENCE`], is resumed
    /// with `ReattachExecute` from the last response read (the server keeps the responses it
    /// has not been told to release). Transient failures (`UNAVAILABLE`, a lost cursor) are
    /// retried with the client's default policy (15 times, backoff from 1 s to 64 s). The
    /// execution is released on the server when this returns, whatever the outcome.
    pub(super) fn run(
        &self,
        op: proto::plan::OpType,
    ) -> Result<Vec<proto::ExecutePlanResponse>, Failure> {
        let mut responses = Vec::new();
        let read = self.run_each(op, &mut |response| {
            responses.push(response);
            Ok::<(), std::convert::Infallible>(())
        });
        match read {
            Ok(()) => Ok(responses),
            Err(RunError::Cluster(failure)) => Err(failure),
            Err(RunError::Reading(never)) => match never {},
        }
    }

    /// [`Executor::run`], handing each response to `on_response` as it is read instead of
    /// holding them: what a result holds at once is one response. An error `on_response` gives
    /// ends the execution and is returned as it is.
    pub(super) fn run_each<E>(
        &self,
        op: proto::plan::OpType,
        on_response: &mut dyn FnMut(proto::ExecutePlanResponse) -> Result<(), E>,
    ) -> Result<(), RunError<E>> {
        let request = proto::ExecutePlanRequest {
            session_id: self.client.session_id().to_string(),
            // as the client's own requests: the session is keyed on the same (empty) user
            user_context: Some(proto::UserContext::default()),
            // the server refuses the request if it no longer holds the session it answered from
            client_observed_server_side_session_id: self.server_session.lock().unwrap().clone(),
            plan: Some(proto::Plan { op_type: Some(op) }),
            ..Default::default()
        };
        // sets a fresh operation id and asks for a reattachable execution
        let execution = ExecutePlanResponseReattachableIterator::new(request);
        let result = self.read_all(&execution, on_response);
        let release = block_on(execution.create_release_request(true));
        let _ = block_on(self.client.release_execute(release));
        result
    }

    fn read_all<E>(
        &self,
        execution: &ExecutePlanResponseReattachableIterator,
        on_response: &mut dyn FnMut(proto::ExecutePlanResponse) -> Result<(), E>,
    ) -> Result<(), RunError<E>> {
        let policy = RetryPolicy::default();
        let mut retry = RetryPolicyState::new(policy.clone());
        // the first call: sent again after a transient failure; once the server holds the
        // operation (the failure came after it arrived), reattached to
        let mut stream = loop {
            match block_on(self.client.execute_plan(execution.request().clone())) {
                Ok(stream) => break stream,
                Err(e) if e.message().contains("OPERATION_ALREADY_EXISTS") => {
                    break self.reattach(execution, &mut retry)?;
                }
                Err(e) if transient(&e) => wait(&mut retry, e)?,
                Err(e) => return Err(RunError::Cluster(Box::new(e))),
            }
        };
        let mut empty_in_a_row = 0u32;
        loop {
            let opened = Instant::now();
            let mut read = 0usize;
            loop {
                let next =
                    block_on(async { tokio::time::timeout(SILENCE, stream.message()).await });
                match next {
                    Ok(Ok(Some(response))) => {
                        read += 1;
                        retry = RetryPolicyState::new(policy.clone());
                        self.same_session(&response)?;
                        block_on(execution.set_last_response_id(&response));
                        on_response(response).map_err(RunError::Reading)?;
                        if block_on(execution.is_completed()) {
                            return Ok(());
                        }
                    }
                    // the server ended the stream (its time or size limit); the execution goes on
                    Ok(Ok(None)) => break,
                    Ok(Err(status)) if policy.can_retry(&status) => {
                        wait(&mut retry, SparkError::from_grpc_status(status))?;
                        break;
                    }
                    Ok(Err(status)) => {
                        return Err(RunError::Cluster(Box::new(SparkError::from_grpc_status(
                            status,
                        ))))
                    }
                    // silent for too long: the connection may be gone
                    Err(_) => break,
                }
            }
            if read == 0 && opened.elapsed() < Duration::from_secs(1) {
                empty_in_a_row += 1;
                if empty_in_a_row > MAX_EMPTY_IN_A_ROW {
                    return Err(RunError::Cluster(Box::new(SparkError::connect_msg(format!(
                        "the server ended {empty_in_a_row} result streams in a row at once without a response"
                    )))));
                }
                std::thread::sleep(Duration::from_millis(100));
            } else {
                empty_in_a_row = 0;
            }
            stream = self.reattach(execution, &mut retry)?;
        }
    }

    /// Resumes the execution's stream after the last response read.
    fn reattach(
        &self,
        execution: &ExecutePlanResponseReattachableIterator,
        retry: &mut RetryPolicyState,
    ) -> Result<Streaming<proto::ExecutePlanResponse>, Failure> {
        loop {
            let mut request = block_on(execution.create_reattach_request());
            request.client_observed_server_side_session_id =
                self.server_session.lock().unwrap().clone();
            match block_on(self.client.reattach_execute(request)) {
                Ok(stream) => {
                    self.reattached.fetch_add(1, Ordering::Relaxed);
                    return Ok(stream);
                }
                Err(e) if transient(&e) => wait(retry, e)?,
                Err(e) => return Err(Box::new(e)),
            }
        }
    }

    /// Fails when the server answers from another session than before (it lost ours).
    fn same_session(&self, response: &proto::ExecutePlanResponse) -> Result<(), Failure> {
        let id = &response.server_side_session_id;
        if id.is_empty() {
            return Ok(());
        }
        let mut known = self.server_session.lock().unwrap();
        match known.as_deref() {
            None => *known = Some(id.clone()),
            Some(k) if k == id => {}
            Some(_) => {
                return Err(Box::new(SparkError::connect_msg(
                    "the server no longer holds this run's session (was it restarted?): its views and settings are gone",
                )))
            }
        }
        Ok(())
    }
}

/// Whether a failed call is worth making again: the server was unreachable, or the stream's
/// cursor was lost (as the client's own retry policy decides for a gRPC status).
fn transient(error: &SparkError) -> bool {
    const UNAVAILABLE: i32 = tonic::Code::Unavailable as i32;
    const INTERNAL: i32 = tonic::Code::Internal as i32;
    match error.grpc_code() {
        Some(UNAVAILABLE) => true,
        Some(INTERNAL) => error.message().contains("INVALID_CURSOR.DISCONNECTED"),
        _ => false,
    }
}

/// Waits before the next try, or gives `error` back when the retry budget is spent.
fn wait(retry: &mut RetryPolicyState, error: SparkError) -> Result<(), Failure> {
    match retry.next_attempt(None) {
        Some(ms) => {
            std::thread::sleep(Duration::from_millis(ms));
            Ok(())
        }
        None => Err(Box::new(error)),
    }
}

/// A result's Arrow batches read one response at a time, checked as they come: they follow
/// each other without a gap or a repeat, hold the rows they say, and share their columns. The
/// server sends at least one batch, holding the schema, even for no rows; a result without any
/// is an error ([`ArrowBatches::finish`]), so that an empty frame without columns is never
/// taken for "no rows".
#[derive(Default)]
pub(super) struct ArrowBatches {
    schema: Option<arrow_schema::SchemaRef>,
    /// Rows read so far.
    total: i64,
}

impl ArrowBatches {
    /// The record batches of `response`, or `None` when it holds none (a metric, the end).
    fn read(
        &mut self,
        response: &proto::ExecutePlanResponse,
    ) -> Result<Option<Vec<arrow_array::RecordBatch>>, String> {
        use arrow_ipc::reader::StreamReader;
        use proto::execute_plan_response::ResponseType;
        let Some(ResponseType::ArrowBatch(batch)) = &response.response_type else {
            return Ok(None);
        };
        let total = self.total;
        if batch.start_offset.is_some_and(|at| at != total) {
            return Err(format!(
                "an Arrow batch starts at row {} where {total} rows had come",
                batch.start_offset.unwrap_or_default()
            ));
        }
        let reader = StreamReader::try_new(std::io::Cursor::new(&batch.data), None)
            .map_err(|e| format!("an Arrow batch that does not read: {e}"))?;
        match &self.schema {
            None => self.schema = Some(reader.schema()),
            Some(first) if *first == reader.schema() => {}
            Some(_) => return Err("Arrow batches with different columns".into()),
        }
        let rows = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("an Arrow batch that does not read: {e}"))?;
        let rows_read: i64 = rows.iter().map(|r| r.num_rows() as i64).sum();
        if rows_read != batch.row_count {
            return Err(format!(
                "an Arrow batch of {} rows held {rows_read}",
                batch.row_count
            ));
        }
        self.total += rows_read;
        Ok(Some(rows))
    }

    /// The rows of `response` as one Arrow IPC file, as Polars reads it; `None` when it holds
    /// no batch.
    pub(super) fn file_of(
        &mut self,
        response: &proto::ExecutePlanResponse,
    ) -> Result<Option<Vec<u8>>, String> {
        use arrow_ipc::writer::FileWriter;
        let Some(rows) = self.read(response)? else {
            return Ok(None);
        };
        let schema = self.schema.clone().expect("set by the batch read");
        let mut out = Vec::new();
        let mut file = FileWriter::try_new(&mut out, schema.as_ref())
            .map_err(|e| format!("writing the Arrow result: {e}"))?;
        for rows in &rows {
            file.write(rows)
                .map_err(|e| format!("writing the Arrow result: {e}"))?;
        }
        file.finish()
            .map_err(|e| format!("writing the Arrow result: {e}"))?;
        drop(file);
        Ok(Some(out))
    }

    /// Fails when no batch came at all (not even the schema).
    pub(super) fn finish(&self) -> Result<(), String> {
        match self.schema {
            Some(_) => Ok(()),
            None => Err("no Arrow batch came back (not even the schema)".into()),
        }
    }
}

/// A relation of the kind `rel_type`, without a plan id.
pub(super) fn relation(rel_type: proto::relation::RelType) -> proto::Relation {
    proto::Relation {
        common: None,
        rel_type: Some(rel_type),
    }
}

/// A plan's root: the rows of the SQL text `query`.
pub(super) fn sql(query: &str) -> proto::Relation {
    relation(proto::relation::RelType::Sql(proto::Sql {
        query: query.to_string(),
        ..Default::default()
    }))
}

/// Rows made here as a `LocalRelation`: one Arrow IPC stream of `rows`, whose columns are those
/// of the struct type `schema`, `BIGINT` or `STRING` (values `Long`, `String` or `Null`). No rows
/// send the schema alone (a stream without a batch is not read by the server).
pub(super) fn local_relation(
    rows: &[spark_connect::row::Row],
    schema: &spark_connect::DataType,
) -> Result<proto::Relation, String> {
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{Field, Schema};
    use spark_connect::row::Value;
    use spark_connect::DataType;
    use std::sync::Arc;
    fn cell(row: &spark_connect::row::Row, k: usize) -> &Value {
        row.get(k).unwrap_or(&Value::Null)
    }
    let DataType::Struct { fields } = schema else {
        return Err(format!(
            "a local relation needs a struct type, got {schema:?}"
        ));
    };
    let data = if rows.is_empty() {
        None
    } else {
        let mut arrow_fields = Vec::with_capacity(fields.len());
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.len());
        for (k, field) in fields.iter().enumerate() {
            let wrong = |value: &Value, kind: &str| {
                format!("column {}: {value:?} is not a {kind}", field.name)
            };
            let column: ArrayRef = match &field.data_type {
                DataType::Long => Arc::new(
                    rows.iter()
                        .map(|row| match cell(row, k) {
                            Value::Long(v) => Ok(Some(*v)),
                            Value::Null => Ok(None),
                            other => Err(wrong(other, "BIGINT")),
                        })
                        .collect::<Result<Int64Array, String>>()?,
                ),
                DataType::String { .. } => Arc::new(
                    rows.iter()
                        .map(|row| match cell(row, k) {
                            Value::String(v) => Ok(Some(v.as_str())),
                            Value::Null => Ok(None),
                            other => Err(wrong(other, "STRING")),
                        })
                        .collect::<Result<StringArray, String>>()?,
                ),
                other => return Err(format!("column {}: type {other:?} is not sent", field.name)),
            };
            arrow_fields.push(Field::new(
                &field.name,
                column.data_type().clone(),
                field.nullable,
            ));
            columns.push(column);
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(arrow_fields)), columns)
            .map_err(|e| e.to_string())?;
        Some(batch)
    };
    arrow_relation(data.as_ref(), schema)
}

/// One `STRING` column `name` (a plain identifier) made here as a `LocalRelation`, built
/// straight from the values (a large list, such as the evidence's ids, is not made into rows).
/// No values send the schema alone, as [`local_relation`] does.
pub(super) fn text_relation<'a>(
    name: &str,
    values: impl ExactSizeIterator<Item = &'a str>,
) -> Result<proto::Relation, String> {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let schema =
        spark_connect::DataType::from_ddl(&format!("{name} STRING")).map_err(|e| e.to_string())?;
    let data = if values.len() == 0 {
        None
    } else {
        let column: ArrayRef = Arc::new(values.map(Some).collect::<StringArray>());
        let field = Field::new(name, DataType::Utf8, true);
        let batch = RecordBatch::try_new(Arc::new(Schema::new(vec![field])), vec![column])
            .map_err(|e| e.to_string())?;
        Some(batch)
    };
    arrow_relation(data.as_ref(), &schema)
}

/// A `LocalRelation` of the struct type `schema` holding `batch` as one Arrow IPC stream, or the
/// schema alone without a batch (a stream without a batch is not read by the server).
fn arrow_relation(
    batch: Option<&arrow_array::RecordBatch>,
    schema: &spark_connect::DataType,
) -> Result<proto::Relation, String> {
    use arrow_ipc::writer::StreamWriter;
    let data = match batch {
        None => None,
        Some(batch) => {
            let mut bytes = Vec::new();
            let mut writer =
                StreamWriter::try_new(&mut bytes, &batch.schema()).map_err(|e| e.to_string())?;
            writer.write(batch).map_err(|e| e.to_string())?;
            writer.finish().map_err(|e| e.to_string())?;
            drop(writer);
            Some(bytes.into())
        }
    };
    Ok(relation(proto::relation::RelType::LocalRelation(
        proto::LocalRelation {
            data,
            schema: Some(schema.json()),
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, Int64Array, StringArray};
    use spark_connect::row::{Row, Value};
    use spark_connect::DataType;

    fn batch_of(relation: proto::Relation) -> (Option<String>, Option<arrow_array::RecordBatch>) {
        let Some(proto::relation::RelType::LocalRelation(local)) = relation.rel_type else {
            panic!("not a local relation");
        };
        let batch = local.data.map(|data| {
            let mut reader =
                arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(data.to_vec()), None)
                    .expect("an Arrow stream");
            let batch = reader.next().expect("one batch").expect("a readable batch");
            assert!(reader.next().is_none(), "one batch only");
            batch
        });
        (local.schema, batch)
    }

    #[test]
    fn rows_made_here_go_out_as_one_arrow_batch_with_their_nulls() {
        let schema = DataType::from_ddl("ep BIGINT, subject STRING").unwrap();
        let names = vec!["ep".to_string(), "subject".to_string()];
        let rows = vec![
            Row::new(
                names.clone(),
                vec![Value::Long(7), Value::String("ACC-1".into())],
            ),
            Row::new(names.clone(), vec![Value::Null, Value::Null]),
            Row::new(names, vec![Value::Long(-3), Value::String("é".into())]),
        ];
        let (json, batch) = batch_of(local_relation(&rows, &schema).unwrap());
        assert_eq!(json.as_deref(), Some(schema.json().as_str()));
        let batch = batch.expect("data");
        assert_eq!(batch.num_rows(), 3);
        let ep = batch
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(ep.iter().collect::<Vec<_>>(), [Some(7), None, Some(-3)]);
        let subject = batch
            .column(1)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(
            subject.iter().collect::<Vec<_>>(),
            [Some("ACC-1"), None, Some("é")]
        );
        assert_eq!(batch.schema().field(1).name(), "subject");
    }

    #[test]
    fn a_text_column_is_sent_as_one_string_column_and_no_values_as_the_schema_alone() {
        let (json, batch) = batch_of(text_relation("txn_id", ["T1", "é"].into_iter()).unwrap());
        let json = json.expect("schema");
        assert!(json.contains("txn_id") && json.contains("string"), "{json}");
        let batch = batch.expect("data");
        assert_eq!(batch.schema().field(0).name(), "txn_id");
        let ids = batch
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(ids.iter().collect::<Vec<_>>(), [Some("T1"), Some("é")]);
        let (json, batch) = batch_of(text_relation("txn_id", std::iter::empty()).unwrap());
        assert!(batch.is_none());
        assert!(json.expect("schema").contains("txn_id"));
    }

    #[test]
    fn no_rows_send_the_schema_alone_and_a_wrong_value_is_refused() {
        let schema = DataType::from_ddl("txn_id STRING").unwrap();
        let (json, batch) = batch_of(local_relation(&[], &schema).unwrap());
        assert!(batch.is_none());
        assert!(json.unwrap().contains("txn_id"));
        let rows = vec![Row::new(vec!["txn_id".into()], vec![Value::Long(1)])];
        let refused = local_relation(&rows, &schema).unwrap_err();
        assert!(
            refused.contains("txn_id") && refused.contains("STRING"),
            "{refused}"
        );
    }
}
