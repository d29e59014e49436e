//! An in-process Kafka cluster: librdkafka's mock brokers, for `convolens demo` and tests.
//!
//! `MockCluster` holds raw pointers and so is neither `Send` nor `Sync`, and this crate
//! forbids the `unsafe` that would assert otherwise. It therefore lives on a thread of its
//! own, which answers requests over a channel; [`EmbeddedCluster`] is a handle that can be
//! moved and shared freely, and shuts the brokers down when dropped.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use super::config::check_topic_name;
use crate::IngestError;

const BROKERS: i32 = 3;

enum Request {
    CreateTopic {
        name: String,
        partitions: i32,
        reply: Sender<Result<(), IngestError>>,
    },
}

/// Three mock brokers on loopback ports, alive as long as this value.
pub struct EmbeddedCluster {
    bootstrap_servers: String,
    /// Dropping the sender ends the cluster thread's loop.
    requests: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedCluster {
    /// Starts the brokers; they accept connections when this returns.
    pub fn start() -> Result<Self, IngestError> {
        let (request_tx, request_rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("kafka-mock-cluster".into())
            .spawn(move || serve(request_rx, ready_tx))
            .map_err(|e| IngestError::EmbeddedCluster {
                detail: format!("cannot start its thread: {e}"),
            })?;
        let bootstrap_servers = ready_rx.recv().map_err(|_| IngestError::EmbeddedCluster {
            detail: "its thread ended during start".into(),
        })??;
        Ok(EmbeddedCluster {
            bootstrap_servers,
            requests: Some(request_tx),
            thread: Some(thread),
        })
    }

    /// `host:port,…` of the brokers, for `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap_servers
    }

    /// Creates `name` with `partitions` partitions, each replicated on every broker.
    /// (The mock brokers do not implement the CreateTopics admin request.)
    pub fn create_topic(&self, name: &str, partitions: i32) -> Result<(), IngestError> {
        check_topic_name(name)?;
        if partitions < 1 {
            return Err(IngestError::EmbeddedCluster {
                detail: format!("topic {name}: {partitions} partitions"),
            });
        }
        let (reply_tx, reply_rx) = mpsc::channel();
        let request = Request::CreateTopic {
            name: name.to_string(),
            partitions,
            reply: reply_tx,
        };
        let gone = || IngestError::EmbeddedCluster {
            detail: "its thread has stopped".into(),
        };
        self.requests
            .as_ref()
            .ok_or_else(gone)?
            .send(request)
            .map_err(|_| gone())?;
        reply_rx.recv().map_err(|_| gone())?
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            // The thread only ends by its loop finishing; a panic there is already logged.
            let _ = thread.join();
        }
    }
}

fn serve(requests: Receiver<Request>, ready: Sender<Result<String, IngestError>>) {
    let cluster: MockCluster<'static, DefaultProducerContext> = match MockCluster::new(BROKERS) {
        Ok(cluster) => cluster,
        Err(e) => {
            let _ = ready.send(Err(IngestError::EmbeddedCluster {
                detail: format!("cannot create brokers: {e}"),
            }));
            return;
        }
    };
    if ready.send(Ok(cluster.bootstrap_servers())).is_err() {
        return;
    }
    while let Ok(request) = requests.recv() {
        match request {
            Request::CreateTopic {
                name,
                partitions,
                reply,
            } => {
                let created =
                    cluster
                        .create_topic(&name, partitions, BROKERS)
                        .map_err(|e| IngestError::EmbeddedCluster {
                            detail: format!("cannot create topic {name}: {e}"),
                        });
                // The caller may have given up waiting; nothing to do then.
                let _ = reply.send(created);
            }
        }
    }
}
