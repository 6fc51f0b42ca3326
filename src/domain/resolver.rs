//! Reading TXT records: the [`TxtResolver`] port, and [`StaticResolver`] for tests.

use std::collections::HashMap;
use std::future::Future;

use super::proof::{DnsFailure, TxtAnswer};

/// Looks up TXT records.
///
/// # Contract
/// - `name` is a fully qualified, lowercase ASCII name without a trailing dot; it is looked up
///   as it is (no search domains appended).
/// - Every outcome is a value: an existing name with records ([`TxtAnswer::Records`], each
///   record's character-strings kept apart), an existing name without TXT records
///   ([`TxtAnswer::NoRecords`]), a name that does not exist ([`TxtAnswer::NxDomain`]), or a
///   [`DnsFailure`] (SERVFAIL, timeout, anything else). A lookup ends within the resolver's
///   timeout.
pub trait TxtResolver: Send + Sync {
    /// The TXT records of `name`.
    fn lookup_txt(&self, name: &str) -> impl Future<Output = Result<TxtAnswer, DnsFailure>> + Send;
}

/// A resolver answering from a table, for tests. Names not in the table are NXDOMAIN.
#[derive(Clone, Debug, Default)]
pub struct StaticResolver {
    answers: HashMap<String, Result<TxtAnswer, DnsFailure>>,
}

impl StaticResolver {
    /// An empty table: every name is NXDOMAIN.
    pub fn new() -> StaticResolver {
        StaticResolver::default()
    }

    /// Adds a TXT record (one character-string) to `name`.
    pub fn with_txt(mut self, name: &str, value: &str) -> StaticResolver {
        let key = name.trim_end_matches('.').to_ascii_lowercase();
        let entry = self
            .answers
            .entry(key)
            .or_insert(Ok(TxtAnswer::Records(Vec::new())));
        match entry {
            Ok(TxtAnswer::Records(r)) => r.push(vec![value.as_bytes().to_vec()]),
            other => *other = Ok(TxtAnswer::Records(vec![vec![value.as_bytes().to_vec()]])),
        }
        self
    }

    /// Sets what `name` answers.
    pub fn with_answer(
        mut self,
        name: &str,
        answer: Result<TxtAnswer, DnsFailure>,
    ) -> StaticResolver {
        self.answers
            .insert(name.trim_end_matches('.').to_ascii_lowercase(), answer);
        self
    }
}

impl TxtResolver for StaticResolver {
    fn lookup_txt(&self, name: &str) -> impl Future<Output = Result<TxtAnswer, DnsFailure>> + Send {
        let answer = self
            .answers
            .get(name)
            .cloned()
            .unwrap_or(Ok(TxtAnswer::NxDomain));
        std::future::ready(answer)
    }
}
