//! [`DnsResolver`]: TXT lookups through hickory-resolver (feature `dns`).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;

use super::proof::{DnsFailure, TxtAnswer};
use super::resolver::TxtResolver;

/// A real DNS resolver (hickory-resolver on tokio): the system's configuration
/// (`/etc/resolv.conf`) by default, or explicit nameservers. No cache: a verification always
/// asks the servers. Timeout 5 s per attempt, 2 attempts, by default.
#[derive(Clone)]
pub struct DnsResolver {
    inner: TokioResolver,
}

impl std::fmt::Debug for DnsResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsResolver").finish_non_exhaustive()
    }
}

/// The resolver could not be set up (unreadable system configuration).
#[derive(Debug, thiserror::Error)]
#[error("the DNS resolver could not be configured: {0}")]
pub struct DnsSetupError(String);

fn options(timeout: Duration) -> ResolverOpts {
    let mut o = ResolverOpts::default();
    o.timeout = timeout;
    o.attempts = 2;
    o.cache_size = 0;
    o.ndots = 0;
    o.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
    o
}

impl DnsResolver {
    /// The system's resolver configuration.
    pub fn system() -> Result<DnsResolver, DnsSetupError> {
        let mut b = TokioResolver::builder_tokio().map_err(|e| DnsSetupError(e.to_string()))?;
        *b.options_mut() = options(Duration::from_secs(5));
        let inner = b.build().map_err(|e| DnsSetupError(e.to_string()))?;
        Ok(DnsResolver { inner })
    }

    /// These nameservers (`IP:port`, UDP then TCP), with `timeout` per attempt.
    pub fn with_nameservers(
        servers: &[SocketAddr],
        timeout: Duration,
    ) -> Result<DnsResolver, DnsSetupError> {
        let name_servers = servers
            .iter()
            .map(|s| {
                let mut udp = ConnectionConfig::udp();
                udp.port = s.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = s.port();
                let mut c = NameServerConfig::udp_and_tcp(s.ip());
                c.connections = vec![udp, tcp];
                c
            })
            .collect();
        let config = ResolverConfig::from_name_servers(name_servers);
        let mut b = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        *b.options_mut() = options(timeout);
        let inner = b.build().map_err(|e| DnsSetupError(e.to_string()))?;
        Ok(DnsResolver { inner })
    }
}

fn failure(name: &str, e: NetError) -> Result<TxtAnswer, DnsFailure> {
    let name = name.to_owned();
    match e {
        NetError::Dns(DnsError::NoRecordsFound(n)) if n.response_code == ResponseCode::NXDomain => {
            Ok(TxtAnswer::NxDomain)
        }
        NetError::Dns(DnsError::NoRecordsFound(_)) => Ok(TxtAnswer::NoRecords),
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => {
            Err(DnsFailure::ServFail { name })
        }
        NetError::Timeout => Err(DnsFailure::Timeout { name }),
        other => {
            let detail = other.to_string();
            if detail.contains("timed out") {
                Err(DnsFailure::Timeout { name })
            } else {
                Err(DnsFailure::Other {
                    name,
                    detail: detail.chars().take(200).collect(),
                })
            }
        }
    }
}

impl TxtResolver for DnsResolver {
    fn lookup_txt(&self, name: &str) -> impl Future<Output = Result<TxtAnswer, DnsFailure>> + Send {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let name = name.to_owned();
        let inner = self.inner.clone();
        async move {
            match inner.lookup(fqdn.as_str(), RecordType::TXT).await {
                Ok(lookup) => {
                    let records: Vec<Vec<Vec<u8>>> = lookup
                        .answers()
                        .iter()
                        .filter_map(|r| match &r.data {
                            RData::TXT(t) => Some(t.txt_data.iter().map(|s| s.to_vec()).collect()),
                            _ => None,
                        })
                        .collect();
                    if records.is_empty() {
                        Ok(TxtAnswer::NoRecords)
                    } else {
                        Ok(TxtAnswer::Records(records))
                    }
                }
                Err(e) => failure(&name, e),
            }
        }
    }
}
