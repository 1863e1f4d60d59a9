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
//! as `CACHE TABLE`, checkpoints, writes) goes through [`Executor`] instead, built on the client's
//! own requests (`ExecutePlan`, `ReattachExecute`, `ReleaseExecute`): a result is used only once
//! its `ResultComplete` has arrived.
//!
//! The executor has its own connection to the same session as the [`spark_connect::SparkSession`]
//! (the session id is passed in the connection string), so temporary views made by either are
//! seen by both.

use spark_connect_core::{
    block_on, ChannelBuilder, ExecutePlanResponseReattachableIterator, SparkConnectClient,
    SparkError,
};
use spark_connect_proto as proto;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How many times in a row a dropped connection is reattached before the run stops.
const MAX_RETRIES: u32 = 6;

/// The cluster's error (boxed: the client's error is large).
pub(super) type Failure = Box<SparkError>;

/// Executions on one session that read their results to the end.
pub(super) struct Executor {
    client: SparkConnectClient,
    /// Streams resumed with `ReattachExecute` since the session began (a test reads it).
    reattached: AtomicU64,
}

impl Executor {
    /// Connects to `url` (a Spark Connect address, token included) on the session `session_id`.
    pub(super) fn connect(url: &str, session_id: &str) -> Result<Executor, Failure> {
        let url = if url.contains("session_id=") {
            url.to_string()
        } else if url.contains(';') {
            format!("{url};session_id={session_id}")
        } else {
            format!("{}/;session_id={session_id}", url.trim_end_matches('/'))
        };
        let builder = ChannelBuilder::parse(&url).map_err(Box::new)?;
        let client = block_on(SparkConnectClient::connect(&builder)).map_err(Box::new)?;
        Ok(Executor {
            client,
            reattached: AtomicU64::new(0),
        })
    }

    /// Streams resumed with `ReattachExecute` so far.
    pub(super) fn reattached(&self) -> u64 {
        self.reattached.load(Ordering::Relaxed)
    }

    /// Runs `op` and returns every response up to and including `ResultComplete`.
    ///
    /// A stream that ends before `ResultComplete` is resumed with `ReattachExecute` from the last
    /// response read (the server keeps the responses it has not been told to release), as is a
    /// stream dropped with `UNAVAILABLE` (at most [`MAX_RETRIES`] times in a row, with backoff).
    /// The execution is released on the server when this returns, whatever the outcome.
    pub(super) fn run(
        &self,
        op: proto::plan::OpType,
    ) -> Result<Vec<proto::ExecutePlanResponse>, Failure> {
        let request = proto::ExecutePlanRequest {
            session_id: self.client.session_id().to_string(),
            // as the client's own requests: the session is keyed on the same (empty) user
            user_context: Some(proto::UserContext::default()),
            plan: Some(proto::Plan { op_type: Some(op) }),
            ..Default::default()
        };
        // sets a fresh operation id and asks for a reattachable execution
        let execution = ExecutePlanResponseReattachableIterator::new(request);
        let result = self.read_all(&execution);
        let release = block_on(execution.create_release_request(true));
        let _ = block_on(self.client.release_execute(release));
        result
    }

    fn read_all(
        &self,
        execution: &ExecutePlanResponseReattachableIterator,
    ) -> Result<Vec<proto::ExecutePlanResponse>, Failure> {
        let mut stream =
            block_on(self.client.execute_plan(execution.request().clone())).map_err(Box::new)?;
        let mut responses = Vec::new();
        let mut retries = 0u32;
        loop {
            match block_on(stream.message()) {
                Ok(Some(response)) => {
                    retries = 0;
                    block_on(execution.set_last_response_id(&response));
                    responses.push(response);
                    if block_on(execution.is_completed()) {
                        return Ok(responses);
                    }
                    continue;
                }
                // the server ended the stream (its time or size limit); the execution goes on
                Ok(None) => {}
                Err(status)
                    if status.code() == tonic::Code::Unavailable && retries < MAX_RETRIES =>
                {
                    std::thread::sleep(Duration::from_millis(100 << retries));
                    retries += 1;
                }
                Err(status) => return Err(Box::new(SparkError::from_grpc_status(status))),
            }
            let reattach = block_on(execution.create_reattach_request());
            stream = block_on(self.client.reattach_execute(reattach)).map_err(Box::new)?;
            self.reattached.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The whole result of a query: every Arrow batch of `responses` in one Arrow IPC file, as
/// Polars reads it. The server sends at least one batch, holding the schema, even for no rows; a
/// result without any is an error, so that an empty frame without columns is never taken for
/// "no rows".
pub(super) fn arrow_file(responses: &[proto::ExecutePlanResponse]) -> Result<Vec<u8>, String> {
    use arrow_ipc::reader::StreamReader;
    use arrow_ipc::writer::FileWriter;
    use proto::execute_plan_response::ResponseType;
    let mut out = Vec::new();
    let mut writer: Option<FileWriter<&mut Vec<u8>>> = None;
    for response in responses {
        let Some(ResponseType::ArrowBatch(batch)) = &response.response_type else {
            continue;
        };
        let reader = StreamReader::try_new(std::io::Cursor::new(&batch.data), None)
            .map_err(|e| format!("an Arrow batch that does not read: {e}"))?;
        if writer.is_none() {
            let file = FileWriter::try_new(&mut out, reader.schema().as_ref())
                .map_err(|e| format!("writing the Arrow result: {e}"))?;
            writer = Some(file);
        }
        let file = writer.as_mut().expect("set above");
        for rows in reader {
            let rows = rows.map_err(|e| format!("an Arrow batch that does not read: {e}"))?;
            file.write(&rows)
                .map_err(|e| format!("writing the Arrow result: {e}"))?;
        }
    }
    let Some(mut file) = writer else {
        return Err("no Arrow batch came back (not even the schema)".into());
    };
    file.finish()
        .map_err(|e| format!("writing the Arrow result: {e}"))?;
    drop(file);
    Ok(out)
}

/// A plan's root: the rows of the SQL text `query`.
pub(super) fn sql(query: &str) -> proto::Relation {
    proto::Relation {
        common: None,
        rel_type: Some(proto::relation::RelType::Sql(proto::Sql {
            query: query.to_string(),
            ..Default::default()
        })),
    }
}
