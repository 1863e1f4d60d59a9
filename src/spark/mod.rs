//! The Spark engine (`--engine spark`, cargo feature `spark`): everything that grows with the
//! transactions runs on a Spark cluster through Spark Connect; packs, profiles, the FX table
//! and watchlists are read here, and only results that grow with the alerts come back (counts,
//! hits, the alerts' evidence), the larger of them read a piece at a time as they come
//! ([`Spark::query_frames`]). See `docs/spark.md` for the design and what is done.
//!
//! Results cross as Arrow IPC bytes read by Polars, so the client's arrow-rs and Polars' arrow
//! never meet. The client is synchronous and runs its own runtime: it must not be called from
//! inside a tokio runtime (amlscreen has none).

pub mod alerts;
mod exec;
pub mod flow;
pub mod ingest;
pub mod layering;
pub mod measures;
pub mod paths;
pub mod rules;
pub mod run;
pub mod sql;
pub mod strftime;

use crate::engine::SparkTarget;
use crate::ingest::IngestError;
use crate::model::InputSummary;
use ingest::{CheckContext, ReadSpec, SparkFormat, SparkInput};
use polars::prelude::*;
use spark_connect::SparkSession;
use spark_connect_proto as proto;
use spark_connect_proto::command::CommandType;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use thiserror::Error;

/// Why a Spark run stopped.
#[derive(Debug, Error)]
pub enum SparkEngineError {
    /// The cluster refused or failed a request; `what` says which step, `message` is the
    /// cluster's message (its first line: the rest repeats the whole plan).
    #[error("Spark at {remote}: {what}: {message}")]
    Cluster {
        remote: String,
        what: String,
        message: String,
    },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The evidence's local spill file could not be written or read back.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::SpillError),
    /// A result came back in a shape this engine did not ask for.
    #[error("Spark at {remote}: {what}: unexpected result: {reason}")]
    Result {
        remote: String,
        what: String,
        reason: String,
    },
}

/// The first line of a cluster's error, at most 600 characters.
fn first_line(error: &spark_connect::SparkError) -> String {
    let text = error.to_string();
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(600) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// The most bytes of local rows sent inside a plan (what Spark's own clients send inline,
/// `spark.sql.session.localRelationCacheThreshold`); more go up as a cached artifact.
const MAX_INLINE_RELATION: usize = 64 << 20;

/// A size as Spark writes one: digits, then an optional unit (`b`, `k`, `kb`, `m`, `mb`, `g`,
/// `gb`, `t`, `tb`; bytes without one), any case.
fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let shift = match &text[digits..] {
        "" | "b" => 0,
        "k" | "kb" => 10,
        "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}

/// A connected session, with the settings both engines must agree on.
pub struct Spark {
    session: SparkSession,
    /// Runs what reads data and reads its results to the end (see [`exec`]).
    exec: exec::Executor,
    remote: String,
    target: SparkTarget,
    /// The largest local relation sent inside a plan; a larger one goes up as a cached
    /// artifact (see [`Spark::view_of`]).
    upload_limit: usize,
    /// Pieces of evidence rows read back, since the session began.
    evidence_pieces: std::sync::atomic::AtomicU64,
    /// The hits merged at once (see [`Spark::set_hit_chunk_rows`]).
    hit_chunk_rows: usize,
    /// Pieces of hits merged apart from the rest of their rule's, since the session began.
    hit_chunks: std::sync::atomic::AtomicU64,
    /// What was made from the rows the rules read now (see [`Derived`]).
    derived: std::sync::Mutex<Derived>,
    /// Views of chains not materialized again, since the session began.
    views_reused: std::sync::atomic::AtomicU64,
}

/// The views made from the rows the rules read that still hold what those rows give; caching
/// new rows forgets them all ([`Spark::forget_derived`]).
#[derive(Default)]
struct Derived {
    /// Views that depend on the rows alone (the parties without an account, the money-flow
    /// graph's edges, the holders' own-account groups): made once a run, for the first rule that needs them (see
    /// [`Spark::derive_once`]).
    views: std::collections::BTreeSet<&'static str>,
    /// The chain of views each family last materialized (see [`Spark::checkpoint_chain`]).
    chains: HashMap<&'static str, Vec<flow::ChainView>>,
}

impl Spark {
    /// Connects to the target's cluster and sets the session: UTC session time zone, ANSI mode
    /// on (casts and overflows fail instead of giving null), Parquet timestamps as microseconds.
    pub fn connect(target: &SparkTarget) -> Result<Spark, SparkEngineError> {
        let remote = target.remote.redacted();
        let refused = |e: &spark_connect::SparkError| SparkEngineError::Cluster {
            remote: remote.clone(),
            what: "connecting".into(),
            message: first_line(e),
        };
        let session = SparkSession::builder()
            .remote(target.remote.secret_url())
            .get_or_create()
            .map_err(|e| refused(&e))?;
        let exec = exec::Executor::connect(target.remote.secret_url(), session.session_id())
            .map_err(|e| refused(&e))?;
        let mut spark = Spark {
            session,
            exec,
            remote,
            target: target.clone(),
            upload_limit: MAX_INLINE_RELATION,
            evidence_pieces: Default::default(),
            hit_chunk_rows: alerts::HIT_CHUNK_ROWS,
            hit_chunks: Default::default(),
            derived: Default::default(),
            views_reused: Default::default(),
        };
        for (key, value) in [
            ("spark.sql.session.timeZone", "UTC"),
            ("spark.sql.ansi.enabled", "true"),
            ("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS"),
            ("spark.sql.decimalOperations.allowPrecisionLoss", "false"),
            // Adaptive query execution off: with it on (Spark's default), a 1M-row run at 32
            // shuffle partitions gave a different gather-scatter alert in most runs, and
            // turning off its partition coalescing, skew-join splitting or local shuffle reads
            // alone did not stop it; with it off, every run matched the Polars engine
            // (BENCHMARKS.md, nineteenth session). Identical results come before the speed
            // it buys.
            ("spark.sql.adaptive.enabled", "false"),
            // text compared byte for byte, as here, whatever default collation a cluster sets:
            // a rule's hits are read a few subjects at a time, cut where the subject's bytes
            // change, and grouped by Spark's equality
            ("spark.sql.session.collation.default", "UTF8_BINARY"),
        ] {
            spark
                .session
                .conf()
                .set(key, value)
                .map_err(|e| spark.err(&format!("setting {key}"), e))?;
        }
        spark.upload_limit = spark.inline_relation_limit();
        Ok(spark)
    }

    /// The largest local relation to send inside a plan: half the server's
    /// `spark.connect.grpc.maxInboundMessageSize` (Spark's default, 128 MiB, when it does not
    /// say, or will not: a managed cluster may refuse to show a server setting, which only
    /// sets how large tables go up), and at most [`MAX_INLINE_RELATION`].
    fn inline_relation_limit(&self) -> usize {
        const KEY: &str = "spark.connect.grpc.maxInboundMessageSize";
        const SPARK_DEFAULT: u64 = 128 << 20;
        let what = "reading the server's message size limit";
        let value = self.query(what, &format!("SET {KEY}")).and_then(|found| {
            let values = found
                .column("value")
                .and_then(|c| c.str().cloned())
                .map_err(|e| self.bad_result(what, e.to_string()))?;
            Ok(values.get(0).unwrap_or("<undefined>").to_string())
        });
        let cap = match value.as_deref() {
            Ok("<undefined>") => SPARK_DEFAULT,
            Ok(text) => parse_bytes(text).unwrap_or_else(|| {
                tracing::warn!("{KEY} is {text:?}, not a size; taking Spark's default, 128 MiB");
                SPARK_DEFAULT
            }),
            Err(e) => {
                tracing::warn!("{e}; taking Spark's default, 128 MiB");
                SPARK_DEFAULT
            }
        };
        usize::try_from(cap / 2)
            .unwrap_or(usize::MAX)
            .min(MAX_INLINE_RELATION)
    }

    /// The cluster's error for step `what`.
    fn err(&self, what: &str, source: spark_connect::SparkError) -> SparkEngineError {
        SparkEngineError::Cluster {
            remote: self.remote.clone(),
            what: what.to_string(),
            message: first_line(&source),
        }
    }

    /// Runs a statement for its effect (creating a view, caching a table).
    pub fn execute(&self, what: &str, sql: &str) -> Result<(), SparkEngineError> {
        self.run(what, exec_root(sql))?;
        Ok(())
    }

    /// A query's result as a Polars frame (for small results: counts, alert rows), in one chunk.
    /// It is held twice at most: its pieces as they came, then the frame they make.
    pub fn query(&self, what: &str, sql: &str) -> Result<DataFrame, SparkEngineError> {
        let mut pieces = Vec::new();
        self.query_frames(what, sql, &mut |piece| {
            pieces.push(piece);
            Ok(())
        })?;
        let mut whole = stacked(pieces).map_err(|e| self.bad_result(what, e.to_string()))?;
        whole.rechunk_mut();
        Ok(whole)
    }

    /// A query's result handed to `on_frame` a piece at a time as it comes (one Arrow batch of
    /// the server's, a few MB at most), for results too large to hold at once. Pieces come in
    /// the result's order; an error `on_frame` gives ends the query and is returned. A frame
    /// may have no rows.
    pub(super) fn query_frames(
        &self,
        what: &str,
        sql: &str,
        on_frame: &mut dyn FnMut(DataFrame) -> Result<(), SparkEngineError>,
    ) -> Result<(), SparkEngineError> {
        let clock = std::time::Instant::now();
        let mut batches = exec::ArrowBatches::default();
        let read = self.exec.run_each(exec_root(sql), &mut |response| {
            let Some(bytes) = batches
                .file_of(&response)
                .map_err(|e| self.bad_result(what, e))?
            else {
                return Ok(());
            };
            drop(response);
            let frame = IpcReader::new(std::io::Cursor::new(bytes))
                .finish()
                .map_err(|e| self.bad_result(what, e.to_string()))?;
            on_frame(frame)
        });
        let result = match read {
            Ok(()) => batches.finish().map_err(|e| self.bad_result(what, e)),
            Err(exec::RunError::Cluster(failure)) => Err(self.err(what, *failure)),
            Err(exec::RunError::Reading(error)) => Err(error),
        };
        step_done(what, clock, result.is_ok());
        result
    }

    /// Runs `op` on the cluster and returns its whole result (see [`exec`]).
    fn run(
        &self,
        what: &str,
        op: proto::plan::OpType,
    ) -> Result<Vec<proto::ExecutePlanResponse>, SparkEngineError> {
        let clock = std::time::Instant::now();
        let result = self.exec.run(op).map_err(|e| self.err(what, *e));
        step_done(what, clock, result.is_ok());
        result
    }

    /// Result streams the server ended early that were resumed, since the session began.
    pub fn streams_reattached(&self) -> u64 {
        self.exec.reattached()
    }

    /// Pieces of the alerts' evidence rows read back since the session began: the rows come
    /// back in the server's Arrow batches (`spark.sql.execution.arrow.maxRecordsPerBatch` rows
    /// at most) and each piece is written to a local spill file before the next is read.
    pub fn evidence_pieces_read(&self) -> u64 {
        self.evidence_pieces
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Merges a rule's hits into episodes about `rows` hits at a time (100,000 unless set; at
    /// least 1), each subject's hits whole: they come back grouped by subject (each subject's
    /// in one partition, sorted there) and are read as they come, so this bounds what amlscreen
    /// holds of them at once.
    pub fn set_hit_chunk_rows(&mut self, rows: usize) {
        self.hit_chunk_rows = rows.max(1);
    }

    /// Pieces of hits merged apart from the rest of their rule's since the session began (a
    /// rule whose hits are merged at once counts none).
    pub fn hit_chunks_merged(&self) -> u64 {
        self.hit_chunks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Views a rule's search reads that an earlier rule had materialized already (the same
    /// graph, hubs or selected edges), since the session began (see
    /// [`Spark::checkpoint_chain`]).
    pub fn views_reused(&self) -> u64 {
        self.views_reused.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Makes the view `view` with `make` unless it was made from the rows the rules read now:
    /// the views of [`Derived::views`] depend on those rows alone, so every rule can share them.
    fn derive_once(
        &self,
        view: &'static str,
        make: impl FnOnce() -> Result<(), SparkEngineError>,
    ) -> Result<(), SparkEngineError> {
        if self.derived().views.contains(view) {
            return Ok(());
        }
        make()?;
        self.derived().views.insert(view);
        Ok(())
    }

    /// The record of what was made from the rows the rules read.
    fn derived(&self) -> std::sync::MutexGuard<'_, Derived> {
        self.derived
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets every view made from the rows the rules read, before new rows are cached.
    fn forget_derived(&self) {
        *self.derived() = Derived::default();
    }

    /// Local relations sent as cached artifacts since the session began.
    pub fn relations_cached(&self) -> u64 {
        self.exec.relations_cached()
    }

    /// Sends `values` as the temporary view `name` of one `STRING` column `column` (a plain
    /// identifier), as one Arrow column: inside the plan, or as a cached artifact when larger
    /// than half the server's message size limit.
    pub fn text_view<'a>(
        &self,
        what: &str,
        name: &str,
        column: &str,
        values: impl ExactSizeIterator<Item = &'a str>,
    ) -> Result<(), SparkEngineError> {
        let relation =
            exec::text_relation(column, values).map_err(|reason| self.bad_result(what, reason))?;
        self.view_of(what, name, relation)
    }

    /// Makes `relation` the temporary view `name`, waiting for the server to finish. A local
    /// relation larger than the upload limit goes up first as a cached artifact.
    fn view_of(
        &self,
        what: &str,
        name: &str,
        relation: proto::Relation,
    ) -> Result<(), SparkEngineError> {
        let relation = match &relation.rel_type {
            Some(proto::relation::RelType::LocalRelation(local))
                if prost::Message::encoded_len(local) > self.upload_limit =>
            {
                let clock = std::time::Instant::now();
                let cached = self
                    .exec
                    .cached_relation(local)
                    .map_err(|e| self.err(what, *e))?;
                tracing::info!(
                    step = what,
                    seconds = clock.elapsed().as_secs_f64(),
                    bytes = prost::Message::encoded_len(local),
                    "cluster upload"
                );
                cached
            }
            _ => relation,
        };
        let view = proto::CreateDataFrameViewCommand {
            input: Some(relation),
            name: name.to_string(),
            is_global: false,
            replace: true,
        };
        self.run(what, command(CommandType::CreateDataframeView(view)))?;
        Ok(())
    }

    /// Rows made here as the temporary view `name` (columns of the struct type `schema`,
    /// `BIGINT` or `STRING`), sent as Arrow in one message, waiting for the server to finish.
    fn local_view(
        &self,
        what: &str,
        name: &str,
        rows: &[spark_connect::row::Row],
        schema: &spark_connect::DataType,
    ) -> Result<(), SparkEngineError> {
        let relation =
            exec::local_relation(rows, schema).map_err(|reason| self.bad_result(what, reason))?;
        self.view_of(what, name, relation)
    }

    /// Has the cluster hold the rows of `select` as the cached temporary view `name` (a plain
    /// identifier), computed now. An earlier run's view of that name on this session is
    /// replaced (Spark uncaches a view it replaces); the catalog's tables and views are never
    /// touched. [`Spark`]'s drop uncaches it.
    fn cache_table(&self, what: &str, name: &str, select: &str) -> Result<(), SparkEngineError> {
        let name = sql::ident(name);
        self.execute(
            what,
            &format!("CREATE OR REPLACE TEMPORARY VIEW {name} AS {select}"),
        )?;
        self.execute(what, &format!("CACHE TABLE {name}"))
    }

    fn bad_result(&self, what: &str, reason: String) -> SparkEngineError {
        SparkEngineError::Result {
            remote: self.remote.clone(),
            what: what.to_string(),
            reason,
        }
    }
}

impl Drop for Spark {
    /// Ends the session on the cluster: the tables it cached are uncached and the session is
    /// released, so that a run leaves nothing in a shared cluster's memory (a session the
    /// client does not release lives until the server's idle timeout). Failures are ignored: the
    /// results are already here, and the server drops the session on its timeout anyway.
    fn drop(&mut self) {
        for table in [ingest::CHECKED_VIEW, rules::SEGMENTS_VIEW, rules::ROWS_VIEW] {
            let _ = self.execute(
                "uncaching",
                &format!("UNCACHE TABLE IF EXISTS {}", sql::ident(table)),
            );
        }
        let _ = self.session.stop();
    }
}

/// What a Spark ingest leaves: the accepted rows in the view [`ingest::ACCEPTED_VIEW`] on the
/// session, the per-file counts here.
#[derive(Debug, Clone)]
pub struct SparkIngested {
    /// One summary per file, in input order (`sha256` empty only for a cluster file longer than
    /// `binaryFile` reads).
    pub inputs: Vec<InputSummary>,
    /// The folder the quarantined rows were written to (Parquet), if `--spark-out` was given.
    pub quarantine_uri: Option<String>,
}

impl SparkIngested {
    /// Rows accepted over all files.
    pub fn rows_accepted(&self) -> u64 {
        self.inputs.iter().map(|i| i.rows_accepted).sum()
    }

    /// Quarantined rows per reason over all files, by reason code.
    pub fn quarantined_by_reason(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for input in &self.inputs {
            for (reason, n) in &input.quarantined_by_reason {
                *out.entry(reason.clone()).or_default() += n;
            }
        }
        out
    }
}

/// Options of a Spark ingest: as the Polars engine's [`crate::ingest::IngestOptions`], and the
/// latest time accepted (the Polars engine takes a day after its clock).
pub struct SparkIngestOptions<'a> {
    pub options: &'a crate::ingest::IngestOptions,
    pub latest_micros: i64,
}

impl Spark {
    /// Reads, maps and checks every input on the cluster (see [`ingest`]); leaves the accepted
    /// rows in [`ingest::ACCEPTED_VIEW`], writes the quarantined rows under `--spark-out` and
    /// returns the counts.
    pub fn ingest(
        &self,
        inputs: &[PathBuf],
        opts: &SparkIngestOptions,
    ) -> Result<SparkIngested, SparkEngineError> {
        let options = opts.options;
        let reads = ingest::plan_inputs(inputs)?;
        let delimiter = options.effective_delimiter();
        let profile = options.profile.as_ref();
        let naive_offset_secs = profile
            .and_then(|p| p.timezone.as_deref())
            .and_then(crate::ingest::timestamp::parse_utc_offset)
            .unwrap_or(0);
        let timestamp_sql = match profile.and_then(|p| p.timestamp_format.as_deref()) {
            Some(pattern) => Some(
                strftime::pattern_sql(pattern, naive_offset_secs)
                    .map_err(|why| {
                        IngestError::unreadable(
                            inputs
                                .first()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default(),
                            format!("the profile's timestamp_format `{pattern}`: {why}; use the Polars engine"),
                        )
                    })?
                    .expr,
            ),
            None => None,
        };
        let ctx = CheckContext {
            timestamp_sql,
            profile,
            fx: &options.fx,
            naive_offset_secs,
            latest_micros: opts.latest_micros,
        };
        let generated_ids = profile.is_some_and(|p| p.txn_id.is_some());
        let digests = self.digests(&reads, generated_ids)?;
        for input in reads.iter().filter(|r| r.format == SparkFormat::Csv) {
            self.refuse_broken_quotes(input, delimiter)?;
        }
        let mut selects = Vec::with_capacity(reads.len());
        for input in &reads {
            let mut spec = self.read_input(input, delimiter)?;
            spec.digests = digests
                .iter()
                .filter(|(part, _, _)| *part == input.part)
                .map(|(_, file, digest)| (file.clone(), digest.clone()))
                .collect();
            selects.push(ingest::read_select(&spec, &ctx)?);
        }
        let checked = ingest::checked_select(&selects, &ctx);
        // The checks' generated code is one method larger than HotSpot ever compiles (8,000
        // bytes of bytecode, `DontCompileHugeMethods`): it ran interpreted, a third of the
        // checks' CPU in a Flight Recorder profile at 1M rows (BENCHMARKS.md, twenty-fourth
        // session). Under this limit Spark runs that part of the plan without whole-stage
        // codegen, in methods the JVM compiles, as Spark's documentation advises for HotSpot.
        // Set for this step only (the rules' plans were not measured with it), then reset to
        // the cluster's own value.
        const HUGE_METHOD: &str = "spark.sql.codegen.hugeMethodLimit";
        self.execute("checking the rows read", &format!("SET {HUGE_METHOD}=8000"))?;
        let cached = self.execute(
            "checking the rows read",
            &format!(
                "CACHE TABLE {} AS {checked}",
                sql::ident(ingest::CHECKED_VIEW)
            ),
        );
        let reset = self.execute("checking the rows read", &format!("RESET {HUGE_METHOD}"));
        // the checks' own failure is the one to report
        cached?;
        reset?;
        self.execute(
            "keeping the accepted rows",
            &format!(
                "CREATE OR REPLACE TEMPORARY VIEW {} AS {}",
                sql::ident(ingest::ACCEPTED_VIEW),
                ingest::accepted_select()
            ),
        )?;
        let quarantine_uri = match &self.target.out {
            Some(out) => {
                let uri = format!("{out}/quarantine");
                let what = format!("writing the quarantined rows to {uri}");
                let write = proto::WriteOperation {
                    input: Some(exec::sql(&ingest::quarantine_select())),
                    source: Some("parquet".into()),
                    mode: proto::write_operation::SaveMode::Overwrite as i32,
                    save_type: Some(proto::write_operation::SaveType::Path(uri.clone())),
                    ..Default::default()
                };
                self.run(&what, command(CommandType::WriteOperation(write)))?;
                Some(uri)
            }
            None => None,
        };
        let counts = self.query("counting rows by reason", &ingest::counts_select())?;
        let inputs =
            summaries(&reads, &counts, &digests).map_err(|e| self.bad_result("counts", e))?;
        Ok(SparkIngested {
            inputs,
            quarantine_uri,
        })
    }

    /// Registers the read of one input as the view `aml_raw_<part>` (CSV: every column as text,
    /// and a corrupt-record column set on records that are not rows: a wrong field count, an
    /// unclosed quote) and returns its columns and types.
    fn read_input<'a>(
        &self,
        input: &'a SparkInput,
        delimiter: u8,
    ) -> Result<ReadSpec<'a>, SparkEngineError> {
        let view = format!("aml_raw_{}", input.part);
        let what = format!(
            "reading {}",
            input.label.as_deref().unwrap_or(input.uri.as_str())
        );
        let sep = (delimiter as char).to_string();
        // RFC 4180 text as the Polars engine's scanner reads it: quoted fields may hold the
        // delimiter, newlines and doubled quotes; every field is text
        let csv_options = vec![
            ("header", "true"),
            ("sep", sep.as_str()),
            ("quote", "\""),
            ("escape", "\""),
            ("multiLine", "true"),
            // one character per byte: the bytes are decoded as the Polars engine decodes
            // them (`ingest::utf8_lossy`); quotes, delimiters and line breaks are ASCII,
            // which no multi-byte sequence holds, so records and fields are the same
            ("encoding", "ISO-8859-1"),
            ("inferSchema", "false"),
        ];
        let mut sql_names: Vec<String> = Vec::new();
        let mut header_names: Option<Vec<String>> = None;
        let read = match input.format {
            SparkFormat::Csv => {
                let header = FileRead::new("csv", &input.uri, &csv_options, None);
                let names = header
                    .frame(&self.session)
                    .columns()
                    .map_err(|e| self.err(&what, e))?;
                // the columns by position (`aml_c0`...), the header's names decoded here
                sql_names = (0..names.len()).map(|i| format!("aml_c{i}")).collect();
                header_names = Some(names.iter().map(|n| ingest::latin1_to_utf8(n)).collect());
                let ddl: Vec<String> = sql_names
                    .iter()
                    .chain(std::iter::once(&ingest::CORRUPT_COLUMN.to_string()))
                    .map(|n| format!("{} STRING", sql::ident(n)))
                    .collect();
                let mut options = csv_options.clone();
                options.push(("mode", "PERMISSIVE"));
                options.push(("columnNameOfCorruptRecord", ingest::CORRUPT_COLUMN));
                FileRead::new("csv", &input.uri, &options, Some(ddl.join(", ")))
            }
            SparkFormat::Parquet => FileRead::new("parquet", &input.uri, &[], None),
        };
        // where each row comes from: its file, and its place in it (Parquet numbers the rows
        // of a file; a CSV file is one task, read in order, so the task's ids follow the file)
        let position = match input.format {
            SparkFormat::Parquet => "_metadata.row_index AS aml_position",
            SparkFormat::Csv => "monotonically_increasing_id() AS aml_position",
        };
        let columns = read
            .frame(&self.session)
            .dtypes()
            .map_err(|e| self.err(&what, e))?;
        self.view_of(
            &what,
            &view,
            read.relation(&["*", "_metadata.file_path AS aml_path", position]),
        )?;
        let columns: Vec<(String, String)> = columns
            .into_iter()
            .filter(|(name, _)| name != ingest::CORRUPT_COLUMN)
            .collect();
        let (columns, sql_names) = match header_names {
            Some(names) => (
                names
                    .into_iter()
                    .map(|n| (n, ingest::LATIN1.to_string()))
                    .collect(),
                sql_names,
            ),
            None => {
                let sql_names = columns.iter().map(|(n, _)| n.clone()).collect();
                (columns, sql_names)
            }
        };
        Ok(ReadSpec {
            input,
            view,
            columns,
            sql_names,
            digests: Vec::new(),
        })
    }

    /// Refuses a CSV input with a line that holds a quote and is not a record whose quoted
    /// fields all open at a field's start and close on the line: an unclosed quote, text after
    /// a closing quote, a quote inside an unquoted field, or a quoted field over several lines.
    /// The Polars engine's scanner quarantines a broken record and reads each of its lines
    /// again; Spark's parser runs an unclosed quote to the end of the file (rows lost without a
    /// count), so such a file is refused rather than read differently. One line-by-line pass
    /// on the cluster; only a count and a file name come back.
    fn refuse_broken_quotes(
        &self,
        input: &SparkInput,
        delimiter: u8,
    ) -> Result<(), SparkEngineError> {
        let what = format!(
            "checking the quotes of {}",
            input.label.as_deref().unwrap_or(input.uri.as_str())
        );
        let d = format!("\\x{{{:X}}}", delimiter);
        let field = format!("(?:\"(?:[^\"]|\"\")*+\"|[^\"{d}]*+)");
        let clean = format!("^{field}(?:{d}{field})*+\\r?$");
        let view = format!("aml_lines_{}", input.part);
        let lines = FileRead::new("text", &input.uri, &[], None);
        self.view_of(
            &what,
            &view,
            lines.relation(&["value", "_metadata.file_path AS aml_path"]),
        )?;
        let bad = self.query(
            &what,
            &format!(
                "SELECT aml_path, count(*) AS n FROM {} \
                 WHERE instr(value, '\"') > 0 AND NOT value RLIKE {} \
                 GROUP BY aml_path ORDER BY aml_path LIMIT 1",
                sql::ident(&view),
                sql::lit(&clean)
            ),
        )?;
        if bad.height() == 0 {
            return Ok(());
        }
        let n = bad
            .column("n")
            .and_then(|c| c.cast(&DataType::Int64))
            .ok()
            .and_then(|c| c.i64().ok().and_then(|c| c.get(0)))
            .unwrap_or(0);
        let file = input.label.clone().unwrap_or_else(|| {
            bad.column("aml_path")
                .ok()
                .and_then(|c| c.str().ok().and_then(|c| c.get(0).map(str::to_string)))
                .unwrap_or_default()
        });
        Err(IngestError::unreadable(
            file,
            format!("{n} line(s) hold a quote that does not open and close a field on its line (an unclosed quote, text after a closing quote, a quote inside an unquoted field, or a quoted field over several lines); --engine spark reads only CSV whose quoted fields close on their line, since Spark's parser would read such records differently from the Polars engine, which quarantines them line by line: use the Polars engine for this file"),
        )
        .into())
    }

    /// Each file's SHA-256 as `(part, file, digest)`, the file named as the read names it.
    /// A local file is hashed here, streamed (the Polars engine's `sha256_file`); the files of a
    /// URI are hashed by the cluster (`binaryFile` and `sha2`), and only their digests come
    /// back. `binaryFile` holds a whole file in one value, so a file longer than
    /// [`BINARY_FILE_MAX`] bytes is not hashed: its digest stays empty, and a profile that
    /// generates ids from it is refused.
    fn digests(
        &self,
        reads: &[SparkInput],
        generated_ids: bool,
    ) -> Result<Vec<(usize, String, String)>, SparkEngineError> {
        use rayon::prelude::*;
        let local: Vec<(usize, String)> = reads
            .iter()
            .filter_map(|r| r.label.clone().map(|l| (r.part, l)))
            .collect();
        let mut out: Vec<(usize, String, String)> = local
            .par_iter()
            .map(|(part, label)| {
                crate::ingest::sha256_file(std::path::Path::new(label))
                    .map(|d| (*part, label.clone(), d))
                    .map_err(|e| IngestError::unreadable(label, e))
            })
            .collect::<Result<_, _>>()?;
        for read in reads.iter().filter(|r| r.label.is_none()) {
            let what = format!("hashing the files of {}", read.uri);
            let files = FileRead::new("binaryFile", &read.uri, &[], None);
            let view = format!("aml_bin_{}", read.part);
            self.view_of(
                &what,
                &view,
                files.relation(&["_metadata.file_path AS aml_path", "length", "content"]),
            )?;
            let view = sql::ident(&view);
            if generated_ids {
                let long = self.query(
                    &what,
                    &format!(
                        "SELECT aml_path FROM {view} WHERE length > {BINARY_FILE_MAX} ORDER BY aml_path LIMIT 1"
                    ),
                )?;
                if long.height() > 0 {
                    let path = long
                        .column("aml_path")
                        .ok()
                        .and_then(|c| c.str().ok().and_then(|c| c.get(0).map(str::to_string)))
                        .unwrap_or_default();
                    return Err(IngestError::unreadable(
                        path,
                        format!("the profile generates txn_id from each file's SHA-256, which the cluster computes (binaryFile) only for files of at most {BINARY_FILE_MAX} bytes; split the file or give it ids of its own"),
                    )
                    .into());
                }
            }
            let hashed = self.query(
                &what,
                &format!(
                    "SELECT aml_path, sha2(content, 256) AS digest FROM {view} WHERE length <= {BINARY_FILE_MAX}"
                ),
            )?;
            let text = |name: &str| -> Result<Vec<String>, SparkEngineError> {
                let column = hashed
                    .column(name)
                    .map_err(|e| self.bad_result(&what, e.to_string()))?;
                let column = column
                    .str()
                    .map_err(|e| self.bad_result(&what, e.to_string()))?;
                Ok(column
                    .iter()
                    .map(|v| v.unwrap_or_default().to_string())
                    .collect())
            };
            for (path, digest) in text("aml_path")?.into_iter().zip(text("digest")?) {
                out.push((read.part, path, digest));
            }
        }
        out.sort();
        Ok(out)
    }
}

/// The longest file `binaryFile` reads (`spark.sql.sources.binaryFile.maxLength`'s default,
/// `Int.MaxValue` bytes).
pub const BINARY_FILE_MAX: i64 = 2_147_483_647;

/// The per-file summaries from the counts (`part_idx, file, reason, n`), in input order.
fn summaries(
    reads: &[SparkInput],
    counts: &DataFrame,
    digests: &[(usize, String, String)],
) -> Result<Vec<InputSummary>, String> {
    let part = counts
        .column("part_idx")
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(|e| e.to_string())?;
    let part = part.i64().map_err(|e| e.to_string())?;
    let file = counts.column("file").map_err(|e| e.to_string())?;
    let file = file.str().map_err(|e| e.to_string())?;
    let reason = counts.column("reason").map_err(|e| e.to_string())?;
    let reason = reason.str().map_err(|e| e.to_string())?;
    let n = counts
        .column("n")
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(|e| e.to_string())?;
    let n = n.i64().map_err(|e| e.to_string())?;
    let replaced = counts
        .column("replaced")
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(|e| e.to_string())?;
    let replaced = replaced.i64().map_err(|e| e.to_string())?;
    let mut replaced_by_file: BTreeMap<(i64, String), u64> = BTreeMap::new();
    // (part, file) -> reason -> n
    let mut by_file: BTreeMap<(i64, String), BTreeMap<Option<String>, u64>> = BTreeMap::new();
    for i in 0..counts.height() {
        let key = (
            part.get(i).ok_or("part_idx is null")?,
            file.get(i).ok_or("file is null")?.to_string(),
        );
        let count = u64::try_from(n.get(i).ok_or("n is null")?).map_err(|e| e.to_string())?;
        *replaced_by_file.entry(key.clone()).or_default() +=
            u64::try_from(replaced.get(i).unwrap_or(0)).map_err(|e| e.to_string())?;
        *by_file
            .entry(key)
            .or_default()
            .entry(reason.get(i).map(str::to_string))
            .or_default() += count;
    }
    let format_of = |p: i64| {
        reads
            .iter()
            .find(|r| r.part as i64 == p)
            .map_or("", |r| r.format.as_str())
    };
    Ok(by_file
        .into_iter()
        .map(|((p, path), reasons)| {
            let accepted = reasons.get(&None).copied().unwrap_or(0);
            let quarantined_by_reason: Vec<(String, u64)> = reasons
                .iter()
                .filter_map(|(r, n)| r.as_ref().map(|r| (r.clone(), *n)))
                .collect();
            let quarantined = quarantined_by_reason.iter().map(|(_, n)| n).sum::<u64>();
            let replaced = replaced_by_file
                .get(&(p, path.clone()))
                .copied()
                .unwrap_or(0);
            let sha256 = digests
                .iter()
                .find(|(part, file, _)| *part as i64 == p && *file == path)
                .map(|(_, _, d)| d.clone())
                .unwrap_or_default();
            InputSummary {
                path,
                format: format_of(p).to_string(),
                sha256,
                rows_read: accepted + quarantined,
                rows_accepted: accepted,
                rows_quarantined: quarantined,
                quarantined_by_reason,
                rows_with_replaced_bytes: replaced,
            }
        })
        .collect())
}

/// `amlscreen inspect --engine spark`: the inputs as the cluster reads them, what ingest
/// accepts and quarantines, and the accepted rows' dates, amounts and channels (the lines of
/// [`crate::inspect::inspect`]).
pub fn inspect(
    target: &SparkTarget,
    config: &crate::pipeline::RunConfig,
    options: &crate::ingest::IngestOptions,
) -> Result<String, SparkEngineError> {
    use crate::model::format_money_grouped;
    use std::fmt::Write as _;
    let spark = Spark::connect(target)?;
    let latest_micros = latest_accepted_micros();
    let ingested = spark.ingest(
        &config.inputs,
        &SparkIngestOptions {
            options,
            latest_micros,
        },
    )?;
    let mut out = String::new();
    for input in &ingested.inputs {
        let _ = writeln!(
            out,
            "{}: read {}, accepted {}, quarantined {}",
            input.path, input.rows_read, input.rows_accepted, input.rows_quarantined
        );
        for (reason, n) in &input.quarantined_by_reason {
            let _ = writeln!(out, "  quarantined {reason}: {n}");
        }
    }
    let accepted = ingested.rows_accepted();
    if accepted > 0 {
        let what = "summing the accepted rows";
        let stats = spark.query(
            what,
            &format!(
                "SELECT unix_micros(CAST(min(ts) AS TIMESTAMP)) AS first, unix_micros(CAST(max(ts) AS TIMESTAMP)) AS last, \
                 CAST(sum(CAST(base_amount AS DECIMAL(38, 0))) AS STRING) AS total, max(base_amount) AS largest FROM {}",
                sql::ident(ingest::ACCEPTED_VIEW)
            ),
        )?;
        let get_i64 = |name: &str| -> Result<i64, SparkEngineError> {
            stats
                .column(name)
                .ok()
                .and_then(|c| c.cast(&DataType::Int64).ok())
                .and_then(|c| c.i64().ok().and_then(|c| c.get(0)))
                .ok_or_else(|| spark.bad_result(what, format!("no {name}")))
        };
        let total: i128 = stats
            .column("total")
            .ok()
            .and_then(|c| c.str().ok().and_then(|c| c.get(0)))
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| spark.bad_result(what, "no total".into()))?;
        let _ = writeln!(
            out,
            "date range: {} to {}",
            crate::model::format_timestamp(get_i64("first")?),
            crate::model::format_timestamp(get_i64("last")?)
        );
        let _ = writeln!(
            out,
            "amounts in {}: total {}, largest {}",
            options.fx.base(),
            format_money_grouped(total),
            format_money_grouped(get_i64("largest")?)
        );
        let channels = spark.query(
            "counting channels",
            &format!(
                "SELECT channel, count(*) AS n FROM {} GROUP BY channel ORDER BY channel",
                sql::ident(ingest::ACCEPTED_VIEW)
            ),
        )?;
        let names = channels
            .column("channel")
            .ok()
            .and_then(|c| c.str().ok().cloned());
        let counts = channels
            .column("n")
            .ok()
            .and_then(|c| c.cast(&DataType::Int64).ok())
            .and_then(|c| c.i64().ok().cloned());
        if let (Some(names), Some(counts)) = (names, counts) {
            let list: Vec<String> = names
                .iter()
                .zip(counts.iter())
                .map(|(c, n)| format!("{} {}", c.unwrap_or(""), n.unwrap_or(0)))
                .collect();
            let _ = writeln!(out, "channels: {}", list.join(", "));
        }
    }
    let _ = writeln!(
        out,
        "total: {} rows read, {} accepted, {} quarantined",
        ingested.inputs.iter().map(|i| i.rows_read).sum::<u64>(),
        accepted,
        ingested
            .inputs
            .iter()
            .map(|i| i.rows_quarantined)
            .sum::<u64>()
    );
    if let Some(uri) = &ingested.quarantine_uri {
        let _ = writeln!(out, "quarantined rows written to {uri} (Parquet)");
    }
    Ok(out)
}

/// The latest transaction time accepted: a day after now, as the Polars engine decides it.
pub fn latest_accepted_micros() -> i64 {
    chrono::Utc::now().timestamp_micros() + 86_400 * 1_000_000
}

impl Spark {
    /// Every accepted row, in input order, in the Polars engine's canonical frame (for parity
    /// tests and small inputs: it brings the whole table back).
    pub fn accepted_rows(&self) -> Result<DataFrame, SparkEngineError> {
        let frame = self.query(
            "reading the accepted rows back",
            &format!(
                "SELECT * FROM {} ORDER BY part_idx, file, row_idx",
                sql::ident(ingest::ACCEPTED_VIEW)
            ),
        )?;
        let names: Vec<String> = crate::ingest::empty_frame()
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        frame
            .select(names)
            .map_err(|e| self.bad_result("reading the accepted rows back", e.to_string()))
    }
}

/// `amlscreen run --engine spark`: see [`run::run`].
pub fn run(
    config: &crate::pipeline::RunConfig,
    target: &SparkTarget,
) -> Result<crate::pipeline::RunSummary, crate::pipeline::RunError> {
    run::run(config, target)
}

/// The rows of `frames` one after another, in one frame (their chunks kept, not copied); no
/// frames, an empty frame.
pub(super) fn stacked(frames: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    let mut frames = frames.into_iter();
    let mut whole = frames.next().unwrap_or_default();
    for frame in frames {
        whole.vstack_mut_owned(frame)?;
    }
    Ok(whole)
}

/// One event per round trip, so that `--log-format json` shows where a run's time goes.
fn step_done(what: &str, clock: std::time::Instant, ok: bool) {
    tracing::info!(
        step = what,
        seconds = clock.elapsed().as_secs_f64(),
        ok,
        "cluster step"
    );
}

/// A plan that runs the SQL text `sql` and returns its rows.
fn exec_root(sql: &str) -> proto::plan::OpType {
    proto::plan::OpType::Root(exec::sql(sql))
}

/// A plan that runs a command.
fn command(command: CommandType) -> proto::plan::OpType {
    proto::plan::OpType::Command(proto::Command {
        command_type: Some(command),
    })
}

/// A read of files by the cluster: as a relation for a view made through [`exec`], and as the
/// client's frame for its columns and types (a schema request, which reads no data).
struct FileRead {
    format: String,
    uri: String,
    options: Vec<(String, String)>,
    schema: Option<String>,
}

impl FileRead {
    fn new(format: &str, uri: &str, options: &[(&str, &str)], schema: Option<String>) -> Self {
        FileRead {
            format: format.to_string(),
            uri: uri.to_string(),
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            schema,
        }
    }

    /// The client's frame of the same read.
    fn frame(&self, session: &SparkSession) -> spark_connect::DataFrame {
        let mut reader = session.read().format(&self.format);
        for (key, value) in &self.options {
            reader = reader.option(key, value);
        }
        if let Some(schema) = &self.schema {
            reader = reader.schema(schema.clone());
        }
        reader.load(Some(self.uri.as_str()))
    }

    /// The read, then the SQL expressions `select` of its rows.
    fn relation(&self, select: &[&str]) -> proto::Relation {
        let read = exec::relation(proto::relation::RelType::Read(proto::Read {
            is_streaming: false,
            read_type: Some(proto::read::ReadType::DataSource(proto::read::DataSource {
                format: Some(self.format.clone()),
                schema: self.schema.clone(),
                options: self.options.iter().cloned().collect(),
                paths: vec![self.uri.clone()],
                ..Default::default()
            })),
        }));
        let expressions = select
            .iter()
            .map(|e| proto::Expression {
                expr_type: Some(proto::expression::ExprType::ExpressionString(
                    proto::expression::ExpressionString {
                        expression: e.to_string(),
                    },
                )),
                ..Default::default()
            })
            .collect();
        exec::relation(proto::relation::RelType::Project(Box::new(
            proto::Project {
                input: Some(Box::new(read)),
                expressions,
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    /// Sizes as Spark writes them in its settings; anything else is not a size.
    #[test]
    fn sizes_are_read_as_spark_writes_them() {
        assert_eq!(parse_bytes("134217728"), Some(134_217_728));
        assert_eq!(parse_bytes("1m"), Some(1 << 20));
        assert_eq!(parse_bytes(" 128MB "), Some(128 << 20));
        assert_eq!(parse_bytes("64k"), Some(64 << 10));
        assert_eq!(parse_bytes("2g"), Some(2 << 30));
        assert_eq!(parse_bytes("10b"), Some(10));
        for bad in ["", "m", "1.5m", "1 m", "-1", "12q", "99999999999999999999"] {
            assert_eq!(parse_bytes(bad), None, "{bad:?}");
        }
    }
}
