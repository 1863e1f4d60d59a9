//! The engine a run executes on: the local Polars engine (the default), or a Spark cluster
//! through Spark Connect (`--engine spark`, built with the `spark` cargo feature; see
//! `docs/spark.md`).
//!
//! This module is compiled whatever the features, so that a binary without Spark can refuse
//! `--engine spark` with a sentence, and so that the validated choice travels in
//! [`crate::pipeline::RunConfig`].

use std::fmt;
use thiserror::Error;

/// The environment variable that may hold the Spark Connect address (as PySpark reads it).
pub const SPARK_REMOTE_ENV: &str = "SPARK_REMOTE";
/// The environment variable that may hold the Spark Connect token; appended to the address as
/// `;token=…`. A token is never taken from a command-line flag (flags land in logs and shell
/// histories).
pub const SPARK_TOKEN_ENV: &str = "AMLSCREEN_SPARK_TOKEN";

/// Where a run executes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Engine {
    /// Polars, in this process.
    #[default]
    Polars,
    /// A Spark cluster through Spark Connect.
    Spark(SparkTarget),
}

/// The Spark cluster a run uses and where it writes what grows with the transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkTarget {
    /// The Spark Connect address, token included when one was given (see [`SparkRemote`]).
    pub remote: SparkRemote,
    /// A folder URI the cluster writes the quarantined rows to (Parquet), such as
    /// `s3a://bucket/amlscreen/night-42`; `None`: quarantined rows are counted, not written.
    pub out: Option<String>,
}

/// A Spark Connect address, `sc://host:port[/;param=value…]`. It may carry a token, so it is
/// never printed as it is: [`fmt::Display`] and [`fmt::Debug`] show it with the token's value
/// replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SparkRemote(String);

impl SparkRemote {
    /// The address as the client needs it, token included. Do not log it.
    pub fn secret_url(&self) -> &str {
        &self.0
    }

    /// The address with any token's value replaced by `***`.
    pub fn redacted(&self) -> String {
        let (base, params) = match self.0.split_once(";") {
            Some((base, params)) => (base, Some(params)),
            None => (self.0.as_str(), None),
        };
        let mut out = base.to_string();
        for param in params.into_iter().flat_map(|p| p.split(';')) {
            out.push(';');
            match param.split_once('=') {
                Some((key, _)) if key.trim().eq_ignore_ascii_case("token") => {
                    out.push_str(key);
                    out.push_str("=***");
                }
                _ => out.push_str(param),
            }
        }
        out
    }
}

impl fmt::Display for SparkRemote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for SparkRemote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SparkRemote({})", self.redacted())
    }
}

/// Why an engine choice is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EngineError {
    #[error("--engine must be polars or spark, got `{0}`")]
    Unknown(String),
    #[error("--engine spark: this amlscreen was built without the Spark engine; build it with `cargo build --release --features spark` (the Spark Connect client's build needs protoc: `apt-get install protobuf-compiler`)")]
    NotBuilt,
    #[error("--engine spark needs the cluster's address: --spark-remote sc://HOST:PORT or the environment variable {SPARK_REMOTE_ENV}")]
    NoRemote,
    #[error("{0}: expected a Spark Connect address such as sc://spark.example.org:15002 (sc://, a host, optionally :port and /;param=value)")]
    BadRemote(String),
    #[error("--spark-remote must not carry a token (flags land in logs and shell histories); give the token in the environment variable {SPARK_TOKEN_ENV} or in {SPARK_REMOTE_ENV}")]
    TokenInFlag,
    #[error("the Spark address already holds a token; {SPARK_TOKEN_ENV} would give a second one")]
    TwoTokens,
    /// The client sends the address's `user_id` with its settings but not with its queries, and
    /// a session is the pair (user, session id): the queries would run without the settings.
    #[error("{0}: `{1}` is not supported in the Spark address (amlscreen opens its own session, and the client would send settings and queries as different users); remove it")]
    UnsupportedRemoteParam(String, String),
    #[error("{0} is a Spark flag: it needs --engine spark")]
    SparkFlagWithoutSpark(&'static str),
    #[error("--spark-out {0}: expected a folder URI with a scheme, such as file:///data/out or s3a://bucket/path")]
    BadOut(String),
    #[error("--state is not supported with --engine spark yet: the nightly state keeps its history in local files, and a Spark run keeps everything that grows with the transactions on the cluster; run nightly runs with the Polars engine")]
    StateWithSpark,
}

/// The engine flags as given, before validation.
#[derive(Debug, Clone, Default)]
pub struct EngineFlags<'a> {
    /// `--engine` (`None`: polars).
    pub engine: Option<&'a str>,
    /// `--spark-remote`.
    pub remote: Option<&'a str>,
    /// `--spark-out`.
    pub out: Option<&'a str>,
    /// Whether the run keeps a nightly state (`--state`).
    pub state: bool,
}

/// The environment the engine choice reads: [`SPARK_REMOTE_ENV`] and [`SPARK_TOKEN_ENV`].
#[derive(Debug, Clone, Default)]
pub struct EngineEnv {
    pub remote: Option<String>,
    pub token: Option<String>,
}

impl EngineEnv {
    /// The process's environment (empty values count as absent).
    pub fn from_process() -> EngineEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        EngineEnv {
            remote: var(SPARK_REMOTE_ENV),
            token: var(SPARK_TOKEN_ENV),
        }
    }
}

/// Whether this binary holds the Spark engine (the `spark` cargo feature).
pub const SPARK_BUILT: bool = cfg!(feature = "spark");

/// Validates the engine flags. The address comes from `--spark-remote`, else from
/// [`SPARK_REMOTE_ENV`]; a token from [`SPARK_TOKEN_ENV`] or inside [`SPARK_REMOTE_ENV`],
/// never from the flag. `built` says whether the Spark engine is compiled in.
pub fn choose(flags: &EngineFlags, env: &EngineEnv, built: bool) -> Result<Engine, EngineError> {
    let spark = match flags.engine.map(str::trim) {
        None | Some("polars") => false,
        Some("spark") => true,
        Some(other) => return Err(EngineError::Unknown(other.to_string())),
    };
    if !spark {
        if flags.remote.is_some() {
            return Err(EngineError::SparkFlagWithoutSpark("--spark-remote"));
        }
        if flags.out.is_some() {
            return Err(EngineError::SparkFlagWithoutSpark("--spark-out"));
        }
        return Ok(Engine::Polars);
    }
    if !built {
        return Err(EngineError::NotBuilt);
    }
    if flags.state {
        return Err(EngineError::StateWithSpark);
    }
    let mut url = match (flags.remote, &env.remote) {
        (Some(flag), _) => {
            if has_token(flag) {
                return Err(EngineError::TokenInFlag);
            }
            flag.trim().to_string()
        }
        (None, Some(env)) => env.trim().to_string(),
        (None, None) => return Err(EngineError::NoRemote),
    };
    check_remote(&url)?;
    if let Some(token) = &env.token {
        if has_token(&url) {
            return Err(EngineError::TwoTokens);
        }
        // sc://h:1 -> sc://h:1/;token=…; sc://h:1/;use_ssl=true -> …;use_ssl=true;token=…
        url.push_str(match (url.contains(';'), url.ends_with('/')) {
            (true, _) | (false, true) => ";token=",
            (false, false) => "/;token=",
        });
        url.push_str(token.trim());
    }
    let out = match flags.out.map(str::trim) {
        None => None,
        Some(out) if has_scheme(out) => Some(out.trim_end_matches('/').to_string()),
        Some(out) => return Err(EngineError::BadOut(out.to_string())),
    };
    Ok(Engine::Spark(SparkTarget {
        remote: SparkRemote(url),
        out,
    }))
}

/// Whether an address holds a `token=` parameter.
fn has_token(url: &str) -> bool {
    url.split(';').skip(1).any(|p| {
        p.split('=')
            .next()
            .is_some_and(|k| k.trim().eq_ignore_ascii_case("token"))
    })
}

/// Whether `text` starts with a URI scheme (`file:`, `s3a:`, `hdfs:`, ...).
pub fn has_scheme(text: &str) -> bool {
    match text.split_once("://") {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `sc://host[:port][/;params]`, with a host and a port that is a number.
fn check_remote(url: &str) -> Result<(), EngineError> {
    // the message must not repeat a token: the address is shown redacted
    let bad = || EngineError::BadRemote(SparkRemote(url.to_string()).redacted());
    let rest = url.strip_prefix("sc://").ok_or_else(bad)?;
    let authority = rest.split(['/', ';']).next().unwrap_or("");
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if host.is_empty() || port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(bad());
    }
    for param in rest.split(';').skip(1) {
        let key = param.split('=').next().unwrap_or("").trim();
        if key.eq_ignore_ascii_case("user_id") || key.eq_ignore_ascii_case("session_id") {
            return Err(EngineError::UnsupportedRemoteParam(
                SparkRemote(url.to_string()).redacted(),
                key.to_string(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spark_flags(remote: Option<&'static str>) -> EngineFlags<'static> {
        EngineFlags {
            engine: Some("spark"),
            remote,
            ..Default::default()
        }
    }

    #[test]
    fn polars_is_the_default_and_spark_flags_need_spark() {
        let env = EngineEnv::default();
        assert_eq!(
            choose(&EngineFlags::default(), &env, true),
            Ok(Engine::Polars)
        );
        let flags = EngineFlags {
            remote: Some("sc://h:1"),
            ..Default::default()
        };
        assert_eq!(
            choose(&flags, &env, true),
            Err(EngineError::SparkFlagWithoutSpark("--spark-remote"))
        );
        let flags = EngineFlags {
            engine: Some("duckdb"),
            ..Default::default()
        };
        assert_eq!(
            choose(&flags, &env, true),
            Err(EngineError::Unknown("duckdb".into()))
        );
    }

    #[test]
    fn spark_without_the_feature_is_refused_with_how_to_build_it() {
        let err = choose(
            &spark_flags(Some("sc://h:15002")),
            &EngineEnv::default(),
            false,
        )
        .unwrap_err();
        assert_eq!(err, EngineError::NotBuilt);
        assert!(err.to_string().contains("--features spark"));
    }

    #[test]
    fn the_address_comes_from_the_flag_or_the_environment_and_a_token_never_from_the_flag() {
        let env = EngineEnv {
            remote: Some("sc://env-host:15002".into()),
            token: None,
        };
        let Ok(Engine::Spark(t)) = choose(&spark_flags(Some("sc://flag:1")), &env, true) else {
            panic!("spark")
        };
        assert_eq!(t.remote.secret_url(), "sc://flag:1");
        let Ok(Engine::Spark(t)) = choose(&spark_flags(None), &env, true) else {
            panic!("spark")
        };
        assert_eq!(t.remote.secret_url(), "sc://env-host:15002");
        assert_eq!(
            choose(&spark_flags(None), &EngineEnv::default(), true),
            Err(EngineError::NoRemote)
        );
        assert_eq!(
            choose(&spark_flags(Some("sc://h:1/;token=abc")), &env, true),
            Err(EngineError::TokenInFlag)
        );
        let env = EngineEnv {
            remote: None,
            token: Some("s3cr3t".into()),
        };
        let Ok(Engine::Spark(t)) = choose(&spark_flags(Some("sc://h:1")), &env, true) else {
            panic!("spark")
        };
        assert_eq!(t.remote.secret_url(), "sc://h:1/;token=s3cr3t");
        assert_eq!(t.remote.to_string(), "sc://h:1/;token=***");
        assert!(!format!("{t:?}").contains("s3cr3t"));
        let env = EngineEnv {
            remote: Some("sc://h:1/;use_ssl=true;token=a".into()),
            token: Some("b".into()),
        };
        assert_eq!(
            choose(&spark_flags(None), &env, true),
            Err(EngineError::TwoTokens)
        );
    }

    #[test]
    fn bad_addresses_state_and_out_folders_are_refused() {
        let env = EngineEnv::default();
        for bad in ["http://h:1", "sc://", "sc://h:port", "h:15002"] {
            assert!(
                matches!(
                    choose(&spark_flags(Some(bad)), &env, true),
                    Err(EngineError::BadRemote(_))
                ),
                "{bad}"
            );
        }
        for param in [
            "user_id=ann",
            "session_id=550e8400-e29b-41d4-a716-446655440000",
        ] {
            let remote = format!("sc://h:1/;use_ssl=true;{param}");
            let remote: &'static str = Box::leak(remote.into_boxed_str());
            assert!(
                matches!(
                    choose(&spark_flags(Some(remote)), &env, true),
                    Err(EngineError::UnsupportedRemoteParam(_, _))
                ),
                "{param}"
            );
        }
        let flags = EngineFlags {
            state: true,
            ..spark_flags(Some("sc://h:1"))
        };
        assert_eq!(choose(&flags, &env, true), Err(EngineError::StateWithSpark));
        let flags = EngineFlags {
            out: Some("/tmp/out"),
            ..spark_flags(Some("sc://h:1"))
        };
        assert_eq!(
            choose(&flags, &env, true),
            Err(EngineError::BadOut("/tmp/out".into()))
        );
        let flags = EngineFlags {
            out: Some("s3a://bucket/night/"),
            ..spark_flags(Some("sc://h:1"))
        };
        let Ok(Engine::Spark(t)) = choose(&flags, &env, true) else {
            panic!("spark")
        };
        assert_eq!(t.out.as_deref(), Some("s3a://bucket/night"));
    }
}
